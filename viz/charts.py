"""ECharts options for the map, the comparison charts, the Smith panel and the network.

Options are plain dicts built on the server; the browser draws them with the
ECharts copy served from the local ``solara-assets`` install. Every label comes
from the catalogs in ``abm/locales`` (``abm.i18n``) in the page's language, with
its unit. The preset as is is drawn solid, the user's changes dashed: both runs
share their random draws (common random numbers), so a gap between the lines is
the effect of the changes.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from abm import i18n
from abm.budget import payers
from abm.county import to_networkx
from viz.measures import Measure, available, format_value, measure_label
from viz.state import Lab, Session

Option = dict[str, Any]

FONT = "'Noto Sans', 'DejaVu Sans', Roboto, Arial, AbmCJK, sans-serif"
SCENARIO_COLOURS = {"base": "#4c72b0", "changed": "#dd8452"}
LINE_COLOURS = ["#4c72b0", "#c44e52", "#55a868", "#8172b2", "#937860", "#da8bc3"]
INCOME_COLUMNS = ("income_pc", "income_pc_public_transfers")
MONITORED_PREFIXES = ("n_monitored_", "monitored_")
SMITH_FACTORS = {
    "smith_policy_": "smith_policy",
    "smith_org_": "smith_org",
    "smith_target_": "smith_target",
    "smith_env_": "smith_env",
}
HEADLINE = ("poverty_rate_registered", "cum_returned_to_poverty", "cum_exited_poverty",
            "n_monitored", "spent_total")
BASE: Option = {"animation": False, "textStyle": {"fontFamily": FONT},
                "grid": {"left": 60, "right": 16, "top": 36, "bottom": 56}}


def month_labels(s: Session | Lab) -> list[str]:
    s = s.base if isinstance(s, Lab) else s
    start = s.config.run.start_year
    return [f"{start + m // 12}-{m % 12 + 1:02d}" for m in range(len(s.history.get("month", [])))]


def pick(history: dict[str, list[float]], prefixes: tuple[str, ...]) -> list[str]:
    """History columns starting with any prefix, in the model's order."""
    return [k for k in history if k.startswith(prefixes)]


def scenario_name(which: str, lang: str) -> str:
    return i18n.t(f"scenario.{which}", lang)


def _runs(lab: Lab) -> list[tuple[str, Session]]:
    out = [("base", lab.base)]
    if lab.changed is not None:
        out.append(("changed", lab.changed))
    return out


def _line(name: str, data: list[float], colour: str, which: str, **extra: Any) -> Option:
    return {"name": name, "type": "line", "data": data, "showSymbol": False,
            "itemStyle": {"color": colour},
            "lineStyle": {"type": "dashed" if which == "changed" else "solid", "width": 2},
            **extra}


def _chart(title: str, x: list[str], series: list[Option], y_name: str,
           x_type: str = "category", horizontal: bool = False) -> Option:
    axis_x: Option = {"type": x_type, "data": x}
    axis_y: Option = {"type": "value", "name": y_name, "scale": False}
    if horizontal:
        axis_x, axis_y = ({"type": "value", "name": y_name},
                          {"type": "category", "data": x, "inverse": True})
    return {
        **BASE,
        "title": {"text": title, "textStyle": {"fontSize": 13, "fontFamily": FONT}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "plain", "textStyle": {"fontSize": 11}},
        "xAxis": axis_x,
        "yAxis": axis_y,
        "series": series,
    }


def metric_text(col: str, lang: str) -> i18n.MetricText:
    """The catalog's label and unit; a series the catalog does not know yet keeps its
    column name (it still appears: series are picked by prefix)."""
    if i18n.has_metric(col):
        return i18n.metric(col, lang)
    return i18n.MetricText(col, col.removeprefix("n_").replace("_", " "), "", "", "none", col)


def _metric_lines(lab: Lab, columns: list[str], lang: str, colours: list[str] | None = None
                  ) -> list[Option]:
    """One line per column and scenario: colour by column, dashed for the changes."""
    out = []
    for i, col in enumerate(columns):
        m = metric_text(col, lang)
        scale = 100.0 if m.percent else 1.0
        colour = (colours or LINE_COLOURS)[i % len(LINE_COLOURS)]
        for which, s in _runs(lab):
            data = [round(v * scale, 4) for v in s.history.get(col, [])]
            name = m.label if which == "base" else f"{m.label} · {scenario_name(which, lang)}"
            if len(columns) == 1:
                name = scenario_name(which, lang)
            out.append(_line(name, data, colour, which))
    return out


def _unit(col: str, lang: str) -> str:
    return i18n.metric(col, lang).unit


def poverty_option(lab: Lab, lang: str = "en") -> Option:
    cols = ["poverty_rate_registered", "poverty_rate"]
    return _chart(i18n.t("chart.poverty", lang), month_labels(lab),
                  _metric_lines(lab, cols, lang), "%")


def returns_total_option(lab: Lab, lang: str = "en") -> Option:
    col = "cum_returned_to_poverty"
    series = [_line(scenario_name(w, lang), list(s.history.get(col, [])),
                    SCENARIO_COLOURS[w], w) for w, s in _runs(lab)]
    return _chart(i18n.t("chart.returns_total", lang), month_labels(lab), series,
                  _unit(col, lang))


def causes(lab: Lab) -> list[str]:
    cols = [k for k in pick(lab.base.history, ("new_returned_",))
            if k != "new_returned_to_poverty"]
    return [c.removeprefix("new_returned_") for c in cols]


def returns_by_cause_option(lab: Lab, lang: str = "en") -> Option:
    """Returns since month 0 by measured cause: one bar per scenario and cause."""
    names = causes(lab)
    series = []
    for which, s in _runs(lab):
        data = [int(sum(s.history.get(f"new_returned_{c}", []))) for c in names]
        series.append({"name": scenario_name(which, lang), "type": "bar", "data": data,
                       "itemStyle": {"color": SCENARIO_COLOURS[which]},
                       "label": {"show": True, "position": "right", "fontSize": 10}})
    opt = _chart(i18n.t("chart.returns_by_cause", lang), [i18n.cause(c, lang) for c in names],
                 series, i18n.metric("cum_returned_to_poverty", lang).unit, horizontal=True)
    opt["grid"] = {**BASE["grid"], "left": 120 if lang == "en" else 101}
    return opt


def income_option(lab: Lab, lang: str = "en") -> Option:
    return _chart(i18n.t("chart.income", lang), month_labels(lab),
                  _metric_lines(lab, [c for c in INCOME_COLUMNS if c in lab.base.history], lang),
                  _unit("income_pc", lang))


def payer_totals(s: Session) -> dict[str, float]:
    """Money paid since month 0, by payer (yuan), in the budget's order of payers."""
    out: dict[str, float] = {}
    for line, payer in payers().items():
        col = f"spent_{line}_m"
        if col in s.history:
            out[payer] = out.get(payer, 0.0) + float(sum(s.history[col]))
    return out


def budget_option(lab: Lab, lang: str = "en") -> Option:
    """Money spent since month 0, grouped by who pays: one bar per scenario and payer."""
    totals = [(w, payer_totals(s)) for w, s in _runs(lab)]
    payers = [p for p in totals[0][1] if any(t[p] > 0 for _, t in totals)]
    big = lang == "en"
    scale, unit = (1e6, i18n.t("unit.million_yuan", lang)) if big else (
        1e4, i18n.t("unit.wan_yuan", lang))
    series = [{"name": scenario_name(w, lang), "type": "bar",
               "data": [round(t[p] / scale, 2) for p in payers],
               "itemStyle": {"color": SCENARIO_COLOURS[w]}} for w, t in totals]
    opt = _chart(i18n.t("chart.budget", lang), [i18n.payer(p, lang) for p in payers], series,
                 unit, horizontal=True)
    opt["grid"] = {**BASE["grid"], "left": 160 if lang == "en" else 110}
    return opt


def monitored_columns(s: Session | Lab) -> list[str]:
    s = s.base if isinstance(s, Lab) else s
    return pick(s.history, MONITORED_PREFIXES)


def monitored_option(lab: Lab, lang: str = "en") -> Option:
    return _chart(i18n.t("chart.monitored", lang), month_labels(lab),
                  _metric_lines(lab, monitored_columns(lab), lang),
                  _unit("n_monitored", lang))


def difference_option(lab: Lab, lang: str = "en") -> Option:
    """Your changes minus the preset, month by month, for the headline counts."""
    series = []
    if lab.changed is not None:
        for i, col in enumerate(("cum_returned_to_poverty", "n_monitored",
                                 "cum_exited_poverty")):
            a = np.asarray(lab.base.history.get(col, []), dtype=float)
            b = np.asarray(lab.changed.history.get(col, []), dtype=float)
            series.append(_line(i18n.metric(col, lang).label, (b - a).round(3).tolist(),
                                LINE_COLOURS[i], "base"))
    return _chart(i18n.t("chart.difference", lang), month_labels(lab), series,
                  i18n.t("unit.households_diff", lang))


def time_series_options(lab: Lab, lang: str = "en") -> list[Option]:
    out = [poverty_option(lab, lang), returns_total_option(lab, lang),
           returns_by_cause_option(lab, lang), budget_option(lab, lang),
           income_option(lab, lang)]
    if monitored_columns(lab):
        out.append(monitored_option(lab, lang))
    if lab.changed is not None:
        out.append(difference_option(lab, lang))
    return out


# ----------------------------------------------------------------- Smith panel
def smith_groups(s: Session | Lab) -> dict[str, list[str]]:
    """Smith indicators by factor (glossary key -> columns); empty lists if not measured."""
    s = s.base if isinstance(s, Lab) else s
    return {key: [c for c in pick(s.history, (prefix,))]
            for prefix, key in SMITH_FACTORS.items()}


def smith_label(col: str, lang: str) -> str:
    if i18n.has_metric(col):
        return i18n.metric(col, lang).label
    return col.split("_", 2)[-1].replace("_", " ")  # a new indicator not yet in the catalog


def smith_option(lab: Lab, columns: list[str], lang: str = "en", cell_px: int = 78) -> Option:
    """Small multiples: one grid per indicator, each on its own scale, both scenarios."""
    out: Option = {"animation": False, "textStyle": {"fontFamily": FONT},
                   "tooltip": {"trigger": "axis"}, "title": [], "grid": [], "xAxis": [],
                   "yAxis": [], "series": []}
    x = month_labels(lab)
    for i, col in enumerate(columns):
        top = i * cell_px
        known = i18n.has_metric(col)
        m = i18n.metric(col, lang) if known else None
        arrow = {"up": " ↑", "down": " ↓"}.get(m.better, "") if m else ""
        unit = f" ({m.unit})" if m and m.unit else ""
        out["title"].append({"text": f"{smith_label(col, lang)}{unit}{arrow}", "top": top,
                             "left": 4, "textStyle": {"fontSize": 11, "fontWeight": "normal",
                                                      "fontFamily": FONT}})
        out["grid"].append({"top": top + 20, "height": cell_px - 34, "left": 44, "right": 8})
        out["xAxis"].append({"type": "category", "data": x, "gridIndex": i,
                             "axisLabel": {"show": i == len(columns) - 1, "fontSize": 9}})
        out["yAxis"].append({"type": "value", "gridIndex": i, "scale": True, "splitNumber": 2,
                             "axisLabel": {"fontSize": 9}})
        scale = 100.0 if m and m.percent else 1.0
        for which, s in _runs(lab):
            data = [round(v * scale, 4) for v in s.history.get(col, [])]
            name = f"{smith_label(col, lang)} · {scenario_name(which, lang)}"
            out["series"].append({**_line(name, data, SCENARIO_COLOURS[which], which),
                                  "xAxisIndex": i, "yAxisIndex": i})
    return out


# ------------------------------------------------------------------------ map
def map_option(s: Session, measure: Measure, table: dict[str, np.ndarray],
               selected: int | None = None, lang: str = "en") -> Option:
    """Villages at their map positions, coloured by ``measure``; hover lists every measure."""
    county = s.model.county
    xy = county.village_xy
    shown = [m for m in available(s) if m.key in table]
    values = table[measure.key]
    scale = 100.0 if measure.fmt == "pct" else 1.0
    label = measure_label(measure, lang)
    dims = ["x", "y", label, i18n.t("map.village", lang), i18n.t("map.township", lang),
            *[measure_label(m, lang) for m in shown]]
    data = []
    for v in range(county.n_villages):
        row: list[Any] = [round(float(xy[v, 0]), 3), round(float(xy[v, 1]), 3),
                          round(float(values[v]) * scale, 3), int(v),
                          int(county.village_township[v]) + 1]
        row += [format_value(m, float(table[m.key][v])) for m in shown]
        data.append(row)
    lo, hi = float(values.min()) * scale, float(values.max()) * scale
    if hi <= lo:
        hi = lo + 1.0
    series: list[Option] = [{
        "name": "villages", "type": "scatter", "data": data, "symbolSize": 16,
        "dimensions": dims,
        "encode": {"x": 0, "y": 1, "tooltip": list(range(3, len(dims)))},
        "itemStyle": {"borderColor": "#333", "borderWidth": 0.5},
        "emphasis": {"itemStyle": {"borderColor": "#000", "borderWidth": 2}},
    }]
    towns = county.village_township
    centres = []
    for t in np.unique(towns):  # township seats sit inside their ring of villages
        cx, cy = xy[towns == t].mean(axis=0)
        centres.append([round(float(cx), 3), round(float(cy), 3), f"T{int(t) + 1}"])
    series.append({
        "name": "townships", "type": "scatter", "data": centres, "symbolSize": 0,
        "silent": True, "z": 1, "tooltip": {"show": False},
        "label": {"show": True, "formatter": "{@[2]}", "color": "#555", "fontSize": 11},
    })
    if selected is not None and 0 <= selected < county.n_villages:
        series.append({
            "name": "selected", "type": "scatter", "symbol": "circle", "symbolSize": 24,
            "data": [[float(xy[selected, 0]), float(xy[selected, 1])]], "silent": True,
            "itemStyle": {"color": "rgba(0,0,0,0)", "borderColor": "#000", "borderWidth": 2.5},
            "z": 3, "tooltip": {"show": False},
        })
    return {
        "animation": False,
        "textStyle": {"fontFamily": FONT},
        "title": {"text": i18n.t("map.title", lang, measure=label),
                  "textStyle": {"fontSize": 13, "fontFamily": FONT}},
        "grid": {"left": 10, "right": 90, "top": 36, "bottom": 10},
        "tooltip": {"trigger": "item"},
        "xAxis": {"show": False, "scale": True},
        "yAxis": {"show": False, "scale": True},
        "visualMap": {"type": "continuous", "min": round(lo, 3), "max": round(hi, 3),
                      "dimension": 2, "seriesIndex": 0, "right": 0, "top": "middle",
                      "calculable": False,
                      "text": [i18n.t("map.high", lang), i18n.t("map.low", lang)],
                      "inRange": {"color": ["#fff7bc", "#fec44f", "#d95f0e", "#7f2704"]}},
        "series": series,
    }


# -------------------------------------------------------------------- network
def neighbourhood(s: Session, household: int, limit: int = 40) -> list[int]:
    """The household, its ties, then ties of ties, up to ``limit`` households."""
    county = s.model.county
    nodes = [int(household)]
    seen = {int(household)}
    frontier = [int(household)]
    while frontier and len(nodes) < limit:
        nxt = []
        for h in frontier:
            for j in county.neighbours(h):
                j = int(j)
                if j not in seen and len(nodes) < limit:
                    seen.add(j)
                    nodes.append(j)
                    nxt.append(j)
        frontier = nxt
    return nodes


Layout = tuple[nx.Graph, list[int], dict[int, np.ndarray]]


def network_layout(s: Session, household: int) -> Layout:
    """The neighbourhood graph and fixed positions (spring layout seeded by the id)."""
    nodes = neighbourhood(s, household)
    graph = to_networkx(s.model.county, np.asarray(nodes, dtype=np.int64))
    pos = nx.spring_layout(graph, seed=int(household) % (2**31 - 1))
    return graph, nodes, pos


def network_option(s: Session, household: int, layout: Layout | None = None,
                   lang: str = "en") -> Option:
    """One household's neighbourhood, coloured by its current poverty status."""
    graph, nodes, pos = layout or network_layout(s, household)
    hh = s.model.households
    poor = np.asarray(hh.poor)
    income = np.asarray(hh.income_pc_year)
    village = s.model.county.hh_village
    data = []
    for h in nodes:
        status = i18n.t("network.poor" if poor[h] else "network.not_poor", lang)
        data.append({
            "name": i18n.t("network.node", lang, household=h, village=int(village[h]),
                           status=status, income=f"{income[h]:,.0f}"),
            "id": str(h),
            "x": round(float(pos[h][0]), 4), "y": round(float(pos[h][1]), 4),
            "symbolSize": 22 if h == household else 11,
            "itemStyle": {"color": "#d62728" if poor[h] else "#1f77b4",
                          "borderColor": "#000", "borderWidth": 2 if h == household else 0},
        })
    links = [{"source": str(a), "target": str(b)} for a, b in graph.edges()]
    return {
        "animation": False,
        "textStyle": {"fontFamily": FONT},
        "title": {"text": i18n.t("network.title", lang, household=household),
                  "textStyle": {"fontSize": 13, "fontFamily": FONT}},
        "tooltip": {"trigger": "item", "formatter": "{b}"},
        "series": [{"type": "graph", "layout": "none", "data": data, "links": links,
                    "roam": False, "lineStyle": {"color": "#999"},
                    "emphasis": {"focus": "adjacency"}}],
    }


def tooltip_template(opt: Option, unit: str) -> str:
    """Hover text with the unit after every value: ``{b}<br/>{a0}: {c0} households``."""
    glue = "" if unit == "%" else " "
    lines = ["{b}"] + [f"{{a{i}}}: {{c{i}}}{glue}{unit}" for i in range(len(opt["series"]))]
    return "<br/>".join(lines)


def standalone(opt: Option) -> Option:
    """One chart as its own ECharts instance: the unit in the title and after every
    value on hover, the legend naming each measure once, below the plot."""
    title = dict(opt["title"])
    unit = opt["yAxis"].get("name") or opt["xAxis"].get("name") or ""
    if unit and f"({unit})" not in title["text"] and f"（{unit}）" not in title["text"]:
        title["text"] += f" ({unit})"
    names = list(dict.fromkeys(s["name"].split(" · ")[0] for s in opt["series"]))
    return {
        **opt,
        "title": title,
        # Horizontal bars keep their room for category names (measured, not guessed).
        "grid": {"top": 40, "bottom": 56, "right": 28,
                 **({"left": opt["grid"]["left"], "containLabel": False}
                    if opt["grid"].get("left", 0) > 100 else
                    {"left": 8, "containLabel": True})},
        "xAxis": {**opt["xAxis"], "name": ""},
        "yAxis": {**opt["yAxis"], "name": ""},
        "tooltip": {"trigger": "axis", "formatter": tooltip_template(opt, unit),
                    "confine": True},
        "legend": {"type": "plain", "data": names, "bottom": 0, "itemWidth": 18,
                   "itemHeight": 8, "textStyle": {"fontSize": 10}},
    }
