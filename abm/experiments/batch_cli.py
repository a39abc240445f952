"""The bodies of ``abm batch`` and ``abm report`` (abm/cli.py only parses arguments)."""

from __future__ import annotations

import sys
from pathlib import Path

from abm.experiments.design import load_plan

__all__ = ["run_batch_command", "run_report_command"]


def run_batch_command(experiment: str, *, workers: int | None, scheduler: str | None,
                      out: str | None, max_runs: int | None = None) -> int:
    """Validate, freeze and run an experiment; returns the exit code (1 if runs failed)."""
    from abm.experiments.design import MAX_RUNS
    from abm.experiments.engine import (
        check_scheduler,
        default_out_dir,
        default_workers,
        run_batch,
    )
    from abm.experiments.store import ExperimentDir

    if scheduler is not None:
        check_scheduler(scheduler)
    plan = load_plan(experiment, max_runs or MAX_RUNS)  # ConfigError -> exit 2, nothing written
    out_dir = Path(out) if out else default_out_dir(experiment)
    ExperimentDir(out_dir).check(plan)  # another experiment there -> exit 2
    from abm.runner import check_writable

    check_writable(out_dir)  # before any worker starts -> exit 2
    where = (f"with {scheduler}" if scheduler
             else f"on {workers or default_workers()} local worker(s)")
    print(f"{plan.name}: {len(plan.runs)} runs ({len(plan.experiment.scenarios)} scenario(s)"
          f" x {len(plan.points)} point(s) x {plan.experiment.replicates} replicate(s)) "
          f"{where}", flush=True)
    outcome = run_batch(plan, out_dir, workers=workers, scheduler=scheduler)
    print(f"  {outcome.done} done, {outcome.failed} failed, {outcome.skipped} already on disk,"
          f" in {outcome.seconds:.1f} s\n  wrote {out_dir}/results.parquet", flush=True)
    if outcome.failed:
        print(f"abm: {outcome.failed} run(s) failed; see {out_dir}/runs/*.error.json "
              "(the same command retries them)", file=sys.stderr)
        return 1
    return 0


def run_report_command(directory: str) -> None:
    """Write DIR/report/: summary tables, plots and sensitivity indices."""
    from abm.experiments.report import write_report

    written = write_report(Path(directory))
    print(f"wrote {len(written)} files to {Path(directory) / 'report'}/")
    for path in written:
        print(f"  {path.name}")
