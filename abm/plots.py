"""Static figures drawn on the server with matplotlib (Agg; no display, no internet).

Chinese labels use Noto Sans CJK SC, shipped by the ``mplfonts`` package from PyPI
(a dependency, so ``uv sync`` installs it): :func:`use_cjk_font` registers it as the
fallback after DejaVu Sans, so Latin text looks as before and Chinese has no boxes.
"""

from __future__ import annotations

import importlib.util
import io
from functools import cache
from pathlib import Path
from typing import Any

import pandas as pd

from abm.households.state import RETURN_CAUSES

CAUSE_COLOURS = {
    "illness": "#d62728", "disability": "#9467bd", "job_loss": "#1f77b4",
    "market": "#ff7f0e", "epidemic": "#8c564b", "disaster": "#7f7f7f",
    "policy_withdrawal": "#e377c2", "aging": "#bcbd22", "low_income": "#17becf",
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


def save_png(fig: Any, path: Path | None = None) -> bytes:
    """Lay out, write (to ``path`` if given) and close; the PNG bytes."""
    import matplotlib.pyplot as plt

    for ax in fig.axes:
        ax.grid(alpha=0.3)
    fig.tight_layout()
    buf = io.BytesIO()
    # Fixed metadata so the PNG bytes depend only on the data.
    fig.savefig(buf, format="png", metadata={"Software": None})
    plt.close(fig)
    data = buf.getvalue()
    if path is not None:
        Path(path).write_bytes(data)
    return data


def _date_axis(ts: pd.DataFrame) -> pd.Series:
    return ts["year"] + (ts["month"] % 12) / 12.0


def plot_main_series(ts: pd.DataFrame, path: Path, title: str = "",
                     lang: str | None = None) -> None:
    """Four panels: poverty, returns by cause, income by source, motivation and skills;
    labels in ``lang`` (default: ``abm --lang``, ``$ABM_LANG`` or the locale)."""
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
    yearly = ts.groupby("year")[[f"new_returned_{c}" for c in RETURN_CAUSES]].sum()
    bottom = None
    for c in RETURN_CAUSES:
        vals = yearly[f"new_returned_{c}"]
        if vals.sum() == 0:
            continue
        ax.bar(yearly.index, vals, bottom=bottom, label=i18n.cause(c, lang),
               color=CAUSE_COLOURS.get(c))
        bottom = vals if bottom is None else bottom + vals
    ax.set_title(t("returns"))
    ax.set_ylabel(t("returns_ylabel"))
    if bottom is not None:
        ax.legend(fontsize=7, ncol=2)

    ax = axes[1, 0]
    ax.stackplot(x, *[ts[c] for c, _ in SOURCE_COLUMNS],
                 labels=[i18n.metric(c, lang).label for c, _ in SOURCE_COLUMNS])
    ax.plot(x, ts["poverty_line"], color="k", lw=1, ls="--", label=t("poverty_line"))
    ax.set_title(t("income"))
    ax.set_ylabel(t("income_ylabel"))
    ax.legend(fontsize=7, loc="upper left")

    ax = axes[1, 1]
    ax.plot(x, ts["mean_motivation"], label=t("motivation"))
    ax.plot(x, ts["mean_skills"], label=t("skills"))
    ax.plot(x, ts["share_workers_migrant"], label=t("workers_away"))
    ax.set_ylim(0, 1)
    ax.set_title(t("households"))
    ax.legend(fontsize=8)
    if title:
        fig.suptitle(title)
    save_png(fig, path)
