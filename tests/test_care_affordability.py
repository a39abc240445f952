"""Care put off for its cost: a household whose savings do not cover what it expects to
pay of an acute episode's bill (after basic insurance, and medical assistance and the
cap if it is registered or monitored) seeks care promptly less often, and late care
costs more. Being found at risk (monitoring) is what brings the larger reimbursement,
so detection shortens delays."""

from __future__ import annotations

import numpy as np
import pytest

from abm.config import load_config
from abm.households import health as _health  # noqa: F401  (the package re-exports it)
from abm.rng import stream
from tests.conftest import make_ctx, make_households

H = __import__("sys").modules["abm.households.health"]


def test_the_registered_and_the_capped_expect_to_pay_less():
    cfg = load_config(None, ["policy.medical_cap.enabled=true", "policy.medical_cap.cap_yuan=3000"])
    m = cfg.policy.medical
    hh = make_households(3)
    hh.registered[:] = [False, True, True]
    hh.oop_year[:] = [0.0, 0.0, 2_500.0]
    idx = np.arange(3)
    cost = np.full(3, 10_000.0)
    no_cap = load_config(None)
    plain = H.expected_oop(hh, make_ctx(3, cfg=no_cap), idx, cost)
    assert plain[0] == pytest.approx(10_000.0 * (1 - m.reimbursement_general))
    assert plain[1] == pytest.approx(plain[2]) == pytest.approx(
        10_000.0 * (1 - m.reimbursement_registered))
    capped = H.expected_oop(hh, make_ctx(3, cfg=cfg), idx, cost)
    # the cap: a year's out-of-pocket spending above 3,000 is paid (2,500 already spent)
    assert capped == pytest.approx([plain[0], plain[1], 500.0])
    # nothing is paid from any budget by anticipating
    assert all(line.cum_spent == 0 for line in make_ctx(3, cfg=cfg).budget.lines.values())


def test_households_that_cannot_pay_put_care_off_and_the_monitored_less_often():
    n = 20000
    cfg = load_config(None, ["health.p_acute=1.0", "health.dur_acute=1",
                             "health.p_acute_to_disability=0", "social.delay_cost=0.5"])
    u = cfg.behaviour.care_seeking_unaffordable
    assert 0 < u < 1
    delayed, short = {}, {}
    for seed in (1, 2, 3):
        costs = {}
        for savings in (1e9, 3_000.0):
            hh = make_households(n, motivation=cfg.behaviour.motivation_reference)
            hh.clinic_access[:] = 1.0
            hh.health_literate[:] = True
            hh.monitored[:] = np.arange(n) % 2 == 0
            hh.savings[:] = savings
            H.health(hh, cfg, stream(seed, "health"), make_ctx(n, cfg=cfg, delay_cost=0.5))
            # the episode's whole bill: a month's share times its months (one is past)
            costs[savings] = hh.acute_cost_m * (hh.acute_left + 1.0)
        late = costs[3_000.0] > costs[1e9] * 1.01
        # who could not pay: the expected share of the bill (before any delay) above 3,000
        oop = H.expected_oop(hh, make_ctx(n, cfg=cfg), np.arange(n), costs[1e9])
        cannot = oop > 3_000.0
        for k, mask in (("monitored", hh.monitored), ("not", ~hh.monitored)):
            delayed.setdefault(k, []).append(late[mask].mean())
            short.setdefault(k, []).append(cannot[mask].mean())
        # every household that could pay sought care promptly; of the others, 1 - u did not
        assert not late[~cannot].any()
        assert late[cannot].mean() == pytest.approx(1 - u, abs=0.02)
    # found at risk, a household expects to pay less, so fewer put care off
    assert np.mean(short["monitored"]) < np.mean(short["not"]) - 0.2
    assert np.mean(delayed["monitored"]) < np.mean(delayed["not"]) - 0.1


def test_the_share_of_episodes_households_cannot_pay_is_measured():
    """``smith_policy_care_unaffordable``: some of a county's acute episodes come to
    households that cannot pay their share; with every bill capped at nothing, none."""
    from abm.model import CountyModel

    def run(*sets):
        m = CountyModel(load_config(None, list(sets), households=3000, months=24, seed=5))
        for _ in range(24):
            m.step()
        return m.timeseries()["smith_policy_care_unaffordable"]

    as_is = run()
    assert 0.0 < as_is.iloc[-1] < 1.0
    free = run("policy.medical_cap.enabled=true", "policy.medical_cap.cap_yuan=0",
               "policy.medical_cap.eligible=all")
    assert (free == 0.0).all()
