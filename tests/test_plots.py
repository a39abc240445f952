"""The run's figure (``main_series.png``): its legends never cover the data."""

from __future__ import annotations

import numpy as np
import pytest

from abm import plots


def _series(months: int, rising: bool):
    """A made-up timeseries whose returns and incomes peak at the start or the end (the
    corners the legends sit in), with every cause present."""
    ts = plots._warm_up_series(months)
    k = np.arange(months)
    shape = k / months if rising else 1.0 - k / months
    for j, c in enumerate(plots.return_causes()):
        ts[f"new_returned_{c}"] = np.rint((20 + 5 * j) * (0.2 + shape)).astype(int)
    for j, (c, _) in enumerate(plots.SOURCE_COLUMNS):
        ts[c] = (1000.0 + 800.0 * j) * (0.5 + shape)
    return ts


def _top_in(ax, renderer, x0: float, x1: float) -> float:
    """The highest point of the panel's bars and filled areas (display units) between
    display x0 and x1."""
    top = -np.inf
    for patch in ax.patches:
        box = patch.get_window_extent(renderer)
        if box.x1 > x0 and box.x0 < x1 and box.height > 0:
            top = max(top, box.y1)
    for coll in ax.collections:
        for path in coll.get_paths():
            xy = coll.get_transform().transform(path.vertices)
            inside = (xy[:, 0] >= x0) & (xy[:, 0] <= x1)
            if inside.any():
                top = max(top, xy[inside, 1].max())
    return top


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("rising", [True, False])
def test_legends_sit_above_the_bars_and_the_incomes(lang, rising):
    import matplotlib.pyplot as plt

    fig = plots.main_series_figure(_series(120, rising), "County, seed 1", lang)
    try:
        plots.lay_out(fig)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        returns, incomes = fig.axes[1], fig.axes[2]
        for ax in (returns, incomes):
            legend = ax.get_legend().get_window_extent(renderer)
            top = _top_in(ax, renderer, legend.x0, legend.x1)
            assert np.isfinite(top)  # the panel has data under the legend's width
            assert top < legend.y0, (ax.get_title(), top, legend.y0)
    finally:
        plt.close(fig)


def test_the_data_still_fill_most_of_the_panels():
    """Room for the legend, not a squashed chart: the tallest bar and the highest income
    reach at least half the panel's height."""
    import matplotlib.pyplot as plt

    fig = plots.main_series_figure(_series(120, True), "", "en")
    try:
        plots.lay_out(fig)
        fig.canvas.draw()
        renderer = fig.canvas.get_renderer()
        for ax in (fig.axes[1], fig.axes[2]):
            box = ax.get_window_extent(renderer)
            top = _top_in(ax, renderer, box.x0, box.x1)
            assert top - box.y0 > 0.5 * box.height, ax.get_title()
    finally:
        plt.close(fig)


def test_every_cause_has_a_colour_of_its_own():
    """The returns' panel tells the causes apart: each cause of the ledger has its own
    colour (before, the asset sales took the job losses' blue and the business failures
    the market's orange from matplotlib's cycle)."""
    causes = plots.return_causes()
    colours = [plots.CAUSE_COLOURS.get(c) for c in causes]
    assert None not in colours, [c for c in causes if c not in plots.CAUSE_COLOURS]
    assert len(set(colours)) == len(colours)
