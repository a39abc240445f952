"""Medical assistance on application (依申请救助): a household newly included in
monitoring is paid the extra share of its recent inpatient bills."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from abm.config import load_config
from abm.instruments.base import MedicalBill
from abm.runner import simulate
from tests.conftest import make_ctx, make_households


def _bills(months_back: int, retro: int):
    """Four households not eligible for assistance pay inpatient bills of 1,000 yuan in
    months 3, 4 and 5; the first two are registered (always eligible) or not."""
    cfg = load_config(None, [f"policy.medical.retroactive_months={retro}"])
    n = 4
    hh = make_households(n)
    hh.registered[:2] = [True, False]
    ctx = make_ctx(n, month=3, cfg=cfg)
    inst = ctx.instruments["medical_extra"]
    for month in (3, 4, 5):
        ctx.month = month
        bill = MedicalBill(np.full(n, 1000.0), np.zeros(n))
        inst.medical(hh, ctx, bill)
    s = SimpleNamespace(ctx=ctx, budget=ctx.budget)
    return cfg, hh, inst, s


def test_a_household_included_is_paid_the_extra_of_its_recent_bills():
    cfg, hh, inst, s = _bills(3, retro=2)
    extra = cfg.policy.medical.reimbursement_registered - cfg.policy.medical.reimbursement_general
    idx = np.array([0, 1, 2])
    inst.on_include(hh, idx, s)
    # months 4 and 5 (this month and the one before); the registered household was
    # eligible all along and is owed nothing; household 3 was not included
    assert hh.pending_transfer_m == pytest.approx([0.0, 2 * 1000 * extra, 2 * 1000 * extra, 0])
    # paid once: a second inclusion finds nothing owed
    inst.on_include(hh, idx, s)
    assert hh.pending_transfer_m == pytest.approx([0.0, 2 * 1000 * extra, 2 * 1000 * extra, 0])
    assert inst.n_retroactive == 2


def test_without_assistance_on_application_inclusion_pays_nothing():
    _, hh, inst, s = _bills(3, retro=0)
    inst.on_include(hh, np.arange(4), s)
    assert (hh.pending_transfer_m == 0).all() and inst.missed is None


def test_it_pays_in_a_run_and_is_off_by_default():
    cfg = load_config("configs/baseline.yaml", ["policy.medical.retroactive_months=12"],
                      households=2000, months=24, seed=3)
    res = simulate(cfg, keep_model=True)
    inst = res.model.instruments["medical_extra"]
    assert inst.n_retroactive > 0 and inst.retroactive_paid > 0
    assert load_config("configs/baseline.yaml").policy.medical.retroactive_months == 0


def test_the_money_is_booked_against_the_months_of_the_bills():
    """A reimbursement of past bills, paid this month, is not this month's income: the
    month of each bill is that much richer (its bill that much smaller), and the part
    for a bill that has left the 12-month window leaves the 12-month income with it. So
    the 12-month income after bills rises only by what was reimbursed for bills still in
    it, the income before bills does not rise, and each part leaves the 12-month income
    when its bill's month does."""
    from abm.households.status import status

    cfg = load_config(None, [])
    n = 2
    hh = make_households(n, size=2)
    ctx = make_ctx(n, month=24, cfg=cfg)
    # a year of history: 500 yuan a month after bills, 100 of bills
    hh.net_hist[:] = 500.0
    hh.oop_hist[:] = 100.0
    hh.net_sum[:] = 6000.0
    hh.oop_sum[:] = 1200.0
    hh.hist_pos, hh.hist_filled = 0, 12
    # granted last month (23) to household 1: 60 for that month's bills (k=0) and 30 for
    # those of eleven months before it (month 12: out of this month's window)
    by_month = np.zeros((1, 12))
    by_month[0, 0], by_month[0, 11] = 60.0, 30.0
    hh.credit_bills(np.array([90.0]), by_month, np.array([1]), month=23)
    assert hh.pending_transfer_m.tolist() == [0.0, 90.0]
    # this month both earn 600 and pay 100 of bills; household 1 also gets the 90
    hh.sp_medical_m[:] = 100.0
    status(hh, cfg, ctx, income=np.array([600.0, 690.0]))
    assert hh.net_hist[0].tolist() == [500.0, 500.0]  # this month: not income
    assert hh.net_hist[11].tolist() == [500.0, 560.0]  # last month: 60 more
    assert hh.oop_hist[11].tolist() == [100.0, 40.0]  # its bills 60 smaller
    assert hh.net_sum.tolist() == [6000.0, 6060.0]  # the 30 left with month 12
    assert hh.income_pc_year.tolist() == [3000.0, 3030.0]
    assert hh.income_pc_gross_year.tolist() == [3600.0, 3600.0]  # before bills: the same
    assert hh.bill_credits == []
