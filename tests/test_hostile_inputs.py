"""Bad input, hostile or unlucky, ends in exit 2 with one short line and nothing written.

Inputs that used to exhaust memory or hang (alias bombs, huge lists, deep nesting,
/dev/zero, a FIFO, huge experiment plans) run in a child process under a memory cap
(resource.setrlimit), so a regression fails the test instead of the machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from abm.cli import MAX_MESSAGE, main
from abm.config import ConfigError, load_config
from abm.experiments.design import load_plan
from abm.yamlio import MAX_DEPTH, MAX_NODES, parse_value

REPO = Path(__file__).resolve().parents[1]
BASE = REPO / "configs" / "baseline.yaml"
SMALL = ["--months", "2", "--households", "100"]
MEMORY_CAP = 3 * 2**30  # address space of the child, bytes


def alias_bomb(levels: int = 9, width: int = 9) -> str:
    """A "billion laughs" flow sequence: width**levels strings when expanded."""
    parts = ["&a0 [" + ", ".join(["lol"] * width) + "]"]
    for i in range(1, levels):
        parts.append(f"&a{i} [" + ", ".join([f"*a{i - 1}"] * width) + "]")
    return "[" + ", ".join(parts) + f", *a{levels - 1}]"


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1, err[:2000]
    assert lines[0].startswith("abm: error: ") and "Traceback" not in err
    assert len(lines[0]) <= len("abm: error: ") + MAX_MESSAGE
    # The CLI names a parameter's label after its key ("run.seed (Seed):"); the checks
    # below are about the key and the message.
    return re.sub(r"(: [\w.]+) \([^():]*\):", r"\1:", lines[0])


def tree(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


# ------------------------------------------------- inputs that exhaust the machine
CAPPED = textwrap.dedent("""
    import contextlib, io, json, resource, sys
    cap = int(sys.argv[1])
    resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
    from abm.cli import main
    results = []
    for argv in json.loads(sys.argv[2]):
        err = io.StringIO()
        with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
            code = main(argv)
        results.append([code, err.getvalue()])
    print(json.dumps(results))
""")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    d = tmp_path_factory.mktemp("hostile")
    (d / "bomb.yaml").write_text(f"county:\n  name: {alias_bomb()}\n")
    (d / "wide.yaml").write_text("county:\n  name: [" + ",".join(["1"] * 300_000) + "]\n")
    (d / "deep.yaml").write_text("county:\n  name: " + "[" * 100_000 + "]" * 100_000 + "\n")
    (d / "recursive.yaml").write_text("county:\n  name: &a [1, *a]\n")
    (d / "huge.yaml").write_text("# padding\n" * 200_000)
    os.mkfifo(d / "fifo.yaml")
    grid = {f"health.{k}": {"start": 0.001, "stop": 0.01, "num": 100}
            for k in ("p_acute", "p_chronic", "p_disability", "p_recover")}
    grid |= {"economy.p_local_work": {"start": 0.1, "stop": 0.9, "num": 100},
             "economy.p_migrant_work": {"start": 0.1, "stop": 0.9, "num": 100}}
    for name, extra in (("grid", {"factors": grid}),
                        ("lhs", {"replicates": 999, "design": {
                            "method": "lhs", "n": 1_000_000,
                            "parameters": {"health.p_acute": [0.001, 0.02]}}})):
        (d / f"{name}.yaml").write_text(yaml.safe_dump({"base": str(BASE), **extra}))
    return d


def run_capped(argvs: list[list[str]]) -> list[tuple[int, str]]:
    proc = subprocess.run([sys.executable, "-c", CAPPED, str(MEMORY_CAP), json.dumps(argvs)],
                          capture_output=True, text=True, cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return [tuple(r) for r in json.loads(proc.stdout)]


def test_inputs_that_exhausted_memory_or_hung_are_refused_in_one_line(hostile: Path):
    out = hostile / "out"
    cases = [
        (["run", str(hostile / "bomb.yaml")], f"more than {MAX_NODES:,} values"),
        (["run", str(BASE), "--set", f"county.name={alias_bomb()}"], "county.name: holds more"),
        (["run", str(hostile / "wide.yaml")], f"more than {MAX_NODES:,} values"),
        (["run", str(hostile / "deep.yaml")], f"nested deeper than {MAX_DEPTH} levels"),
        (["run", str(hostile / "recursive.yaml")], "recursive structure"),
        (["run", str(hostile / "huge.yaml")], "a YAML file here may hold at most"),
        (["run", "/dev/zero"], "/dev/zero: is not a regular file"),
        (["run", str(hostile / "fifo.yaml")], "fifo.yaml: is not a regular file"),
        (["batch", str(hostile / "grid.yaml")], "asks for 1,000,000,000,000 runs"),
        (["batch", str(hostile / "lhs.yaml")], "asks for 999,000,000 runs"),
    ]
    results = run_capped([[*argv, "--out", str(out)] for argv, _ in cases])
    for (argv, words), (code, err) in zip(cases, results, strict=True):
        assert code == 2, (argv[:2], err[:500])
        assert words in one_error_line(err), (argv[:2], err[:500])
    assert "--max-runs 1000000000000" in results[8][1]
    assert not out.exists()


# --------------------------------------------------------- values and files
@pytest.mark.parametrize("args, words", [
    (["--seed", "yes"], "--seed: run.seed: expected a whole number"),
    (["--months", "1:00"], "--months: run.months: expected a whole number"),
    (["--seed", "0x10"], "--seed: run.seed: expected a whole number"),
    (["--households", "1e3"], "--households: run.households: expected a whole number"),
    (["--set", "run.months=1:00"], "--set: run.months: input should be a valid integer"),
    (["--set", "run.seed=0x10"], "--set: run.seed: input should be a valid integer"),
    (["--set", "run.seed=yes"], "--set: run.seed: input should be a valid integer"),
])
def test_yaml_1_1_readings_of_command_line_values_are_refused(tmp_path: Path, capsys,
                                                              args: list[str], words: str):
    # No --months here: the flag would win over --set run.months.
    assert main(["run", str(BASE), "--households", "100", *args, "--out",
                 str(tmp_path / "o")]) == 2
    assert words in one_error_line(capsys.readouterr().err)
    assert not (tmp_path / "o").exists()


def test_command_line_values_are_yaml_1_2_core():
    assert parse_value("yes") == "yes" and parse_value("on") == "on"
    assert parse_value("1:00") == "1:00" and parse_value("0x10") == "0x10"
    assert parse_value("010") == 10 and parse_value("-3") == -3
    assert parse_value("1e3") == 1000.0 and parse_value("0.5") == 0.5
    assert parse_value("true") is True and parse_value("null") is None
    assert parse_value("[1, 2]") == [1, 2]
    cfg = load_config(None, ["county.name=yes"], seed="010")
    assert cfg.county.name == "yes" and cfg.run.seed == 10


@pytest.mark.parametrize("text, words", [
    ("run:\n  seed: 1\n  seed: 2\n", "line 3: duplicate key 'seed' (first on line 2)"),
    ("run: {seed: 1}\nrun: {months: 3}\n", "line 2: duplicate key 'run'"),
    ("industry:\n  sectors: {grain: .inf, livestock: 0.3}\n", "finite, non-negative"),
    ("industry:\n  sectors: {grain: .nan, livestock: 0.3}\n", "finite, non-negative"),
    ("industry:\n  sectors: {grain: 1e308, livestock: 1.0e308}\n", "positive, finite sum"),
])
def test_duplicate_keys_and_infinite_shares_are_refused(tmp_path: Path, capsys, text: str,
                                                        words: str):
    path = tmp_path / "c.yaml"
    path.write_text(text)
    assert main(["run", str(path), *SMALL, "--out", str(tmp_path / "o")]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert str(path) in line and words in line
    assert tree(tmp_path) == ["c.yaml"]


def test_a_merge_key_is_not_a_duplicate(tmp_path: Path):
    path = tmp_path / "c.yaml"
    path.write_text("x: &h {months: 5, households: 100}\nrun:\n  <<: *h\n  months: 3\n")
    with pytest.raises(ConfigError, match="x: unknown key"):
        load_config(path)
    path.write_text("run: &h {months: 5, households: 100}\n")
    assert load_config(path).run.months == 5


def test_a_long_bad_value_is_quoted_as_a_short_prefix(tmp_path: Path, capsys):
    values = "[" + ",".join(["1"] * 4000) + "]"
    assert main(["run", str(BASE), "--set", f"county.name={values}", "--out",
                 str(tmp_path / "o")]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert line.startswith("abm: error: --set: county.name: ") and " ... " in line
    path = tmp_path / "e.yaml"
    path.write_text(yaml.safe_dump({"base": str(BASE), "seed": [1] * 5000}))
    assert main(["batch", str(path), "--out", str(tmp_path / "o")]) == 2
    line = one_error_line(capsys.readouterr().err)
    assert "e.yaml: seed: " in line and "characters)" in line
    assert not (tmp_path / "o").exists()


def test_scheduler_that_is_not_an_address_is_bad_input(tmp_path: Path, capsys):
    exp = tmp_path / "e.yaml"
    exp.write_text(yaml.safe_dump({"base": str(BASE), "months": 2, "households": 100}))
    for argv in (["batch", str(exp)], ["attribute", str(BASE)]):
        assert main([*argv, "--scheduler", "notaurl", "--out", str(tmp_path / "o")]) == 2
        assert "--scheduler: notaurl: expected tcp://HOST:PORT" in one_error_line(
            capsys.readouterr().err)
    assert tree(tmp_path) == ["e.yaml"]


def test_the_plan_limit_can_be_raised(tmp_path: Path):
    exp = tmp_path / "e.yaml"
    exp.write_text(yaml.safe_dump({"base": str(BASE), "months": 2, "households": 100,
                                   "replicates": 30}))
    with pytest.raises(ConfigError, match="asks for 30 runs .*allow it with --max-runs 30"):
        load_plan(exp, max_runs=20)
    assert len(load_plan(exp, max_runs=30).runs) == 30


# ------------------------------------------------------------- output folders
def test_output_folder_cannot_be_written_exits_2_before_any_work(tmp_path: Path, capsys):
    for out in ("/proc/abm-run", "/proc/self/abm-run", "/dev/null/abm-run"):
        assert main(["run", str(BASE), *SMALL, "--out", out]) == 2
        assert f"--out: {out}: " in one_error_line(capsys.readouterr().err)
    exp = tmp_path / "e.yaml"
    exp.write_text(yaml.safe_dump({"base": str(BASE), "months": 2, "households": 100}))
    # abm batch and abm attribute check the folder before they start any worker.
    assert main(["batch", str(exp), "--out", "/proc/abm-batch"]) == 2
    assert "--out: /proc/abm-batch: cannot write there" in one_error_line(
        capsys.readouterr().err)
    assert main(["attribute", str(BASE), "--seeds", "1", "--out", "/proc/abm-attr"]) == 2
    assert "--out: /proc/abm-attr: cannot write there" in one_error_line(
        capsys.readouterr().err)
    # The batch lock refuses too, when run_batch is called directly.
    from abm.experiments.engine import run_batch

    with pytest.raises(ConfigError, match="cannot create the folder"):
        run_batch(load_plan(exp), "/proc/abm-batch")


def test_existing_run_is_kept_unless_overwrite_and_stale_tmp_is_cleaned(tmp_path: Path,
                                                                         capsys):
    out = tmp_path / "run"
    args = ["run", str(BASE), *SMALL, "--out", str(out)]
    stale = tmp_path / ".run.tmp-99999999"  # a killed writer (no such pid)
    stale.mkdir()
    (stale / "timeseries.parquet").write_bytes(b"half")
    assert main([*args, "--seed", "1"]) == 0
    assert not stale.exists()
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    capsys.readouterr()
    assert main([*args, "--seed", "2"]) == 2
    assert "holds a finished run; pass --overwrite" in one_error_line(capsys.readouterr().err)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == first
    assert main([*args, "--seed", "2", "--overwrite"]) == 0
    second = {p.name: p.read_bytes() for p in out.iterdir()}
    assert set(second) == set(first) and second["timeseries.parquet"] != first[
        "timeseries.parquet"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # no hidden leftovers
    # A folder with someone else's files is never mixed into, even with --overwrite.
    (out / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert main([*args, "--overwrite"]) == 2
    assert "holds files that are not from abm run (notes.txt)" in capsys.readouterr().err
    assert (out / "notes.txt").read_text() == "mine"


@pytest.fixture()
def shared_dir() -> Iterator[Path]:
    """A folder another user can enter (pytest's tmp folders are private to root)."""
    d = Path(tempfile.mkdtemp(prefix="abm-perm-"))
    d.chmod(0o755)
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


UNPRIVILEGED = textwrap.dedent("""
    import os, sys, tempfile
    import abm.cli, abm.config, abm.runner, abm.yamlio  # noqa: F401 (before dropping rights)
    if os.geteuid() == 0:  # root ignores file permissions: become nobody
        os.setgroups([])
        os.setgid(65534)
        os.setuid(65534)
    sys.exit(abm.cli.main(sys.argv[1:]))
""")


def as_unprivileged(argv: list[str]) -> subprocess.CompletedProcess:
    """``abm ARGV`` in a child that is not root (it drops to user nobody if it is)."""
    return subprocess.run([sys.executable, "-c", UNPRIVILEGED, *argv], capture_output=True,
                          text=True, cwd=REPO, timeout=300)


def test_unreadable_config_and_unwritable_folder_exit_2(shared_dir: Path):
    secret = shared_dir / "secret.yaml"
    secret.write_text("run: {months: 2}\n")
    secret.chmod(0o000)
    proc = as_unprivileged(["run", str(secret)])
    assert proc.returncode == 2, proc.stderr
    assert "secret.yaml: cannot be read (permission denied)" in one_error_line(proc.stderr)
    locked = shared_dir / "locked"
    locked.mkdir(mode=0o555)
    locked.chmod(0o555)
    proc = as_unprivileged(["run", str(BASE), *SMALL, "--out", str(locked / "r")])
    assert proc.returncode == 2, proc.stderr
    assert "cannot write there (Permission denied)" in one_error_line(proc.stderr)
    assert list(locked.iterdir()) == []


# ------------------------------------------------------------------------ fuzz
HOSTILE_VALUES = st.one_of(
    st.none(), st.booleans(), st.integers(-10**20, 10**20),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=30),
    st.sampled_from(["yes", "1:00", "0x10", ".inf", "-.inf", "~", "1e400", "[", "{a: 1",
                     "&a [1, *a]", alias_bomb(7, 9), "\x00", "'", "!!python/object:os.system"]),
    st.lists(st.integers(), max_size=5), st.dictionaries(st.text(max_size=5), st.integers(),
                                                         max_size=3))
KEYS = st.sampled_from(["run.seed", "run.months", "run.households", "county.name",
                        "industry.sectors", "industry.sectors.grain", "health.p_acute",
                        "policy.pension_month", "shocks.price_shocks", "nope.nothing"])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=st.lists(st.tuples(KEYS, HOSTILE_VALUES), min_size=1, max_size=3),
       as_text=st.booleans())
def test_fuzzed_configs_load_or_fail_as_bad_input(edits, as_text):
    """Loading never raises anything but ConfigError (exit 2): files and --set values."""
    data: dict = {"run": {"months": 2, "households": 100}}
    sets = []
    for key, value in edits:
        if as_text and isinstance(value, str):
            sets.append(f"{key}={value}")
            continue
        node = data
        *head, last = key.split(".")
        for part in head:
            node = node.setdefault(part, {}) if isinstance(node.get(part, {}), dict) else {}
        node[last] = value
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "c.yaml"
        text = yaml.safe_dump(data, allow_unicode=True)
        if as_text:
            text += "".join(f"# {s!r}\n" for s in sets)
        path.write_text(text, encoding="utf-8")
        try:
            load_config(path, sets)
        except ConfigError as exc:
            assert len(str(exc).splitlines()) >= 1
        assert sorted(os.listdir(d)) == ["c.yaml"]


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(field=st.sampled_from(["seed", "replicates", "months", "households", "set",
                              "scenarios", "factors", "design", "outputs", "seed_from",
                              "name", "base"]),
       value=HOSTILE_VALUES)
@example(field="base", value="\x00")  # a NUL in a path once escaped as a ValueError
def test_fuzzed_experiment_files_plan_or_fail_as_bad_input(field, value):
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "e.yaml"
        path.write_text(yaml.safe_dump({"base": str(BASE), "months": 2, "households": 100,
                                        field: value}, allow_unicode=True), encoding="utf-8")
        try:
            load_plan(path, max_runs=1000)
        except ConfigError:
            pass
        assert sorted(os.listdir(d)) == ["e.yaml"]
