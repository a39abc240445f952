"""Poverty, income, household and money measures of one month (pure functions).

Every value is declared in ``abm.results`` (name, unit, label); this module only reads
the model's state and returns numbers, so calling it twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from abm import kernels, parallel
from abm.households.state import (
    MONITORING_EVENTS,
    POVERTY_EVENTS,
    RETURN_CAUSES,
    Category,
    Event,
)

if TYPE_CHECKING:
    from abm.model import CountyModel

MONITORED_CATEGORIES = tuple((c, c.name.lower()) for c in Category if c != Category.NONE)


def median(a: np.ndarray) -> float:
    """``float(np.median(a))`` of a 1-D float array, bit for bit, with one selection
    instead of numpy's three (it also places the largest value, to look for NaN): among
    the values near the middle (``kernels.median_pair``) when the array is long, else
    over all of it.

    Equal values have equal bits except 0.0 and -0.0, so when a middle value is zero
    and the array holds a negative zero np.median itself decides which zero (its
    partition's choice)."""
    n = a.size
    if n == 0:
        return float(np.median(a))
    if a.dtype == np.float64 and a.ndim == 1:
        lo, hi, state = kernels.median_pair(a)  # the middle values, from fewer of them
        if state == 1:
            return float("nan")
        if state == 0 or state == 3:  # (3: a zero's sign may depend on the partition)
            if state == 3 and (hi == 0.0 or lo == 0.0):
                return float(np.median(a))
            return float(hi) if n % 2 else float((lo + hi) / 2.0)
    k = n // 2
    part = np.partition(a, k)
    # NaNs sort last, so any of them is in the upper part; np.median gives NaN.
    if np.isnan(part[k:].max()):
        return float("nan")
    hi = part[k]
    lo = hi if n % 2 else part[:k].max()
    if hi == 0.0 or lo == 0.0:
        return float(np.median(a))
    return float(hi) if n % 2 else float((lo + hi) / 2.0)


def start_medians(hh) -> tuple[Callable[[], float], Callable[[], float]]:
    """Getters of the medians of the savings and of the 12-month incomes, computed on the
    other thread meanwhile when the run has two and many households
    (``abm.parallel.later``); nothing may change either column before they are got."""
    n = hh.n
    return (parallel.later(lambda: median(hh.savings) if n else 0.0, n),
            parallel.later(lambda: median(hh.income_pc_year) if n else 0.0, n))


def measure(model: CountyModel, codes: np.ndarray,
            causes: np.ndarray | Callable[[], np.ndarray],
            income: np.ndarray | None = None,
            medians: tuple[Callable[[], float], Callable[[], float]] | None = None
            ) -> dict[str, float]:
    """This month's poverty events (``codes``/``causes`` from the status phase), rates,
    incomes, households' state, monitoring rolls and money flows. ``income`` is this
    month's ``hh.income_m()`` when the caller has it already; ``causes`` may be a getter
    (the model measures them on its other thread meanwhile), called last.

    The members' totals and the counts of households come from one compiled pass
    (``abm.kernels.household_counts``: integers, exact in any order; a mean of booleans
    is numpy's count / n, bit for bit), and the registered households' values are
    gathered by index, not by mask (the same array, faster); sums of money and
    means stay numpy's (their rounding depends on the order of the additions).
    ``medians``: the getters of ``start_medians``, when the caller started them earlier
    (the model does, before its other work for the other thread)."""
    hh = model.households
    n = hh.n
    income = hh.income_m() if income is None else income
    # The medians of the savings and the 12-month incomes on the other thread meanwhile,
    # when the run has two and many households (nothing here changes either).
    savings_median, income_median = start_medians(hh) if medians is None else medians
    c = dict(zip(kernels.COUNTS, kernels.household_counts(
        hh.size, hh.poor, hh.registered, hh.n_migrants, hh.n_labour, hh.n_jobless,
        hh.chronic, hh.disability, hh.sick_now, hh.debt, hh.land_let, hh.at_risk,
        hh.monitored, hh.category, hh.in_post, hh.dibao, hh.coop, hh.employer,
        hh.business, hh.n_school_leavers, hh.n_left_school).tolist(), strict=True))
    persons = float(c["persons"])
    m: dict[str, float] = {
        "month": model.month,
        "year": model.calendar.year(model.month),
        "poverty_line": model.ctx.poverty_line,
        "price_index": float(np.average(model.markets.prices, weights=np.bincount(
            model.county.village_sector, minlength=len(model.county.sectors)) + 1e-12)),
        "n_households": n,
        "n_persons": persons,
    }
    reg = hh.registered
    m["n_poor"] = c["poor"]
    m["poverty_rate"] = m["n_poor"] / max(n, 1)
    m["poverty_rate_persons"] = float(c["persons_poor"]) / max(persons, 1.0)
    m["n_registered"] = c["registered"]
    m["n_poor_registered"] = c["poor_registered"]
    m["poverty_rate_registered"] = m["n_poor_registered"] / max(m["n_registered"], 1)

    # Incomes, per person per year (this month annualised; NBS definitions). The month's
    # public transfers are summed once, for the incomes and the money flows.
    public_m = float(hh.inc_public_m.sum())
    _incomes(m, model, persons, public_m)
    ri = np.flatnonzero(reg)  # x.take(ri) is x[reg]
    reg_persons = float(c["persons_registered"])
    m["income_pc_registered"] = (float(income.take(ri).sum()) * 12.0 / reg_persons
                                 if reg_persons else 0.0)

    # Households' state.
    m["mean_motivation"] = float(hh.motivation.mean())
    m["mean_skills"] = float(hh.skills.mean())
    labour = float(c["labour"])
    m["share_workers_migrant"] = float(c["migrants"]) / max(labour, 1.0)
    away = float(c["migrants_registered"])
    m["share_wage_workers_away_registered"] = away / max(
        away + float(hh.local_workers.take(ri).sum()), 1.0)
    m["n_jobless_migrants"] = c["jobless"]
    m["share_chronic"] = c["chronic"] / max(n, 1)
    m["share_disability"] = c["disability"] / max(n, 1)
    m["share_sick_workers"] = c["sick_now"] / max(n, 1)
    m["share_in_debt"] = c["in_debt"] / max(n, 1)
    land = float(hh.land.sum())
    m["share_land_let"] = float(hh.land_let.sum()) / land if land > 0 else 0.0
    m["share_letting_land"] = c["letting_land"] / max(n, 1)

    # Monitoring.
    m["n_at_risk"] = c["at_risk"]
    m["n_monitored"] = c["monitored"]
    for k, name in MONITORED_CATEGORIES:
        m[f"n_monitored_{name}"] = c[f"monitored_{int(k)}"]
    m["n_in_posts"] = c["in_post"]
    m["n_dibao"] = c["dibao"]
    m["n_coop_members"] = c["coop"]
    m["n_enterprise_jobs"] = c["employer"]
    m["n_businesses"] = c["business"]
    m["n_school_leavers"] = c["school_leavers"]
    m["cum_left_school"] = c["left_school"]
    _money(m, model, public_m)
    # Last, what the other thread may still be computing.
    m["savings_median"] = savings_median()
    m["disposable_income_pc_median"] = income_median()
    _events(m, model, codes, causes() if callable(causes) else causes)
    return m


def _events(m: dict, model: CountyModel, codes: np.ndarray, causes: np.ndarray) -> None:
    """This month's poverty and monitoring events, returns by cause, the running counts."""
    for ev in POVERTY_EVENTS:
        m[f"new_{ev.label}"] = int((codes == ev).sum())
    mon_codes = [ev[1] for ev in model.implementation.events]
    mon_codes = np.concatenate(mon_codes) if mon_codes else np.zeros(0, np.int8)
    for ev in MONITORING_EVENTS:
        m[f"new_{ev.label}"] = int((mon_codes == ev).sum())
    returned = causes[codes == Event.RETURNED_TO_POVERTY]
    for c in RETURN_CAUSES:
        m[f"new_returned_{c}"] = int((returned == c).sum())
    m["cum_returned_to_poverty"] = model.tally.cum_returned
    m["cum_returned_census"] = model.tally.cum_returned_census
    m["cum_returned_census_income"] = model.tally.cum_returned_census_income
    m["cum_returned_census_income_registered"] = (
        model.tally.cum_returned_census_income_registered)


def _incomes(m: dict, model: CountyModel, persons: float,
             public_m: float | None = None) -> None:
    """Incomes per person per year by source (this month annualised; NBS definitions).
    ``public_m``: this month's public transfers, ``float(hh.inc_public_m.sum())``, when
    the caller has summed them."""
    hh = model.households
    scale = 12.0 / max(persons, 1.0)
    farm = float(hh.inc_farm_m.sum()) * scale
    wage = float(hh.inc_wage_m.sum()) * scale
    remit = float(hh.inc_remit_m.sum()) * scale
    prop = float(hh.inc_property_m.sum()) * scale
    public = (float(hh.inc_public_m.sum()) if public_m is None else public_m) * scale
    total = farm + wage + remit + prop + public
    m["income_pc"] = total
    m["cpi"] = model.ctx.cpi
    m["income_pc_real"] = total / model.ctx.cpi
    m["poverty_line_real"] = model.ctx.poverty_line / model.ctx.cpi
    m["income_pc_wages"] = wage
    m["income_pc_business"] = farm
    m["income_pc_property"] = prop
    m["income_pc_remittances"] = remit
    m["income_pc_public_transfers"] = public
    m["share_wages"] = wage / total if total else 0.0
    m["share_business"] = farm / total if total else 0.0
    m["share_property"] = prop / total if total else 0.0
    m["share_transfers"] = (remit + public) / total if total else 0.0


def _money(m: dict, model: CountyModel, public_m: float | None = None) -> None:
    """Money flows this month (county totals, yuan; ``public_m`` as in ``_incomes``)."""
    hh = model.households
    for line, spent in model.budget.month_by_line().items():
        m[f"spent_{line}_m"] = float(spent)
    m["help_m"] = float(hh.help_m.sum())
    m["medical_cost_m"] = float(hh.medical_cost_m.sum())
    m["medical_oop_m"] = float(hh.sp_medical_m.sum())
    m["medical_reimbursed_m"] = float(hh.reimbursed_m.sum())
    m["public_transfers_m"] = float(hh.inc_public_m.sum()) if public_m is None else public_m
    m["consumption_m"] = float(hh.sp_consumption_m.sum())
    m["schooling_m"] = float(hh.sp_schooling_m.sum())
