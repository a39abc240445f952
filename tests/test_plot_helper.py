"""The PNG helper process draws the same bytes as drawing in the process."""

from __future__ import annotations

from abm import plots


def test_helper_draws_the_figure_as_the_process_would(tmp_path):
    ts = plots._warm_up_series(36)
    ts.to_parquet(tmp_path / "timeseries.parquet", index=False)
    helper = plots.PlotHelper.start("en")
    assert helper is not None
    png = tmp_path / "helper.png"
    assert helper.request(tmp_path / "timeseries.parquet", png, "County, seed 3", "en")
    assert helper.done()
    assert helper.proc.returncode is not None  # closed after its one figure
    here = tmp_path / "here.png"
    plots.plot_main_series(ts, here, title="County, seed 3", lang="en")
    assert png.read_bytes() == here.read_bytes()


def test_a_helper_that_is_gone_says_so(tmp_path):
    helper = plots.PlotHelper.start("en")
    helper.close()
    assert not helper.request(tmp_path / "timeseries.parquet", tmp_path / "x.png", "", "en")
