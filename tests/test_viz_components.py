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
from viz.state import Settings, discover_presets, new_session

SMALL = 1_500


@pytest.fixture(scope="module")
def session():
    base = Settings.from_preset(discover_presets()[0].path)
    s = new_session(Settings(base.preset, 3, SMALL))
    for _ in range(3):
        s.step()
    return s


def test_controls_come_from_the_schema():
    rows = {r["key"]: r for r in parameter_table()
            if r["key"].startswith(("policy.", "implementers.", "assessment."))}
    specs = {c.key: c for c in control_specs()}
    assert len({c.label for c in specs.values()}) == len(specs)  # labels are unique
    assert specs["policy.medical_cap.enabled"].label == "Medical cap: enabled"
    assert set(specs) == {k for k, r in rows.items() if r["type"] in ("int", "float", "bool")}
    for key, spec in specs.items():
        assert spec.minimum == rows[key]["min"] and spec.maximum == rows[key]["max"]
        assert rows[key]["meaning"] in spec.help
    share = specs["policy.medical.reimbursement_general"]
    assert share.kind == "slider" and share.clamp(1.7) == 1.0
    assert specs["policy.transition_end_year"].kind == "int"
    assert "2020 to 2050" in specs["policy.transition_end_year"].help


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


def test_series_are_picked_by_prefix(session):
    returns = charts.returns_option(session)
    assert {s["name"] for s in returns["series"]} >= {"illness", "low income"}
    assert len(charts.income_option(session)["series"]) == 5
    assert set(charts.monitored_columns(session)) == {
        "n_monitored_unstable", "n_monitored_marginal", "n_monitored_sudden"}
    groups = charts.smith_groups(session)
    assert all(cols for cols in groups.values())  # every factor is measured
    assert all(c.startswith("smith_org_") for c in groups["Implementing organization"])
    # New indicators appear without code changes.
    session.history["smith_org_new_indicator"] = [1.0, 2.0, 3.0]
    session.history["n_monitored_illness"] = [4.0, 5.0, 6.0]
    try:
        assert "smith_org_new_indicator" in charts.smith_groups(session)[
            "Implementing organization"]
        assert "n_monitored_illness" in charts.monitored_columns(session)
    finally:
        del session.history["smith_org_new_indicator"]
        del session.history["n_monitored_illness"]


def test_charts_combine_into_one_instance(session):
    parts = [charts.poverty_option(session), charts.returns_option(session),
             charts.income_option(session)]
    one = charts.combine(parts, columns=2, height_px=300)
    assert len(one["grid"]) == len(one["xAxis"]) == len(one["legend"]) == 3
    assert len(one["series"]) == sum(len(p["series"]) for p in parts)
    assert {s["xAxisIndex"] for s in one["series"]} == {0, 1, 2}
    assert one["grid"][2]["top"] == 340  # second row


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
            shown = f"{spec.label}: {float(base.value_of(spec.key)):.2f}"
            rc.find(children=[shown]).assert_single()
        else:
            widget = v.Switch if spec.kind == "switch" else v.TextField
            rc.find(widget, label=spec.label).assert_single()
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


def test_smith_panel_shows_measured_factors():
    from viz.app import SmithPanel

    base = Settings.from_preset(discover_presets()[0].path)
    s = new_session(Settings(base.preset, 2, SMALL))
    s.step()
    s.history["smith_target_take_up"] = [0.42]
    _box, rc = solara.render(SmithPanel(s, 1), handle_error=False)
    rc.find(children=["take up: 0.42"]).assert_single()
    assert len(rc.find(children=["not yet measured"]).widgets) == 0  # all four measured
    rc.close()


def test_boolean_parameters_become_switches():
    from viz.app import ParamControl
    from viz.controls import ControlSpec

    spec = ControlSpec("policy.capping", "Capping", "switch", None, None, "-", "Cap costs")
    seen = []
    _box, rc = solara.render(ParamControl(spec, False, seen.append), handle_error=False)
    rc.find(v.Switch, label="Capping").assert_single()
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
