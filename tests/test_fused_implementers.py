"""The implementing organisations' steps taken for all of them at once (one pass over
the county) decide exactly as the agents' own steps, one by one, in order: the same
household columns, the same events in the same order, the same counts."""

from __future__ import annotations

import numpy as np
import pytest

from abm.agents.implementer import TownshipOffice
from abm.config import load_config
from abm.model import CountyModel

SETTINGS = [
    (),
    # the dibao's floor counts (a line above the dibao's), and a spread of criteria
    ("policy.monitoring.inclusion_multiple=1.8", "policy.monitoring.exit_multiple=1.9",
     "policy.monitoring.township_criteria_spread=0.3"),
    ("policy.monitoring.pressure_exit=0.5", "policy.monitoring.screen_lag_months=0"),
    # teams buried in paperwork ask for fewer months before an exit, village by village
    ("assessment.weight_paperwork=0.8", "assessment.weight_outcomes=0.2",
     "assessment.weight_traces=0.3", "implementers.exit_rush=1"),
]


def _one_by_one(offices, s):
    for office in offices:
        office.step(s)


def _same_events(a: list, b: list) -> bool:
    return len(a) == len(b) and all(
        len(x) == len(y) and all(np.array_equal(u, v) for u, v in zip(x, y, strict=True))
        for x, y in zip(a, b, strict=True))


@pytest.mark.parametrize("sets", SETTINGS)
def test_township_offices_in_one_pass_decide_as_one_by_one(sets):
    cfg = load_config(None, list(sets), households=3000, months=30, seed=5)
    fused, plain = CountyModel(cfg), CountyModel(cfg)
    fused_step = TownshipOffice.step_all
    included = 0
    for _ in range(30):
        fused.step()
        TownshipOffice.step_all = staticmethod(_one_by_one)
        try:
            plain.step()
        finally:
            TownshipOffice.step_all = fused_step
        a, b = fused.households.snapshot(), plain.households.snapshot()
        assert all(np.array_equal(a[k], b[k], equal_nan=True) for k in a)
        assert _same_events(fused.implementation.events, plain.implementation.events)
        assert [(o.included, o.rejected) for o in fused.township_offices] == [
            (o.included, o.rejected) for o in plain.township_offices]
        included = fused.implementation.n_included
    assert included > 0 and fused.implementation.n_exits > 0
    assert fused.timeseries().equals(plain.timeseries())
    assert fused.events().equals(plain.events())


def test_events_livelihoods_in_one_call_are_each_events(monkeypatch):
    import abm.model
    from abm import rules

    cfg = load_config(None, households=3000, months=14, seed=4)
    fused = CountyModel(cfg)
    for _ in range(14):
        fused.step()
    monkeypatch.setattr(abm.model, "_livelihoods",
                        lambda hh, parts: [rules.livelihood(hh, p) for p in parts])
    plain = CountyModel(cfg)
    for _ in range(14):
        plain.step()
    ev = fused.events()
    assert ev["event"].nunique() >= 3 and ev["livelihood"].nunique() >= 3
    assert ev.equals(plain.events())
