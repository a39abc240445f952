"""The experiment directory. The driver is its only writer; every file appears atomically.

Layout (see docs/experiments.md)::

    DIR/experiment.yaml     verbatim copy of the experiment file
    DIR/experiment.json     the validated experiment, resolved base config, fingerprint
    DIR/design.parquet      one row per run: run_id, scenario, point, replicate, seed, params
    DIR/runs/<run_id>.parquet       one per finished run (kept rows + config, seed in metadata)
    DIR/runs/<run_id>.error.json    one per run that raised (retried on the next batch)
    DIR/runs/rejected/      run files that failed their checks (moved aside, recomputed)
    DIR/.abm-batch.lock     held (flock) by the driver writing the folder: pid, host
    DIR/results.parquet     one row per run: identity, params, status, final values
    DIR/series.parquet      monthly rows of every run (only with outputs.series)

Files are written to a hidden temporary name in the same folder and renamed into
place, so a crash or ``kill -9`` leaves either the whole file or none of it.

One driver at a time: :meth:`ExperimentDir.lock` takes an exclusive ``flock`` on
``.abm-batch.lock`` for the driver's lifetime (the kernel drops it when the driver
dies, so a killed driver's lock is taken over by the next one). Every run file
carries its identity (run id, seed, parameters, the experiment's fingerprint) and a
checksum of its rows in its Parquet metadata; :meth:`ExperimentDir.verified_run`
checks them when a run is collected, and a file that fails is moved to
``runs/rejected/`` and computed again.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import errno
import fcntl
import hashlib
import json
import os
import shutil
import socket
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from abm.config import ConfigError
from abm.experiments.design import ID_COLUMNS, Plan, RunSpec

__all__ = ["ExperimentDir", "RUN_META_KEY", "table_digest", "LOCK_NAME", "REJECTED"]

RUN_META_KEY = b"abm.run"
FROZEN = "experiment.json"
EXPERIMENT_COPY = "experiment.yaml"
DESIGN = "design.parquet"
RESULTS = "results.parquet"
SERIES = "series.parquet"
TMP_MARK = ".tmp-"
LOCK_NAME = ".abm-batch.lock"
REJECTED = "rejected"
MAX_REJECT_NOTES = 10


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


def _warn(message: str) -> None:
    print(f"batch: {message}", file=sys.stderr, flush=True)


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # alive, another user's
        return True
    return True


# ---------------------------------------------------------------- checksums
def table_digest(table: pa.Table) -> str:
    """SHA-256 of a table's column names, null masks and values (not its metadata).

    Computed on canonical numpy/JSON forms, so the digest of the rows written and of
    the same rows read back from Parquet agree whatever the chunking.
    """
    h = hashlib.sha256(f"abm-run-rows|{table.num_rows}".encode())
    for name, col in zip(table.column_names, table.columns, strict=True):
        kind = col.type
        valid = pc.is_valid(col).to_numpy(zero_copy_only=False).astype(np.uint8)
        if pa.types.is_integer(kind):
            tag, data = b"i", col.fill_null(0).to_numpy().astype("<i8").tobytes()
        elif pa.types.is_floating(kind):
            tag, data = b"f", col.fill_null(0.0).to_numpy().astype("<f8").tobytes()
        elif pa.types.is_boolean(kind):
            tag = b"b"
            data = col.fill_null(False).to_numpy(zero_copy_only=False).astype(np.uint8).tobytes()
        else:
            tag, data = b"s", json.dumps(col.to_pylist(), default=str).encode()
        for part in (name.encode(), tag, np.packbits(valid).tobytes(), data):
            h.update(len(part).to_bytes(8, "little"))
            h.update(part)
    return h.hexdigest()


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


# ------------------------------------------------------------------- the lock
class FolderLock:
    """An exclusive ``flock`` on ``DIR/.abm-batch.lock`` naming its holder (pid, host).

    The kernel releases a flock when its holder dies, so a lock left by a killed
    driver is simply taken over; its holder line is then reported once. Refuses
    (ConfigError, exit 2) when another live driver holds the folder, or when the
    folder cannot be created or written.
    """

    def __init__(self, root: Path):
        self.root = root
        self.path = root / LOCK_NAME
        self.fd: int | None = None
        self.created: list[Path] = []

    def acquire(self) -> None:
        self._make_folder()
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC | os.O_NOFOLLOW,
                             0o644)
            except OSError as exc:
                self._undo_folder()
                raise ConfigError("--out", str(self.root), f"cannot write there "
                                  f"({exc.strerror or exc})") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError as exc:
                holder = _describe_holder(_read_fd(fd))
                os.close(fd)
                if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                    raise ConfigError("--out", str(self.root), f"cannot lock the folder "
                                      f"({exc.strerror or exc})") from None
                raise ConfigError("--out", str(self.root), f"in use by another abm batch "
                                  f"({holder}); wait for it to finish or use another --out"
                                  ) from None
            # The file may have been replaced between open and flock: lock the one on disk.
            try:
                same = os.fstat(fd).st_ino == os.stat(self.path, follow_symlinks=False).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        self.fd = fd
        previous = _read_fd(fd)
        if previous:
            _warn(f"{self.root}: taking over the lock left by a driver that is gone "
                  f"({_describe_holder(previous)})")
        info = {"pid": os.getpid(), "host": socket.gethostname(),
                "since": _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(info) + "\n").encode(), 0)

    def release(self) -> None:
        """Drop the lock and remove the lock file (a clean exit leaves no holder behind),
        and the folders made for it if nothing else was written there, so a refused or
        failed start leaves no trace. A killed driver leaves the file, naming it."""
        if self.fd is None:
            return
        fd, self.fd = self.fd, None
        try:
            # Unlinked while still held: a driver that opened it meanwhile sees that
            # the path no longer names its file and takes a fresh one (see acquire).
            self.path.unlink(missing_ok=True)
            if self._nothing_here():
                self._undo_folder()
        finally:
            os.close(fd)

    def _make_folder(self) -> None:
        missing = []
        folder = self.root
        while not folder.exists() and folder != folder.parent:
            missing.append(folder)
            folder = folder.parent
        if self.root.exists() and not self.root.is_dir():
            raise ConfigError("--out", str(self.root), "exists and is not a folder")
        for f in reversed(missing):
            try:
                f.mkdir()
            except FileExistsError:
                continue
            except OSError as exc:
                self._undo_folder()
                raise ConfigError("--out", str(self.root), f"cannot create the folder "
                                  f"({exc.strerror or exc})") from None
            self.created.append(f)

    def _nothing_here(self) -> bool:
        try:
            return not any(self.root.iterdir())
        except OSError:
            return False

    def _undo_folder(self) -> None:
        for f in reversed(self.created):
            with contextlib.suppress(OSError):
                f.rmdir()
        self.created = []


def _read_fd(fd: int) -> dict[str, Any]:
    try:
        raw = os.pread(fd, 4096, 0)
        info = json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (OSError, ValueError):
        return {"unreadable": True}
    return info if isinstance(info, dict) else {"unreadable": True}


def _describe_holder(info: dict[str, Any]) -> str:
    if not info or "pid" not in info:
        return "holder unknown"
    pid, host = info.get("pid"), str(info.get("host", "?"))[:64]
    text = f"pid {pid} on {host}"
    if info.get("since"):
        text += f" since {str(info['since'])[:32]}"
    if host == socket.gethostname() and isinstance(pid, int) and not _pid_alive(pid):
        text += ", no longer running"
    return text


class ExperimentDir:
    """Reads and writes one experiment directory."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.runs = self.root / "runs"
        self.rejected = self.runs / REJECTED
        self._reject_notes = 0

    @contextlib.contextmanager
    def lock(self) -> Iterator[FolderLock]:
        """Hold the folder exclusively (see :class:`FolderLock`) for the ``with`` block."""
        held = FolderLock(self.root)
        held.acquire()
        try:
            yield held
        finally:
            held.release()

    # ------------------------------------------------------------ freezing
    def frozen(self) -> dict[str, Any] | None:
        """The frozen experiment record, or None if this is not an experiment dir yet."""
        path = self.root / FROZEN
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(record, dict) or "fingerprint" not in record:
                raise ValueError("no fingerprint")
        except (OSError, ValueError) as exc:
            raise ConfigError(str(path), "", f"unreadable ({str(exc)[:80]}); the experiment "
                              "folder is damaged: use another --out, or delete the folder to "
                              "start again") from None
        return record

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
        names = {p.name for p in self.root.iterdir()
                 if TMP_MARK not in p.name and p.name != LOCK_NAME}
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
        """Remove temporary files left by a killed driver (call it holding the lock)."""
        for folder in (self.root, self.runs):
            if folder.is_dir():
                for p in folder.iterdir():
                    if p.name.startswith(".") and TMP_MARK in p.name:
                        if p.is_dir() and not p.is_symlink():
                            shutil.rmtree(p, ignore_errors=True)
                        else:
                            p.unlink(missing_ok=True)

    # ---------------------------------------------------------------- runs
    def run_path(self, run_id: str) -> Path:
        return self.runs / f"{run_id}.parquet"

    def error_path(self, run_id: str) -> Path:
        return self.runs / f"{run_id}.error.json"

    def done_ids(self) -> set[str]:
        """Runs whose Parquet file is on disk (not yet verified: see ``verified_done``)."""
        if not self.runs.is_dir():
            return set()
        return {p.name.removesuffix(".parquet") for p in self.runs.glob("*.parquet")
                if not p.name.startswith(".")}

    def verified_done(self, plan: Plan) -> set[str]:
        """Runs whose file passes every check; every other ``*.parquet`` in ``runs/``
        (damaged, foreign, swapped, or not a run of this plan) is moved to
        ``runs/rejected/`` with a warning, so that it is computed again."""
        by_id = {spec.run_id: spec for spec in plan.runs}
        good: set[str] = set()
        for run in sorted(self.done_ids()):
            spec = by_id.get(run)
            if spec is None:
                self.reject(self.run_path(run), "not a run of this experiment")
                continue
            table, problem = self.verified_run(spec, plan.fingerprint)
            if table is not None:
                good.add(run)
            elif problem:
                self.reject(self.run_path(run), problem)
        return good

    def verified_run(self, spec: RunSpec, fingerprint: str
                     ) -> tuple[pd.DataFrame | None, str]:
        """(rows, "") for a run file that is whole and is this run of this experiment;
        (None, why) otherwise ("" when there is no file)."""
        path = self.run_path(spec.run_id)
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            return None, ""
        except OSError as exc:
            return None, f"cannot be read ({exc.strerror})"
        if not stat.S_ISREG(st.st_mode):
            return None, "not a regular file"
        if st.st_size == 0:
            return None, "empty"
        try:
            table = pq.read_table(path)
            raw = (table.schema.metadata or {}).get(RUN_META_KEY)
            meta = json.loads(raw) if raw is not None else None
        except (pa.ArrowException, OSError, ValueError) as exc:
            first = (str(exc).splitlines() or [type(exc).__name__])[0]
            return None, f"unreadable Parquet ({first[:80]})"
        if not isinstance(meta, dict) or "checksum" not in meta:
            return None, "carries no run identity and checksum (not written by this abm batch)"
        if meta.get("experiment") != fingerprint:
            return None, (f"belongs to another experiment (fingerprint "
                          f"{str(meta.get('experiment'))[:12]}, this one {fingerprint[:12]})")
        if meta.get("run_id") != spec.run_id:
            return None, (f"holds run {str(meta.get('run_id'))[:60]}, not {spec.run_id} "
                          "(renamed or swapped)")
        expected = {"scenario": spec.scenario, "point": spec.point, "replicate": spec.replicate,
                    "seed": spec.seed, "params": spec.params,
                    "config_sha256": _config_hash(spec.config)}
        wrong = [k for k, v in expected.items() if _canonical(meta.get(k)) != _canonical(v)]
        if wrong:
            return None, f"its {', '.join(wrong)} do not match the design"
        if table_digest(table) != meta["checksum"]:
            return None, "its rows do not match its checksum (damaged or edited)"
        return table.to_pandas(), ""

    def reject(self, path: Path, why: str) -> Path | None:
        """Move ``path`` to ``runs/rejected/`` (a free name) with a warning."""
        self.rejected.mkdir(parents=True, exist_ok=True)
        target = self.rejected / path.name
        k = 1
        while os.path.lexists(target):
            target = self.rejected / f"{path.name}.{k}"
            k += 1
        try:
            os.replace(path, target)
        except FileNotFoundError:
            return None
        self._reject_notes += 1
        if self._reject_notes <= MAX_REJECT_NOTES:
            _warn(f"rejected runs/{path.name}: {why}; moved to runs/{REJECTED}/{target.name}"
                  ", the run will be computed again")
        elif self._reject_notes == MAX_REJECT_NOTES + 1:
            _warn(f"more run files rejected; see runs/{REJECTED}/")
        return target

    def write_run(self, spec: RunSpec, table: pd.DataFrame, headline: dict[str, Any],
                  fingerprint: str) -> Path:
        """One finished run: its kept rows, with its identity, config, seed, the
        experiment's fingerprint and a checksum of the rows as metadata."""
        df = table.copy()
        for i, col in enumerate(ID_COLUMNS):
            df.insert(i, col, getattr(spec, col))
        arrow = pa.Table.from_pandas(df, preserve_index=False)
        meta = {"run_id": spec.run_id, "scenario": spec.scenario, "point": spec.point,
                "replicate": spec.replicate, "seed": spec.seed, "params": spec.params,
                "experiment": fingerprint, "config_sha256": _config_hash(spec.config),
                "checksum": table_digest(arrow), "config": spec.config, "headline": headline}
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
        if not path.exists():
            return None
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            record = None
        if not isinstance(record, dict) or record.get("run_id") != run_id:
            return {"error": "unreadable", "message": f"{path.name} is damaged"}
        return record

    def read_run(self, run_id: str) -> pd.DataFrame:
        return pq.read_table(self.run_path(run_id)).to_pandas()

    def read_run_meta(self, run_id: str) -> dict[str, Any]:
        meta = pq.read_schema(self.run_path(run_id)).metadata or {}
        return json.loads(meta[RUN_META_KEY])

    # ------------------------------------------------------------- results
    def combine(self, plan: Plan) -> pd.DataFrame:
        """Write results.parquet (and series.parquet) from the run files, in design order.

        Each run file is verified as it is read; one that fails is rejected and its
        run counts as ``missing`` (the same command computes it again).
        """
        design = plan.design_table()
        outputs = plan.experiment.outputs
        finals: list[dict[str, Any]] = []
        series: list[pd.DataFrame] = []
        for spec in plan.runs:
            row: dict[str, Any] = {"run_id": spec.run_id}
            table, problem = self.verified_run(spec, plan.fingerprint)
            if problem:
                self.reject(self.run_path(spec.run_id), problem)
            if table is not None:
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


def _config_hash(config: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical(config).encode()).hexdigest()


def _changed_keys(record: dict[str, Any], plan: Plan) -> list[str]:
    old = record.get("experiment", {})
    new = plan.experiment.model_dump(mode="json")
    changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k) and k != "base")
    if record.get("base_config") != plan.base_config:
        changed.append(f"base config {plan.base_path.name}")
    return changed
