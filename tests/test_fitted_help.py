"""Help fitted to the cause: a team that identifies the cause of a household's risk adds
the help that answers it (temporary assistance and, for a household impoverished by
medical bills, the dibao with medical spending deducted); a team that does not brings
only the uniform bundle."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np

from abm.config import Config, load_config
from abm.households.state import CAUSE_INDEX, NO_ID
from abm.instruments.base import Income
from abm.model import CountyModel
from tests.conftest import make_ctx, make_households


def _run(*sets, n=3000, months=24, seed=2):
    m = CountyModel(load_config(None, list(sets), households=n, months=months, seed=seed))
    for _ in range(months):
        m.step()
    return m


def test_only_diagnosed_illness_cases_get_temporary_assistance():
    blind = _run("implementers.diagnosis_skill=0")
    seeing = _run("implementers.diagnosis_skill=1", "implementers.new_team_knowledge=1",
                  "implementers.team_skill_spread=0")
    assert blind.budget.lines["temporary_assistance"].cum_spent == 0
    assert seeing.budget.lines["temporary_assistance"].cum_spent > 0
    assert seeing.implementation.n_diagnosed == seeing.implementation.n_bundles > 0
    assert blind.implementation.n_diagnosed == 0
    hh = seeing.households
    helped = hh.help_fitted & (hh.helped_since > -1_000_000)
    assert helped.any()
    # the cause recorded at inclusion is a cause, or none
    assert set(np.unique(hh.risk_cause[hh.monitored])) <= set(range(len(CAUSE_INDEX) + 1)) | {NO_ID}
    ta = seeing.instruments["temporary_assistance"]
    assert ta.n_granted > 0
    assert blind.timeseries()["smith_org_help_fitted"].iloc[-1] == 0.0
    assert seeing.timeseries()["smith_org_help_fitted"].iloc[-1] == 1.0


def _step(ctx):
    """The parts of a step context ``deliver`` reads."""
    return SimpleNamespace(ctx=ctx, budget=ctx.budget)


def test_grant_covers_a_share_of_medical_spending_up_to_the_cap():
    cfg = Config()
    p = cfg.policy.temporary_assistance
    hh = make_households(2, size=2)
    hh.oop_sum[:] = [2_000.0, 200_000.0]
    ctx = make_ctx(2, cfg=cfg)
    ta = ctx.instruments["temporary_assistance"]
    ta.deliver(hh, np.array([0, 1]), np.array([True, True]), _step(ctx))
    cap = p.cap_months_of_dibao * ctx.dibao_line / 12.0 * 2
    assert np.allclose(hh.pending_transfer_m, [p.share_of_oop * 2_000.0, cap])


def test_a_disaster_grant_covers_a_share_of_the_years_disaster_losses():
    """Sudden hardship (急难型): a household whose risk came from a disaster gets a share of
    what the disaster cost it over the last year (from the loss ledger), not of its
    medical bills; an illness case still gets a share of its medical bills."""
    cfg = Config()
    p = cfg.policy.temporary_assistance
    hh = make_households(3, size=2)
    hh.risk_cause[:] = [CAUSE_INDEX["disaster"], CAUSE_INDEX["disaster"], CAUSE_INDEX["illness"]]
    hh.oop_sum[:] = [5_000.0, 5_000.0, 2_000.0]
    for month in range(3):
        hh.new_ledger_month(month)
        hh.book("disaster", np.array([1_000.0, 100_000.0, 0.0]))
    ctx = make_ctx(3, cfg=cfg)
    ta = ctx.instruments["temporary_assistance"]
    ta.deliver(hh, np.arange(3), np.ones(3, bool), _step(ctx))
    cap = p.cap_months_of_dibao * ctx.dibao_line / 12.0 * 2
    assert "disaster" in ta.fits_causes
    assert np.allclose(hh.pending_transfer_m, [p.share_of_disaster_loss * 3_000.0, cap,
                                               p.share_of_oop * 2_000.0])


def test_dibao_top_up_deducts_medical_spending():
    for deduct, expected_gap in ((True, True), (False, False)):
        cfg = load_config(None, [f"policy.dibao.deduct_medical={str(deduct).lower()}"])
        hh = make_households(1, size=2)
        hh.dibao[:] = True
        hh.oop_sum[:] = 12 * 300.0  # 300 yuan a month of medical bills
        ctx = make_ctx(1, cfg=cfg, dibao_line=6_000.0)
        line_m = 6_000.0 / 12 * 2
        inc = Income(np.array([line_m]), np.zeros(1), np.zeros(1), np.zeros(1), np.ones(1))
        ctx.instruments["dibao"].top_up(hh, ctx, inc)
        # income exactly at the line before bills: topped up by the bills only if deducted
        assert np.isclose(inc.public[0], 300.0 if expected_gap else 0.0)


def test_a_household_in_distress_sells_assets_and_books_the_lost_income():
    from abm.households.decisions import distress_sales

    cfg = load_config(None, ["behaviour.p_distress_sale=1", "behaviour.distress_sale_share=0.5",
                             "behaviour.distress_price_years=2"])
    hh = make_households(3, size=2, land=10.0)
    hh.inc_farm_m[:] = 1000.0  # 100 yuan a month per mu
    hh.income_pc_year[:] = [1000.0, 1000.0, 20_000.0]  # the third is well off
    hh.debt[:] = [50_000.0, 100.0, 50_000.0]  # the second has little debt
    ctx = make_ctx(3, cfg=cfg)
    distress_sales(hh, cfg, np.zeros(3, np.float32), ctx)
    assert list(hh.n_distress_sales) == [1, 0, 0]
    assert hh.land[0] == 5.0 and hh.land[1] == hh.land[2] == 10.0
    # half the land's 1,000 yuan a month, sold for two years of it: 12,000 off the debt
    assert np.isclose(hh.lost_assets_m[0], 500.0)
    assert np.isclose(hh.debt[0], 50_000.0 - 12_000.0)
