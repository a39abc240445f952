"""The experiment directory. The driver is its only writer; every file appears atomically.

Layout (see docs/experiments.md)::

    DIR/experiment.yaml     verbatim copy of the experiment file
    DIR/experiment.json     the validated experiment, resolved base config, fingerprint
    DIR/design.parquet      one row per run: run_id, scenario, point, replicate, seed, params
    DIR/runs/<run_id>.parquet       one per finished run (kept rows + config, seed in metadata)
    DIR/runs/<run_id>.error.json    one per run that raised (retried on the next batch)
    DIR/results.parquet     one row per run: identity, params, status, final values
    DIR/series.parquet      monthly rows of every run (only with outputs.series)

Files are written to a hidden temporary name in the same folder and renamed into
place, so a crash or ``kill -9`` leaves either the whole file or none of it.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from abm.config import ConfigError
from abm.experiments.design import ID_COLUMNS, Plan, RunSpec

__all__ = ["ExperimentDir", "RUN_META_KEY"]

RUN_META_KEY = b"abm.run"
FROZEN = "experiment.json"
EXPERIMENT_COPY = "experiment.yaml"
DESIGN = "design.parquet"
RESULTS = "results.parquet"
SERIES = "series.parquet"
TMP_MARK = ".tmp-"


def atomic_write(path: Path, write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp)`` on a hidden temporary name beside ``path``, then rename it."""
    tmp = path.with_name(f".{path.name}{TMP_MARK}{os.getpid()}")
    try:
        write(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _write_text(text: str) -> Callable[[Path], None]:
    return lambda p: p.write_text(text, encoding="utf-8")


class ExperimentDir:
    """Reads and writes one experiment directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / "runs"

    # ------------------------------------------------------------ freezing
    def frozen(self) -> dict[str, Any] | None:
        """The frozen experiment record, or None if this is not an experiment dir yet."""
        path = self.root / FROZEN
        if not path.exists():
            return None
        return json.loads(path.read_text(encoding="utf-8"))

    def check(self, plan: Plan) -> None:
        """Refuse (ConfigError, exit 2) a dir holding something else or another experiment."""
        src = str(plan.source)
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError("--out", str(self.root), "exists and is not a folder")
        record = self.frozen()
        if record is None:
            if self.root.exists() and not self._only_a_partial_freeze():
                raise ConfigError("--out", str(self.root), "folder is not empty and holds "
                                  "no experiment; choose another --out")
            return
        if record["fingerprint"] == plan.fingerprint:
            return
        changed = _changed_keys(record, plan)
        raise ConfigError(src, "", f"differs from the experiment frozen in {self.root} "
                          f"(changed: {', '.join(changed) or 'contents'}); results would "
                          "mix two experiments. Use another --out, or delete that folder "
                          "to start again")

    def _only_a_partial_freeze(self) -> bool:
        """True if the folder holds nothing, or only what a freeze cut short leaves."""
        names = {p.name for p in self.root.iterdir() if TMP_MARK not in p.name}
        if not names <= {EXPERIMENT_COPY, DESIGN, "runs"}:
            return False
        return not self.runs.is_dir() or not any(self.runs.iterdir())

    def freeze(self, plan: Plan, source_text: str) -> None:
        """Write experiment.yaml, experiment.json and design.parquet (once)."""
        self.runs.mkdir(parents=True, exist_ok=True)
        if self.frozen() is not None:
            return
        atomic_write(self.root / EXPERIMENT_COPY, _write_text(source_text))
        atomic_write(self.root / DESIGN,
                     lambda p: plan.design_table().to_parquet(p, index=False))
        record = {
            "name": plan.name,
            "fingerprint": plan.fingerprint,
            "source": str(plan.source),
            "base_path": str(plan.base_path),
            "experiment": plan.experiment.model_dump(mode="json"),
            "base_config": plan.base_config,
            "n_runs": len(plan.runs),
        }
        # experiment.json goes last: its presence means the freeze is complete.
        atomic_write(self.root / FROZEN, _write_text(json.dumps(record, indent=2) + "\n"))

    def clean_tmp(self) -> None:
        """Remove temporary files left by a killed driver."""
        for folder in (self.root, self.runs):
            if folder.is_dir():
                for p in folder.iterdir():
                    if p.name.startswith(".") and TMP_MARK in p.name:
                        if p.is_dir():
                            shutil.rmtree(p, ignore_errors=True)
                        else:
                            p.unlink(missing_ok=True)

    # ---------------------------------------------------------------- runs
    def run_path(self, run_id: str) -> Path:
        return self.runs / f"{run_id}.parquet"

    def error_path(self, run_id: str) -> Path:
        return self.runs / f"{run_id}.error.json"

    def done_ids(self) -> set[str]:
        """Runs whose Parquet file is on disk."""
        if not self.runs.is_dir():
            return set()
        return {p.name.removesuffix(".parquet") for p in self.runs.glob("*.parquet")
                if not p.name.startswith(".")}

    def write_run(self, spec: RunSpec, table: pd.DataFrame, headline: dict[str, Any]) -> Path:
        """One finished run: its kept rows, with its identity, config and seed as metadata."""
        df = table.copy()
        for i, col in enumerate(ID_COLUMNS):
            df.insert(i, col, getattr(spec, col))
        meta = {"run_id": spec.run_id, "scenario": spec.scenario, "point": spec.point,
                "replicate": spec.replicate, "seed": spec.seed, "params": spec.params,
                "config": spec.config, "headline": headline}
        arrow = pa.Table.from_pandas(df, preserve_index=False)
        arrow = arrow.replace_schema_metadata(
            {**(arrow.schema.metadata or {}), RUN_META_KEY: json.dumps(meta).encode()})
        path = atomic_write(self.run_path(spec.run_id), lambda p: pq.write_table(arrow, p))
        self.error_path(spec.run_id).unlink(missing_ok=True)
        return path

    def write_error(self, spec: RunSpec, kind: str, message: str, trace: str) -> Path:
        """A run that raised: what, where, and its traceback; the batch goes on."""
        record = {"run_id": spec.run_id, "scenario": spec.scenario, "point": spec.point,
                  "replicate": spec.replicate, "seed": spec.seed, "params": spec.params,
                  "error": kind, "message": message, "traceback": trace}
        return atomic_write(self.error_path(spec.run_id),
                            _write_text(json.dumps(record, indent=2) + "\n"))

    def read_error(self, run_id: str) -> dict[str, Any] | None:
        path = self.error_path(run_id)
        return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None

    def read_run(self, run_id: str) -> pd.DataFrame:
        return pq.read_table(self.run_path(run_id)).to_pandas()

    def read_run_meta(self, run_id: str) -> dict[str, Any]:
        meta = pq.read_schema(self.run_path(run_id)).metadata or {}
        return json.loads(meta[RUN_META_KEY])

    # ------------------------------------------------------------- results
    def combine(self, plan: Plan) -> pd.DataFrame:
        """Write results.parquet (and series.parquet) from the run files, in design order."""
        design = plan.design_table()
        outputs = plan.experiment.outputs
        finals: list[dict[str, Any]] = []
        series: list[pd.DataFrame] = []
        done = self.done_ids()
        for spec in plan.runs:
            row: dict[str, Any] = {"run_id": spec.run_id}
            if spec.run_id in done:
                table = self.read_run(spec.run_id)
                row.update(status="ok", error="")
                if outputs.final:
                    # A one-row frame keeps each column's dtype (a Series row would not).
                    row.update(table.iloc[[-1]].drop(columns=ID_COLUMNS).to_dict("records")[0])
                if outputs.series:
                    series.append(table)
            else:
                err = self.read_error(spec.run_id)
                row.update(status="error" if err else "missing",
                           error=f"{err['error']}: {err['message']}" if err else "")
            finals.append(row)
        results = design.merge(pd.DataFrame(finals), on="run_id", how="left")
        atomic_write(self.root / RESULTS, lambda p: results.to_parquet(p, index=False))
        if outputs.series and series:
            all_series = pd.concat(series, ignore_index=True)
            atomic_write(self.root / SERIES, lambda p: all_series.to_parquet(p, index=False))
        return results


def _changed_keys(record: dict[str, Any], plan: Plan) -> list[str]:
    old = record.get("experiment", {})
    new = plan.experiment.model_dump(mode="json")
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k != "base")
    if record.get("base_config") != plan.base_config:
        changed.append(f"base config {plan.base_path.name}")
    return changed
