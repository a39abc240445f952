"""The Solara page served by `abm viz`: a lab for comparing policies.

Each browser tab is its own Solara kernel, and the models live in that tab's
component state (``App``), so two tabs never share a model. Models are made only
by :func:`viz.state.new_lab`, i.e. through ``abm.runner.build_model``: the preset
as is and, once the user changes something, the same county with the changes, on
common random numbers. Every text comes from ``abm/locales`` in the language the
switch at the top of the sidebar selects (中文 / English).

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
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import solara
import solara.lab
from solara.alias import rv

from abm import i18n
from abm.config import ConfigError, parameter_table
from viz import charts, inspector
from viz import lab as labmod
from viz.controls import ControlSpec, control_specs, group_title, grouped
from viz.fonts import font_css
from viz.measures import MEASURES, available, by_key, format_value, measure_label, village_table
from viz.state import (
    Lab,
    Preset,
    Settings,
    county_name,
    discover_presets,
    new_lab,
    preset_display,
    preset_intro,
)

PLAY_DELAY_S = 0.3  # pause between months while playing, so the page stays readable
SERIES_CELL_PX = 330
SMITH_CELL_PX = 78
DEFAULT_SEEDS = 10
MAX_SEEDS = 200
CSS = """
.abm-table { border-collapse: collapse; font-size: 12px; width: 100%; }
.abm-table th { position: sticky; top: 0; background: #f5f5f5; text-align: left; }
.abm-table td, .abm-table th { padding: 2px 6px; border-bottom: 1px solid #eee; }
.abm-table td.better { color: #1a7f37; font-weight: bold; }
.abm-table td.worse { color: #b42318; font-weight: bold; }
.abm-table abbr { text-decoration: underline dotted; cursor: help; }
.abm-households-table tbody tr { cursor: pointer; }
.abm-households-table tbody tr.abm-selected-row { background: #fff3cd; }
.abm-field-error { color: #b42318; font-size: 12px; display: block; }
/* Solara's "This website runs on Solara" banner sat on top of the charts. */
div:has(> b > a[href="https://solara.dev"]) { display: none !important; }
"""


def run_limits() -> dict[str, ControlSpec]:
    """Seed and households checked against the schema's own ranges."""
    rows = {r["key"]: r for r in parameter_table() if r["key"] in ("run.seed",
                                                                    "run.households")}
    return {k.split(".")[1]: ControlSpec(k, "int", r["min"], r["max"], r["unit"] or "")
            for k, r in rows.items()}


# --------------------------------------------------------------------- controls
@solara.component
def FieldError(message: str | None) -> None:
    if message:
        solara.Text(message, classes=["abm-field-error"])


@solara.component
def ParamControl(spec: ControlSpec, value: Any, on_value: Callable[[Any], None], lang: str,
                 errors: solara.Reactive[dict[str, str]]) -> None:
    """One schema parameter: a switch, a slider (shares) or a number field.

    A number out of range is not applied: the field says what is allowed."""
    label = spec.label(lang)

    def typed(x: float | None) -> None:
        rest = {k: m for k, m in errors.value.items() if k != spec.key}
        if x is None:
            errors.set({**rest, spec.key: i18n.t("field.empty", lang)})
            return
        problem = spec.check(x, lang)
        if problem:
            errors.set({**rest, spec.key: problem})
            return
        errors.set(rest)
        on_value(int(x) if spec.kind == "int" else float(x))

    with solara.Tooltip(spec.help(lang)):
        with solara.Div():
            if spec.kind == "switch":
                solara.Switch(label=label, value=bool(value), on_value=on_value)
            elif spec.kind == "slider":
                # Label above the track: Vuetify's inline label leaves no room for it.
                solara.Text(f"{label}: {float(value):.2f}",
                            style={"font-size": "12px", "color": "#666"})
                solara.SliderFloat("", value=float(value), min=spec.minimum or 0.0,
                                   max=spec.maximum or 1.0, step=0.01, thumb_label=True,
                                   on_value=on_value)
            elif spec.kind == "int":
                solara.InputInt(label, value=int(value), on_value=typed)
            else:
                solara.InputFloat(label, value=float(value), on_value=typed)
            FieldError(errors.value.get(spec.key))


@solara.component
def LanguageSwitch(lang: solara.Reactive[str]) -> None:
    names = {i18n.LANG_NAMES[x]: x for x in i18n.LANGS}
    solara.ToggleButtonsSingle(value=i18n.LANG_NAMES[lang.value], values=list(names),
                               on_value=lambda name: lang.set(names[name]),
                               classes=["abm-lang"])


@solara.component
def RunControls(lab: Lab, playing: solara.Reactive[bool], on_step: Callable[[], None],
                on_reset: Callable[[], None], lang: str, blocked: bool) -> None:
    with solara.Row(gap="4px", style={"flex-wrap": "wrap"}):
        solara.Button(i18n.t("run.step", lang), on_click=on_step,
                      disabled=playing.value or not lab.can_step(), color="primary",
                      classes=["abm-step"])
        solara.Button(i18n.t("run.play", lang), on_click=lambda: playing.set(True),
                      disabled=playing.value or not lab.can_step(), classes=["abm-play"])
        solara.Button(i18n.t("run.pause", lang), on_click=lambda: playing.set(False),
                      disabled=not playing.value, classes=["abm-pause"])
        solara.Button(i18n.t("run.reset", lang), on_click=on_reset, color="warning",
                      disabled=blocked, classes=["abm-reset"])


@solara.component
def SettingsPanel(presets: list[Preset], pending: solara.Reactive[Settings],
                  error: solara.Reactive[str], errors: solara.Reactive[dict[str, str]],
                  lang: str) -> None:
    """Preset, seed, households and the policy; applied by Reset."""
    s = pending.value
    specs = solara.use_memo(control_specs, [])
    limits = solara.use_memo(run_limits, [])
    by_path = {p.path.as_posix(): preset_display(p, lang) for p in presets}
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
        errors.set({})

    def run_field(name: str, apply: Callable[[int], Settings]) -> Callable[[int | None], None]:
        def typed(x: int | None) -> None:
            rest = {k: m for k, m in errors.value.items() if k != name}
            problem = (i18n.t("field.empty", lang) if x is None
                       else limits[name].check(x, lang))
            if problem:
                errors.set({**rest, name: problem})
                return
            errors.set(rest)
            pending.set(apply(int(x)))
        return typed

    solara.Select(i18n.t("settings.preset", lang), values=labels, value=current,
                  on_value=choose, classes=["abm-preset"])
    intro = preset_intro(s.preset, lang)
    if intro:
        solara.Text(intro, classes=["abm-preset-intro"],
                    style={"font-size": "12px", "color": "#555", "display": "block",
                           "margin-bottom": "8px"})
    solara.InputInt(i18n.t("settings.seed", lang), value=s.seed, classes=["abm-seed"],
                    on_value=run_field("seed", lambda x: Settings(
                        s.preset, x, s.households, s.overrides)))
    FieldError(errors.value.get("seed"))
    solara.InputInt(i18n.t("settings.households", lang), value=s.households,
                    classes=["abm-households"],
                    on_value=run_field("households", lambda x: Settings(
                        s.preset, s.seed, x, s.overrides)))
    FieldError(errors.value.get("households"))
    solara.Text(i18n.t("settings.policy_heading", lang),
                style={"font-size": "13px", "font-weight": "bold"})
    for group, group_specs in grouped(specs).items():
        with solara.Details(group_title(group, lang), expand=False):
            for spec in group_specs:
                ParamControl(spec, s.value_of(spec.key), lambda x, key=spec.key: pending.set(
                    pending.value.with_override(key, x)), lang, errors)
    solara.Text(i18n.t("settings.pending", lang, changes=labmod.changes_text(s, lang)),
                classes=["abm-pending"], style={"font-size": "12px", "color": "#666"})


# --------------------------------------------------------------------- panels
@solara.component
def Heading(text: str, level: int = 3, classes: list[str] | None = None) -> None:
    # Not solara.Markdown: it loads KaTeX, which solara-assets does not ship (a 404).
    solara.HTML(tag=f"h{level}", unsafe_innerHTML=html.escape(text), classes=classes or [],
                style={"margin": "12px 0 6px 0"})


def headline_html(lab: Lab, lang: str) -> str:
    """The headline table: running totals and current values, and the difference."""
    rows = labmod.headline(lab, lang)
    changed = lab.changed is not None
    head = [i18n.t("headline.measure", lang), i18n.t("scenario.base", lang)]
    if changed:
        head += [i18n.t("scenario.changed", lang), i18n.t("headline.difference", lang)]
    out = ['<table class="abm-table abm-headline-table"><thead><tr>',
           *[f"<th>{html.escape(h)}</th>" for h in head], "</tr></thead><tbody>"]
    for r in rows:
        tip = f"{r.meaning}. {i18n.better_text(r.better, lang)}"
        arrow = {"up": " ↑", "down": " ↓"}.get(r.better, "")
        out.append(f'<tr><td><abbr title="{html.escape(tip)}">{html.escape(r.label)}</abbr>'
                   f"{arrow}</td><td>{html.escape(r.base)}</td>")
        if changed:
            diff = r.diff or ""
            if r.pct:
                diff += f" ({r.pct})"
            word = i18n.t(f"headline.{r.verdict}", lang) if r.verdict else ""
            out.append(f"<td>{html.escape(r.changed or '')}</td>"
                       f'<td class="{r.verdict}">{html.escape(diff)} {html.escape(word)}</td>')
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


@solara.component
def Headline(lab: Lab, tick: int, lang: str) -> None:
    table = solara.use_memo(lambda: headline_html(lab, lang), [lab, tick, lang])
    with solara.Div(classes=["abm-headline"]):
        solara.HTML(tag="div", unsafe_innerHTML=table)
    if lab.month > 0:
        key = "summary.end" if not lab.can_step() else "summary.so_far"
        solara.Text(f"{i18n.t(key, lang)} {labmod.summary_sentence(lab, lang)}",
                    classes=["abm-summary"],
                    style={"font-size": "13px", "display": "block", "margin": "6px 0"})


@solara.component
def Downloads(lab: Lab, tick: int, lang: str) -> None:
    name = f"{Path(lab.base.settings.preset).stem}-seed{lab.base.config.run.seed}"
    month = f"m{lab.month}"
    with solara.Row(gap="6px", style={"flex-wrap": "wrap", "align-items": "center"}):
        solara.Text(i18n.t("download.heading", lang), style={"font-weight": "bold"})
        with solara.Div(classes=["abm-download-csv"]):
            solara.FileDownload(lambda: labmod.comparison_csv(lab),
                                filename=f"comparison-{name}-{month}.csv",
                                label=i18n.t("download.csv", lang), mime_type="text/csv")
        with solara.Div(classes=["abm-download-png"]):
            solara.FileDownload(lambda: labmod.comparison_png(lab, lang),
                                filename=f"comparison-{name}-{month}-{lang}.png",
                                label=i18n.t("download.png", lang), mime_type="image/png")
        with solara.Div(classes=["abm-download-configs"]):
            solara.FileDownload(lambda: labmod.configs_zip(lab, lang),
                                filename=f"configs-{name}.zip",
                                label=i18n.t("download.configs", lang),
                                mime_type="application/zip")


@solara.component
def SeedsPanel(lab: Lab, lang: str) -> None:
    """Run the comparison for N seeds through the batch engine, in the background."""
    seeds = solara.use_reactive(DEFAULT_SEEDS)
    seeds_error = solara.use_reactive("")
    done = solara.use_reactive((0, 0))
    stop = solara.use_ref(threading.Event())
    running = solara.use_ref(False)
    settings = lab.changed.settings if lab.changed is not None else lab.base.settings

    def work(n: int, current: Settings, months: int
             ) -> tuple[Settings, list[labmod.SeedEffect]]:
        folder = Path(tempfile.mkdtemp(prefix="abm-page-seeds-"))
        try:
            return current, labmod.run_seeds(current, n, months, folder,
                                             lambda k, total: done.set((k, total)),
                                             stop.current, workers=seed_workers())
        finally:
            running.current = False
            shutil.rmtree(folder, ignore_errors=True)

    task = solara.lab.use_task(work, dependencies=None, raise_error=False)

    def start() -> None:
        if running.current or task.pending:  # single flight: a second click does nothing
            return
        running.current = True
        stop.current = threading.Event()
        done.set((0, 2 * seeds.value))
        task(seeds.value, settings, lab.months)

    def cancel() -> None:
        stop.current.set()

    def on_close() -> None:  # the tab closed (kernel closed): stop the runs
        stop.current.set()

    def watch_close() -> Callable[[], None]:
        try:
            from solara.server import kernel_context

            kernel_context.get_current_context().on_close(on_close)
        except (RuntimeError, KeyError, AttributeError):  # no server (test renderer)
            pass
        return on_close  # unmount: stop too

    solara.use_effect(watch_close, [])

    def typed(x: int | None) -> None:
        if x is None or not 2 <= x <= MAX_SEEDS:
            seeds_error.set(i18n.t("seeds.range", lang, high=MAX_SEEDS))
            return
        seeds_error.set("")
        seeds.set(int(x))

    busy = task.pending or running.current
    Heading(i18n.t("seeds.heading", lang), level=4)
    solara.Text(i18n.t("seeds.explain", lang), style={"font-size": "12px", "color": "#555"})
    with solara.Row(gap="8px", style={"align-items": "center", "flex-wrap": "wrap"}):
        solara.InputInt(i18n.t("seeds.count", lang), value=seeds.value, on_value=typed,
                        classes=["abm-seeds-n"], style={"max-width": "120px"})
        solara.Button(i18n.t("seeds.run", lang, n=seeds.value), on_click=start,
                      disabled=busy or bool(seeds_error.value) or lab.changed is None,
                      color="primary", classes=["abm-seeds-run"])
        solara.Button(i18n.t("seeds.cancel", lang), on_click=cancel, disabled=not busy,
                      classes=["abm-seeds-cancel"])
    FieldError(seeds_error.value)
    if lab.changed is None:
        solara.Text(i18n.t("seeds.no_changes", lang), style={"font-size": "12px",
                                                             "color": "#555"})
    k, total = done.value
    if busy:
        solara.ProgressLinear(value=100 * k / total if total else True)
        solara.Text(i18n.t("seeds.progress", lang, done=k, total=total),
                    classes=["abm-seeds-progress"])
    elif task.error:
        if isinstance(task.exception, labmod.Cancelled):
            solara.Text(i18n.t("seeds.cancelled", lang), classes=["abm-seeds-progress"])
        else:
            solara.Error(f"{type(task.exception).__name__}: {task.exception}")
    elif task.finished and task.value is not None:
        ran, effects = task.value
        with solara.Div(classes=["abm-seeds-result"]):
            solara.Text(i18n.t("seeds.result_for", lang, changes=labmod.changes_text(ran, lang),
                               months=lab.months),
                        style={"display": "block", "font-size": "13px", "font-weight": "bold"})
            for line in labmod.seed_sentence(effects, lang):
                solara.Text(line, style={"display": "block", "font-size": "13px"})


def seed_workers() -> int:
    """Worker processes for the page's seeds run: all cores but one (the page's)."""
    return max(1, (os.cpu_count() or 2) - 1)


@solara.component
def CountyMap(lab: Lab, tick: int, measure: solara.Reactive[str],
              village: solara.Reactive[int], shown: solara.Reactive[str], lang: str) -> None:
    session = lab.shown(shown.value)
    measures = available(session)
    keys = [m.key for m in measures]
    key = measure.value if measure.value in keys else keys[0]
    m = by_key(key)
    table = solara.use_memo(lambda: village_table(session), [session, tick])
    option = solara.use_memo(lambda: charts.map_option(session, m, table, village.value, lang),
                             [session, tick, key, village.value, lang])

    def clicked(event: dict[str, Any]) -> None:
        if event.get("seriesName") == "villages" and event.get("dataIndex") is not None:
            village.set(int(event["dataIndex"]))

    if lab.changed is not None:
        names = {i18n.t(f"scenario.{w}", lang): w for w in ("base", "changed")}
        solara.ToggleButtonsSingle(value=i18n.t(f"scenario.{shown.value}", lang),
                                   values=list(names),
                                   on_value=lambda n: shown.set(names[n]),
                                   classes=["abm-shown"])
    labels = {measure_label(x, lang): x.key for x in measures}
    solara.Select(i18n.t("map.colour_by", lang), values=list(labels),
                  value=measure_label(m, lang), on_value=lambda lab_: measure.set(labels[lab_]),
                  classes=["abm-measure"])
    with solara.Div(classes=["abm-map"]):
        solara.FigureEcharts(option=option, on_click=clicked,
                             attributes={"style": "height: 400px; width: 100%;"})
    vi = village.value
    if 0 <= vi < session.model.county.n_villages:
        shown_m = [x for x in MEASURES if x.key in table]
        parts = [f"{measure_label(x, lang)}: {format_value(x, float(table[x.key][vi]))}"
                 for x in shown_m]
        township = int(session.model.county.village_township[vi]) + 1
        solara.Text(i18n.t("map.village_summary", lang, village=vi, township=township,
                           values="; ".join(parts)),
                    classes=["abm-village-summary"], style={"font-size": "13px"})


@solara.component
def TimeSeries(lab: Lab, tick: int, lang: str) -> None:
    """The comparison charts, each its own ECharts instance (its own hover units)."""
    options = solara.use_memo(
        lambda: [charts.standalone(o) for o in charts.time_series_options(lab, lang)],
        [lab, tick, lang])
    if lab.changed is not None:
        solara.Text(i18n.t("chart.legend_note", lang), style={"font-size": "12px",
                                                              "color": "#555"})
    with solara.Div(classes=["abm-chart-series"]), solara.GridFixed(columns=3):
        for option in options:
            solara.FigureEcharts(option=option, attributes={
                "style": f"height: {SERIES_CELL_PX}px; width: 100%;"})


def smith_number(m: i18n.MetricText | None, value: float) -> str:
    if m is not None and m.percent:
        return f"{100 * value:.1f}%"
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}"


def smith_table_html(lab: Lab, columns: list[str], lang: str) -> str:
    """Current value of each indicator (unit by its name), meaning and better direction
    on hover; with changes, a column for each scenario."""
    changed = lab.changed is not None
    head = [i18n.t("smith.indicator", lang), i18n.t("scenario.base", lang)]
    if changed:
        head.append(i18n.t("scenario.changed", lang))
    out = ['<table class="abm-table"><thead><tr>',
           *[f"<th>{html.escape(h)}</th>" for h in head], "</tr></thead><tbody>"]
    for col in columns:
        m = i18n.metric(col, lang) if i18n.has_metric(col) else None
        tip = f"{m.meaning}. {i18n.better_text(m.better, lang)}" if m else col
        arrow = {"up": " ↑", "down": " ↓"}.get(m.better, "") if m else ""
        unit = f' <span style="color:#888">({html.escape(m.unit)})</span>' if (
            m and m.unit and not m.percent) else ""
        cells = [smith_number(m, labmod.latest(lab.base, col))]
        if changed:
            cells.append(smith_number(m, labmod.latest(lab.changed, col)))
        out.append(f'<tr><td><abbr title="{html.escape(tip)}">'
                   f"{html.escape(charts.smith_label(col, lang))}</abbr>{arrow}{unit}</td>"
                   + "".join(f"<td>{html.escape(c)}</td>" for c in cells) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


@solara.component
def SmithPanel(lab: Lab, tick: int, lang: str) -> None:
    """Smith's four factors, each measured from behaviour (``smith_*`` indicators)."""
    groups = solara.use_memo(lambda: charts.smith_groups(lab), [lab, tick])
    Heading(i18n.t("smith.heading", lang), level=4)
    solara.Text(i18n.t("smith.explain", lang), style={"font-size": "12px", "color": "#555"})
    with solara.Div(classes=["abm-smith"]), solara.GridFixed(columns=4):
        for key, cols in groups.items():
            title = i18n.term(key, lang)
            with solara.Card(title[0].upper() + title[1:], margin=0):
                if not cols or lab.month == 0:
                    solara.Text(i18n.t("smith.not_measured", lang), style={"color": "#888"})
                else:
                    solara.HTML(tag="div", unsafe_innerHTML=smith_table_html(lab, cols, lang))
                    with solara.Details(i18n.t("smith.trends", lang), expand=False):
                        solara.FigureEcharts(
                            option=charts.smith_option(lab, cols, lang, SMITH_CELL_PX),
                            attributes={"style": f"height: {len(cols) * SMITH_CELL_PX + 20}px;"
                                                 " width: 100%;"})


@solara.component
def HouseholdTable(rows: list[dict[str, Any]], headers: list[str], selected: int,
                   on_select: Callable[[int], None]) -> None:
    """The village's households; click a row to inspect that household."""
    first = headers[0]
    table = rv.DataTable(
        headers=[{"text": h, "value": h, "sortable": True} for h in headers],
        items=rows, items_per_page=-1, hide_default_footer=True, dense=True,
        item_key=first, class_="abm-table", fixed_header=True, height="400px",
    )

    def clicked(_widget: Any, _event: str, data: dict[str, Any]) -> None:
        if isinstance(data, dict) and first in data:
            on_select(int(data[first]))

    rv.use_event(table, "click:row", clicked)


@solara.component
def Inspector(lab: Lab, tick: int, village: solara.Reactive[int],
              household: solara.Reactive[int | None], shown: solara.Reactive[str],
              lang: str) -> None:
    session = lab.shown(shown.value)
    n_v = session.model.county.n_villages
    vi = min(max(village.value, 0), n_v - 1)
    df = solara.use_memo(lambda: inspector.village_households(session, vi, lang),
                         [session, tick, vi, lang])
    ids = [int(h) for h in df.iloc[:, 0]]
    h = household.value if household.value in ids else inspector.default_household(session, vi)
    layout = solara.use_memo(lambda: charts.network_layout(session, h), [session, h])
    option = solara.use_memo(lambda: charts.network_option(session, h, layout, lang),
                             [session, tick, h, lang])
    details = inspector.household_details(session, h, lang)
    village_error = solara.use_reactive("")

    def typed_village(x: int | None) -> None:
        if x is None or not 0 <= x < n_v:
            village_error.set(i18n.t("field.out_of_range", lang, value=x,
                                     allowed=i18n.t("field.range", lang, low=0, high=n_v - 1,
                                                    unit="")).strip())
            return
        village_error.set("")
        village.set(int(x))

    Heading(i18n.t("inspector.heading", lang), level=4)
    with solara.Row():
        solara.InputInt(i18n.t("inspector.village", lang), value=vi, on_value=typed_village,
                        classes=["abm-village"])
        solara.Select(i18n.t("inspector.household", lang), values=ids, value=h,
                      on_value=household.set, classes=["abm-household"])
    FieldError(village_error.value)
    with solara.Columns([3, 2]):
        with solara.Div(classes=["abm-households-table"],
                        style={"max-height": "420px", "overflow-y": "auto"}):
            records = df.to_dict(orient="records")
            HouseholdTable([{k: (int(x) if hasattr(x, "item") and float(x).is_integer()
                                 else (float(x) if hasattr(x, "item") else x))
                             for k, x in r.items()} for r in records],
                           list(df.columns), h, household.set)
        with solara.Div(classes=["abm-household-details"]):
            with solara.Div(classes=["abm-network"]):
                solara.FigureEcharts(option=option,
                                     attributes={"style": "height: 320px; width: 100%;"})
            solara.Text(i18n.t("inspector.household_title", lang, household=h),
                        style={"font-weight": "bold"})
            solara.HTML(tag="div", unsafe_innerHTML=inspector.details_table(details, lang))


def glossary_html(lang: str) -> str:
    other = "zh" if lang == "en" else "en"
    rows = [(g[lang], g[other], g["note"]) for g in i18n.glossary().values()]
    head = [i18n.t("glossary.term", lang), i18n.t("glossary.other", lang),
            i18n.t("glossary.note", lang)]
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>"
                   for r in rows)
    return (f'<table class="abm-table"><thead><tr>'
            f'{"".join(f"<th>{html.escape(h)}</th>" for h in head)}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


# --------------------------------------------------------------------- page
@solara.component
def Page() -> None:
    """The page `abm viz` serves: starts from the first preset."""
    App()


@solara.component
def App(initial: Settings | None = None, initial_lang: str | None = None) -> None:
    """The whole page; ``initial`` overrides the first preset (tests, benchmarks)."""
    presets = solara.use_memo(discover_presets, [])
    first = solara.use_memo(
        lambda: new_lab(initial or Settings.from_preset(presets[0].path)), [])
    lang = solara.use_reactive(initial_lang or i18n.default_lang())
    lab = solara.use_reactive(first)
    pending = solara.use_reactive(first.base.settings)
    tick = solara.use_reactive(0)
    playing = solara.use_reactive(False)
    error = solara.use_reactive("")
    errors: solara.Reactive[dict[str, str]] = solara.use_reactive({})
    measure = solara.use_reactive("poverty_rate")
    village = solara.use_reactive(0)
    household: solara.Reactive[int | None] = solara.use_reactive(None)
    shown = solara.use_reactive("changed")
    step_seconds = solara.use_ref(0.0)  # shown, but never a reason to render again
    css = solara.use_memo(lambda: CSS + font_css("".join(p.label for p in presets)), [])
    lg = lang.value

    def step() -> None:
        t0 = time.perf_counter()
        lab.value.step()
        step_seconds.current = time.perf_counter() - t0
        tick.set(tick.value + 1)

    async def play() -> None:
        while playing.value and lab.value.can_step():
            step()
            await asyncio.sleep(PLAY_DELAY_S)
        playing.set(False)

    solara.lab.use_task(play, dependencies=[playing.value, lab.value])

    def reset() -> None:
        playing.set(False)
        try:
            fresh = new_lab(pending.value)
        except ConfigError as exc:
            error.set(str(exc))
            return
        error.set("")
        lab.set(fresh)
        tick.set(0)
        # The selected village and household stay selected (same ids in a rebuilt county).
        if village.value >= fresh.base.model.county.n_villages:
            village.set(0)
        if household.value is not None and household.value >= fresh.base.config.run.households:
            household.set(None)

    L = lab.value
    b = L.base
    solara.Title(i18n.t("page.title", lg))
    solara.Style(css)
    with solara.Sidebar():
        LanguageSwitch(lang)
        RunControls(L, playing, step, reset, lg, blocked=bool(errors.value))
        SettingsPanel(presets, pending, error, errors, lg)
        if error.value:
            solara.Error(error.value)

    with solara.Column(style={"padding": "8px"}):
        labels = charts.month_labels(L)
        when = labels[-1] if labels else i18n.t("page.start_of", lg, year=b.config.run.start_year)
        with solara.Row(style={"align-items": "baseline", "flex-wrap": "wrap"}):
            Heading(county_name(b, lg), level=2)
            solara.Text(i18n.t("page.month", lg, month=L.month, months=L.months, when=when),
                        classes=["abm-month"])
            solara.Text(i18n.t("page.info", lg, households=f"{b.config.run.households:,}",
                               seed=b.config.run.seed, villages=b.model.county.n_villages,
                               seconds=f"{step_seconds.current:.2f}"),
                        classes=["abm-county-info"], style={"color": "#666"})
        if L.changed is not None:
            solara.Text(i18n.t("page.comparing", lg,
                               changes=labmod.changes_text(L.changed.settings, lg)),
                        classes=["abm-applied"], style={"font-size": "13px"})
        else:
            solara.Text(i18n.t("page.no_changes", lg), classes=["abm-applied"],
                        style={"font-size": "13px", "color": "#555"})
        with solara.Columns([6, 5]):
            with solara.Column():
                Headline(L, tick.value, lg)
                Downloads(L, tick.value, lg)
                SeedsPanel(L, lg)
            with solara.Column():
                CountyMap(L, tick.value, measure, village, shown, lg)
        SmithPanel(L, tick.value, lg)
        TimeSeries(L, tick.value, lg)
        Inspector(L, tick.value, village, household, shown, lg)
        with solara.Details(i18n.t("glossary.heading", lg), expand=False):
            solara.HTML(tag="div", unsafe_innerHTML=glossary_html(lg), classes=["abm-glossary"])
