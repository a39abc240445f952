"""Static figures drawn on the server with matplotlib (Agg; no display, no internet)."""

from __future__ import annotations

from pathlib import Path

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


def _date_axis(ts: pd.DataFrame) -> pd.Series:
    return ts["year"] + (ts["month"] % 12) / 12.0


def plot_main_series(ts: pd.DataFrame, path: Path, title: str = "") -> None:
    """Four panels: poverty, returns by cause, income by source, motivation and skills."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(2, 2, figsize=(11, 7), dpi=90)
    x = _date_axis(ts)
    ax = axes[0, 0]
    ax.plot(x, 100 * ts["poverty_rate"], label="all households")
    ax.plot(x, 100 * ts["poverty_rate_registered"], label="registered 2014-2020")
    ax.set_ylabel("below poverty line, %")
    ax.set_title("Poverty")
    ax.legend(fontsize=8)

    ax = axes[0, 1]
    yearly = ts.groupby("year")[[f"new_returned_{c}" for c in RETURN_CAUSES]].sum()
    bottom = None
    for c in RETURN_CAUSES:
        vals = yearly[f"new_returned_{c}"]
        if vals.sum() == 0:
            continue
        ax.bar(yearly.index, vals, bottom=bottom, label=c, color=CAUSE_COLOURS.get(c))
        bottom = vals if bottom is None else bottom + vals
    ax.set_title("Returns to poverty by measured cause")
    ax.set_ylabel("households per year")
    if bottom is not None:
        ax.legend(fontsize=7, ncol=2)

    ax = axes[1, 0]
    ax.stackplot(x, *[ts[c] for c, _ in SOURCE_COLUMNS], labels=[n for _, n in SOURCE_COLUMNS])
    ax.plot(x, ts["poverty_line"], color="k", lw=1, ls="--", label="poverty line")
    ax.set_title("Income per person by source")
    ax.set_ylabel("yuan / person / year")
    ax.legend(fontsize=7, loc="upper left")

    ax = axes[1, 1]
    ax.plot(x, ts["mean_motivation"], label="motivation")
    ax.plot(x, ts["mean_skills"], label="skills")
    ax.plot(x, ts["share_workers_migrant"], label="workers away (share)")
    ax.set_ylim(0, 1)
    ax.set_title("Households")
    ax.legend(fontsize=8)
    for a in axes.ravel():
        a.grid(alpha=0.3)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    # Fixed metadata so the PNG bytes depend only on the data.
    fig.savefig(path, metadata={"Software": None})
    plt.close(fig)
