"""The batch driver: sends runs to Dask workers and writes each result as it arrives.

By default an embedded ``LocalCluster`` on 127.0.0.1 (N worker processes, one thread
each); with ``scheduler`` the same runs go to an existing cluster. Runs already on
disk are skipped, so re-running the same command after a crash does only the rest.
A run that raises is recorded as ``runs/<id>.error.json`` and the batch goes on; Dask
reschedules the runs of a worker that died (up to ``ALLOWED_FAILURES`` times).
"""

from __future__ import annotations

import logging
import os
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from abm.config import ConfigError
from abm.experiments.design import Plan, RunSpec
from abm.experiments.store import ExperimentDir

__all__ = ["BatchOutcome", "run_batch", "default_workers", "default_out_dir", "check_scheduler",
           "PlainProgress", "RichProgress", "ALLOWED_FAILURES"]

# How many worker deaths one run may cause before Dask gives up on it (KilledWorker).
ALLOWED_FAILURES = 3
# A local cluster's housekeeping, made rarer: with as many workers as cores it takes
# time from the runs. Dask's defaults sample each worker's stack every 10 ms for the
# dashboard's profile (taking the GIL from the run), check the event loops every 20 ms
# and each worker's memory every 100 ms. 16 runs of 20,000 households x 120 months on
# 2 workers (2026-12-05 02:20-02:35, six alternating pairs): 89.3 / 91.4 / 87.0 /
# 79.9 / 82.4 / 78.9 runs a minute with the defaults, 102.9 / 91.7 / 98.4 / 88.8 / 88.7
# / 85.1 with these; each worker's voluntary context switches 2,300-3,000 -> 150-220,
# its CPU seconds about 7% fewer, the driver's 1.0 -> 0.67 s.
# The dashboard's profile page is then empty; its other pages work as before.
QUIET_WORKERS = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
}
PLAIN_INTERVAL_S = 10.0
MAX_FAILURE_NOTES = 5


@dataclass
class BatchOutcome:
    """What a batch did: counts of runs and the wall time in seconds."""

    total: int
    skipped: int
    done: int
    failed: int
    seconds: float
    out_dir: Path


def default_workers() -> int:
    """One worker per available core."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def default_out_dir(experiment_path: str | Path) -> Path:
    return Path("experiments_out") / Path(experiment_path).stem


# ------------------------------------------------------------------ progress
class Progress(Protocol):
    def start(self, total: int, todo: int) -> None: ...
    def update(self, done: int, failed: int) -> None: ...
    def close(self) -> None: ...


class PlainProgress:
    """Plain lines every ``interval`` seconds (for logs and CI, when not on a terminal)."""

    def __init__(self, interval: float = PLAIN_INTERVAL_S, stream: Any = None):
        self.interval = interval
        self.stream = stream or sys.stderr
        self.todo = 0
        self.done = self.failed = 0
        self.t0 = self.last = time.monotonic()

    def start(self, total: int, todo: int) -> None:
        self.todo = todo
        self.t0 = self.last = time.monotonic()
        print(f"batch: {total} runs, {total - todo} already on disk, {todo} to do",
              file=self.stream, flush=True)

    def update(self, done: int, failed: int) -> None:
        self.done, self.failed = done, failed
        now = time.monotonic()
        if now - self.last >= self.interval:
            self.last = now
            self._line(now)

    def _line(self, now: float) -> None:
        finished = self.done + self.failed
        remaining = self.todo - finished
        rate = finished / max(now - self.t0, 1e-9)
        eta = f"{remaining / rate:.0f} s" if rate > 0 else "?"
        print(f"batch: {self.done} done, {self.failed} failed, {remaining} remaining, "
              f"{rate * 60:.1f} runs/min, ETA {eta}", file=self.stream, flush=True)

    def close(self) -> None:
        if self.todo:
            self._line(time.monotonic())


class RichProgress:
    """A rich progress bar on stderr: done, failed, remaining and ETA."""

    def __init__(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.progress import Progress as Bar

        self.bar = Bar(TextColumn("[bold]batch"), BarColumn(),
                       TextColumn("{task.fields[done]} done, {task.fields[failed]} failed, "
                                  "{task.fields[remaining]} remaining"),
                       TimeElapsedColumn(), TextColumn("ETA"), TimeRemainingColumn(),
                       console=Console(stderr=True))
        self.task: Any = None
        self.todo = 0

    def start(self, total: int, todo: int) -> None:
        self.todo = todo
        self.bar.start()
        self.task = self.bar.add_task("batch", total=todo, done=0, failed=0, remaining=todo)

    def update(self, done: int, failed: int) -> None:
        self.bar.update(self.task, completed=done + failed, done=done, failed=failed,
                        remaining=self.todo - done - failed)

    def close(self) -> None:
        self.bar.stop()


def make_progress() -> Progress:
    return RichProgress() if sys.stderr.isatty() else PlainProgress()


# ------------------------------------------------------------------- cluster
def open_client(workers: int | None, scheduler: str | None) -> tuple[Any, Any]:
    """A Dask client and the LocalCluster it owns (None with ``scheduler``)."""
    import dask
    from distributed import Client, LocalCluster

    if scheduler:
        check_scheduler(scheduler)
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError("--scheduler", scheduler, f"cannot connect: "
                              f"{str(exc).splitlines()[0][:160] if str(exc) else exc!r}"
                              ) from None
        if not client.scheduler_info().get("workers"):
            print(f"batch: no workers on {scheduler} yet; runs start when one joins",
                  file=sys.stderr, flush=True)
        return client, None
    n = workers or default_workers()
    settings = {
        "distributed.scheduler.allowed-failures": ALLOWED_FAILURES,
        # Dask's default MALLOC_TRIM_THRESHOLD_ turns off glibc's dynamic mmap threshold:
        # every large numpy array is then mmap'd and zeroed afresh, which made model runs
        # about 3.5x slower (measured: 1.4 s -> 5.0 s for 20,000 households x 120 months).
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
        **QUIET_WORKERS,
    }
    with dask.config.set(settings):
        # Every listening socket on loopback, the HTTP one on a free port (not 8787).
        cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True,
                               host="127.0.0.1", dashboard_address="127.0.0.1:0",
                               silence_logs=logging.CRITICAL)  # failures: see _collect
    return Client(cluster), cluster


SCHEDULER_RE = re.compile(r"(tcp|tls)://(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):([0-9]{1,5})")


def check_scheduler(address: str) -> None:
    """Refuse (exit 2) a scheduler address that is not ``tcp://HOST:PORT`` (or tls://)."""
    m = SCHEDULER_RE.fullmatch(address)
    if m is None or not 1 <= int(m.group(3)) <= 65535:
        from abm.yamlio import short

        raise ConfigError("--scheduler", short(address)[1:-1], "expected tcp://HOST:PORT "
                          "(or tls://HOST:PORT), e.g. tcp://127.0.0.1:8786")


def _close(client: Any, cluster: Any) -> None:
    client.close()
    if cluster is not None:
        cluster.close()


# -------------------------------------------------------------------- driver
def run_batch(plan: Plan, out_dir: str | Path, *, workers: int | None = None,
              scheduler: str | None = None, progress: Progress | None = None,
              client: Any = None) -> BatchOutcome:
    """Do every run of ``plan`` not yet in ``out_dir``, then write results.parquet.

    ``client``: an open Dask client to use (and leave open), e.g. for benchmarks.
    """
    t0 = time.monotonic()
    store = ExperimentDir(out_dir)
    store.check(plan)
    # One driver per folder for the whole batch: a second one exits 2 naming this one.
    with store.lock():
        store.check(plan)  # again, holding the lock: another driver may have frozen it
        store.clean_tmp()
        done_before = store.verified_done(plan)  # damaged or foreign files are moved aside
        todo = [r for r in plan.runs if r.run_id not in done_before]
        progress = progress or make_progress()
        done = failed = 0
        own = client is None
        cluster = None
        if todo and own:
            client, cluster = open_client(workers, scheduler)
        try:
            store.freeze(plan, plan.source.read_text(encoding="utf-8"))
            progress.start(len(plan.runs), len(todo))
            if todo:
                done, failed = _collect(client, plan, todo, store, progress)
        finally:
            progress.close()
            if own and client is not None:
                _close(client, cluster)
        store.combine(plan)
    return BatchOutcome(len(plan.runs), len(plan.runs) - len(todo), done, failed,
                        time.monotonic() - t0, Path(out_dir))


def _collect(client: Any, plan: Plan, todo: list[RunSpec], store: ExperimentDir,
             progress: Progress) -> tuple[int, int]:
    """Submit ``todo`` and write each run as it finishes; returns (done, failed)."""
    from distributed import as_completed

    from abm.experiments.worker import execute_run

    outputs = plan.experiment.outputs.model_dump(mode="json")
    by_key: dict[str, RunSpec] = {}
    futures = []
    for spec in todo:
        key = f"abm-run-{plan.fingerprint[:12]}-{spec.run_id}"
        by_key[key] = spec
        futures.append(client.submit(execute_run, spec.config, outputs, key=key))
    done = failed = 0
    for fut in as_completed(futures):
        spec = by_key[fut.key]
        if fut.status == "finished":
            payload = fut.result()
            store.write_run(spec, payload["table"], payload["headline"], plan.fingerprint)
            done += 1
        elif fut.status == "error":
            exc = fut.exception()
            path = store.write_error(spec, type(exc).__name__, str(exc), _trace(fut))
            failed += 1
            _note_failure(spec, exc, path, failed)
        else:
            raise RuntimeError(f"run {spec.run_id} was {fut.status} (lost the scheduler?); "
                               "finished runs are on disk, run the same command again")
        fut.release()
        progress.update(done, failed)
    return done, failed


def _note_failure(spec: RunSpec, exc: BaseException, path: Path, failed: int) -> None:
    """One stderr line for the first few failed runs (the details are in ``path``)."""
    if failed <= MAX_FAILURE_NOTES:
        text = f"{type(exc).__name__}: {exc}"
        text = text if len(text) <= 160 else text[:157] + "..."
        print(f"batch: run {spec.run_id} failed: {text} ({path.name})", file=sys.stderr,
              flush=True)
    elif failed == MAX_FAILURE_NOTES + 1:
        print("batch: more runs failed; see runs/*.error.json", file=sys.stderr, flush=True)


def _trace(fut: Any) -> str:
    import traceback

    tb = fut.traceback()
    return "".join(traceback.format_tb(tb)) if tb is not None else ""
