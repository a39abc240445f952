"""Small household businesses (a livelihood of their own): started with drive, savings
and a free member; earning while someone runs them; closed by an epidemic; failing
into a loss the ledger carries until another starts."""

from __future__ import annotations

import numpy as np
import pytest

from abm import households as H
from abm import rules
from abm.config import load_config
from abm.households.health import monthly
from abm.model import CountyModel
from abm.rng import stream
from tests.conftest import make_ctx, make_households


def _start_rate(cfg, n, seeds=(1, 2, 3), **cols):
    rates = []
    for seed in seeds:
        hh = make_households(n, n_migrants=0, savings=50_000.0, **cols)
        H.businesses(hh, cfg, stream(seed, "business"), make_ctx(n))
        rates.append(hh.business.mean())
    return float(np.mean(rates))


def test_households_with_more_drive_start_more_businesses():
    cfg = load_config(None, ["business.p_start_year=0.6"])
    b, p = cfg.behaviour, monthly(0.6)
    n = 20000
    for mot in (0.2, b.motivation_reference, 0.9):
        want = p * min(mot / b.motivation_reference, 1.5) * (0.5 + 0.5)
        assert _start_rate(cfg, n, motivation=mot, skills=0.5) == pytest.approx(want, rel=0.06)
    assert _start_rate(cfg, n, motivation=0.6, skills=0.9) > 1.2 * _start_rate(
        cfg, n, motivation=0.6, skills=0.3)


def test_a_start_needs_savings_and_a_free_member_and_invests_the_savings():
    cfg = load_config(None, ["business.p_start_year=1.0", "business.start_cost=10000"])
    n = 6
    hh = make_households(n, n_migrants=0, motivation=0.9, skills=0.9)
    hh.savings[:] = [20_000, 9_000, 20_000, 20_000, 20_000, 20_000]
    hh.n_labour[:] = [2, 2, 0, 1, 1, 2]
    hh.in_post[:] = [False, False, False, True, False, False]
    hh.n_migrants[:] = [0, 0, 0, 0, 1, 0]
    for month in range(24):  # chance 1 - (1 - 1)^(1/12) = 1 a month at full drive
        H.businesses(hh, cfg, stream(month, "business"), make_ctx(n, month=month))
        if month == 0:  # all starts in the first month, recorded as invested
            assert hh.business_invested_m.tolist() == [10_000, 0, 0, 0, 0, 10_000]
    assert hh.business.tolist() == [True, False, False, False, False, True]
    assert hh.savings[0] == 10_000 and hh.savings[1] == 9_000
    assert (hh.business_invested_m == 0).all()  # nothing started since
    # the member running it is no longer free to leave for work away
    assert rules.free_to_leave(hh)[0] == 1 and rules.free_to_leave(hh)[1] == 2


def test_a_failed_business_is_a_loss_until_another_starts():
    cfg = load_config(None, ["business.p_fail_year=1.0", "business.p_start_year=0",
                             "economy.income_noise_sigma=0"])
    n = 3
    hh = make_households(n, n_migrants=0, motivation=cfg.behaviour.motivation_reference)
    hh.business[:] = [True, True, False]
    H.businesses(hh, cfg, stream(1, "business"), make_ctx(n, wage_index=1.1))
    assert not hh.business.any()
    usual = cfg.business.net_month * 1.1
    assert hh.lost_business_m == pytest.approx([usual, usual, 0.0])
    for month in (2, 3):
        hh.new_ledger_month(month)
        H.work_income(hh, cfg, stream(month, "work"), make_ctx(n, month=month))
        failed = hh.losses[H.CAUSE_INDEX["business_failure"], hh.ledger_pos]
        assert failed[:2] == pytest.approx([usual, usual], rel=1e-6)
        assert failed[2] == pytest.approx(0.0, abs=1e-6)
        assert hh.losses[H.CAUSE_INDEX["market"], hh.ledger_pos] == pytest.approx(0, abs=1e-6)
        assert (hh.inc_business_m == 0).all()
    # starting another ends the loss
    cfg2 = load_config(None, ["business.p_fail_year=0", "business.p_start_year=1.0"])
    hh.savings[:] = 1e6
    H.businesses(hh, cfg2, stream(4, "business"), make_ctx(n))
    assert hh.business.all() and (hh.lost_business_m == 0).all()


def test_a_business_earns_while_run_takes_a_worker_and_closes_in_an_epidemic():
    cfg = load_config(None, ["economy.income_noise_sigma=0", "economy.p_job_loss=0"])
    n = 4
    ref = cfg.behaviour.motivation_reference
    hh = make_households(n, n_migrants=0, n_labour=2, land=0.0, motivation=ref)
    hh.business[:] = [True, False, True, True]
    hh.n_migrants[:] = [0, 0, 0, 2]  # nobody at home runs the fourth
    hh.new_ledger_month(1)
    H.work_income(hh, cfg, stream(1, "work"), make_ctx(n))
    net = cfg.business.net_month
    assert hh.inc_business_m == pytest.approx([net, 0.0, net, 0.0])
    # net business income (NBS) includes it; the member running it does no wage work
    assert hh.inc_farm_m == pytest.approx(hh.inc_business_m)
    assert hh.local_workers[0] < hh.local_workers[1]
    assert rules.LIVELIHOODS[rules.livelihood(hh, np.array([0]))[0]] in ("business",
                                                                          "local_wage")
    hh.new_ledger_month(2)
    H.work_income(hh, cfg, stream(2, "work"), make_ctx(n, month=2, epidemic_local=0.6))
    assert hh.inc_business_m == pytest.approx([0.4 * net, 0.0, 0.4 * net, 0.0])
    epidemic = hh.losses[H.CAUSE_INDEX["epidemic"], hh.ledger_pos]
    assert epidemic[0] > 0.6 * net * 0.99  # its closure, besides lost wage work


def test_livelihood_names_a_household_living_on_its_business():
    hh = make_households(3)
    hh.inc_business_m[:] = [900, 0, 300]
    hh.inc_farm_m[:] = [1000, 500, 400]  # farm and business together (NBS)
    hh.inc_wage_m[:] = [200, 100, 350]
    hh.inc_public_m[:] = [0, 0, 0]
    names = [rules.LIVELIHOODS[k] for k in rules.livelihood(hh, np.arange(3))]
    assert names == ["business", "farming", "local_wage"]


def test_a_county_keeps_its_share_of_businesses_and_drive_raises_it():
    """Over five years the share stays near its start (starts balance failures), and a
    county with more drive (the target group's ideal motivation) runs more businesses."""
    shares = {}
    for mot in (0.5, 0.9):
        got = []
        for seed in (1, 2):
            m = CountyModel(load_config(None, [f"population.motivation_mean={mot}"],
                                        households=3000, months=60, seed=seed))
            start = m.households.business.mean()
            for _ in range(60):
                m.step()
            got.append((start, m.households.business.mean()))
        shares[mot] = np.mean(got, axis=0)
    base = load_config(None).business.init_share
    assert shares[0.5][0] == pytest.approx(base, abs=0.02)
    assert 0.5 * base < shares[0.5][1] < 1.6 * base
    assert shares[0.9][1] > shares[0.5][1] + 0.01


def test_a_villages_slump_reaches_its_shops_as_a_market_loss():
    cfg = load_config(None, ["economy.income_noise_sigma=0", "economy.p_job_loss=0"])
    n = 3
    ref = cfg.behaviour.motivation_reference
    hh = make_households(n, n_migrants=0, land=0.0, motivation=ref)
    hh.business[:] = True
    hh.new_ledger_month(1)
    price = np.array([1.0, 0.6, 1.2])  # each household's village sector price
    H.work_income(hh, cfg, stream(1, "work"), make_ctx(n, farm_price=price))
    net, share = cfg.business.net_month, cfg.business.demand_share
    want = net * (1 + share * (price - 1))
    assert hh.inc_business_m == pytest.approx(want)
    market = hh.losses[H.CAUSE_INDEX["market"], hh.ledger_pos]
    assert market == pytest.approx([0.0, net * share * 0.4, 0.0], abs=1e-3)
