"""Static figures drawn on the server with matplotlib (Agg; no display, no internet).

Chinese labels use Noto Sans CJK SC, shipped by the ``mplfonts`` package from PyPI
(a dependency, so ``uv sync`` installs it): :func:`use_cjk_font` registers it as the
fallback after DejaVu Sans, so Latin text looks as before and Chinese has no boxes.
"""

from __future__ import annotations

import importlib.util
import io
import os
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # (imported where used: ``PlotHelper.start`` runs before the run's
    import pandas as pd  # imports, and needs none of them)

CAUSE_COLOURS = {
    "illness": "#d62728", "disability": "#9467bd", "job_loss": "#1f77b4",
    "market": "#ff7f0e", "epidemic": "#8c564b", "disaster": "#7f7f7f",
    "policy_withdrawal": "#e377c2", "aging": "#bcbd22", "asset_sale": "#2ca02c",
    "business_failure": "#393b79", "credit": "#c49c94", "low_income": "#17becf",
}
SOURCE_COLUMNS = [
    ("income_pc_business", "farm & business"),
    ("income_pc_wages", "local wages"),
    ("income_pc_remittances", "remittances"),
    ("income_pc_public_transfers", "public transfers"),
    ("income_pc_property", "property"),
]


CJK_FONT_FILE = "NotoSansCJKsc-Regular.otf"
CJK_FONT_NAME = "Noto Sans CJK SC"


# The causes of a return to poverty, in the ledger's order (``abm.households.state.
# RETURN_CAUSES``); the PNG helper is told them by its parent with the figure it asks
# for, so that it need not import the households' modules (numba, scipy and the phases:
# about a second of its CPU), and can be started before the parent has imported them.
_return_causes: tuple[str, ...] | None = None


def return_causes() -> tuple[str, ...]:
    global _return_causes
    if _return_causes is None:
        from abm.households.state import RETURN_CAUSES

        _return_causes = tuple(RETURN_CAUSES)
    return _return_causes


def cjk_font_path() -> Path:
    """The Noto Sans CJK SC file inside the installed ``mplfonts`` package."""
    spec = importlib.util.find_spec("mplfonts")
    if spec is None or spec.origin is None:
        raise RuntimeError("the mplfonts package (Chinese font) is missing: run uv sync")
    path = Path(spec.origin).parent / "fonts" / CJK_FONT_FILE
    if not path.is_file():
        raise RuntimeError(f"{path} is missing: reinstall mplfonts (uv sync --reinstall)")
    return path


@cache
def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and put it after DejaVu Sans; its name."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager, rcParams

    font_manager.fontManager.addfont(str(cjk_font_path()))
    # Named families, not the generic "sans-serif": matplotlib falls back glyph by
    # glyph only along an explicit list.
    rcParams["font.family"] = ["DejaVu Sans", CJK_FONT_NAME]
    rcParams["axes.unicode_minus"] = False
    return CJK_FONT_NAME


def new_figure(rows: int, cols: int, size: tuple[float, float]) -> tuple[Any, Any]:
    """A figure with the CJK font ready, and its axes (always a 2-D array)."""
    use_cjk_font()
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(rows, cols, figsize=size, dpi=90, squeeze=False)
    return fig, axes


def lay_out(fig: Any) -> None:
    """The grid on every panel and the figure's tight layout (as :func:`save_png` draws
    it)."""
    for ax in fig.axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()


def save_png(fig: Any, path: Path | None = None) -> bytes:
    """Lay out, write (to ``path`` if given) and close; the PNG bytes."""
    import matplotlib.pyplot as plt

    lay_out(fig)
    data = _png_bytes(fig)
    plt.close(fig)
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _png_bytes(fig: Any) -> bytes:
    """The figure drawn as PNG, as it stands (fixed metadata, so that the bytes depend
    only on the data)."""
    buf = io.BytesIO()
    fig.savefig(buf, format="png", metadata={"Software": None})
    return buf.getvalue()


def _date_axis(ts: pd.DataFrame) -> pd.Series:
    return ts["year"] + (ts["month"] % 12) / 12.0


def _room_for_legend(ax: Any, top: float) -> None:
    """Raise the panel's upper limit so that data reaching ``top`` stay below its legend
    (placed in the panel's upper part): the legend's height as matplotlib lays it out,
    plus its distance from the frame and a small gap, against the panel's height before
    the tight layout (which only makes panels taller)."""
    renderer = ax.figure.canvas.get_renderer()
    legend = ax.get_legend()
    pad = 72.0 / ax.figure.dpi  # points per pixel
    legend_pt = legend.get_window_extent(renderer).height * pad + (
        legend.borderaxespad * legend.prop.get_size_in_points())
    panel_pt = ax.get_window_extent(renderer).height * pad
    free = 1.0 - min(0.6, legend_pt / panel_pt + 0.03)
    lo = ax.get_ylim()[0]
    if top > lo:
        ax.set_ylim(lo, lo + (top - lo) / free)


def plot_main_series(ts: pd.DataFrame, path: Path | None, title: str = "",
                     lang: str | None = None) -> None:
    """Four panels: poverty, returns by cause, income by source, motivation and skills;
    labels in ``lang`` (default: ``abm --lang``, ``$ABM_LANG`` or the locale)."""
    save_png(main_series_figure(ts, title, lang), path)


def main_series_figure(ts: pd.DataFrame, title: str = "", lang: str | None = None) -> Any:
    """The figure of :func:`plot_main_series`, not yet laid out. The legends of the
    returns' and the incomes' panels sit above the data (room made by
    :func:`_room_for_legend`), never on the bars or the stacked incomes."""
    from abm import i18n

    lang = lang or i18n.current_lang()

    def t(key: str) -> str:
        return i18n.t(f"figure.{key}", lang)

    fig, axes = new_figure(2, 2, (11, 7))
    x = _date_axis(ts)
    ax = axes[0, 0]
    ax.plot(x, 100 * ts["poverty_rate"], label=t("all_households"))
    ax.plot(x, 100 * ts["poverty_rate_registered"], label=t("registered"))
    ax.set_ylabel(t("poverty_ylabel"))
    ax.set_title(t("poverty"))
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    causes = return_causes()
    yearly = ts.groupby("year")[[f"new_returned_{c}" for c in causes]].sum()
    bottom = None
    for c in causes:
        vals = yearly[f"new_returned_{c}"]
        if vals.sum() == 0:
            continue
        ax.bar(yearly.index, vals, bottom=bottom, label=i18n.cause(c, lang),
               color=CAUSE_COLOURS.get(c))
        bottom = vals if bottom is None else bottom + vals
    ax.set_title(t("returns"))
    ax.set_ylabel(t("returns_ylabel"))
    if bottom is not None:
        ax.legend(fontsize=7, ncol=2, loc="upper left")
        _room_for_legend(ax, float(bottom.max()))

    ax = axes[1, 0]
    ax.stackplot(x, *[ts[c] for c, _ in SOURCE_COLUMNS],
                 labels=[i18n.metric(c, lang).label for c, _ in SOURCE_COLUMNS])
    ax.plot(x, ts["poverty_line"], color="k", lw=1, ls="--", label=t("poverty_line"))
    ax.set_title(t("income"))
    ax.set_ylabel(t("income_ylabel"))
    ax.legend(fontsize=7, loc="upper left")
    stacked = sum(ts[c].clip(lower=0) for c, _ in SOURCE_COLUMNS)
    _room_for_legend(ax, float(max(stacked.max(), ts["poverty_line"].max())))

    ax = axes[1, 1]
    ax.plot(x, ts["mean_motivation"], label=t("motivation"))
    ax.plot(x, ts["mean_skills"], label=t("skills"))
    ax.plot(x, ts["share_workers_migrant"], label=t("workers_away"))
    ax.set_ylim(0, 1)
    ax.set_title(t("households"))
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    return fig


class PlotHelper:
    """Draws ``main_series.png`` in a helper process started before the simulation, so
    that importing matplotlib, loading the fonts and a first warm-up figure (two seconds
    or so) overlap the run on another core instead of adding to it. Same code, same data,
    same PNG bytes.

    :meth:`start` it before the run; :meth:`request` one figure from a timeseries already
    written as parquet, then :meth:`done` says whether it was drawn (``False``: the
    helper is gone or failed, draw it yourself). It exits after one figure, or when its
    parent does.
    """

    def __init__(self, proc: Any):
        self.proc = proc
        self.path: Path | None = None  # the figure asked for

    @classmethod
    def start(cls, lang: str) -> PlotHelper | None:
        import os
        import subprocess
        import sys

        # The helper imports this same copy of abm, wherever the parent found it.
        here = str(Path(__file__).resolve().parent.parent)
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (here, env.get("PYTHONPATH")) if p)
        try:
            proc = subprocess.Popen([sys.executable, "-c", "import sys; from abm.plots "
                                     "import _serve; _serve(*sys.argv[1:])", lang],
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=subprocess.DEVNULL, env=env, text=True)
        except OSError:
            return None
        return cls(proc)

    def request(self, ts_parquet: Path, path: Path, title: str, lang: str) -> bool:
        """Ask for the figure (returns at once); ``False`` if the helper is gone."""
        import json

        self.path = Path(path)
        try:
            self.proc.stdin.write(json.dumps({"ts": str(ts_parquet), "png": str(path),
                                              "title": title, "lang": lang,
                                              "causes": list(return_causes())}) + "\n")
            self.proc.stdin.close()
        except (OSError, ValueError):
            self.close()
            return False
        return True

    def done(self) -> bool:
        """Wait for the requested figure; whether it was drawn."""
        try:
            answer = self.proc.stdout.readline().strip()
        except (OSError, ValueError):
            answer = ""
        self.close()
        return answer == "ok" and self.path is not None and self.path.is_file()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        if self.proc.stdout is not None:
            self.proc.stdout.close()


def _warm_up_series(months: int = 24) -> pd.DataFrame:
    """A made-up timeseries with every column :func:`plot_main_series` draws."""
    import numpy as np
    import pandas as pd

    k = np.arange(months)
    cols: dict[str, Any] = {"year": 2021 + k // 12, "month": k,
                            "poverty_rate": 0.01 + 0.001 * k,
                            "poverty_rate_registered": 0.02 + 0.001 * k,
                            "poverty_line": 4000.0 + 10.0 * k,
                            "mean_motivation": 0.6 + 0.0 * k, "mean_skills": 0.4 + 0.0 * k,
                            "share_workers_migrant": 0.3 + 0.0 * k}
    for c in return_causes():
        cols[f"new_returned_{c}"] = k % 3
    for c, _ in SOURCE_COLUMNS:
        cols[c] = 3000.0 + 5.0 * k
    return pd.DataFrame(cols)


def _warm_up(lang: str, asked) -> None:
    """Draw a made-up figure to memory and throw it away, as :func:`plot_main_series`
    would (making the figure, its layout, the drawing), stopping between the three as
    soon as ``asked()`` is true."""
    import matplotlib.pyplot as plt

    if asked():
        return
    fig = main_series_figure(_warm_up_series(), "warm-up", lang)
    try:
        if asked():
            return
        lay_out(fig)
        if asked():
            return
        _png_bytes(fig)
    finally:
        plt.close(fig)


def _serve(lang: str) -> None:
    """The helper process of :class:`PlotHelper`: get ready, then draw one figure, with
    the causes of return the parent's request names (:func:`return_causes` there)."""
    import gc
    import json
    import select
    import sys

    global _return_causes
    _return_causes = tuple(CAUSE_COLOURS)  # the warm-up's, until the request comes
    # The figure is wanted only when the run ends: until then the run's own threads
    # (the model's, the helper's split passes and draws) go first on a busy core.
    if hasattr(os, "nice"):
        try:
            os.nice(10)
        except OSError:
            pass

    # The slow part, done while the parent imports and runs the model: matplotlib and
    # the fonts, then a first figure for the text layout caches (drawn to memory and
    # thrown away, in stages: it stops as soon as the figure is asked for, so a short
    # run's figure waits for one stage of the warm-up at most), then the parquet reader.
    import matplotlib.pyplot  # noqa: F401
    import pandas as pd

    use_cjk_font()

    def asked() -> bool:
        return bool(select.select([sys.stdin], [], [], 0)[0])

    _warm_up(lang, asked)
    if not asked():
        # the parquet reader the figure's data come through (its first read loads
        # pyarrow's dataset modules)
        pd.read_parquet(io.BytesIO(_warm_up_series().to_parquet()))
    # What is alive now lives until this process ends: out of the collector's full
    # passes, one of which would otherwise walk all of matplotlib and pandas while the
    # figure the run waits for is drawn (0.1 to 0.2 s).
    gc.freeze()
    line = sys.stdin.readline()
    if not line:
        return
    req = json.loads(line)
    _return_causes = tuple(req["causes"])
    # Any error ends this process without "ok"; the parent then draws the figure itself.
    plot_main_series(pd.read_parquet(req["ts"]), Path(req["png"]), title=req["title"],
                     lang=req["lang"])
    print("ok", flush=True)
