"""ECharts options for the map, the time series, the Smith panel and the network.

Options are plain dicts built on the server; the browser draws them with the
ECharts copy served from the local ``solara-assets`` install. Series are picked
by column prefix, so metrics the model adds later appear without code changes.
"""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np

from abm.county import to_networkx
from viz.measures import Measure, available, format_value
from viz.state import Session

Option = dict[str, Any]

CAUSE_COLOURS = {
    "illness": "#d62728", "disability": "#9467bd", "job_loss": "#1f77b4",
    "market": "#ff7f0e", "epidemic": "#8c564b", "disaster": "#7f7f7f",
    "policy_withdrawal": "#e377c2", "aging": "#bcbd22", "low_income": "#17becf",
}
INCOME_SOURCES = {
    "income_pc_business": "farm & business",
    "income_pc_wages": "local wages",
    "income_pc_remittances": "remittances",
    "income_pc_public_transfers": "public transfers",
    "income_pc_property": "property",
}
# Money the county spends each month (yuan); budget_/spent_ columns join when they exist.
BUDGET_COLUMNS = {"public_transfers_m": "public transfers",
                  "medical_reimbursed_m": "medical reimbursement"}
BUDGET_PREFIXES = ("budget_", "spent_", "fund_")
MONITORED_PREFIXES = ("n_monitored_", "monitored_")
SMITH_FACTORS = {
    "smith_policy_": "Idealized policy",
    "smith_org_": "Implementing organization",
    "smith_target_": "Target group",
    "smith_env_": "Environment",
}
BASE: Option = {"animation": False, "grid": {"left": 60, "right": 16, "top": 36, "bottom": 56}}


def month_labels(s: Session) -> list[str]:
    start = s.config.run.start_year
    return [f"{start + m // 12}-{m % 12 + 1:02d}" for m in range(len(s.history.get("month", [])))]


def pick(history: dict[str, list[float]], prefixes: tuple[str, ...]) -> list[str]:
    """History columns starting with any prefix, in the model's order."""
    return [k for k in history if k.startswith(prefixes)]


def _line_chart(s: Session, title: str, series: dict[str, str], *, percent: bool = False,
                stack: bool = False, unit: str = "", colours: dict[str, str] | None = None
                ) -> Option:
    scale = 100.0 if percent else 1.0
    out = []
    for col, name in series.items():
        data = [round(v * scale, 4) for v in s.history.get(col, [])]
        item: Option = {"name": name, "type": "line", "data": data, "showSymbol": False}
        if stack:
            item.update(stack="total", areaStyle={})
        if colours and col in colours:
            item["itemStyle"] = {"color": colours[col]}
        out.append(item)
    return {
        **BASE,
        "title": {"text": title, "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "scroll"},
        "xAxis": {"type": "category", "data": month_labels(s)},
        "yAxis": {"type": "value", "name": "%" if percent else unit, "scale": not stack},
        "series": out,
    }


def poverty_option(s: Session) -> Option:
    return _line_chart(s, "Poverty", {"poverty_rate": "all households",
                                      "poverty_rate_registered": "registered 2014-2020"},
                       percent=True)


def returns_option(s: Session) -> Option:
    causes = [k for k in pick(s.history, ("new_returned_",)) if k != "new_returned_to_poverty"]
    series = []
    for col in causes:
        cause = col.removeprefix("new_returned_")
        series.append({"name": cause.replace("_", " "), "type": "bar", "stack": "returns",
                       "data": s.history[col],
                       "itemStyle": {"color": CAUSE_COLOURS.get(cause, "#999")}})
    return {
        **BASE,
        "title": {"text": "Returns to poverty by measured cause", "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "axis"},
        "legend": {"bottom": 0, "type": "scroll"},
        "xAxis": {"type": "category", "data": month_labels(s)},
        "yAxis": {"type": "value", "name": "households"},
        "series": series,
    }


def income_option(s: Session) -> Option:
    series = {c: n for c, n in INCOME_SOURCES.items() if c in s.history}
    return _line_chart(s, "Income per person by source", series, stack=True,
                       unit="yuan/yr")


def budget_option(s: Session) -> Option:
    series = {c: n for c, n in BUDGET_COLUMNS.items() if c in s.history}
    series |= {c: c.replace("_", " ") for c in pick(s.history, BUDGET_PREFIXES)}
    return _line_chart(s, "Budget spent per month", series, unit="yuan")


def monitored_columns(s: Session) -> list[str]:
    return pick(s.history, MONITORED_PREFIXES)


def monitored_option(s: Session) -> Option:
    series = {c: c.removeprefix("n_").replace("_", " ") for c in monitored_columns(s)}
    return _line_chart(s, "Monitored households by category", series, unit="households")


def smith_groups(s: Session) -> dict[str, list[str]]:
    """Smith indicators grouped by factor (label -> columns); empty lists if not measured."""
    return {label: pick(s.history, (prefix,)) for prefix, label in SMITH_FACTORS.items()}


def smith_option(s: Session, label: str, columns: list[str]) -> Option:
    prefix = next(p for p, lab in SMITH_FACTORS.items() if lab == label)
    series = {c: c.removeprefix(prefix).replace("_", " ") for c in columns}
    return _line_chart(s, label, series)


def map_option(s: Session, measure: Measure, table: dict[str, np.ndarray],
               selected: int | None = None) -> Option:
    """Villages at their map positions, coloured by ``measure``; hover lists every measure."""
    county = s.model.county
    xy = county.village_xy
    shown = [m for m in available(s) if m.key in table]
    values = table[measure.key]
    scale = 100.0 if measure.fmt == "pct" else 1.0
    dims = ["x", "y", measure.label, "village", "township", *[m.label for m in shown]]
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
        "title": {"text": f"Villages by township: {measure.label}",
                  "textStyle": {"fontSize": 13}},
        "grid": {"left": 10, "right": 90, "top": 36, "bottom": 10},
        "tooltip": {"trigger": "item"},
        "xAxis": {"show": False, "scale": True},
        "yAxis": {"show": False, "scale": True},
        "visualMap": {"type": "continuous", "min": round(lo, 3), "max": round(hi, 3),
                      "dimension": 2, "seriesIndex": 0, "right": 0, "top": "middle",
                      "calculable": False, "text": ["high", "low"],
                      "inRange": {"color": ["#fff7bc", "#fec44f", "#d95f0e", "#7f2704"]}},
        "series": series,
    }


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


def network_option(s: Session, household: int, layout: Layout | None = None) -> Option:
    """One household's neighbourhood, coloured by its current poverty status."""
    graph, nodes, pos = layout or network_layout(s, household)
    hh = s.model.households
    poor = np.asarray(hh.poor)
    income = np.asarray(hh.income_pc_year)
    village = s.model.county.hh_village
    data = []
    for h in nodes:
        status = "poor" if poor[h] else "not poor"
        data.append({
            "name": f"household {h} (village {int(village[h])}): {status}, "
                    f"{income[h]:,.0f} yuan/person/yr",
            "id": str(h),
            "x": round(float(pos[h][0]), 4), "y": round(float(pos[h][1]), 4),
            "symbolSize": 22 if h == household else 11,
            "itemStyle": {"color": "#d62728" if poor[h] else "#1f77b4",
                          "borderColor": "#000", "borderWidth": 2 if h == household else 0},
        })
    links = [{"source": str(a), "target": str(b)} for a, b in graph.edges()]
    return {
        "animation": False,
        "title": {"text": f"Neighbourhood of household {household} (red: poor)",
                  "textStyle": {"fontSize": 13}},
        "tooltip": {"trigger": "item", "formatter": "{b}"},
        "series": [{"type": "graph", "layout": "none", "data": data, "links": links,
                    "roam": False, "lineStyle": {"color": "#999"},
                    "emphasis": {"focus": "adjacency"}}],
    }


def combine(options: list[Option], columns: int = 2, height_px: int = 300) -> Option:
    """Several single-grid charts as one ECharts instance (one canvas to redraw).

    Each option keeps its title, axes, legend and series, placed in its own cell of
    a grid ``columns`` wide; cells are ``height_px`` tall.
    """
    out: Option = {"animation": False, "tooltip": {"trigger": "axis"}, "title": [],
                   "grid": [], "xAxis": [], "yAxis": [], "legend": [], "series": []}
    width = 100.0 / columns
    for i, opt in enumerate(options):
        row, col = divmod(i, columns)
        top, left = row * height_px, col * width
        out["title"].append({**opt["title"], "top": top + 2, "left": f"{left + 1:.1f}%"})
        out["grid"].append({"top": top + 40, "height": height_px - 100, "containLabel": True,
                            "left": f"{left + 1:.1f}%", "width": f"{width - 3:.1f}%"})
        out["xAxis"].append({**opt["xAxis"], "gridIndex": i})
        out["yAxis"].append({**opt["yAxis"], "gridIndex": i})
        names = [s["name"] for s in opt["series"]]
        out["legend"].append({"type": "scroll", "data": names, "top": top + height_px - 36,
                              "left": f"{left + 1:.1f}%", "width": f"{width - 3:.1f}%"})
        out["series"].extend({**s, "xAxisIndex": i, "yAxisIndex": i} for s in opt["series"])
    return out
