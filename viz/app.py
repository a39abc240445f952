"""The Solara page served by `abm viz`.

Each browser tab is its own Solara kernel, and the model lives in that tab's
component state (``Page``), so two tabs never share a model. Models are made only
by :func:`viz.state.new_session`, i.e. through ``abm.runner.build_model``.

This is a plain Solara page rather than Mesa's ``SolaraViz``: SolaraViz rebuilds
a model by calling the model class with keyword arguments, while ours is built
from a validated ``Config`` by the shared factory, and the page needs presets and
schema-generated controls that SolaraViz's parameter types do not express.
Charts are ECharts options drawn in the browser from the locally served library
(Altair would load vega from a CDN); the map has one mark per village.
"""

from __future__ import annotations

import asyncio
import html
import time
from collections.abc import Callable
from typing import Any

import solara
import solara.lab

from abm.config import ConfigError
from viz import charts, inspector
from viz.controls import ControlSpec, control_specs, group_title, grouped
from viz.measures import MEASURES, available, by_key, format_value, village_table
from viz.state import Preset, Session, Settings, discover_presets, new_session

PLAY_DELAY_S = 0.3  # pause between months while playing, so the page stays readable
SERIES_CELL_PX = 300
TABLE_CSS = """
.abm-table { border-collapse: collapse; font-size: 12px; width: 100%; }
.abm-table th { position: sticky; top: 0; background: #f5f5f5; text-align: left; }
.abm-table td, .abm-table th { padding: 2px 6px; border-bottom: 1px solid #eee; }
"""


# --------------------------------------------------------------------- controls
@solara.component
def ParamControl(spec: ControlSpec, value: Any, on_value: Callable[[Any], None]) -> None:
    """One schema parameter: a switch, a slider (shares) or a number field."""
    with solara.Tooltip(spec.help):
        with solara.Div():
            if spec.kind == "switch":
                solara.Switch(label=spec.label, value=bool(value), on_value=on_value)
            elif spec.kind == "slider":
                # Label above the track: Vuetify's inline label leaves no room for it.
                solara.Text(f"{spec.label}: {float(value):.2f}",
                            style={"font-size": "12px", "color": "#666"})
                solara.SliderFloat("", value=float(value), min=spec.minimum or 0.0,
                                   max=spec.maximum or 1.0, step=0.01, thumb_label=True,
                                   on_value=on_value)
            elif spec.kind == "int":
                solara.InputInt(spec.label, value=int(value),
                                on_value=lambda v: on_value(int(spec.clamp(v))))
            else:
                solara.InputFloat(spec.label, value=float(value),
                                  on_value=lambda v: on_value(float(spec.clamp(v))))


@solara.component
def RunControls(session: Session, playing: solara.Reactive[bool], on_step: Callable[[], None],
                on_reset: Callable[[], None]) -> None:
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
        solara.Button("Step", on_click=on_step, disabled=playing.value or not session.can_step(),
                      color="primary", classes=["abm-step"])
        solara.Button("Play", on_click=lambda: playing.set(True),
                      disabled=playing.value or not session.can_step(), classes=["abm-play"])
        solara.Button("Pause", on_click=lambda: playing.set(False), disabled=not playing.value,
                      classes=["abm-pause"])
        solara.Button("Reset", on_click=on_reset, color="warning", classes=["abm-reset"])


@solara.component
def SettingsPanel(presets: list[Preset], pending: solara.Reactive[Settings],
                  error: solara.Reactive[str]) -> None:
    """Preset, seed, households and the policy; applied by Reset."""
    s = pending.value
    specs = solara.use_memo(control_specs, [])
    by_path = {p.path.as_posix(): p.label for p in presets}
    labels = list(by_path.values())
    current = by_path.get(s.preset, labels[0])

    def choose(label: str) -> None:
        path = next(p for p, lab in by_path.items() if lab == label)
        try:
            pending.set(Settings.from_preset(path))
        except ConfigError as exc:  # a broken preset file: say so, keep the current one
            error.set(str(exc))
            return
        error.set("")

    solara.Select("Preset", values=labels, value=current, on_value=choose,
                  classes=["abm-preset"])
    solara.InputInt("Seed", value=s.seed, on_value=lambda v: pending.set(
        Settings(s.preset, max(int(v), 0), s.households, s.overrides)), classes=["abm-seed"])
    solara.InputInt("Households", value=s.households, on_value=lambda v: pending.set(
        Settings(s.preset, s.seed, min(max(int(v), 1), 2_000_000), s.overrides)),
        classes=["abm-households"])
    solara.Text("Policy and implementation (from the config schema)",
                style={"font-size": "13px", "font-weight": "bold"})
    for group, group_specs in grouped(specs).items():
        with solara.Details(group_title(group) if "." in group else group.capitalize(),
                            expand=False):
            for spec in group_specs:
                ParamControl(spec, s.value_of(spec.key), lambda v, key=spec.key: pending.set(
                    pending.value.with_override(key, v)))
    changed = ", ".join(f"{k.removeprefix('policy.')}={v}" for k, v in s.overrides)
    solara.Text(f"Changed from the preset: {changed or 'nothing'}. Changes take effect on Reset.",
                classes=["abm-pending"], style={"font-size": "12px", "color": "#666"})


# --------------------------------------------------------------------- panels
@solara.component
def Heading(text: str, level: int = 3) -> None:
    # Not solara.Markdown: it loads KaTeX, which solara-assets does not ship (a 404).
    solara.HTML(tag=f"h{level}", unsafe_innerHTML=html.escape(text),
                style={"margin": "12px 0 6px 0"})


@solara.component
def CountyMap(session: Session, tick: int, measure: solara.Reactive[str],
              village: solara.Reactive[int]) -> None:
    measures = available(session)
    keys = [m.key for m in measures]
    key = measure.value if measure.value in keys else keys[0]
    m = by_key(key)
    table = solara.use_memo(lambda: village_table(session), [session, tick])
    option = solara.use_memo(lambda: charts.map_option(session, m, table, village.value),
                             [session, tick, key, village.value])

    def clicked(event: dict[str, Any]) -> None:
        if event.get("seriesName") == "villages" and event.get("dataIndex") is not None:
            village.set(int(event["dataIndex"]))

    labels = {x.label: x.key for x in measures}
    solara.Select("Colour villages by", values=list(labels), value=m.label,
                  on_value=lambda lab: measure.set(labels[lab]), classes=["abm-measure"])
    with solara.Div(classes=["abm-map"]):
        solara.FigureEcharts(option=option, on_click=clicked,
                             attributes={"style": "height: 420px; width: 100%;"})
    v = village.value
    if 0 <= v < session.model.county.n_villages:
        shown = [x for x in MEASURES if x.key in table]
        parts = [f"{x.label}: {format_value(x, float(table[x.key][v]))}" for x in shown]
        township = int(session.model.county.village_township[v]) + 1
        solara.Text(f"Village {v} (township {township}) - " + "; ".join(parts),
                    classes=["abm-village-summary"], style={"font-size": "13px"})


@solara.component
def TimeSeries(session: Session, tick: int) -> None:
    """Poverty, returns by cause, incomes by source, budget (and monitoring when measured).

    Drawn as one ECharts instance with a cell per chart: one canvas to redraw per Step.
    """
    monitored = charts.monitored_columns(session)
    option = solara.use_memo(lambda: charts.combine([
        charts.poverty_option(session),
        charts.returns_option(session),
        charts.income_option(session),
        charts.budget_option(session),
        *([charts.monitored_option(session)] if monitored else []),
    ], height_px=SERIES_CELL_PX), [session, tick])
    rows = -(-len(option["grid"]) // 2)
    with solara.Div(classes=["abm-chart-series"]):
        solara.FigureEcharts(option=option, attributes={
            "style": f"height: {rows * SERIES_CELL_PX}px; width: 100%;"})
    if not monitored:
        solara.Info("Monitored households by category: not yet measured by this model.",
                    dense=True)


@solara.component
def SmithPanel(session: Session, tick: int) -> None:
    """Smith's four factors, each measured from behaviour (``smith_*`` indicators)."""
    groups = solara.use_memo(lambda: charts.smith_groups(session), [session, tick])
    Heading("Smith's implementation factors")
    with solara.Columns([1, 1, 1, 1], classes=["abm-smith"]):
        for label, cols in groups.items():
            with solara.Card(label, margin=0):
                if not cols or session.month == 0:
                    solara.Text("not yet measured", style={"color": "#888"})
                else:
                    latest = {c: session.history[c][-1] for c in cols}
                    for c, v in latest.items():
                        solara.Text(f"{c.split('_', 2)[-1].replace('_', ' ')}: {v:.3g}",
                                    style={"font-size": "12px", "display": "block"})
                    solara.FigureEcharts(option=charts.smith_option(session, label, cols),
                                         attributes={"style": "height: 200px; width: 100%;"})


@solara.component
def Inspector(session: Session, tick: int, village: solara.Reactive[int],
              household: solara.Reactive[int | None]) -> None:
    n_v = session.model.county.n_villages
    v = min(max(village.value, 0), n_v - 1)
    df = solara.use_memo(lambda: inspector.village_households(session, v), [session, tick, v])
    ids = [int(h) for h in df["household"]]
    h = household.value if household.value in ids else inspector.default_household(session, v)
    layout = solara.use_memo(lambda: charts.network_layout(session, h), [session, h])
    option = solara.use_memo(lambda: charts.network_option(session, h, layout),
                             [session, tick, h])
    details = inspector.household_details(session, h)

    Heading("Inspector")
    with solara.Row():
        solara.InputInt("Village", value=v, on_value=lambda x: village.set(
            min(max(int(x), 0), n_v - 1)), classes=["abm-village"])
        solara.Select("Household", values=ids, value=h, on_value=household.set,
                      classes=["abm-household"])
    with solara.Columns([3, 2]):
        with solara.Div(classes=["abm-households-table"],
                        style={"max-height": "420px", "overflow-y": "auto"}):
            solara.HTML(tag="div", unsafe_innerHTML=inspector.html_table(df))
        with solara.Div(classes=["abm-household-details"]):
            with solara.Div(classes=["abm-network"]):
                solara.FigureEcharts(option=option,
                                     attributes={"style": "height: 320px; width: 100%;"})
            keys = ["id", "village", "size", "n_labour", "age_head", "chronic", "disability",
                    "skills", "motivation", "trust", "income_pc_year", "savings", "debt",
                    "poor", "registered", *[k for k in ("monitored",) if k in details]]
            solara.Text(f"Household {h}", style={"font-weight": "bold"})
            solara.HTML(tag="div", unsafe_innerHTML=inspector.details_table(details, keys))


# --------------------------------------------------------------------- page
@solara.component
def Page() -> None:
    """The page `abm viz` serves: starts from the first preset."""
    App()


@solara.component
def App(initial: Settings | None = None) -> None:
    """The whole page; ``initial`` overrides the first preset (tests, benchmarks)."""
    presets = solara.use_memo(discover_presets, [])
    first = solara.use_memo(
        lambda: new_session(initial or Settings.from_preset(presets[0].path)), [])
    session = solara.use_reactive(first)
    pending = solara.use_reactive(first.settings)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    error = solara.use_reactive("")
    measure = solara.use_reactive("poverty_rate")
    village = solara.use_reactive(0)
    household: solara.Reactive[int | None] = solara.use_reactive(None)
    step_seconds = solara.use_ref(0.0)  # shown, but never a reason to render again

    def step() -> None:
        t0 = time.perf_counter()
        session.value.step()
        step_seconds.current = time.perf_counter() - t0
        tick.set(tick.value + 1)

    async def play() -> None:
        while playing.value and session.value.can_step():
            step()
            await asyncio.sleep(PLAY_DELAY_S)
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, session.value])

    def reset() -> None:
        playing.set(False)
        try:
            fresh = new_session(pending.value)
        except ConfigError as exc:
            error.set(str(exc))
            return
        error.set("")
        session.set(fresh)
        tick.set(0)
        household.set(None)
        if village.value >= fresh.model.county.n_villages:
            village.set(0)

    s = session.value
    solara.Title("County ABM")
    solara.Style(TABLE_CSS)
    with solara.Sidebar():
        RunControls(s, playing, step, reset)
        SettingsPanel(presets, pending, error)
        if error.value:
            solara.Error(error.value)

    with solara.Column(style={"padding": "8px"}):
        labels = charts.month_labels(s)
        when = labels[-1] if labels else f"start of {s.config.run.start_year}"
        applied = ", ".join(f"{k}={v}" for k, v in s.settings.overrides)
        with solara.Row(style={"align-items": "baseline"}):
            Heading(s.config.county.name, level=2)
            solara.Text(f"Month {s.month} of {s.months} ({when})", classes=["abm-month"])
            solara.Text(f"{s.config.run.households:,} households, seed {s.config.run.seed}, "
                        f"{s.model.county.n_villages} villages; last step "
                        f"{step_seconds.current:.2f} s",
                        classes=["abm-county-info"], style={"color": "#666"})
        if applied:
            solara.Text(f"Policy changed from the preset: {applied}", classes=["abm-applied"],
                        style={"font-size": "13px"})
        with solara.Columns([5, 7]):
            with solara.Column():
                CountyMap(s, tick.value, measure, village)
            with solara.Column():
                TimeSeries(s, tick.value)
        SmithPanel(s, tick.value)
        Inspector(s, tick.value, village, household)
