"""The monitoring rule as written, on hand-built households: the income test reads income
before medical bills, a sharp drop counts when it leaves basic living hard, and routine
outpatient care is paid partly by insurance and not booked as an illness loss."""

from __future__ import annotations

import numpy as np

from abm import rules
from abm.config import Config
from abm.households.spending import spending
from tests.conftest import make_ctx, make_households

LINE = 4000.0


def _with_year(hh, income_pc, oop_pc):
    """Twelve known months: income per person and out-of-pocket medical per person."""
    size = hh.size.astype(float)
    hh.net_sum[:] = (np.asarray(income_pc) - np.asarray(oop_pc)) * size
    hh.oop_sum[:] = np.asarray(oop_pc) * size
    hh.income_pc_year[:] = hh.net_sum / size
    hh.income_pc_gross_year[:] = (hh.net_sum + hh.oop_sum) / size
    hh.rigid_12m[:] = hh.oop_sum
    hh.income_recent_m[:] = (hh.net_sum + hh.oop_sum) / 12.0


def test_medical_bills_count_once_through_rigid_spending():
    mon = Config().policy.monitoring
    hh = make_households(3)
    # Income 1.6x the line for all three; medical bills of 0, 0.4 and 1.2 of income.
    _with_year(hh, [1.6 * LINE] * 3, [0.0, 0.4 * 1.6 * LINE, 1.2 * 1.6 * LINE])
    risk, sudden = rules.at_risk(hh, mon, LINE)
    # Bills that eat part of income do not make the household "low income" (the old
    # rule read income net of bills: the second household was at risk)...
    assert list(risk) == [False, False, True]
    # ...bills above the year's income are rigid spending: a sudden hardship.
    assert list(sudden) == [False, False, True]
    # The low-income test itself is unchanged below the line multiple.
    _with_year(hh, [1.4 * LINE] * 3, [0.0] * 3)
    assert rules.at_risk(hh, mon, LINE)[0].all()


def test_a_sharp_drop_counts_only_when_it_leaves_basic_living_hard():
    mon = Config().policy.monitoring
    hh = make_households(2)
    _with_year(hh, [5.0 * LINE, 1.8 * LINE], [0.0, 0.0])
    # Both lose 60% of their usual monthly income over the last three months.
    hh.income_recent_m[:] = 0.4 * (hh.net_sum + hh.oop_sum) / 12.0
    assert rules.sharp_drop(hh, mon.sharp_drop_share).all()
    risk, sudden = rules.at_risk(hh, mon, LINE)
    # A well-off household still at 2x the line is not at risk; one that falls to 0.72x is.
    assert list(sudden) == [False, True] and list(risk) == [False, True]


def test_routine_outpatient_care_is_reimbursed_and_not_a_loss():
    cfg = Config()
    hh = make_households(2, size=4, n_elderly=1)
    hh.medical_cost_m[:] = hh.outpatient_cost_m[:] = [100.0, 100.0]
    hh.medical_cost_m[1] += 900.0  # the second also has an inpatient bill
    hh.net_sum[:] = 40_000.0
    ctx = make_ctx(2, cfg=cfg)
    hh.new_ledger_month(1)
    spending(hh, cfg, ctx)
    med = cfg.policy.medical
    routine_oop = 100.0 * (1 - med.reimbursement_outpatient)
    assert np.isclose(hh.sp_medical_m[0], routine_oop)
    assert np.isclose(hh.sp_medical_m[1], routine_oop + 900.0 * (1 - med.reimbursement_general))
    booked = hh.losses[:, hh.ledger_pos].sum(axis=0)
    assert booked[0] == 0.0  # routine care is a steady expense, not a loss
    assert np.isclose(booked[1], 900.0 * (1 - med.reimbursement_general), rtol=1e-5)


def test_medical_assistance_covers_dibao_recipients():
    cfg = Config()
    hh = make_households(2)
    hh.dibao[:] = [True, False]
    hh.medical_cost_m[:] = 1000.0
    ctx = make_ctx(2, cfg=cfg)
    hh.new_ledger_month(1)
    spending(hh, cfg, ctx)
    med = cfg.policy.medical
    assert np.isclose(hh.sp_medical_m[0], 1000.0 * (1 - med.reimbursement_registered))
    assert np.isclose(hh.sp_medical_m[1], 1000.0 * (1 - med.reimbursement_general))


def test_the_dibao_floor_removes_the_low_income_risk_only_while_it_holds():
    """Low income is a risk of poverty only where nothing holds the household above the
    poverty line: on the dibao (its line above the poverty line, fully in force) only a
    sudden hardship counts; withdrawn in part, or with its line below the poverty line,
    the dibao guarantees no one."""
    mon = Config().policy.monitoring
    hh = make_households(3)
    # All three at 1.6x the line, under a monitoring line of 1.8x; the second also has
    # medical bills above its year's income (a sudden hardship).
    _with_year(hh, [1.6 * LINE] * 3, [0.0, 1.2 * 1.6 * LINE, 0.0])
    hh.dibao[:] = [True, True, False]
    full = make_ctx(3, poverty_line=LINE, dibao_line=1.4 * LINE)
    floor = rules.guaranteed_floor(hh, full)
    assert floor is not None and list(floor) == [True, True, False]
    risk, sudden = rules.at_risk(hh, mon, LINE, multiple=1.8, guaranteed=floor)
    assert list(risk) == [False, True, True] and list(sudden) == [False, True, False]
    # Without the floor everyone below the line is at risk, as before.
    assert rules.at_risk(hh, mon, LINE, multiple=1.8)[0].all()
    for ctx in (make_ctx(3, poverty_line=LINE, dibao_line=1.4 * LINE,
                         levels={"dibao": 0.5}),
                make_ctx(3, poverty_line=LINE, dibao_line=0.9 * LINE)):
        assert rules.guaranteed_floor(hh, ctx) is None
        assert rules.at_risk(hh, mon, LINE, multiple=1.8,
                             guaranteed=rules.guaranteed_floor(hh, ctx))[0].all()
