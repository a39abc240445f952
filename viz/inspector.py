"""Tables for the village and household inspector (texts in the page's language)."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd

from abm import i18n
from viz.state import Session

DETAIL_KEYS = ("id", "village", "size", "n_labour", "age_head", "chronic", "disability",
               "skills", "motivation", "trust", "income_pc_year", "savings", "debt",
               "poor", "registered", "monitored")

# Status flags shown when the model has the column (monitoring arrives later).
STATUS_FLAGS = ("poor", "registered", "monitored", "dibao")


def _health(chronic: bool, disability: bool, sick: bool, lang: str = "en") -> str:
    bits = [i18n.t(f"inspector.health.{b}", lang)
            for b, on in (("chronic", chronic), ("disability", disability),
                          ("sick_now", sick)) if on]
    return ", ".join(bits) or i18n.t("inspector.health.healthy", lang)


def village_households(s: Session, village: int, lang: str = "en") -> pd.DataFrame:
    """One row per household of ``village``: health, skills, motivation, income, status."""
    hh = s.model.households
    sl = s.model.county.village_slice(int(village))
    idx = np.arange(sl.start, sl.stop)
    chronic, disability = hh.chronic[sl], hh.disability[sl]
    sick = hh.sick_now[sl]
    flags = [f for f in STATUS_FLAGS if hasattr(hh, f)]
    names = {f: i18n.t(f"inspector.status.{f}", lang) for f in flags}
    status = [", ".join(names[f] for f in flags if bool(getattr(hh, f)[i])) or "-"
              for i in idx]
    col = {k: i18n.t(f"inspector.col.{k}", lang) for k in
           ("household", "members", "health", "skills", "motivation", "income", "status")}
    return pd.DataFrame({
        col["household"]: idx,
        col["members"]: hh.size[sl].astype(int),
        col["health"]: [_health(c, d, k, lang)
                        for c, d, k in zip(chronic, disability, sick, strict=True)],
        col["skills"]: np.round(hh.skills[sl], 2),
        col["motivation"]: np.round(hh.motivation[sl], 2),
        col["income"]: np.round(hh.income_pc_year[sl]).astype(int),
        col["status"]: status,
    })


def household_details(s: Session, household: int, lang: str = "en") -> dict[str, str]:
    """A household's own numbers, formatted for a small key/value table."""
    row = s.model.households[int(household)].as_dict()
    out: dict[str, str] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            continue
        if isinstance(value, bool | np.bool_):
            out[key] = i18n.t("inspector.answer_yes" if value else "inspector.answer_no", lang)
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


def details_table(details: dict[str, str], lang: str = "en") -> str:
    rows = [(i18n.t(f"inspector.field.{k}", lang), details[k]) for k in DETAIL_KEYS
            if k in details]
    return html_table(pd.DataFrame(rows, columns=["", i18n.t("inspector.value", lang)]))


def default_household(s: Session, village: int) -> int:
    """The poorest household of the village (by income per person)."""
    sl = s.model.county.village_slice(int(village))
    return int(sl.start + int(np.argmin(s.model.households.income_pc_year[sl])))
