"""From an experiment file to a frozen plan: design points, run identities and seeds.

Everything is checked here, before anything runs: each dotted key must be a config
parameter, and the resolved config of every (scenario, design point) must validate
against the config schema. Seeds come from what a run *is*, never from its position
in a list or the order runs finish in: by default from (experiment seed, replicate),
so replicate k of every scenario and design point shares common random numbers.
"""

from __future__ import annotations

import copy
import difflib
import functools
import hashlib
import itertools
import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from abm.config import ConfigError, config_from_dict, parameter_table
from abm.experiments.spec import (
    DesignSpec,
    Experiment,
    RangeSpec,
    load_experiment,
    read_yaml_mapping,
)
from abm.rng import name_key

__all__ = ["RunSpec", "Plan", "build_plan", "load_plan", "run_seed", "run_id",
           "grid_points", "sample_design", "expand_range", "count_runs", "MAX_RUNS"]

ID_COLUMNS = ["run_id", "scenario", "point", "replicate", "seed"]
# Runs a plan may hold unless ``abm batch --max-runs`` allows more. Each planned run
# holds its resolved config (about 9 KB), so 100,000 runs take about 1 GB to plan.
MAX_RUNS = 100_000


@dataclass(frozen=True)
class RunSpec:
    """One run: its identity, its seed and its fully resolved config (a JSON dict)."""

    run_id: str
    scenario: str
    point: int
    replicate: int
    seed: int
    params: dict[str, Any]
    config: dict[str, Any]


@dataclass(frozen=True)
class Plan:
    """An experiment resolved into runs; ``fingerprint`` identifies it on disk."""

    experiment: Experiment
    source: Path
    base_path: Path
    base_config: dict[str, Any]
    points: list[dict[str, Any]]
    runs: list[RunSpec]
    fingerprint: str

    @property
    def name(self) -> str:
        return self.experiment.name or self.source.stem

    def design_table(self) -> pd.DataFrame:
        """One row per run: identity, seed and the varied parameters (dotted keys)."""
        keys = self.experiment.varied_keys()
        rows = [{"run_id": r.run_id, "scenario": r.scenario, "point": r.point,
                 "replicate": r.replicate, "seed": r.seed,
                 **{k: r.params[k] for k in keys}} for r in self.runs]
        return pd.DataFrame(rows, columns=ID_COLUMNS + keys)


# ------------------------------------------------------------------- identity
def run_seed(root: int, replicate: int, scenario: str | None = None,
             params: dict[str, Any] | None = None) -> int:
    """The seed of a run, from its identity (blake2b; fits ``run.seed`` <= 2**63 - 1).

    Without ``scenario`` the seed depends only on (root, replicate): common random
    numbers across scenarios and design points.
    """
    ident = f"abm-batch|root={int(root)}|replicate={int(replicate)}"
    if scenario is not None:
        ident += f"|scenario={scenario}|params={json.dumps(params or {}, sort_keys=True)}"
    return name_key(ident) >> 1


def run_id(scenario: str, point: int, replicate: int) -> str:
    """A run's file-safe name, e.g. ``baseline__p000003__r001``."""
    return f"{scenario}__p{point:06d}__r{replicate:03d}"


# --------------------------------------------------------------------- points
def _tidy(x: float) -> float:
    """Round away binary noise (0.30000000000000004 -> 0.3)."""
    return float(f"{x:.12g}")


def range_length(r: RangeSpec) -> int:
    """How many values :func:`expand_range` gives, without making them."""
    if r.num is not None:
        return r.num
    assert r.step is not None
    return math.floor((r.stop - r.start) / r.step + 1e-9) + 1


def count_points(exp: Experiment) -> int:
    """Design points of ``exp``, counted without making them."""
    if exp.design is not None:
        d, n = len(exp.design.parameters), exp.design.n
        if exp.design.method == "lhs":
            return n
        if exp.design.method == "sobol":
            return n * (2 * d + 2 if exp.design.calc_second_order else d + 2)
        return n * (d + 1)
    return math.prod(range_length(v) if isinstance(v, RangeSpec) else len(v)
                     for v in exp.factors.values())


def count_runs(exp: Experiment) -> int:
    """Runs of ``exp``: scenarios x design points x replicates."""
    return len(exp.scenarios) * count_points(exp) * exp.replicates


def expand_range(r: RangeSpec) -> list[float]:
    """Values from start to stop inclusive, by step or as num evenly spaced values."""
    if r.num is not None:
        return [_tidy(v) for v in np.linspace(r.start, r.stop, r.num)]
    return [_tidy(r.start + k * r.step) for k in range(range_length(r))]


def grid_points(factors: dict[str, list[Any] | RangeSpec]) -> list[dict[str, Any]]:
    """The full factorial grid, first factor varying slowest."""
    if not factors:
        return [{}]
    keys = list(factors)
    values = [expand_range(v) if isinstance(v, RangeSpec) else list(v)
              for v in factors.values()]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*values)]


def salib_problem(design: DesignSpec) -> dict[str, Any]:
    """The SALib problem dict for a design."""
    return {"num_vars": len(design.parameters), "names": list(design.parameters),
            "bounds": [list(b) for b in design.parameters.values()]}


def sample_design(design: DesignSpec, seed: int) -> np.ndarray:
    """The design matrix (rows = points, columns = parameters in file order)."""
    problem = salib_problem(design)
    if design.method == "lhs":
        from SALib.sample import latin

        return latin.sample(problem, design.n, seed=seed)
    if design.method == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, design.n, calc_second_order=design.calc_second_order,
                            seed=seed)
    from SALib.sample import morris

    return morris.sample(problem, design.n, num_levels=design.num_levels, seed=seed)


def design_seed(exp: Experiment) -> int:
    """The sampler's seed: ``design.seed`` or one derived from the experiment seed."""
    assert exp.design is not None
    if exp.design.seed is not None:
        return exp.design.seed
    return name_key(f"abm-batch|root={exp.seed}|design") >> 33  # < 2**31 for any sampler


# ------------------------------------------------------------------ checking
@functools.cache
def _key_types() -> dict[str, str]:
    """Every config parameter's dotted key and type name (from the schema)."""
    return {row["key"]: row["type"] for row in parameter_table()}


def _check_key(source: str, where: str, key: str, numeric: bool = False) -> None:
    types = _key_types()
    if key == "run.seed":
        raise ConfigError(source, where, "run.seed cannot be set: each run's seed comes "
                          "from the experiment seed and the run's identity")
    if key not in types:
        close = difflib.get_close_matches(key, list(types), n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        raise ConfigError(source, where, f"no such parameter{hint} (see docs/parameters.md)")
    if numeric and types[key] not in ("int", "float"):
        raise ConfigError(source, where, f"a sampled parameter must be a number "
                          f"({key} is {types[key]})")


def _check_keys(exp: Experiment, source: str) -> None:
    for key in exp.set:
        _check_key(source, f"set.{key}", key)
    for name, overrides in exp.scenarios.items():
        for key in overrides:
            _check_key(source, f"scenarios.{name}.{key}", key)
            if key in exp.varied_keys():
                raise ConfigError(source, f"scenarios.{name}.{key}", "also varied by the "
                                  "design; a key is either varied or set by a scenario")
    for key in exp.factors:
        _check_key(source, f"factors.{key}", key)
    if exp.design is not None:
        for key in exp.design.parameters:
            _check_key(source, f"design.parameters.{key}", key, numeric=True)


def _check_bounds(exp: Experiment, base_raw: dict[str, Any], source: str) -> None:
    """Each design bound must itself be a valid value, before anything is sampled."""
    if exp.design is None:
        return
    for key, bounds in exp.design.parameters.items():
        for bound in bounds:
            data = copy.deepcopy(base_raw)
            _set_dotted(data, key, int(bound) if _key_types()[key] == "int" else bound)
            try:
                config_from_dict(data, source)
            except ConfigError as err:
                if err.key == key:
                    raise ConfigError(source, f"design.parameters.{key}",
                                      f"bound {bound:g}: {err.message}") from None


def _set_dotted(data: dict[str, Any], key: str, value: Any) -> None:
    node = data
    parts = key.split(".")
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[parts[-1]] = value


def _points(exp: Experiment) -> list[dict[str, Any]]:
    if exp.design is None:
        return grid_points(exp.factors)
    matrix = sample_design(exp.design, design_seed(exp))
    types = _key_types()
    keys = list(exp.design.parameters)
    points = []
    for row in matrix:
        point = {}
        for key, x in zip(keys, row, strict=True):
            point[key] = int(round(float(x))) if types[key] == "int" else _tidy(float(x))
        points.append(point)
    return points


def _where(exp: Experiment, err: ConfigError, scenario: str, point: dict[str, Any],
           index: int) -> str:
    """Which line of the experiment file an invalid resolved config comes from."""
    key = err.key
    if key in point:
        head = "design.parameters" if exp.design is not None else "factors"
        return f"{head}.{key} (point {index}: {point[key]!r})"
    if key in exp.scenarios[scenario]:
        return f"scenarios.{scenario}.{key}"
    if key in exp.set:
        return f"set.{key}"
    if key in ("run.months", "run.households"):
        return key.split(".")[1]
    return f"scenarios.{scenario} point {index}" + (f": {key}" if key else "")


def _resolve(exp: Experiment, base_raw: dict[str, Any], scenario: str,
             point: dict[str, Any], index: int, source: str) -> dict[str, Any]:
    data = copy.deepcopy(base_raw)
    layers = [exp.set, exp.scenarios[scenario], point]
    for layer in layers:
        for key, value in layer.items():
            _set_dotted(data, key, value)
    if exp.months is not None:
        _set_dotted(data, "run.months", exp.months)
    if exp.households is not None:
        _set_dotted(data, "run.households", exp.households)
    try:
        cfg = config_from_dict(data, source)
    except ConfigError as err:
        if err.source != source:
            raise
        raise ConfigError(source, _where(exp, err, scenario, point, index),
                          err.message) from None
    return cfg.model_dump(mode="json")


def _fingerprint(exp: Experiment, base_config: dict[str, Any]) -> str:
    # The base file's contents count, not how its path is spelled.
    spec = exp.model_dump(mode="json", exclude={"base"})
    if spec["outputs"].get("windows") is None:  # folders from before windows keep theirs
        spec["outputs"].pop("windows", None)
    blob = json.dumps({"experiment": spec, "base": base_config},
                      sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


# --------------------------------------------------------------------- plans
def build_plan(exp: Experiment, source: Path, max_runs: int = MAX_RUNS) -> Plan:
    """Resolve and validate every run of ``exp`` (read from ``source``); nothing is written.

    An experiment of more than ``max_runs`` runs is refused before any is planned.
    """
    src = str(source)
    total = count_runs(exp)
    if total > max_runs:
        raise ConfigError(src, "", f"asks for {total:,} runs ({len(exp.scenarios)} "
                          f"scenario(s) x {count_points(exp):,} point(s) x {exp.replicates} "
                          f"replicate(s)); the limit is {max_runs:,}. Make it smaller, or "
                          f"allow it with --max-runs {total}")
    base_path = source.parent / exp.base
    base_raw = read_yaml_mapping(base_path)
    base_config = config_from_dict(base_raw, str(base_path)).model_dump(mode="json")
    _check_keys(exp, src)
    _check_bounds(exp, base_raw, src)
    points = _points(exp)
    runs: list[RunSpec] = []
    for scenario in exp.scenarios:
        for index, point in enumerate(points):
            resolved = _resolve(exp, base_raw, scenario, point, index, src)
            for rep in range(exp.replicates):
                seed = (run_seed(exp.seed, rep) if exp.seed_from == "replicate"
                        else run_seed(exp.seed, rep, scenario, point))
                config = copy.deepcopy(resolved)
                config["run"]["seed"] = seed
                runs.append(RunSpec(run_id(scenario, index, rep), scenario, index, rep,
                                    seed, dict(point), config))
    return Plan(exp, source, base_path, base_config, points, runs,
                _fingerprint(exp, base_config))


def load_plan(path: str | Path, max_runs: int = MAX_RUNS) -> Plan:
    """Load an experiment file and resolve it into a validated plan."""
    source = Path(path)
    return build_plan(load_experiment(source), source, max_runs)
