"""Every shipped experiment resolves into a valid plan against its county preset."""

from __future__ import annotations

from pathlib import Path

import pytest

from abm.experiments.design import load_plan

ROOT = Path(__file__).resolve().parent.parent
FILES = sorted((ROOT / "configs" / "experiments").glob("*.yaml"))


def test_the_countermeasure_experiments_are_shipped():
    names = {p.stem for p in FILES}
    assert {"smoke", "p_county_medical_cap", "laoling_uniform_criteria",
            "lankao_diversified_industry", "y_county_motivation",
            "h_county_formalism"} <= names


@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_experiment_file_resolves(path):
    plan = load_plan(path)
    assert len(plan.runs) >= 8
    assert len(plan.experiment.scenarios) >= 2
    # common random numbers: replicate k has one seed across scenarios
    seeds = {}
    for r in plan.runs:
        seeds.setdefault(r.replicate, set()).add(r.seed)
    assert all(len(s) == 1 for s in seeds.values())
    # the scenarios really differ in their resolved configs
    configs = {r.scenario: r.config for r in plan.runs if r.replicate == 0}
    assert len({repr(sorted(c.items())) for c in configs.values()}) == len(configs)


def test_the_target_group_parts_add_up_to_the_attributions_ideal():
    import yaml

    from abm.attribution import IDEAL

    spec = yaml.safe_load((ROOT / "configs" / "experiments" / "target_group_parts.yaml")
                          .read_text(encoding="utf-8"))
    sc = spec["scenarios"]
    assert sc["target_ideal"] == IDEAL["target"]
    parts = {k: v for name in ("drive_only", "literacy_only", "stigma_distress_only")
             for k, v in sc[name].items()}
    assert parts == IDEAL["target"]
