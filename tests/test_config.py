"""Configuration: defaults load, every kind of bad input is refused with the key named."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from abm.cli import main
from abm.config import Config, ConfigError, load_config, parameter_table

ROOT = Path(__file__).resolve().parent.parent


def test_baseline_matches_defaults():
    assert load_config(ROOT / "configs" / "baseline.yaml") == Config()


def test_every_parameter_documented():
    rows = parameter_table()
    assert len(rows) > 60
    for r in rows:
        assert r["meaning"], f"{r['key']} has no meaning"
        if r["type"] in ("int", "float"):
            assert r["unit"], f"{r['key']} has no unit"
            assert r["min"] is not None and r["max"] is not None, f"{r['key']} has no range"


def test_overrides_apply_and_validate():
    cfg = load_config(None, ["health.p_acute=0.02", "county.name=Lankao"], seed="7",
                      households=100)
    assert cfg.health.p_acute == 0.02
    assert cfg.county.name == "Lankao"
    assert cfg.run.seed == 7 and cfg.run.households == 100
    with pytest.raises(ConfigError) as e:
        load_config(None, ["health.p_acute=2"])
    assert e.value.key == "health.p_acute" and "<= 1" in e.value.message


def test_config_is_frozen():
    cfg = Config()
    with pytest.raises(ValidationError):
        cfg.run.seed = 3  # type: ignore[misc]


BAD = [
    # (yaml text or None, extra args, expected fragments of the one-line message)
    ("run: {months: 12\n", [], ["bad.yaml", "malformed YAML"]),
    ("run: {montsh: 12}\n", [], ["bad.yaml", "run.montsh", "unknown key", "months"]),
    ("county:\n  network: {k_neighbors: 4}\n", [],
     ["county.network.k_neighbors", "unknown key", "k_neighbours"]),
    ("health: {p_acute: lots}\n", [], ["health.p_acute", "number"]),
    ("health: {p_acute: 1.5}\n", [], ["health.p_acute", "<= 1"]),
    ("- just\n- a list\n", [], ["bad.yaml", "mapping"]),
    ("county: {network: {k_neighbours: 3}}\n", [], ["k_neighbours", "even"]),
    (None, ["--households", "0"], ["--households", "run.households", ">= 1"]),
    (None, ["--households", "-5"], ["--households", ">= 1"]),
    (None, ["--months", "0"], ["--months", "run.months", ">= 1"]),
    (None, ["--seed", "abc"], ["--seed", "run.seed", "integer"]),
    (None, ["--seed", "1.5"], ["--seed", "run.seed"]),
    (None, ["--set", "health.no_such=1"], ["--set", "health.no_such", "no such parameter"]),
    (None, ["--set", "health=1"], ["--set", "health", "no such parameter"]),
    (None, ["--set", "economy.remit_share"], ["--set", "expected dotted.key=VALUE"]),
    (None, ["--set", "economy.remit_share=-0.1"], ["--set", "economy.remit_share", ">= 0"]),
]


@pytest.mark.parametrize("text,args,fragments", BAD)
def test_bad_input_one_line_exit_2_nothing_written(tmp_path, capsys, text, args, fragments):
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(text if text is not None else "run: {months: 2, households: 50}\n")
    out = tmp_path / "out"
    code = main(["run", str(cfg), "--out", str(out), *args])
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1, err
    assert "Traceback" not in err
    for f in fragments:
        assert f in err, (f, err)
    assert not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml"]


def test_missing_file(tmp_path, capsys):
    code = main(["run", str(tmp_path / "nope.yaml"), "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert code == 2 and "nope.yaml" in err and "file not found" in err
    assert not (tmp_path / "o").exists()


def test_unknown_option_is_one_line(capsys):
    assert main(["run", "configs/baseline.yaml", "--bogus", "1"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--bogus" in err


def test_real_entry_point_exit_code(tmp_path):
    """The installed `abm` script (not just main()) exits 2 with one line."""
    bad = tmp_path / "c.yaml"
    bad.write_text("population: {p_child: 0.8, p_elderly_member: 0.5}\n")
    r = subprocess.run([sys.executable, "-m", "abm.cli", "run", str(bad), "--out",
                        str(tmp_path / "o")], capture_output=True, text=True, cwd=ROOT)
    assert r.returncode == 2
    assert r.stderr.strip().count("\n") == 0 and "p_child" in r.stderr
    assert not (tmp_path / "o").exists()


def test_every_parameter_names_its_source_or_says_it_is_an_assumption():
    from abm.config import parameter_table
    from abm.params import ASSUMPTION, SETTING

    rows = parameter_table()
    assert all(r["source"] for r in rows), [r["key"] for r in rows if not r["source"]]
    kinds = {"assumption" if r["source"] == ASSUMPTION else
             "setting" if r["source"] == SETTING else "sourced" for r in rows}
    assert kinds == {"assumption", "setting", "sourced"}
    with pytest.raises(ValueError, match="source"):
        from abm.params import P

        P(1.0, unit="-", doc="a constant nobody accounted for", source="")
