"""Command line: ``abm run | batch | attribute | report | viz``.

Exit codes: 0 success; 2 bad input (one line naming the file, the key and what is
allowed; nothing written); 1 anything else.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Annotated

import typer

# Typer >= 0.29 vendors click; its usage errors live here (pinned in pyproject.toml).
from typer._click import exceptions as click

from abm.config import ConfigError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="A county simulation of keeping rural poverty from coming back.",
)


@app.callback()
def _group() -> None:
    """A county simulation of keeping rural poverty from coming back."""


class BadInput(Exception):
    """Bad input found outside config loading (arguments, experiment files)."""


def fail(message: str) -> None:
    raise BadInput(message)


@app.command()
def run(
    config: Annotated[str, typer.Argument(help="YAML config, e.g. configs/baseline.yaml")],
    seed: Annotated[str | None, typer.Option(help="Root seed (integer)")] = None,
    months: Annotated[str | None, typer.Option(help="Months to simulate")] = None,
    households: Annotated[str | None, typer.Option(help="Households in the county")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a parameter: dotted.key=VALUE (repeatable)")] = None,
    out: Annotated[str | None, typer.Option(help="Output folder "
                                            "(default runs/<config>-seed<seed>)")] = None,
) -> None:
    """Run one county and write timeseries, events, config, summary and a PNG."""
    from abm.config import load_config

    cfg = load_config(config, set_, seed=seed, months=months, households=households)
    out_dir = Path(out) if out else None
    if out_dir is not None and out_dir.exists() and not out_dir.is_dir():
        raise ConfigError("--out", str(out_dir), "exists and is not a folder")

    from abm.runner import default_out_dir, simulate, stderr_is_terminal, write_outputs

    out_dir = out_dir or default_out_dir(config, cfg.run.seed)
    t0 = time.perf_counter()
    if stderr_is_terminal():
        from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

        with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                      TextColumn("month {task.completed}/{task.total}"), TimeRemainingColumn(),
                      transient=True) as bar:
            task = bar.add_task(f"{cfg.county.name} ({cfg.run.households:,} households)",
                                total=cfg.run.months)
            result = simulate(cfg, progress=lambda k, n: bar.update(task, completed=k))
    else:
        result = simulate(cfg)
    write_outputs(result, out_dir)
    h = result.summary["headline"]
    typer.echo(
        f"{cfg.county.name}: {cfg.run.households:,} households x {cfg.run.months} months, "
        f"seed {cfg.run.seed}, in {time.perf_counter() - t0:.1f} s\n"
        f"  poverty rate {h['poverty_rate_start']:.2%} -> {h['poverty_rate_end']:.2%}; "
        f"returned to poverty {h['returned_to_poverty']:,}; "
        f"income per person {h['income_pc_first_year']:,.0f} -> {h['income_pc_end']:,.0f} yuan"
        f"\n  wrote {out_dir}/"
    )


@app.command()
def viz(
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8765,
) -> None:
    """Serve the browser page (offline; open http://HOST:PORT)."""
    from viz.server import serve  # lazily: abm never imports viz at import time

    serve(host, port)


def main(argv: list[str] | None = None) -> int:
    """Entry point: turns bad input into one line and exit code 2."""
    cmd = typer.main.get_command(app)
    try:
        cmd.main(args=argv, prog_name="abm", standalone_mode=False)
    except ConfigError as exc:
        print(f"abm: error: {exc}", file=sys.stderr)
        return 2
    except BadInput as exc:
        print(f"abm: error: {exc}", file=sys.stderr)
        return 2
    except click.NoArgsIsHelpError:
        return 0
    except click.UsageError as exc:
        print(f"abm: error: {exc.format_message()}", file=sys.stderr)
        return 2
    except typer.Abort:
        print("abm: aborted", file=sys.stderr)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    return 0


if __name__ == "__main__":
    sys.exit(main())
