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


def test_the_helper_starts_before_the_model_is_imported():
    """``abm run`` starts the helper right after reading the config, so that its imports
    use the other core while the run imports the model: starting it must not import
    pandas or the households' modules (numba)."""
    import subprocess
    import sys

    code = ("import sys\n"
            "from abm.plots import PlotHelper\n"
            "helper = PlotHelper.start('en')\n"
            "helper.close()\n"
            "print(sorted(m for m in ('pandas', 'numba', 'abm.households') "
            "if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    assert out.stdout.strip() == "[]"


def test_the_warm_up_stops_between_its_stages_when_the_figure_is_asked_for():
    import matplotlib.pyplot as plt

    answers = iter([False, True])  # asked after the figure is made
    asks = []

    def asked() -> bool:
        asks.append(1)
        return next(answers)

    plots._warm_up("en", asked)
    assert len(asks) == 2  # before the figure, and before its layout: then it stopped
    assert plt.get_fignums() == []  # and the figure it made is closed

    asks.clear()
    plots._warm_up("en", lambda: asks.append(1) or False)
    assert len(asks) == 3 and plt.get_fignums() == []  # all three stages
