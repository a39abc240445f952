"""The village teams' month runs for all teams at once (``TeamStore``): each team gets
the numbers its own step would give, and the paperwork choice on arrays gives, entry by
entry, the bits of the one-team formula."""

from __future__ import annotations

import numpy as np
import pytest

from abm.agents import implementer
from abm.agents.implementer import TeamStore, optimal_paperwork, paper_score
from abm.config import load_config
from abm.model import CountyModel


def _paper_score_one(paper, required, w_traces, extra=None):
    """One team's paper score as numbers (the formula before it took arrays)."""
    if required <= 0:
        return 1.0
    done = min(1.0, paper / required)
    if extra is None:
        extra = max(paper - required, 0.0)
    return (1.0 - w_traces) * done + w_traces * (1.0 - np.exp(-extra / required))


def _optimal_one(hours, required, n, w_paper, w_outcome, hours_per_visit, k, w_traces):
    """One team's paperwork choice as numbers (the formula before it took arrays)."""
    if hours <= 0 or required <= 0 or w_paper <= 0:
        return 0.0
    cap = min(hours, required)
    if w_outcome <= 0 or n <= 0:
        return hours if w_traces > 0 else cap
    b = k / (hours_per_visit * n)
    lin = w_paper * (1.0 - w_traces) / required
    if lin <= 0:
        p1 = 0.0
    else:
        c = lin / (w_outcome * b)
        p1 = cap if c >= 1.0 else min(max(hours + np.log(c) / b, 0.0), cap)
    if w_traces <= 0 or hours <= required:
        return float(p1)
    a = 1.0 / required
    p2 = (np.log(w_paper * w_traces * a / (w_outcome * b)) + 1.0 + b * hours) / (a + b)
    p2 = min(max(p2, required), hours)

    def score(p):
        return w_paper * _paper_score_one(p, required, w_traces) + w_outcome * (
            1.0 - np.exp(-b * (hours - p)))
    return float(p2 if score(p2) > score(p1) else p1)


@pytest.mark.parametrize("w_paper,w_outcome,w_traces", [
    (0.5, 0.5, 0.0), (0.8, 0.2, 0.3), (0.2, 0.8, 0.3), (1.0, 0.0, 0.3), (0.0, 1.0, 0.0),
    (0.9, 0.1, 1.0), (0.5, 0.5, 0.05)])
def test_the_paperwork_choice_on_arrays_is_each_teams_own(w_paper, w_outcome, w_traces):
    rng = np.random.default_rng(3)
    m = 4000
    hours = rng.choice([0.0, 40.0, 80.0, 160.0, 320.0], m) * rng.random(m).round(1)
    required = rng.random(m) * 200.0 * (rng.random(m) > 0.05)  # some with none required
    n = rng.integers(0, 400, m)
    got = optimal_paperwork(hours, required, n, w_paper, w_outcome, 2.0, 3.0, w_traces)
    want = np.array([_optimal_one(h, r, int(k), w_paper, w_outcome, 2.0, 3.0, w_traces)
                     for h, r, k in zip(hours.tolist(), required.tolist(), n.tolist(),
                                        strict=True)])
    assert got.dtype == np.float64 and np.array_equal(got, want)  # bit for bit
    # one team's call gives a number, the same
    assert optimal_paperwork(float(hours[7]), float(required[7]), int(n[7]), w_paper,
                             w_outcome, 2.0, 3.0, w_traces) == want[7]
    extra = rng.random(m) * 50
    assert np.array_equal(paper_score(hours, required, w_traces, extra=extra), np.array(
        [_paper_score_one(p, r, w_traces, e)
         for p, r, e in zip(hours.tolist(), required.tolist(), extra.tolist(),
                                   strict=True)]))


def _teams_one_by_one(self) -> None:
    """The implementers phase with each team's month taken by its own methods."""
    self.implementation.new_month()
    if self.month < implementer_start():
        return
    s = self.step_context()
    imp = self.config.implementers
    ended = [t for t in self.village_teams if t.new_month(imp)]
    self._teams_arrive(ended)
    for team in self.village_teams:
        team.learn(imp)
    self.implementation.diagnosis_by_village = np.array(
        [t.diagnosis_skill for t in self.village_teams])
    implementer.self_applications(s)
    self.bureau.screen(s)
    queues = implementer.VillageQueues.build(s, slice(0, self.households.n),
                                             self.village_teams)
    for team in self.village_teams:
        team.step(s, queues)
    self.implementation.exit_months_by_village = np.array(
        [t.months_to_exit(self.config) for t in self.village_teams], dtype=np.int64)
    self.implementation.after_visits(s)
    implementer.TownshipOffice.step_all(self.township_offices, s)


def implementer_start() -> int:
    from abm.model import MONITORING_STARTS
    return MONITORING_STARTS


@pytest.mark.parametrize("sets", [
    (),
    ("assessment.weight_paperwork=0.8", "assessment.weight_outcomes=0.2",
     "assessment.weight_traces=0.3", "implementers.exit_rush=0.5",
     "implementers.fatigue_per_paperwork=0.2", "implementers.team_term_months=7"),
    ("implementers.help_per_visit=10", "implementers.detection_skill=1.0",
     "implementers.team_skill_spread=0"),
])
def test_all_teams_at_once_give_each_teams_own_month(sets, monkeypatch):
    cfg = load_config(None, list(sets), households=3000, months=30, seed=5)
    together = CountyModel(cfg)
    for _ in range(30):
        together.step()
    monkeypatch.setattr(CountyModel, "implementers", _teams_one_by_one)
    alone = CountyModel(cfg)
    for _ in range(30):
        alone.step()
    assert together.timeseries().equals(alone.timeseries())
    assert together.events().equals(alone.events())
    for name in implementer.TEAM_FIELDS:
        assert np.array_equal(getattr(together.teams, name), getattr(alone.teams, name)), name


def test_a_team_reads_and_writes_its_entry():
    m = CountyModel(load_config(None, households=2000, months=3, seed=1))
    store, t = m.teams, m.village_teams[3]
    assert isinstance(store, TeamStore) and t._store is store and t._i == 3
    t.fatigue = 0.25
    t.n_cadres += 1
    assert store.fatigue[3] == 0.25 and store.n_cadres[3] == t.n_cadres
    assert isinstance(t.fatigue, float) and isinstance(t.visits, int)
    assert store.village.tolist() == [x.village for x in m.village_teams]
    assert store.n_households.tolist() == [x.n_households for x in m.village_teams]
