"""`abm run` writes the documented files, and they can be read back."""

from __future__ import annotations

import json

import pandas as pd

from abm.cli import main
from abm.config import load_config
from abm.schema_docs import ROOT, baseline_yaml, parameters_markdown


def test_run_writes_all_outputs(tmp_path, capsys):
    out = tmp_path / "run"
    code = main(["run", "configs/baseline.yaml", "--households", "700", "--months", "14",
                 "--seed", "3", "--set", "county.name=Test county", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    ts = pd.read_parquet(out / "timeseries.parquet")
    assert len(ts) == 14 and ts["month"].tolist() == list(range(14))
    assert {"poverty_rate", "income_pc", "new_returned_to_poverty", "share_wages"} <= set(ts)
    ev = pd.read_parquet(out / "events.parquet")
    assert list(ev.columns) == ["month", "household", "township", "village", "event", "cause",
                                "cause2", "livelihood"]
    assert set(ev["livelihood"].cat.categories) == {"farming", "business", "local_wage", "migrant",
                                                    "transfers"}
    assert ev["household"].between(0, 699).all()
    # the resolved config reloads to the same config
    again = load_config(out / "config.yaml")
    assert again.run.seed == 3 and again.run.households == 700
    assert again.county.name == "Test county"
    assert again == load_config(None, ["county.name=Test county"], seed=3, households=700,
                                months=14)
    summary = json.loads((out / "summary.json").read_text())
    assert summary["seed"] == 3 and summary["versions"]["mesa"].startswith("3.5")
    assert (out / "main_series.png").read_bytes()[:4] == b"\x89PNG"
    assert not list(tmp_path.glob(".*tmp*"))
    printed = capsys.readouterr().out
    assert "wrote" in printed
    # returns as the field counts them (the December census), beside every monthly fall
    census = int(ts["cum_returned_census"].iloc[-1])
    assert summary["headline"]["returned_census"] == census
    assert f"returns to poverty {census:,} by the year-end censuses" in printed


def test_rerun_into_existing_folder_replaces_files_with_overwrite(tmp_path):
    out = tmp_path / "run"
    args = ["run", "configs/baseline.yaml", "--households", "300", "--months", "3"]
    assert main([*args, "--seed", "1", "--out", str(out)]) == 0
    first = (out / "timeseries.parquet").read_bytes()
    assert main([*args, "--seed", "2", "--out", str(out)]) == 2  # kept without --overwrite
    assert (out / "timeseries.parquet").read_bytes() == first
    assert main([*args, "--seed", "2", "--out", str(out), "--overwrite"]) == 0
    assert (out / "timeseries.parquet").read_bytes() != first


def test_generated_docs_are_up_to_date():
    """docs/parameters.md and configs/baseline.yaml are generated from the schema."""
    assert (ROOT / "docs" / "parameters.md").read_text() == parameters_markdown(), \
        "run: uv run python -m abm.schema_docs"
    assert (ROOT / "configs" / "baseline.yaml").read_text() == baseline_yaml(), \
        "run: uv run python -m abm.schema_docs"


def test_every_county_preset_loads_and_runs(tmp_path):
    presets = sorted((ROOT / "configs" / "counties").glob("*.yaml"))
    assert len(presets) == 5
    names = set()
    for p in presets:
        out = tmp_path / p.stem
        assert main(["run", str(p), "--households", "400", "--months", "2", "--out",
                     str(out)]) == 0
        names.add(load_config(out / "config.yaml").county.name)
    assert names == {"Y County", "H County", "Laoling", "Lankao", "P County"}
