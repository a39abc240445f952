"""Tables for the village and household inspector."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from viz.state import Session

# Status flags shown when the model has the column (monitoring arrives later).
STATUS_FLAGS = ("poor", "registered", "monitored", "dibao")


def _health(chronic: bool, disability: bool, sick: bool) -> str:
    bits = [b for b, on in (("chronic", chronic), ("disability", disability),
                            ("sick now", sick)) if on]
    return ", ".join(bits) or "healthy"


def village_households(s: Session, village: int) -> pd.DataFrame:
    """One row per household of ``village``: health, skills, motivation, income, status."""
    hh = s.model.households
    sl = s.model.county.village_slice(int(village))
    idx = np.arange(sl.start, sl.stop)
    chronic, disability = hh.chronic[sl], hh.disability[sl]
    sick = hh.sick_now[sl]
    flags = [f for f in STATUS_FLAGS if hasattr(hh, f)]
    status = [", ".join(f for f in flags if bool(getattr(hh, f)[i])) or "-" for i in idx]
    return pd.DataFrame({
        "household": idx,
        "members": hh.size[sl].astype(int),
        "health": [_health(c, d, k) for c, d, k in zip(chronic, disability, sick, strict=True)],
        "skills": np.round(hh.skills[sl], 2),
        "motivation": np.round(hh.motivation[sl], 2),
        "income (yuan/person/yr)": np.round(hh.income_pc_year[sl]).astype(int),
        "status": status,
    })


def household_details(s: Session, household: int) -> dict[str, str]:
    """A household's own numbers, formatted for a small key/value table."""
    row = s.model.households[int(household)].as_dict()
    out: dict[str, str] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            continue
        if isinstance(value, bool | np.bool_):
            out[key] = "yes" if value else "no"
        elif isinstance(value, float):
            out[key] = f"{value:,.2f}" if abs(value) < 100 else f"{value:,.0f}"
        else:
            out[key] = str(value)
    return out


def html_table(df: pd.DataFrame) -> str:
    """A plain HTML table (escaped): one widget, far cheaper to redraw than a data grid.

    Built by hand: ``DataFrame.to_html`` is several times slower for a village.
    """
    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    cols = [[escape(str(x)) for x in df[c].tolist()] for c in df.columns]
    body = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>"
                   for row in zip(*cols, strict=True))
    return (f'<table class="abm-table"><thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def details_table(details: dict[str, str], keys: list[str]) -> str:
    rows = [(k, details[k]) for k in keys if k in details]
    return html_table(pd.DataFrame(rows, columns=["", "value"]))


def default_household(s: Session, village: int) -> int:
    """The poorest household of the village (by income per person)."""
    sl = s.model.county.village_slice(int(village))
    return int(sl.start + int(np.argmin(s.model.households.income_pc_year[sl])))
