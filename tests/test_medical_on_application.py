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
