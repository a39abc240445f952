"""The browser page's parts without a browser: controls, presets, measures, charts,
inspector, and the page rendered with Solara's test renderer."""

from __future__ import annotations

from pathlib import Path

import ipyvuetify as v
import numpy as np
import pytest
import solara

from abm.config import ConfigError, parameter_table
from viz import charts, inspector, measures
from viz.controls import control_specs
from viz.state import Lab, Settings, discover_presets, new_lab, new_session

SMALL = 1_500


@pytest.fixture(scope="module")
def lab() -> Lab:
    """The preset as is and with the transition ending in 2022, three months in."""
    base = Settings.from_preset(discover_presets()[0].path)
    lab = new_lab(Settings(base.preset, 3, SMALL).with_override(
        "policy.transition_end_year", 2022))
    for _ in range(3):
        lab.step()
    return lab


@pytest.fixture(scope="module")
def session(lab):
    return lab.base


def test_controls_come_from_the_schema():
    rows = {r["key"]: r for r in parameter_table()
            if r["key"].startswith(("policy.", "implementers.", "assessment."))}
    specs = {c.key: c for c in control_specs()}
    for lang in ("en", "zh"):
        assert len({c.label(lang) for c in specs.values()}) == len(specs)  # unique labels
    assert specs["policy.medical_cap.enabled"].label() == "Medical expense cap: enabled"
    assert specs["policy.medical_cap.enabled"].label("zh") == "个人医疗费用封顶：启用"
    assert set(specs) == {k for k, r in rows.items() if r["type"] in ("int", "float", "bool")}
    for key, spec in specs.items():
        assert spec.minimum == rows[key]["min"] and spec.maximum == rows[key]["max"]
        assert rows[key]["meaning"] in spec.help("en")
    share = specs["policy.medical.reimbursement_general"]
    assert share.kind == "slider" and share.check(0.7) is None
    year = specs["policy.transition_end_year"]
    assert year.kind == "int"
    assert "2020 to 2050" in year.help() and "2020 至 2050" in year.help("zh")
    # Out of range: a field error naming what is allowed, never a silent change.
    assert year.check(2019) == "2019 is out of range. Allowed: 2020 to 2050 year; not applied."
    assert "超出范围" in year.check(2051, "zh") and year.check(2022) is None


def test_presets_baseline_first_and_extra_folder(tmp_path: Path):
    (tmp_path / "small.yaml").write_text("county:\n  name: Tiny county\n", encoding="utf-8")
    presets = discover_presets(extra=str(tmp_path))
    assert presets[0].path.name == "baseline.yaml"
    assert presets[-1].label == "Tiny county (small)"


def test_settings_overrides_and_errors():
    base = Settings.from_preset(discover_presets()[0].path)
    s = base.with_override("policy.medical.reimbursement_general", 0.9)
    assert s.value_of("policy.medical.reimbursement_general") == 0.9
    assert base.value_of("policy.medical.reimbursement_general") == 0.55
    assert s.config().policy.medical.reimbursement_general == 0.9
    with pytest.raises(ConfigError, match="reimbursement_general"):
        base.with_override("policy.medical.reimbursement_general", 3).config()


def test_session_records_history_and_village_returns(session):
    assert session.month == 3
    assert len(session.history["poverty_rate"]) == 3
    n_v = session.model.county.n_villages
    assert session.village_returns.shape == (n_v,)
    ev = session.model.events()
    returned = (ev["event"] == "returned_to_poverty").sum()
    assert session.village_returns.sum() == returned


def test_village_measures_match_households(session):
    table = measures.village_table(session)
    hh, county = session.model.households, session.model.county
    v = int(np.argmax(county.village_sizes()))
    sl = county.village_slice(v)
    assert table["poverty_rate"][v] == pytest.approx(hh.poor[sl].mean())
    assert table["mean_income"][v] == pytest.approx(hh.income_pc_year[sl].mean())
    keys = {m.key for m in measures.available(session)}
    assert {"monitored_share", "cadre_caseload", "paperwork_share"} <= keys
    assert table["monitored_share"][v] == pytest.approx(hh.monitored[sl].mean())
    assert {"poverty_rate", "returns", "mean_income"} <= keys


def test_map_has_one_mark_per_village(session):
    m = measures.by_key("poverty_rate")
    opt = charts.map_option(session, m, measures.village_table(session), selected=2)
    assert len(opt["series"][0]["data"]) == session.model.county.n_villages
    assert opt["series"][-1]["name"] == "selected"
    assert len(opt["series"][1]["data"]) == session.model.county.n_townships
    assert opt["visualMap"]["max"] > opt["visualMap"]["min"]


def test_series_are_picked_by_prefix(session, lab):
    returns = charts.returns_by_cause_option(lab)
    assert {"illness", "low income"} <= set(returns["yAxis"]["data"])
    assert [s["name"] for s in returns["series"]] == ["Preset as is", "Your changes"]
    assert set(charts.monitored_columns(session)) == {
        "n_monitored_unstable", "n_monitored_marginal", "n_monitored_sudden"}
    groups = charts.smith_groups(session)
    assert all(cols for cols in groups.values())  # every factor is measured
    assert all(c.startswith("smith_org_") for c in groups["smith_org"])
    # New indicators appear without code changes.
    session.history["smith_org_new_indicator"] = [1.0, 2.0, 3.0]
    session.history["n_monitored_illness"] = [4.0, 5.0, 6.0]
    try:
        assert "smith_org_new_indicator" in charts.smith_groups(session)["smith_org"]
        assert "n_monitored_illness" in charts.monitored_columns(session)
    finally:
        del session.history["smith_org_new_indicator"]
        del session.history["n_monitored_illness"]


def test_each_chart_says_its_unit_in_the_title_and_on_hover(lab):
    opts = [charts.standalone(o) for o in charts.time_series_options(lab, "en")]
    titles = [o["title"]["text"] for o in opts]
    assert "Returns to poverty, running total (households)" in titles
    assert "Money paid so far, by payer (million yuan)" in titles
    ret = opts[titles.index("Returns to poverty, running total (households)")]
    assert ret["tooltip"]["formatter"] == "{b}<br/>{a0}: {c0} households<br/>{a1}: {c1} households"
    pov = opts[0]
    assert pov["tooltip"]["formatter"].endswith("{c3}%")
    # Dashed "your changes" lines share the legend entry of their measure: no paging.
    assert pov["legend"]["type"] == "plain"
    assert pov["legend"]["data"] == ["Poverty rate, registered households",
                                     "Poverty rate, all households"]
    budget = charts.budget_option(lab, "zh")
    assert "县医疗救助" in budget["yAxis"]["data"] and len(budget["series"]) == 2


def test_inspector_tables_and_network_layout_is_fixed(session):
    df = inspector.village_households(session, 1)
    sl = session.model.county.village_slice(1)
    assert list(df["household"]) == list(range(sl.start, sl.stop))
    assert {"health", "skills", "motivation", "status"} <= set(df.columns)
    h = inspector.default_household(session, 1)
    a = charts.network_option(session, h)
    b = charts.network_option(session, h)
    assert a == b
    assert a["series"][0]["data"][0]["id"] == str(h)
    assert len(a["series"][0]["data"]) <= 40


def _render(initial: Settings):
    from viz.app import App

    return solara.render(solara.AppLayout(children=[App(initial=initial)]), handle_error=False)


def test_page_steps_and_resets_without_a_browser():
    base = Settings.from_preset(discover_presets()[0].path)
    _box, rc = _render(Settings(base.preset, 1, SMALL))
    rc.find(children=["Month 0 of 120 (start of 2021)"]).assert_single()
    for _ in range(2):
        rc.find(v.Btn, children=["Step"]).widget.click()
    rc.find(children=["Month 2 of 120 (2021-02)"]).assert_single()
    rc.find(v.Btn, children=["Reset"]).widget.click()
    rc.find(children=["Month 0 of 120 (start of 2021)"]).assert_single()
    rc.close()


def test_two_pages_do_not_share_a_model():
    base = Settings.from_preset(discover_presets()[0].path)
    small = Settings(base.preset, 1, SMALL)
    _a, rca = _render(small)
    _b, rcb = _render(small)
    rca.find(v.Btn, children=["Step"]).widget.click()
    rca.find(children=["Month 1 of 120 (2021-01)"]).assert_single()
    rcb.find(children=["Month 0 of 120 (start of 2021)"]).assert_single()
    rca.close()
    rcb.close()


def test_page_shows_one_control_per_policy_parameter():
    base = Settings.from_preset(discover_presets()[0].path)
    _box, rc = _render(Settings(base.preset, 1, SMALL))
    specs = control_specs()
    for spec in specs:
        if spec.kind == "slider":
            shown = f"{spec.label()}: {float(base.value_of(spec.key)):.2f}"
            rc.find(children=[shown]).assert_single()
        else:
            widget = v.Switch if spec.kind == "switch" else v.TextField
            rc.find(widget, label=spec.label()).assert_single()
    assert len(rc.find(v.Slider).widgets) == sum(s.kind == "slider" for s in specs)
    rc.close()


def test_html_table_escapes_cells():
    import pandas as pd

    out = inspector.html_table(pd.DataFrame({"status": ["<b>poor</b>"], "n": [3]}))
    assert "&lt;b&gt;poor&lt;/b&gt;" in out and "<b>" not in out
    assert out.count("<tr>") == 2


def test_monitoring_measures_come_from_the_model():
    base = Settings.from_preset(discover_presets()[0].path)
    s = new_session(Settings(base.preset, 2, SMALL))
    s.step()
    n = s.model.households.n
    s.model.households.monitored[:] = np.arange(n) % 4 == 0
    for team in s.model.village_teams:
        team.n_cadres = 2
    keys = {m.key for m in measures.available(s)}
    assert {"monitored_share", "cadre_caseload", "paperwork_share"} <= keys
    table = measures.village_table(s)
    assert 0.2 < table["monitored_share"].mean() < 0.3
    sizes = s.model.county.village_sizes()
    assert sizes.sum() == n
    assert table["cadre_caseload"].sum() == pytest.approx(
        s.model.households.monitored.sum() / 2)
    assert "monitored" in inspector.village_households(s, 0)["status"].str.cat()
    assert "监测户" in inspector.village_households(s, 0, "zh")["状态"].str.cat()


def test_smith_panel_shows_measured_factors():
    from viz.app import SmithPanel, smith_table_html

    base = Settings.from_preset(discover_presets()[0].path)
    lab = new_lab(Settings(base.preset, 2, SMALL))
    lab.step()
    lab.base.history["smith_target_take_up"] = [0.42]
    _box, rc = solara.render(SmithPanel(lab, 1, "en"), handle_error=False)
    assert len(rc.find(children=["not yet measured"]).widgets) == 0  # all four measured
    rc.close()
    cols = charts.smith_groups(lab)["smith_org"]
    table = smith_table_html(lab, cols, "en")
    # Human labels with units; meaning and better direction on hover.
    assert "Cadre time on paperwork" in table and "Lower is better." in table
    assert "(months)" in table and "smith_org_" not in table
    assert "干部填表时间占比" in smith_table_html(lab, cols, "zh")
    assert "take up" in smith_table_html(lab, ["smith_target_take_up"], "en")  # new ones too
    # Small multiples: one grid and one y axis (its own scale) per indicator.
    opt = charts.smith_option(lab, cols, "en")
    assert len(opt["grid"]) == len(opt["yAxis"]) == len(cols)
    assert "legend" not in opt


def test_boolean_parameters_become_switches():
    from viz.app import ParamControl
    from viz.controls import ControlSpec

    spec = ControlSpec("policy.medical_cap.enabled", "switch", None, None, "")
    seen = []
    _box, rc = solara.render(ParamControl(spec, False, seen.append, "en", solara.reactive({})),
                             handle_error=False)
    rc.find(v.Switch, label="Medical expense cap: enabled").assert_single()
    rc.close()


def test_viz_command_rejects_a_busy_or_bad_port(capsys):
    import socket

    from abm.cli import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["viz", "--port", str(port)]) == 2
    assert "cannot serve there" in capsys.readouterr().err
    assert main(["viz", "--port", "0"]) == 2
    assert "1 to 65535" in capsys.readouterr().err


def test_a_broken_preset_is_reported_not_crashing(tmp_path: Path, monkeypatch):
    (tmp_path / "broken.yaml").write_text("policy:\n  mpc: 3\n", encoding="utf-8")
    monkeypatch.setenv("ABM_VIZ_PRESETS", str(tmp_path))
    base = Settings.from_preset(discover_presets()[0].path)
    _box, rc = _render(Settings(base.preset, 1, SMALL))
    rc.find(v.Select, label="Preset").widget.v_model = "broken"
    alert = rc.find(v.Alert, type="error")
    alert.assert_single()
    assert "broken.yaml" in str(alert.widget.children) and "mpc" in str(alert.widget.children)
    rc.find(children=["Month 0 of 120 (start of 2021)"]).assert_single()
    rc.close()


# ------------------------------------------------------------------- the lab
def test_comparison_shares_random_draws_until_the_change_bites(lab):
    """Common random numbers: the same county and draws; the transition ends in 2022,
    so the first months are identical in both scenarios."""
    from viz import lab as labmod

    assert lab.changed is not None and lab.base.settings.overrides == ()
    for col in ("poverty_rate", "cum_returned_to_poverty", "n_monitored", "spent_total"):
        assert lab.base.history[col] == lab.changed.history[col], col
    rows = {r.column: r for r in labmod.headline(lab, "en")}
    assert set(rows) == set(charts.HEADLINE)
    assert rows["cum_returned_to_poverty"].verdict == "same"
    assert rows["spent_total"].base.endswith("million yuan")
    spent = sum(sum(v) for k, v in lab.base.history.items()
                if k.startswith("spent_") and k.endswith("_m"))
    assert lab.base.history["spent_total"][-1] == pytest.approx(spent)
    assert lab.base.history["cum_exited_poverty"][-1] == sum(
        lab.base.history["new_exited_poverty"])
    text = labmod.summary_sentence(lab, "zh")
    assert "过渡期结束年份 = 2022" in text and "返贫" in text
    diff = charts.difference_option(lab)
    assert all(v == 0 for s in diff["series"] for v in s["data"])


def test_downloads_reproduce_the_page(lab, tmp_path):
    """The CSV holds both scenarios; the zipped configs rerun from the command line
    give the numbers the page showed."""
    import io
    import zipfile

    import pandas as pd

    from abm.config import load_config
    from abm.runner import simulate
    from viz import lab as labmod

    df = pd.read_csv(io.BytesIO(labmod.comparison_csv(lab)))
    assert set(df["scenario"]) == {"preset", "changes"} and len(df) == 2 * lab.month
    assert {"date", "poverty_rate", "cum_returned_to_poverty", "spent_total"} <= set(df)
    png = labmod.comparison_png(lab, "zh")
    assert png[:4] == b"\x89PNG"
    with zipfile.ZipFile(io.BytesIO(labmod.configs_zip(lab, "en"))) as z:
        assert {"preset.yaml", "changes.yaml", "experiment.yaml", "README.txt"} <= set(
            z.namelist())
        z.extractall(tmp_path)
    cfg = load_config(tmp_path / "changes.yaml", months=lab.month)
    assert cfg.policy.transition_end_year == 2022 and cfg.run.seed == 3
    rerun = simulate(cfg).timeseries
    page = df[df["scenario"] == "changes"]
    assert rerun["poverty_rate"].tolist() == pytest.approx(page["poverty_rate"].tolist())
    assert rerun["cum_returned_to_poverty"].tolist() == page["cum_returned_to_poverty"].tolist()


def test_seed_effects_intervals_and_warnings():
    import pandas as pd

    from viz import lab as labmod

    rows = []
    for rep in range(4):
        for scen, extra in (("preset", 0.0), ("changes", 10.0 + rep)):
            rows.append({"scenario": scen, "replicate": rep, "status": "ok",
                         "poverty_rate_registered": 0.01, "n_monitored": 100.0 + rep,
                         "cum_returned_to_poverty": 40.0 + rep + extra,
                         "poverty_rate": 0.02})
    effects = {e.column: e for e in labmod.seed_effects(pd.DataFrame(rows))}
    ret = effects["cum_returned_to_poverty"]
    assert ret.diff == pytest.approx(11.5) and ret.low < 11.5 < ret.high and ret.n == 4
    lines = labmod.seed_sentence(list(effects.values()), "en")
    assert any("11.5" in line and "95% interval" in line for line in lines)
    assert "only 4 seeds" in lines[-1]
    zh = labmod.seed_sentence(list(effects.values()), "zh")
    assert "只有 4 个种子" in zh[-1]


def test_run_with_seeds_goes_through_the_batch_engine(tmp_path):
    """Two seeds of both scenarios on a local Dask worker; a set stop event cancels."""
    import threading

    from viz import lab as labmod

    base = Settings.from_preset(discover_presets()[0].path)
    settings = Settings(base.preset, 5, 300).with_override("policy.support.per_capita", 0)
    seen = []
    effects = labmod.run_seeds(settings, 2, 3, tmp_path / "ok",
                               lambda k, n: seen.append((k, n)), threading.Event())
    assert seen[-1] == (4, 4)
    assert [e.n for e in effects] == [2] * len(labmod.SEED_METRICS)
    stop = threading.Event()
    stop.set()
    with pytest.raises(labmod.Cancelled):
        labmod.run_seeds(settings, 2, 3, tmp_path / "cancelled", lambda k, n: None, stop)


def test_page_refuses_out_of_range_numbers_and_switches_language():
    base = Settings.from_preset(discover_presets()[0].path)
    _box, rc = _render(Settings(base.preset, 1, SMALL))
    households = rc.find(v.TextField, label="Households").widget
    for typed, shown in (("-10", "-10"), ("10000000", "10,000,000")):
        households.v_model = typed
        households.fire_event("focusout", None)
        rc.find(children=[f"{shown} is out of range. Allowed: 1 to 2,000,000 households; "
                          "not applied."]).assert_single()
        assert rc.find(v.Btn, children=["Reset"]).widget.disabled  # nothing applied
    households.v_model = "2000"
    households.fire_event("focusout", None)
    assert not rc.find(v.Btn, children=["Reset"]).widget.disabled
    rc.find(v.BtnToggle, class_="abm-lang").widget.v_model = 1  # the 中文 button
    rc.find(children=["第 0 月，共 120 月（2021 年初）"]).assert_single()
    rc.find(v.Btn, children=["单步"]).widget.click()
    rc.find(children=["第 1 月，共 120 月（2021-01）"]).assert_single()
    rc.close()
