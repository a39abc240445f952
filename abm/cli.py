"""Command line: ``abm run | batch | attribute | report | viz``.

Exit codes: 0 success; 2 bad input (one line naming the file, the key and what is
allowed; nothing written); 1 anything else.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

# Typer >= 0.29 vendors click; its usage errors live here (pinned in pyproject.toml).
from typer._click import exceptions as click

from abm import i18n
from abm.config import ConfigError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="A county simulation of keeping rural poverty from coming back.",
)


@app.callback()
def _group(
    lang: Annotated[str | None, typer.Option(
        "--lang", help="Language of messages and reports: en or zh "
        "(default: $ABM_LANG, else the locale)")] = None,
) -> None:
    """A county simulation of keeping rural poverty from coming back."""
    if lang is not None:
        if lang not in i18n.LANGS:
            fail(i18n.t("cli.bad_lang", i18n.current_lang(), value=lang))
        i18n.set_lang(lang)


class BadInput(Exception):
    """Bad input found outside config loading (arguments, experiment files)."""


def fail(message: str) -> None:
    raise BadInput(message)


def _import_mesa_lean() -> None:
    """Import Mesa for ``abm run`` without the source lookups its loggers make.

    Mesa's module loggers find their module's name with ``inspect.stack()``, which reads
    the source lines of every frame on the stack and, for each frame of the import
    machinery (``<frozen importlib._bootstrap>``, no file), scans every loaded module:
    about 0.1 to 0.25 s of each ``abm run``. While Mesa is imported here, those calls
    read the frames without source lines (``context=0``; Mesa uses the frames and the
    function names only) and ``inspect`` knows the import machinery's module by its
    frozen file name; the loggers get the same names. Both are put back once Mesa is
    imported; a process that has Mesa already is left as it is.

    Mesa's ``discrete_space`` (grids and networks: scipy.spatial and networkx, about
    0.3 s) is imported by ``mesa/__init__.py`` but not used by a run: it is left
    deferred (``_DeferredImport``) and runs in full, as the same module object, the
    first time anything of it is used (the browser page's grids).
    """
    if "mesa" in sys.modules:
        return
    import inspect

    stack, outer = inspect.stack, inspect.getouterframes
    frozen = [f"<frozen {m}>" for m in ("importlib._bootstrap",
                                        "importlib._bootstrap_external")]
    added = [f for f in frozen if f not in inspect.modulesbyfile]
    inspect.stack = lambda context=1: stack(0)
    inspect.getouterframes = lambda frame, context=1: outer(frame, 0)
    for f in added:
        inspect.modulesbyfile[f] = f[len("<frozen "):-1]
    try:
        with _deferred_imports():
            import mesa  # noqa: F401
    finally:
        inspect.stack, inspect.getouterframes = stack, outer
        for f in added:
            inspect.modulesbyfile.pop(f, None)


@contextmanager
def _deferred_imports():
    """Modules imported meanwhile that are in ``_DeferredImport.NAMES`` are deferred."""
    sys.meta_path.insert(0, _DeferredImport)
    try:
        yield
    finally:
        sys.meta_path.remove(_DeferredImport)


class _DeferredImport:
    """While ``abm run`` imports what it needs: the modules in ``NAMES`` are made (with
    their file, path and spec, as an import makes them) but their code runs only when
    an attribute they would define is first asked for (``_DeferredModule``). Unlike
    ``importlib.util.LazyLoader``'s, looking at ``__file__`` (as ``inspect.getmodule``
    does for every loaded module when Mesa's loggers ask for their module) does not
    run it."""

    NAMES = frozenset({"mesa.discrete_space", "mesa.experimental.continuous_space",
                       "mesa.space", "scipy.linalg"})

    @classmethod
    def find_spec(cls, name, path=None, target=None):
        if name not in cls.NAMES:
            return None
        from importlib.machinery import PathFinder

        spec = PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return None  # the ordinary import (and its error)
        spec.loader = _DeferredLoader(spec.loader)
        return spec


class _DeferredLoader:
    """The loader of a deferred module: makes it as ``loader`` would, runs it later."""

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):
        return self.loader.create_module(spec)

    def exec_module(self, module) -> None:
        module.__dict__["_deferred_loader"] = self.loader
        module.__class__ = _DeferredModule


class _DeferredModule(type(sys)):
    """A module whose code has not run yet: the first attribute it does not have yet
    runs it (in its own namespace, as the import would have) and it becomes an ordinary
    module."""

    def __getattr__(self, attr: str):
        loader = self.__dict__.pop("_deferred_loader", None)
        if loader is None:  # (running, or failed): an ordinary missing attribute
            raise AttributeError(f"module {self.__name__!r} has no attribute {attr!r}")
        self.__class__ = type(sys)
        loader.exec_module(self)
        return getattr(self, attr)


def _import_for_run() -> None:
    """Import what a run needs (Mesa, lean; the model; the writers) with the garbage
    collector paused, then freeze what the imports made (``gc.freeze``), and start
    loading the compiled kernels from numba's cache on a helper thread.

    The imports make a few hundred thousand objects that live as long as the process,
    and hardly any garbage; the collections during them, and the full ones later in
    the build, would walk them all (about 0.3 s of a 200,000-household ``abm run`` on
    the development machine). Frozen, as ``viz.server`` freezes the page's imports,
    they are left out of every later collection. Only in a process that imports Mesa
    here: one that has it already (a test calling ``main``) is left as it is.
    """
    if "mesa" in sys.modules:
        return
    import gc

    gc.disable()
    try:
        _import_mesa_lean()
        import abm.runner  # noqa: F401

        _numba_ready()
    finally:
        gc.freeze()
        gc.enable()
    # The compiled kernels' cached machine code, loaded on the other core while the
    # config, the county and the households are made (abm/kernel_cache.py).
    from abm import kernel_cache

    kernel_cache.load_in_background()


def _numba_ready() -> None:
    """Load numba's typing and lowering registries now (what the first compiled kernel's
    call would do), with ``scipy.linalg`` deferred: numba only checks that a BLAS can be
    imported (``scipy.linalg.cython_blas``), and scipy.linalg's own modules (about 0.1 s)
    are imported only if something uses them. Their objects live as long as the
    process, so they are made here, before ``gc.freeze``."""
    try:
        from numba.core.registry import cpu_target

        with _deferred_imports():
            cpu_target.typing_context.refresh()
            cpu_target.target_context.refresh()
    except (ImportError, AttributeError):  # another numba: the first call does it
        pass


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
    overwrite: Annotated[bool, typer.Option(
        "--overwrite", help="Replace a finished run already in the output folder")] = False,
) -> None:
    """Run one county and write timeseries, events, config, summary and a PNG."""
    from abm.config import load_config

    cfg = load_config(config, set_, seed=seed, months=months, households=households)
    from abm.plots import PlotHelper

    # The PNG's helper process imports matplotlib and draws a warm-up figure on the other
    # core, from now on: while this process imports the model (when that core is idle)
    # and runs it. It writes nothing until it is asked for the figure.
    helper = PlotHelper.start(i18n.current_lang())
    try:
        _import_for_run()
        from abm.runner import (
            check_out_dir,
            default_out_dir,
            simulate,
            start_outputs,
            stderr_is_terminal,
            write_outputs,
        )

        out_dir = Path(out) if out else default_out_dir(config, cfg.run.seed)
        check_out_dir(out_dir, overwrite)  # before any work: exit 2, nothing written
        t0 = time.perf_counter()
        started = []

        def start(ts) -> None:  # the PNG is drawn while the events and summary are made
            started.append(start_outputs(cfg, ts, out_dir, plot_helper=helper))

        try:
            result = _simulate_with_progress(cfg, simulate, stderr_is_terminal(),
                                             on_timeseries=start)
            write_outputs(result, out_dir, overwrite, plot_helper=helper,
                          started=started.pop() if started else None)
        finally:
            for begun in started:  # (the run failed after its timeseries)
                begun.discard()
    finally:
        if helper is not None:
            helper.close()
    _skip_collections_at_exit()
    h = result.summary["headline"]
    typer.echo(i18n.t(
        "cli.run_done", i18n.current_lang(), county=cfg.county.name,
        households=f"{cfg.run.households:,}", months=cfg.run.months, seed=cfg.run.seed,
        seconds=f"{time.perf_counter() - t0:.1f}", start=f"{h['poverty_rate_start']:.2%}",
        end=f"{h['poverty_rate_end']:.2%}", returned=f"{h['returned_to_poverty']:,}",
        census=f"{h['returned_census']:,}",
        income_start=f"{h['income_pc_first_year']:,.0f}",
        income_end=f"{h['income_pc_end']:,.0f}", out=f"{out_dir}/"))


def _skip_collections_at_exit() -> None:
    """Once the run's files are written: have the interpreter's exit freeze the objects
    still alive (``gc.freeze``) before it clears the modules, so that its last garbage
    collections do not walk every object of the imports (Mesa, pandas, numba, scipy),
    about a second of a 200,000-household ``abm run`` on the development machine.
    Objects are still freed by reference counting; the operating system takes back the
    rest, as it would anyway. Registered at most once per process (a test process that
    calls ``main`` many times freezes only when it exits)."""
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


def _simulate_with_progress(cfg, simulate, bar_wanted: bool, on_timeseries=None):
    """Run the simulation, with a progress bar on a terminal. One run has the machine's
    other core: the draws are made a month ahead there (same numbers)."""
    if not bar_wanted:
        return simulate(cfg, prefetch_draws=True, on_timeseries=on_timeseries)
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(),
                  TextColumn("month {task.completed}/{task.total}"), TimeRemainingColumn(),
                  transient=True) as bar:
        task = bar.add_task(f"{cfg.county.name} ({cfg.run.households:,} households)",
                            total=cfg.run.months)
        return simulate(cfg, progress=lambda k, n: bar.update(task, completed=k),
                        prefetch_draws=True, on_timeseries=on_timeseries)


@app.command()
def batch(
    experiment: Annotated[str, typer.Argument(help="Experiment YAML, e.g. "
                                              "configs/experiments/smoke.yaml")],
    workers: Annotated[int | None, typer.Option(
        min=1, help="Local worker processes (default: one per core)")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Use an existing Dask cluster: tcp://HOST:PORT")] = None,
    out: Annotated[str | None, typer.Option(
        help="Experiment folder (default experiments_out/<experiment>)")] = None,
    max_runs: Annotated[int | None, typer.Option(
        min=1, help="Allow an experiment of more runs than the default limit (100,000)")
    ] = None,
) -> None:
    """Run an experiment on Dask; re-running the same command does only the missing runs."""
    if workers is not None and scheduler is not None:
        fail("--workers and --scheduler: give one or the other")
    from abm.experiments.batch_cli import run_batch_command

    code = run_batch_command(experiment, workers=workers, scheduler=scheduler, out=out,
                             max_runs=max_runs)
    if code:
        raise typer.Exit(code)


@app.command()
def report(
    directory: Annotated[str, typer.Argument(help="Experiment folder written by abm batch")],
) -> None:
    """Tables and plots of an experiment: outcomes by scenario, series, sensitivity."""
    from abm.experiments.batch_cli import run_report_command

    run_report_command(directory)


@app.command()
def attribute(
    config: Annotated[str, typer.Argument(help="YAML config, e.g. configs/counties/p_county.yaml")],
    seeds: Annotated[int, typer.Option(min=1, help="Seeds (replicates) per combination")] = 5,
    households: Annotated[str | None, typer.Option(help="Households per run")] = None,
    months: Annotated[str | None, typer.Option(help="Months per run")] = None,
    workers: Annotated[int | None, typer.Option(
        min=1, help="Local worker processes (default: one per core)")] = None,
    scheduler: Annotated[str | None, typer.Option(
        help="Use an existing Dask cluster: tcp://HOST:PORT")] = None,
    out: Annotated[str | None, typer.Option(
        help="Folder (default experiments_out/attribution-<config>)")] = None,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a parameter in all 16 worlds: dotted.key=VALUE "
        "(repeatable; an ideal factor overrides it where both name a key)")] = None,
    against: Annotated[str | None, typer.Option(
        help="A finished attribution folder to compare with (e.g. the baseline's): each "
        "factor's share and value here minus there, with 95% intervals")] = None,
) -> None:
    """Split the implementation gap among Smith's four factors (Shapley, 16 x seeds runs)."""
    if workers is not None and scheduler is not None:
        fail("--workers and --scheduler: give one or the other")
    if scheduler is not None:
        from abm.experiments.engine import check_scheduler

        check_scheduler(scheduler)
    from abm.runner import check_writable

    check_writable(Path(out) if out else  # before any work; default as in abm.attribution
                   Path("experiments_out") / f"attribution-{Path(config).stem}")
    from abm.attribution import run_attribution

    run_attribution(config, seeds=seeds, households=_int_or_none(households, "--households"),
                    months=_int_or_none(months, "--months"), workers=workers,
                    scheduler=scheduler, out=out, sets=set_, against=against)


def _int_or_none(value: str | None, flag: str) -> int | None:
    if value is None:
        return None
    from abm.yamlio import parse_whole_number

    try:
        n = parse_whole_number(value)
    except ValueError as exc:
        raise ConfigError(flag, flag.lstrip("-"), str(exc)) from None
    if n < 1:
        raise ConfigError(flag, flag.lstrip("-"), f"must be >= 1 (got {n})")
    return n


@app.command()
def validate(
    config: Annotated[str | None, typer.Argument(help="YAML config (default: the baseline "
                                                 "defaults)")] = None,
    seeds: Annotated[int, typer.Option(min=1, help="Seeds per scenario")] = 3,
    households: Annotated[str | None, typer.Option(help="Households per run")] = None,
    months: Annotated[str | None, typer.Option(help="Months per run (>= 24)")] = None,
    out: Annotated[str | None, typer.Option(help="Folder (default runs/validation)")] = None,
) -> None:
    """The model against the calibration table: validation.md and validation.csv."""
    from abm.validate import run_validate_command

    out_dir = run_validate_command(config, seeds, _int_or_none(households, "--households"),
                                   _int_or_none(months, "--months"), out)
    typer.echo(f"wrote {out_dir}/validation.md and validation.csv")


@app.command()
def calibrate(
    spec: Annotated[str, typer.Argument(help="Calibration spec (e.g. "
                                        "configs/calibration.yaml)")],
    out: Annotated[str | None, typer.Option(help="Folder (default runs/calibration)")] = None,
) -> None:
    """Fit the spec's parameters to rows of the calibration table: calibration.md/.csv."""
    from abm.calibrate import run_calibrate_command

    out_dir = run_calibrate_command(spec, out)
    typer.echo(f"wrote {out_dir}/calibration.md and calibration.csv")


@app.command()
def viz(
    host: Annotated[str, typer.Option(help="Address to serve on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to serve on")] = 8765,
    allow_origin: Annotated[list[str] | None, typer.Option(
        "--allow-origin", help="Also accept pages from this origin, e.g. "
        "https://lab.example.org (repeatable; * for any)")] = None,
    max_sessions: Annotated[int, typer.Option(
        help="Pages (browser tabs) open at once")] = 8,
) -> None:
    """Serve the browser page (offline; open http://HOST:PORT)."""
    from viz.server import serve  # lazily: abm never imports viz at import time

    serve(host, port, allow_origin or [], max_sessions)


MAX_MESSAGE = 400


def one_line(text: str, limit: int = MAX_MESSAGE) -> str:
    """An error as one line of at most ``limit`` characters: a long value quoted in
    the middle is cut, keeping the start (file, key) and the end (what is allowed)."""
    text = " ".join(text.splitlines())
    if len(text) <= limit:
        return text
    tail = limit // 4
    return f"{text[:limit - tail - 5]} ... {text[-tail:]}"


def _lang_from_args(argv: list[str]) -> str:
    """``--lang X`` / ``--lang=X`` before parsing (help texts depend on it)."""
    for i, arg in enumerate(argv):
        if arg == "--lang" and i + 1 < len(argv) and argv[i + 1] in i18n.LANGS:
            return argv[i + 1]
        if arg.startswith("--lang=") and arg.split("=", 1)[1] in i18n.LANGS:
            return arg.split("=", 1)[1]
    return i18n.default_lang()


def _translate_help(cmd: typer.core.TyperGroup, lang: str) -> None:
    """Help of the commands and their options from the catalog (abm/locales)."""
    texts = i18n.messages(lang)
    cmd.help = texts["cli.app"]
    for name, sub in cmd.commands.items():
        sub.help = texts.get(f"cli.cmd.{name}", sub.help)
        for param in sub.params:
            key = f"cli.opt.{name}.{param.name}"
            if key in texts and hasattr(param, "help"):
                param.help = texts[key]
    for param in cmd.params:
        if param.name == "lang":
            param.help = texts["cli.lang_help"]


def error_line(exc: Exception, lang: str) -> str:
    """The one-line error, in ``lang``; a config key gets its label in that language."""
    message = str(exc)
    if isinstance(exc, ConfigError) and exc.key:
        try:
            label = i18n.param_label(exc.key, lang)
        except KeyError:
            label = ""
        if label:
            message = i18n.t("cli.config_key", lang, source=exc.source, path=exc.key,
                             label=label, message=exc.message)
    return i18n.t("cli.error", lang, message=message)


def main(argv: list[str] | None = None) -> int:
    """Entry point: turns bad input into one line and exit code 2."""
    args = sys.argv[1:] if argv is None else argv
    lang = _lang_from_args(args)
    i18n.set_lang(None)
    cmd = typer.main.get_command(app)
    _translate_help(cmd, lang)
    try:
        # Without standalone mode click returns a command's typer.Exit code instead of
        # raising it.
        code = cmd.main(args=args, prog_name="abm", standalone_mode=False)
    except (ConfigError, BadInput) as exc:
        print(one_line(error_line(exc, lang)), file=sys.stderr)
        return 2
    except click.NoArgsIsHelpError:
        return 0
    except click.UsageError as exc:
        print(one_line(i18n.t("cli.error", lang, message=exc.format_message())),
              file=sys.stderr)
        return 2
    except typer.Abort:
        print("abm: aborted", file=sys.stderr)
        return 1
    except typer.Exit as exc:
        return exc.exit_code
    return code if isinstance(code, int) else 0


if __name__ == "__main__":
    sys.exit(main())
