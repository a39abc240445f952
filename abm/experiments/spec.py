"""The experiment file: a frozen pydantic schema that rejects unknown keys.

An experiment names a base config, what to vary (a grid of ``factors`` or a sampled
``design``), named ``scenarios``, ``replicates`` and which ``outputs`` to keep.
Parameter keys are the config's dotted keys (``economy.p_local_work``); whether they
exist and whether every value validates is checked in :mod:`abm.experiments.design`,
before anything runs. Errors are :class:`abm.config.ConfigError` (file, dotted key,
message), which the CLI prints as one line with exit code 2.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from abm.config import ConfigError
from abm.config import read_yaml_mapping as _read_mapping
from abm.yamlio import short

__all__ = ["Experiment", "RangeSpec", "DesignSpec", "OutputsSpec", "load_experiment",
           "read_yaml_mapping"]

NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_]*$")
MAX_SEED = 2**63 - 1


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RangeSpec(_Strict):
    """Evenly spaced values from ``start`` to ``stop`` inclusive: give ``step`` or ``num``."""

    start: float
    stop: float
    step: float | None = Field(None, gt=0)
    num: int | None = Field(None, ge=1, le=10_000)

    @model_validator(mode="after")
    def _one_of(self) -> RangeSpec:
        if (self.step is None) == (self.num is None):
            raise ValueError("a range needs exactly one of step or num")
        if self.stop < self.start:
            raise ValueError("a range needs stop >= start")
        if self.step is not None and (self.stop - self.start) / self.step > 10_000:
            raise ValueError("a range may hold at most 10000 values")
        return self


class DesignSpec(_Strict):
    """A sampled design over parameter bounds, drawn with SALib.

    ``n`` is the number of LHS samples, the Sobol base sample (runs per scenario and
    replicate = n * (D + 2), or n * (2D + 2) with second-order indices; a power of 2)
    or the number of Morris trajectories (runs = n * (D + 1)).
    """

    method: Literal["lhs", "sobol", "morris"]
    n: int = Field(ge=1, le=1_000_000)
    parameters: dict[str, tuple[float, float]] = Field(min_length=1)
    seed: int | None = Field(None, ge=0, le=MAX_SEED,
                             description="Seed of the sampler (default: the experiment seed)")
    calc_second_order: bool = False
    num_levels: int = Field(4, ge=2, le=100, description="Morris grid levels (even)")

    @model_validator(mode="after")
    def _check(self) -> DesignSpec:
        for key, (low, high) in self.parameters.items():
            if not high > low:
                raise ValueError(f"parameters.{key}: bounds need low < high "
                                 f"(got [{low}, {high}])")
        if self.method == "sobol" and self.n & (self.n - 1):
            raise ValueError(f"n: Sobol needs a power of 2 (got {self.n})")
        if self.method == "morris" and self.num_levels % 2:
            raise ValueError(f"num_levels: Morris needs an even number (got {self.num_levels})")
        if self.method != "sobol" and self.calc_second_order:
            raise ValueError("calc_second_order: only for method sobol")
        return self


class OutputsSpec(_Strict):
    """What each run keeps: its final values, its monthly series, or both."""

    final: bool = Field(True, description="Final-month values go into results.parquet")
    series: bool = Field(False, description="Monthly rows kept in runs/*.parquet and "
                         "series.parquet")
    every: int = Field(1, ge=1, le=600, description="Keep every k-th month of the series "
                       "(the last month is always kept) [months]")
    metrics: list[str] | None = Field(None, description="Timeseries columns to keep "
                                      "(default: every numeric column)")
    windows: dict[str, tuple[int, int]] | None = Field(
        None, description="name: [first, last]: abm report also compares each metric's "
        "mean over months first..last of each run (the months the series keeps; needs "
        "series: true) [months]")

    @model_validator(mode="after")
    def _something(self) -> OutputsSpec:
        if not (self.final or self.series):
            raise ValueError("keep at least one of final or series")
        if self.metrics is not None and not self.metrics:
            raise ValueError("metrics: give at least one column, or leave it out for all")
        for name, (first, last) in (self.windows or {}).items():
            if not NAME_RE.match(name):
                raise ValueError(f"windows: name {name!r} must be letters, digits and _")
            if not 0 <= first <= last:
                raise ValueError(f"windows.{name}: need 0 <= first <= last months "
                                 f"(got [{first}, {last}])")
        if self.windows and not self.series:
            raise ValueError("windows: a window's mean is taken over the kept series; "
                             "set series: true")
        return self


class Experiment(_Strict):
    """One experiment file (see docs/experiments.md)."""

    name: str | None = Field(None, description="Shown in reports (default: the file name)")
    description: str = ""
    base: str = Field(description="Base config, relative to the experiment file")
    seed: int = Field(1, ge=0, le=MAX_SEED, description="Experiment root seed")
    replicates: int = Field(1, ge=1, le=999)
    seed_from: Literal["replicate", "run"] = Field(
        "replicate", description="replicate: replicate k of every scenario and point shares "
        "one seed (common random numbers); run: each run gets its own seed")
    months: int | None = Field(None, ge=1, description="Overrides run.months [months]")
    households: int | None = Field(None, ge=1, description="Overrides run.households")
    set: dict[str, Any] = Field(default_factory=dict,
                                description="dotted.key: value applied to every run")
    scenarios: dict[str, dict[str, Any]] = Field(
        default_factory=lambda: {"baseline": {}},
        description="name: {dotted.key: value}; each is run at every point")
    factors: dict[str, list[Any] | RangeSpec] = Field(
        default_factory=dict, description="dotted.key: values or a range; full grid")
    design: DesignSpec | None = None
    outputs: OutputsSpec = OutputsSpec()

    @field_validator("scenarios", mode="before")
    @classmethod
    def _empty_scenarios(cls, value: Any) -> Any:
        # ``baseline:`` with nothing after it means no overrides.
        if isinstance(value, dict):
            return {k: ({} if v is None else v) for k, v in value.items()}
        return value

    @field_validator("factors", mode="before")
    @classmethod
    def _factor_values(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        out: dict[str, Any] = {}
        for key, values in value.items():
            if isinstance(values, dict):
                try:
                    out[key] = RangeSpec.model_validate(values)
                except ValidationError as exc:
                    err = exc.errors()[0]
                    where = ".".join(str(x) for x in err.get("loc", ()))
                    msg = err["msg"].removeprefix("Value error, ")
                    raise ValueError(f"{key}: {where + ' ' if where else ''}{msg}") from None
            elif isinstance(values, list):
                if not values:
                    raise ValueError(f"{key}: give at least one value")
                out[key] = values
            else:
                raise ValueError(f"{key}: give a list of values or a range "
                                 "{start, stop, step or num}")
        return out

    @model_validator(mode="after")
    def _check(self) -> Experiment:
        if self.factors and self.design is not None:
            raise ValueError("use either factors (a grid) or design (a sample), not both")
        if not self.scenarios:
            raise ValueError("scenarios: give at least one (an empty one is the base config)")
        for name in self.scenarios:
            if not NAME_RE.match(name):
                raise ValueError(f"scenarios: {name!r} is not a valid name; use letters, "
                                 "digits and _ (names become file names)")
        for name, (_, last) in (self.outputs.windows or {}).items():
            if self.months is not None and last >= self.months:
                raise ValueError(f"outputs.windows.{name}: month {last} is past the run's "
                                 f"last month ({self.months - 1}; months start at 0)")
        return self

    def varied_keys(self) -> list[str]:
        """The config keys that change between design points, in file order."""
        if self.design is not None:
            return list(self.design.parameters)
        return list(self.factors)


# ------------------------------------------------------------------ loading
def read_yaml_mapping(path: Path) -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping; ConfigError on any problem."""
    return _read_mapping(path, top="a mapping")


def _error_from_validation(exc: ValidationError, source: str) -> ConfigError:
    err = exc.errors()[0]
    loc = [str(x) for x in err.get("loc", ())
           if not (isinstance(x, str) and x.startswith("function"))]
    msg = err["msg"].removeprefix("Value error, ")
    etype = err.get("type", "")
    if etype == "value_error" and re.match(r"^[\w.]+: ", msg):
        # Our validators name the key inside the message ("parameters.x: ...").
        head, msg = msg.split(": ", 1)
        loc = [*loc, head]
    key = ".".join(loc)
    if etype == "extra_forbidden":
        msg = "unknown key; see docs/experiments.md for the keys"
    elif etype not in ("value_error", "missing"):
        msg = f"{msg.lower()} (got {short(err.get('input'))})"
    return ConfigError(source, key, msg)


def load_experiment(path: str | Path) -> Experiment:
    """Read and validate the experiment file's own schema (not yet its config keys)."""
    p = Path(path)
    data = read_yaml_mapping(p)
    try:
        return Experiment.model_validate(data)
    except ValidationError as exc:
        raise _error_from_validation(exc, str(p)) from None
