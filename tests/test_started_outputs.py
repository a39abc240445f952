"""`abm run` starts its files (the timeseries, the PNG asked for) before the events and
the summary are made: the same files as written in one go, and nothing left behind
when the run fails in between."""

from __future__ import annotations

import pytest

from abm import cli
from abm.config import load_config
from abm.model import CountyModel
from abm.plots import PlotHelper
from abm.runner import OUTPUT_FILES, simulate, start_outputs, write_outputs


@pytest.fixture(scope="module")
def result():
    return simulate(load_config(None, households=600, months=13, seed=2))


def _files(folder):
    return {name: (folder / name).read_bytes() for name in OUTPUT_FILES}


def test_started_outputs_are_the_files_written_in_one_go(result, tmp_path):
    whole = write_outputs(result, tmp_path / "whole")
    helper = PlotHelper.start("en")
    try:
        begun = start_outputs(result.config, result.timeseries, tmp_path / "started",
                              plot_helper=helper)
        assert begun.asked and (begun.tmp / "timeseries.parquet").is_file()
        out = write_outputs(result, tmp_path / "started", plot_helper=helper, started=begun)
    finally:
        helper.close()
    assert _files(out) == _files(whole)
    assert not list(tmp_path.glob(".*tmp*"))


def test_outputs_started_for_another_folder_are_started_again(result, tmp_path):
    begun = start_outputs(result.config, result.timeseries, tmp_path / "a")
    out = write_outputs(result, tmp_path / "b", started=begun)
    assert _files(out) == _files(write_outputs(result, tmp_path / "c"))
    assert not (tmp_path / "a").exists() and not list(tmp_path.glob(".*tmp*"))


def test_a_run_failing_after_its_timeseries_leaves_nothing(tmp_path, monkeypatch):
    def broken(self):
        raise RuntimeError("events failed")

    monkeypatch.setattr(CountyModel, "events", broken)
    out = tmp_path / "run"
    with pytest.raises(RuntimeError, match="events failed"):
        cli.main(["run", "configs/baseline.yaml", "--households", "300", "--months", "2",
                  "--out", str(out)])
    assert not out.exists() and not list(tmp_path.glob(".*"))
