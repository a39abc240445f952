"""Applying for the minimum living guarantee in any month (civil affairs decides within
30 working days), with the chance a household reports a risk: who applies, when the
decision falls, and what the household's drive and the township's speed change."""

from __future__ import annotations

import numpy as np

from abm.config import load_config
from abm.instruments.dibao import NO_MONTH
from abm.model import CountyModel


def model(*sets, n=2000, seed=3, months=36):
    return CountyModel(load_config(None, list(sets), households=n, months=months, seed=seed))


def test_no_month_is_the_households_never():
    from abm.households.state import NO_MONTH as STATE_NO_MONTH

    assert NO_MONTH == STATE_NO_MONTH


def stepped(*sets, months=14):
    """A model stepped ``months`` months (past the first yearly review), its dibao, its
    households and a step context with no visit finds (tests set them)."""
    m = model(*sets)
    for _ in range(months):
        m.step()
    s = m.step_context()
    s.monitoring.found = []
    return m.instruments["dibao"], m.households, s


def qualify(hh, idx, yes=True):
    """Make households ``idx`` qualify for the dibao (no one able to work, income per
    person far below the line, no top-up received) or not (income far above it)."""
    hh.n_labour[idx] = 0
    hh.dibao_12m[idx] = 0.0
    hh.income_pc_year[idx] = 100.0 if yes else 1e6


def test_an_application_is_decided_after_decision_months_if_the_household_still_qualifies():
    dibao, hh, s = stepped("policy.dibao.decision_months=2",
                           "policy.monitoring.p_self_apply=1", "policy.monitoring.stigma=0")
    out = np.flatnonzero(~hh.dibao & (hh.dibao_applied == NO_MONTH))[:50]
    assert out.size == 50
    qualify(hh, out[:40])
    qualify(hh, out[40:], yes=False)  # does not qualify: never applies
    low = np.zeros(hh.n, np.float32)  # every draw below any chance
    high = np.ones(hh.n, np.float32)  # no draw below a chance of at most 1
    hh.trust[out[30:40]] = 0.0  # no trust in the cadres: no application
    start = s.month
    dibao.applications_month(s, low)
    assert (hh.dibao_applied[out[:30]] == start).all()
    assert (hh.dibao_applied[out[30:]] == NO_MONTH).all()
    assert not hh.dibao[out].any()  # not before the decision
    s.ctx.month = start + 1
    dibao.applications_month(s, high)
    assert not hh.dibao[out].any()
    s.ctx.month = start + 2  # decided: the ten that no longer qualify are not enrolled
    qualify(hh, out[:10], yes=False)
    dibao.applications_month(s, high)
    assert hh.dibao[out[10:30]].all() and not hh.dibao[out[:10]].any()
    assert (hh.dibao_applied[out] == NO_MONTH).all()  # nothing left pending
    assert not hh.dibao[out[30:]].any()


def test_with_no_decision_time_a_household_is_enrolled_the_month_it_applies():
    dibao, hh, s = stepped("policy.dibao.decision_months=0")
    idx = np.flatnonzero(~hh.dibao & (hh.trust > 0))[:5]
    qualify(hh, idx)
    dibao.applications_month(s, np.zeros(hh.n, np.float32))
    assert hh.dibao[idx].all() and (hh.dibao_applied[idx] == NO_MONTH).all()


def test_the_compiled_pass_matches_the_rule_written_in_numpy():
    from abm import kernels

    rng = np.random.default_rng(5)
    n = 5000
    for decision in (0, 1, 3):
        u = rng.random(n, dtype=np.float32)
        found = rng.random(n) < 0.05
        trust, motivation = rng.random(n), rng.random(n)
        income = rng.normal(5000.0, 3000.0, n)
        dibao_12m = np.where(rng.random(n) < 0.2, rng.random(n) * 5000.0, 0.0)
        size = rng.integers(0, 6, n)
        n_labour = rng.integers(0, 3, n)
        disability = rng.random(n) < 0.1
        dibao = rng.random(n) < 0.2
        applied = np.where(rng.random(n) < 0.1, rng.integers(20, 30, n),
                           NO_MONTH).astype(np.int32)
        month, line, p_self, base, not_stigma = 30, 6500.0, 0.08, 0.5, 0.7
        # the rule in numpy
        own = income - dibao_12m / np.maximum(size, 1)
        q = (own < line) & ((n_labour == 0) | disability)
        p = p_self * trust * (base + motivation) * not_stigma
        want_applied = applied.copy()
        new = q & ~dibao & (applied == NO_MONTH) & ((u < p) | found)
        want_applied[new] = month
        due = (want_applied != NO_MONTH) & (want_applied <= month - decision)
        want_dibao = dibao | (due & q & ~dibao)
        want_applied[due] = NO_MONTH
        got_dibao, got_applied = dibao.copy(), applied.copy()
        entered = kernels.dibao_applications(
            u, found, trust, motivation, p_self, base, not_stigma, income, dibao_12m, size,
            n_labour, disability, line, got_dibao, got_applied, month, decision, NO_MONTH)
        assert (got_dibao == want_dibao).all() and (got_applied == want_applied).all()
        assert entered == int((want_dibao & ~dibao).sum()) > 0


def waiting(*sets, seeds=(1, 2, 3), months=36):
    """Household-months spent qualifying for the dibao without it (from the second
    year, so the 2020 roster's households are settled), summed over seeds."""
    total = 0
    for seed in seeds:
        m = model(*sets, seed=seed, months=months, n=3000)
        dibao = m.instruments["dibao"]
        for t in range(months):
            m.step()
            if t >= 12:
                hh = m.households
                own = dibao.income_without_top_up(hh)
                total += int(np.count_nonzero(
                    ~hh.dibao & dibao.qualifies(hh, own, m.ctx.dibao_line)))
    return total


def test_applications_shorten_the_wait_and_drive_and_stigma_decide_how_much():
    with_apps = waiting()
    without = waiting("policy.dibao.applications=false")
    assert with_apps < 0.85 * without
    ashamed = waiting("policy.monitoring.stigma=0.9")
    eager = waiting("policy.monitoring.stigma=0", "population.motivation_mean=0.95")
    assert eager < with_apps < ashamed


def test_a_household_the_cadres_found_at_risk_applies_whatever_its_own_drive():
    dibao, hh, s = stepped("policy.dibao.decision_months=1")
    idx = np.flatnonzero(~hh.dibao & (hh.dibao_applied == NO_MONTH))[:20]
    qualify(hh, idx)
    hh.trust[idx] = 0.0  # would never apply on its own
    s.monitoring.found = [idx[:8], idx[8:12]]  # two teams' finds
    dibao.applications_month(s, np.ones(hh.n, np.float32))
    assert (hh.dibao_applied[idx[:12]] == s.month).all()
    assert (hh.dibao_applied[idx[12:]] == NO_MONTH).all()
