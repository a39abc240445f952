"""Shapley attribution: the arithmetic, and that every ideal override is a real key."""

from __future__ import annotations

import pandas as pd
import pytest

from abm.attribution import (
    FACTORS,
    IDEAL,
    all_combos,
    attribute,
    combo_name,
    combo_overrides,
    shapley,
)
from abm.config import load_config


def test_sixteen_distinct_combinations():
    combos = all_combos()
    assert len(combos) == 16 and len({combo_name(c) for c in combos}) == 16
    assert combo_name(frozenset()) == "as_is"
    assert combo_name(frozenset({"env", "policy"})) == "ideal_policy_env"


def test_additive_game_gives_each_factor_its_own_effect():
    effect = {"policy": 10.0, "org": 5.0, "target": 3.0, "env": 2.0}
    values = {c: 100.0 - sum(effect[f] for f in c) for c in all_combos()}
    phi = shapley(values)
    assert phi == pytest.approx(effect)


def test_shapley_values_add_up_to_the_gap_with_interactions():
    # org only helps when policy is ideal too (an interaction): they split it equally
    def outcome(c):
        return 50.0 - (8.0 if {"policy", "org"} <= c else 0.0) - (4.0 if "env" in c else 0)
    phi = shapley({c: outcome(c) for c in all_combos()})
    assert sum(phi.values()) == pytest.approx(12.0)
    assert phi["policy"] == pytest.approx(4.0) and phi["org"] == pytest.approx(4.0)
    assert phi["target"] == pytest.approx(0.0) and phi["env"] == pytest.approx(4.0)


def test_attribute_summarises_over_replicates():
    rows = []
    for rep, noise in ((0, 0.0), (1, 1.0), (2, -1.0)):
        for c in all_combos():
            rows.append({"scenario": combo_name(c), "replicate": rep,
                         "y": 40.0 + noise - 10.0 * ("org" in c) - 2.0 * ("env" in c)})
    table = attribute(pd.DataFrame(rows), "y").set_index("factor")
    assert table.loc["org", "mean"] == pytest.approx(10.0)
    assert table.loc["gap", "mean"] == pytest.approx(12.0)
    assert table.loc["org", "share_of_gap"] == pytest.approx(10 / 12)
    assert table.loc["policy", "ci_low"] <= 0 <= table.loc["policy", "ci_high"]


def test_every_ideal_override_is_a_valid_setting():
    for f in FACTORS:
        sets = [f"{k}={v}" if not isinstance(v, list) else f"{k}=[]"
                for k, v in IDEAL[f].items()]
        load_config(None, sets)
    everything = combo_overrides(frozenset(FACTORS))
    assert len(everything) == sum(len(v) for v in IDEAL.values())
