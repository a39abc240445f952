"""Shapley attribution: the arithmetic, and that every ideal override is a real key."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from abm.attribution import (
    CAUSE_SERIES,
    FACTORS,
    IDEAL,
    INDICATORS,
    OUTCOMES,
    _write_against,
    all_combos,
    attribute,
    by_cause,
    combo_name,
    combo_overrides,
    compare,
    plot_causes,
    shapley,
)
from abm.config import load_config
from abm.plots import CAUSE_COLOURS

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "baseline.yaml"

def test_sixteen_distinct_combinations():
    combos = all_combos()
    assert len(combos) == 16 and len({combo_name(c) for c in combos}) == 16
    assert combo_name(frozenset()) == "as_is"
    assert combo_name(frozenset({"env", "policy"})) == "ideal_policy_env"


def test_additive_game_gives_each_factor_its_own_effect():
    effect = {"policy": 10.0, "org": 5.0, "target": 3.0, "env": 2.0}
    values = {c: 100.0 - sum(effect[f] for f in c) for c in all_combos()}
    phi = shapley(values)
    assert phi == pytest.approx(effect)


def test_shapley_values_add_up_to_the_gap_with_interactions():
    # org only helps when policy is ideal too (an interaction): they split it equally
    def outcome(c):
        return 50.0 - (8.0 if {"policy", "org"} <= c else 0.0) - (4.0 if "env" in c else 0)
    phi = shapley({c: outcome(c) for c in all_combos()})
    assert sum(phi.values()) == pytest.approx(12.0)
    assert phi["policy"] == pytest.approx(4.0) and phi["org"] == pytest.approx(4.0)
    assert phi["target"] == pytest.approx(0.0) and phi["env"] == pytest.approx(4.0)


def test_attribute_summarises_over_replicates():
    rows = []
    for rep, noise in ((0, 0.0), (1, 1.0), (2, -1.0)):
        for c in all_combos():
            rows.append({"scenario": combo_name(c), "replicate": rep,
                         "y": 40.0 + noise - 10.0 * ("org" in c) - 2.0 * ("env" in c)})
    table = attribute(pd.DataFrame(rows), "y").set_index("factor")
    assert table.loc["org", "mean"] == pytest.approx(10.0)
    assert table.loc["gap", "mean"] == pytest.approx(12.0)
    assert table.loc["org", "share_of_gap"] == pytest.approx(10 / 12)
    assert table.loc["policy", "ci_low"] <= 0 <= table.loc["policy", "ci_high"]


def test_each_factor_alone_is_reported_beside_its_shapley_value():
    # policy and org overlap: either removes the same 8 (the Shapley values split it,
    # 4 each; alone, each removes all 8); env removes 4 on its own
    rows = []
    for rep, noise in ((0, 0.0), (1, 2.0), (2, -2.0)):
        for c in all_combos():
            y = 50.0 + noise - (8.0 if c & {"policy", "org"} else 0.0) - 4.0 * ("env" in c)
            rows.append({"scenario": combo_name(c), "replicate": rep, "y": y})
    table = attribute(pd.DataFrame(rows), "y").set_index("factor")
    assert table.loc["policy", "mean"] == pytest.approx(4.0)
    assert table.loc["policy", "alone"] == pytest.approx(8.0)
    assert table.loc["org", "alone"] == pytest.approx(8.0)
    assert table.loc["env", "alone"] == pytest.approx(4.0)
    assert table.loc["target", "alone"] == pytest.approx(0.0)
    assert table.loc["gap", "alone"] == pytest.approx(12.0)  # all four
    assert table.loc["policy", "alone_share"] == pytest.approx(8.0 / 50.0)
    # the values alone do not add up to the gap (the overlap counts twice)
    assert table.loc[list(FACTORS), "alone"].sum() == pytest.approx(20.0)
    # against a county where only policy removes those 8, org alone removes 8/50 more
    other = []
    for rep, noise in ((0, 0.0), (1, 2.0), (2, -2.0)):
        for c in all_combos():
            y = 50.0 + noise - (8.0 if "policy" in c else 0.0) - 4.0 * ("env" in c)
            other.append({"scenario": combo_name(c), "replicate": rep, "y": y})
    t = compare(pd.DataFrame(rows), pd.DataFrame(other), "y").set_index("factor")
    assert t.loc["org", "alone_share_diff"] == pytest.approx(8.0 / 50.0, rel=0.02)
    assert t.loc["org", "alone_share_diff_low"] > 0
    assert t.loc["policy", "alone_share_diff"] == pytest.approx(0.0, abs=1e-9)


def _additive_runs(rng, effects, sd, seeds, base=100.0):
    """Runs of a game in which making a factor ideal removes its effect: each seed draws
    each factor's effect around ``effects`` (so its Shapley value is that draw)."""
    rows = []
    for rep in range(seeds):
        e = {f: effects[f] + sd * rng.standard_normal() for f in FACTORS}
        for c in all_combos():
            rows.append({"scenario": combo_name(c), "replicate": rep,
                         "y": base - sum(e[f] for f in c)})
    return pd.DataFrame(rows)


def test_compare_intervals_cover_the_true_share_difference():
    """Against another county, each factor's share of the gap here minus there: over
    many synthetic pairs of attributions with known shares the 95% interval covers the
    true difference about 95% of the time, and the point estimate is unbiased."""
    rng = np.random.default_rng(7)
    here = {"policy": 10.0, "org": 12.0, "target": 4.0, "env": 6.0}    # org 37.5%
    there = {"policy": 10.0, "org": 4.0, "target": 8.0, "env": 6.0}   # org 14.3%
    true = here["org"] / sum(here.values()) - there["org"] / sum(there.values())
    covered, est = [], []
    for _ in range(300):
        t = compare(_additive_runs(rng, here, 2.0, 10), _additive_runs(rng, there, 2.0, 8),
                    "y").set_index("factor")
        covered.append(t.loc["org", "share_diff_low"] <= true <= t.loc["org", "share_diff_high"])
        est.append(t.loc["org", "share_diff"])
    assert 0.90 <= np.mean(covered) <= 0.99
    assert np.mean(est) == pytest.approx(true, abs=0.01)
    # one pair: the org share is clearly larger here, and values differ by about 8
    t = compare(_additive_runs(rng, here, 2.0, 10), _additive_runs(rng, there, 2.0, 10),
                "y").set_index("factor")
    assert t.loc["org", "share_diff_low"] > 0
    assert t.loc["org", "value_diff_low"] < 8.0 < t.loc["org", "value_diff_high"]
    assert np.isnan(t.loc["gap", "share"])


def test_compare_with_itself_finds_no_difference_and_notes_another_scale(tmp_path):
    runs = _additive_runs(np.random.default_rng(3), {f: 5.0 for f in FACTORS}, 1.0, 5)
    t = compare(runs, runs, "y")
    assert (t["value_diff"] == 0).all()
    f_rows = t[t["factor"] != "gap"]
    assert (f_rows["share_diff_low"] < 0).all() and (f_rows["share_diff_high"] > 0).all()
    runs = runs.rename(columns={"y": "cum_returned_census"}).assign(status="ok")
    md = _write_against(runs, (runs, {"base": "../x/lankao.yaml", "households": 999,
                                      "months": 12}),
                        Path("some/attribution-lankao"), tmp_path, 200, 12, "en")
    assert "`some/attribution-lankao` (lankao.yaml)" in md
    assert "different scales (--households 200 --months 12 here, --households 999" in md
    assert "no difference in share these seeds can tell for idealized policy" in md
    assert "clearly" not in md  # the same runs on both sides
    assert "Returns to poverty (running total): `some" in md and "no complete replicate" in md
    assert (tmp_path / "attribution_against.png").stat().st_size > 10_000
    assert set(pd.read_csv(tmp_path / "attribution_against.csv")["outcome"]) == {
        "cum_returned_census"}


def test_against_refuses_what_is_not_a_finished_attribution(tmp_path):
    """``--against`` names the folder and what is wrong with it: not a folder, no
    results, another kind of experiment, or no complete replicate."""
    from abm.attribution import load_against
    from abm.config import ConfigError

    runs = _additive_runs(np.random.default_rng(1), {f: 5.0 for f in FACTORS}, 1.0, 2)
    runs = runs.rename(columns={"y": "cum_returned_census"}).assign(status="ok")
    folder = tmp_path / "other"
    with pytest.raises(ConfigError, match="is not a folder"):
        load_against(folder)
    folder.mkdir()
    with pytest.raises(ConfigError, match="no finished attribution"):
        load_against(folder)
    runs.to_parquet(folder / "results.parquet")
    (folder / "experiment.yaml").write_text("name: smoke\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="not an attribution"):
        load_against(folder)
    (folder / "experiment.yaml").write_text("name: attribution\n", encoding="utf-8")
    assert len(load_against(folder)[0]) == len(runs)
    runs[runs["scenario"] != "as_is"].to_parquet(folder / "results.parquet")
    with pytest.raises(ConfigError, match="--against: .*other: holds no complete replicate"):
        load_against(folder)


def test_by_cause_splits_each_factors_value_over_the_causes_of_return():
    # Two seeds, three months: illness returns fall by 3 with the policy ideal, market
    # returns by 2 with the environment ideal; the policy ideal also halves the market
    # returns' environment effect (an interaction the Shapley values split).
    rows = []
    for rep in (0, 1):
        for c in all_combos():
            for _month in range(3):
                ill = 2.0 + rep - (1.0 if "policy" in c else 0.0)
                market = 1.0 - (2 / 3 if "env" in c else 0.0) * (0.5 if "policy" in c
                                                                  else 1.0)
                row = {col: 0.0 for col in CAUSE_SERIES}
                row.update({"scenario": combo_name(c), "replicate": rep,
                            "new_returned_illness": ill, "new_returned_market": market})
                rows.append(row)
    t = by_cause(pd.DataFrame(rows)).set_index("cause")
    assert list(t.index) == ["illness", "market"]  # causes that never occur left out
    assert t.loc["illness", "as_is"] == pytest.approx(7.5)  # (6 + 9) / 2 over 3 months
    assert t.loc["illness", "policy"] == pytest.approx(3.0)
    assert t.loc["illness", ["org", "target", "env"]].tolist() == pytest.approx([0, 0, 0])
    assert t.loc["market", "env"] == pytest.approx(1.5)  # 2 alone, 1 after the policy
    assert t.loc["market", "policy"] == pytest.approx(-0.5)  # it weakens the env's effect
    assert t.loc["market", "ideal"] == pytest.approx(3.0 - 1.0)
    # the causes' values add up to the factor's value for all returns
    total = pd.DataFrame(rows).assign(all=lambda d: d[list(CAUSE_SERIES)].sum(axis=1))
    whole = attribute(total.groupby(["scenario", "replicate"])["all"].sum().reset_index(),
                      "all").set_index("factor")
    for f in FACTORS:
        assert t[f].sum() == pytest.approx(whole.loc[f, "mean"])


def test_by_cause_figure_draws_each_cause_and_a_factor_that_raises_returns(tmp_path):
    from PIL import Image

    causes = pd.DataFrame([
        {"cause": "illness", "policy": 3.0, "org": 1.0, "target": 2.0, "env": 0.5},
        {"cause": "market", "policy": -0.5, "org": 0.0, "target": 0.2, "env": 1.5}])
    plot_causes(causes, tmp_path / "c.png")
    img = np.asarray(Image.open(tmp_path / "c.png").convert("RGB")).astype(int)
    # each cause in its colour of the run's figure (main_series.png)
    for cause in ("illness", "market"):
        hexa = CAUSE_COLOURS[cause].lstrip("#")
        colour = tuple(int(hexa[i:i + 2], 16) for i in (0, 2, 4))
        assert (np.abs(img - colour).sum(axis=2) < 10).sum() > 200, cause


def test_every_ideal_override_is_a_valid_setting():
    for f in FACTORS:
        sets = [f"{k}={v}" if not isinstance(v, list) else f"{k}=[]"
                for k, v in IDEAL[f].items()]
        load_config(None, sets)
    everything = combo_overrides(frozenset(FACTORS))
    assert len(everything) == sum(len(v) for v in IDEAL.values())


def test_the_target_groups_ideal_leaves_the_monitoring_something_to_find():
    """The target group's ideal removes the households' own deficits (drive, stigma,
    literacy, distress), not the monitoring's job: households made ideal still wait to
    be found, and the organisation's ideal finds them months sooner. (With a base chance
    to apply of 1, every household reported the month it qualified, and the organisation
    had about a third of a month left to gain.)"""
    from abm.model import CountyModel

    def months_to_monitoring(factors, seed):
        sets = [f"{k}={v}" for k, v in combo_overrides(frozenset(factors)).items()
                if not isinstance(v, list)]
        cfg = load_config("configs/baseline.yaml", sets, households=3000, months=24,
                          seed=seed)
        m = CountyModel(cfg)
        for _ in range(24):
            m.step()
        return float(np.mean(m.implementation.delay_to_monitor))

    gained = [months_to_monitoring({"target"}, seed)
              - months_to_monitoring({"target", "org"}, seed) for seed in (1, 2, 3)]
    assert np.mean(gained) > 2.0, gained  # measured 3.4 to 5.7 months; 0.2 to 0.4 before
    assert min(gained) > 1.0, gained


def test_attribute_command_runs_resumes_and_refuses_bad_input(tmp_path, capsys):
    from abm.cli import main

    out = tmp_path / "attr"
    args = ["attribute", "configs/baseline.yaml", "--seeds", "2", "--households", "200",
            "--months", "3", "--workers", "1", "--out", str(out)]
    assert main(args) == 0, capsys.readouterr().err
    table = pd.read_csv(out / "attribution.csv")
    assert set(table["factor"]) == {*FACTORS, "gap"}
    for _, t in table.groupby("outcome"):
        parts = t[t["factor"] != "gap"]["mean"].sum()
        assert parts == pytest.approx(t[t["factor"] == "gap"]["mean"].iloc[0], abs=1e-9)
    results = pd.read_parquet(out / "results.parquet")
    assert len(results) == 32 and (results["status"] == "ok").all()
    assert set(table["outcome"]) == set(OUTCOMES) and "n_monitored" not in OUTCOMES
    # each factor's own measures, as configured and with that factor alone ideal
    ind = pd.read_csv(out / "indicators.csv")
    assert set(ind["factor"]) == set(FACTORS)
    assert len(ind) == sum(len(v) for v in INDICATORS.values())
    paper = ind.set_index("indicator").loc["smith_org_paperwork_share"]
    assert paper["as_is"] > 0.0 and paper["ideal"] < paper["as_is"]  # no forms when ideal
    md = (out / "attribution.md").read_text(encoding="utf-8")
    assert "Each factor's own measures" in md and "Cadre time on paperwork" in md
    assert "Which returns each factor removes" in md
    assert list(pd.read_csv(out / "attribution_causes.csv").columns[:3]) == [
        "cause", "as_is", "as_is_low"]
    # common random numbers: every combination of a replicate shares its seed
    assert results.groupby("replicate")["seed"].nunique().eq(1).all()
    mtimes = {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()}
    capsys.readouterr()
    # the same command again: nothing recomputed; here compared with itself
    assert main([*args, "--against", str(out)]) == 0
    assert "0 runs done, 32 already on disk" in capsys.readouterr().out
    assert {p.name: p.stat().st_mtime_ns for p in (out / "runs").iterdir()} == mtimes
    cmp = pd.read_csv(out / "attribution_against.csv")
    assert set(cmp["outcome"]) == set(OUTCOMES) and (cmp["value_diff"] == 0).all()
    md = (out / "attribution.md").read_text(encoding="utf-8")
    assert f"## Against `{out}`" in md and "different scales" not in md
    assert (out / "attribution_against.png").exists()
    assert main(args) == 0  # without --against the comparison is no longer the answer
    assert not (out / "attribution_against.csv").exists()
    assert "## Against" not in (out / "attribution.md").read_text(encoding="utf-8")
    # --against a folder that holds no attribution: exit 2, one line, nothing written
    capsys.readouterr()
    fresh = tmp_path / "fresh"
    assert main([*args[:-1], str(fresh), "--against", str(out / "runs")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--against" in err and "abm attribute" in err
    assert not fresh.exists()
    # other settings into the same folder: refused, folder untouched
    assert main([*args[:-2], "--out", str(out), "--seeds", "3"]) == 2
    assert (out / "experiment.yaml").read_text().count("replicates: 2") == 1
    # bad input: exit 2, nothing written
    bad = tmp_path / "bad"
    assert main(["attribute", "configs/baseline.yaml", "--months", "0", "--out",
                 str(bad)]) == 2
    assert not bad.exists()


def test_set_changes_the_county_in_every_world_and_bad_keys_are_refused(tmp_path, capsys):
    """``abm attribute --set KEY=VALUE`` (how much a split rests on one assumption): the
    override reaches all 16 worlds, except where an ideal factor names the same key; a
    bad key or value is exit 2 with nothing written."""
    from abm.cli import main

    out = tmp_path / "attr"
    args = ["attribute", "configs/baseline.yaml", "--seeds", "1", "--households", "200",
            "--months", "2", "--workers", "1", "--out", str(out),
            "--set", "behaviour.self_care_chronic=0.2",
            "--set", "population.motivation_mean=0.3"]
    assert main(args) == 0, capsys.readouterr().err
    from abm.experiments.design import load_plan

    runs = load_plan(out / "experiment.yaml").runs  # each run's resolved config
    assert len(runs) == 16
    for run in runs:
        assert run.config["behaviour"]["self_care_chronic"] == 0.2
        ideal_target = "target" in run.scenario
        assert run.config["population"]["motivation_mean"] == (0.95 if ideal_target else 0.3)
    md = (out / "attribution.md").read_text(encoding="utf-8")
    assert "`behaviour.self_care_chronic=0.2`" in md
    capsys.readouterr()
    for bad_set in ("behaviour.no_such_key=1", "behaviour.self_care_chronic=2"):
        bad = tmp_path / "bad"
        assert main(["attribute", "configs/baseline.yaml", "--set", bad_set, "--out",
                     str(bad)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and bad_set.split("=")[0] in err
        assert not bad.exists()


def test_a_lock_left_by_a_killed_attribution_does_not_block_the_folder(tmp_path):
    """A driver killed while its cluster started leaves only its lock file beside the
    experiment: rerunning the same attribution goes on (here it is only planned)."""
    from abm.attribution import run_attribution
    from abm.config import ConfigError
    from abm.experiments.store import LOCK_NAME


    out = tmp_path / "attr"
    out.mkdir()
    (out / LOCK_NAME).write_text("pid 999999 on nowhere\n", encoding="utf-8")
    (out / "someone_else.txt").write_text("data", encoding="utf-8")
    with pytest.raises(ConfigError, match="not empty"):
        run_attribution(str(BASELINE), seeds=1, households=200, months=1, workers=1,
                        scheduler=None, out=str(out))
    (out / "someone_else.txt").unlink()
    try:
        run_attribution(str(BASELINE), seeds=1, households=200, months=1, workers=1,
                        scheduler=None, out=str(out))
    except ConfigError as exc:  # pragma: no cover - the message names what is wrong
        pytest.fail(f"the leftover lock blocked the folder: {exc}")
    assert (out / "attribution.md").exists()


def test_census_counts_returns_once_a_year_as_the_field_does():
    """A household that had left poverty and is poor in December, though it was not the
    December before, is one census return; a dip repaired by December is none, and a
    household never out of poverty is not a return."""
    from abm.results import Tally

    class HH:
        pass

    hh = HH()
    n = 5
    hh.registered = np.array([True, True, True, False, False])
    hh.ever_exited = np.array([True, True, True, False, True])
    hh.poor = np.zeros(n, bool)
    hh.income_pc_gross_year = np.full(n, 9_000.0)
    t = Tally()
    t.census(hh, 4_000.0)  # December 2020: nobody poor
    hh.poor = np.array([True, False, False, True, True])  # December 2021
    t.census(hh, 4_000.0)
    # household 0 returned; 3 never left poverty (a fall, not a return); 4 left before
    assert t.cum_returned_census == 2
    hh.poor = np.array([True, False, False, False, False])  # still poor: not again
    t.census(hh, 4_000.0)
    assert t.cum_returned_census == 2
    hh.poor = np.array([False, True, False, False, False])
    t.census(hh, 4_000.0)
    assert t.cum_returned_census == 3
    assert t.cum_returned_census_income == 0  # every income above the line throughout


def test_income_census_counts_low_income_not_medical_bills():
    """The census on income alone (before medical bills) finds a household
    whose income fell below the line, not one made poor only by its bills; the line is
    the December's, and the registered are counted apart."""
    from abm.results import Tally

    class HH:
        pass

    hh = HH()
    hh.registered = np.array([True, True, False, False])
    hh.ever_exited = np.array([True, True, True, False])
    hh.poor = np.zeros(4, bool)
    hh.income_pc_gross_year = np.array([5_000.0, 5_000.0, 5_000.0, 5_000.0])
    t = Tally()
    t.census(hh, 4_000.0)
    # December 2021: 0 is poor only after its bills (income still 5,000); 1 and 2 lost
    # income; 3 never left poverty
    hh.poor = np.array([True, True, True, True])
    hh.income_pc_gross_year = np.array([5_000.0, 3_000.0, 3_000.0, 3_000.0])
    t.census(hh, 4_000.0)
    assert t.cum_returned_census == 3
    assert t.cum_returned_census_income == 2  # 1 and 2
    assert t.cum_returned_census_income_registered == 1  # 1
    # December 2022: the line rises past household 0's income: a return on income now
    t.census(hh, 5_500.0)
    assert t.cum_returned_census == 3  # poor both Decembers: not again
    assert (t.cum_returned_census_income, t.cum_returned_census_income_registered) == (3, 2)


def test_income_census_is_the_census_without_medical_bills():
    """In a county whose care costs nothing, income before and after medical bills are
    the same, so the two censuses count the same returns every December; with the
    baseline's costs, bills make most census returns (over three seeds the income count
    is well under the count after bills) and the registered are part of all."""
    from abm.runner import build_model

    free = ["health.cost_acute_yuan=0", "health.cost_outpatient_person_year=0",
            "health.cost_chronic_month=0"]
    totals = {"net": 0, "income": 0}
    for seed in (1, 2, 3):
        for sets in (free, []):
            cfg = load_config(BASELINE, sets, seed=seed, households=3000, months=36)
            model = build_model(cfg)
            for _ in range(36):
                model.step()
            ts = model.timeseries()
            net, income = ts["cum_returned_census"], ts["cum_returned_census_income"]
            assert (ts["cum_returned_census_income_registered"] <= income).all()
            if sets:
                assert (net == income).all()
                assert net.iloc[-1] > 0  # (the counts are not trivially zero)
            else:
                totals["net"] += int(net.iloc[-1])
                totals["income"] += int(income.iloc[-1])
    assert totals["income"] < 0.6 * totals["net"], totals


def test_a_gap_the_seeds_cannot_tell_from_none_is_not_split_into_shares():
    """The report gives shares of a clear gap, and only each factor's value (no shares,
    which would split noise and can pass 100% or turn negative) when the gap's interval
    reaches zero; in both languages."""
    from abm.attribution import attribution_markdown

    rng = np.random.default_rng(5)
    clear = _additive_runs(rng, {"policy": 8.0, "org": 4.0, "target": 6.0, "env": 2.0},
                           1.0, 6).rename(columns={"y": "cum_returned_census"})
    none = _additive_runs(rng, {f: 0.0 for f in FACTORS}, 1.0, 6).rename(
        columns={"y": "cum_returned_census_income"})
    results = clear.merge(none, on=["scenario", "replicate"]).assign(status="ok")
    table = pd.concat([attribute(results, o) for o in
                       ("cum_returned_census", "cum_returned_census_income")],
                      ignore_index=True)
    for lang, phrase in (("en", "cannot tell from none"), ("zh", "无法将其与零区分")):
        md = attribution_markdown(table, results, BASELINE, 6, 500, 12, lang)
        answer = [line for line in md.splitlines() if line.startswith("- ")]
        split, unsplit = answer[0], answer[1]
        assert phrase not in split and "%" in split
        assert phrase in unsplit and "%" not in unsplit
