"""Health phase: aging (spread over the year), chronic onset, disability, acute episodes and
their costs. All households at once, one fixed-size draw per use."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import kernels, rules
from abm.instruments.base import MedicalBill

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def monthly(p_year: float | np.ndarray) -> float | np.ndarray:
    """The monthly probability of an event with yearly probability ``p_year``."""
    return 1.0 - (1.0 - np.minimum(p_year, 1.0)) ** (1.0 / 12.0)


def monthly_from_rate(rate_year: np.ndarray) -> np.ndarray:
    """The monthly probability of at least one event at ``rate_year`` events a year
    (e.g. members x each member's yearly chance)."""
    return -np.expm1(-rate_year / 12.0)


def count_table(count: np.ndarray, rate_year: float) -> tuple[np.ndarray, int]:
    """``monthly_from_rate(count * rate_year)`` for the member counts from ``count``'s
    least to its greatest (few distinct values), and the least: the chance of a count
    ``c`` is ``table[c - least]``, the same number as computed for it alone."""
    if not count.size:
        lo, hi = 0, 0
    elif count.dtype.kind in "iu" and count.ndim == 1:
        lo, hi = (int(v) for v in kernels.min_max(count))  # (one compiled pass)
    else:
        lo, hi = int(count.min()), int(count.max())
    return monthly_from_rate(np.arange(lo, hi + 1, dtype=count.dtype) * rate_year), lo


def expected_oop(hh: Households, ctx: MonthContext, idx: np.ndarray,
                 cost: np.ndarray) -> np.ndarray:
    """What households ``idx`` expect to pay themselves of new episodes costing ``cost``:
    the bill less what the medical instruments would pay by their entitlement (basic
    insurance for everyone; medical assistance and the cap for the registered and the
    monitored: being found at risk is what brings a household the larger share)."""
    bill = MedicalBill(np.asarray(cost, dtype=np.float64))
    for inst in ctx.instruments.hooked("anticipate"):
        inst.anticipate(hh, ctx, idx, bill)
    return bill.oop


def affordability(hh: Households, ctx: MonthContext, idx: np.ndarray, cost: np.ndarray,
                  unaffordable: float) -> np.ndarray:
    """Chance of prompt care relative to a household that can pay: 1 if the savings of
    household ``idx`` cover what it expects to pay of the episode (:func:`expected_oop`),
    ``unaffordable`` if not (it waits, hoping to get by, and the delay costs more)."""
    return np.where(hh.savings[idx] >= expected_oop(hh, ctx, idx, cost), 1.0, unaffordable)


def health(hh: Households, cfg: Config, rng: np.random.Generator, ctx: MonthContext) -> None:
    """Aging, chronic onset, disability, working-age transitions and deaths (spread over
    the year: each month with a twelfth of the yearly chance), acute episodes, medical
    costs.

    All households at once. Books lost earnings of sick or ageing workers. Instruments
    with an ``acute_risk`` hook (health management) adjust the acute risk.
    """
    h = cfg.health
    n = hh.n
    # Fixed draw sizes every month, so draws never depend on state.
    u = rng.random((5, n), dtype=np.float32)
    z_cost = rng.standard_normal(n, dtype=np.float32)
    ud = rng.random((5, n), dtype=np.float32)
    # Ageing, chronic onset, disability, retiring, children of age, elderly deaths and
    # their lost earnings, in one compiled pass (the chances by member count looked up);
    # then the acute risk (a chronic patient's extra risk less what the household's own
    # management of the illness removes: abm.rules.chronic_excess_kept, health literacy
    # and drive) and its hooks.
    per_worker, rel = kernels.health_people(
        ud, hh.inc_farm_m, hh.inc_wage_m, hh.inc_remit_m, hh.age_head, hh.chronic,
        hh.disability, hh.n_labour, hh.n_elderly, hh.n_children, hh.size, hh.n_migrants,
        hh.lost_aging_m, hh.lost_disability_m, monthly(h.p_chronic_onset_year),
        monthly(h.p_disability_year), h.p_retire_year, h.retire_age_from,
        h.retire_age_span, h.retire_rel_min, h.retire_rel_max,
        *count_table(hh.n_children, h.p_child_to_labour_year),
        *count_table(hh.n_elderly, h.p_elderly_death_year), h.rel_acute_chronic - 1.0,
        rules.chronic_excess_kept(hh, cfg.behaviour), h.rel_acute_per_elderly)
    for inst in ctx.instruments.hooked("acute_risk"):
        rel = inst.acute_risk(hh, ctx, rel)
    # Acute episodes start in households not already in one.
    if isinstance(rel, np.ndarray) and rel.dtype == np.float64 and rel.shape == (n,):
        onset = kernels.acute_onset(hh.acute_left, u[0], h.p_acute, rel)
    else:
        onset = (hh.acute_left == 0) & (u[0] < h.p_acute * rel)
    # Duration and cost only for the episodes that start (the draws are still made for
    # everyone above; the same numbers, element by element).
    on = np.flatnonzero(onset)
    dur = np.maximum(1, np.rint(-np.log1p(-u[1][on]) * h.dur_acute)).astype(np.int16)
    sig = h.cost_acute_sigma
    cost = h.cost_acute_yuan * np.exp(sig * z_cost[on] - sig * sig / 2)
    # Care delayed for lack of access to a clinic, by a household that does not seek it
    # promptly (without basic health literacy, or with little drive), or by one that
    # cannot pay its share of the bill, costs more.
    afford = affordability(hh, ctx, on, cost, cfg.behaviour.care_seeking_unaffordable)
    hh.care_log.append((int(on.size), int(np.count_nonzero(afford < 1.0))))
    prompt = hh.clinic_access[on] * np.where(
        hh.health_literate[on], 1.0, cfg.behaviour.care_seeking_illiterate
    ) * rules.health_drive(hh.motivation[on], cfg.behaviour) * afford
    cost = cost * (1.0 + ctx.delay_cost * (u[4][on] > prompt))
    hh.acute_left[on] = dur
    hh.acute_cost_m[on] = cost / dur
    hh.sick_worker[on] = (u[2][on] < h.p_sick_is_worker) & (hh.n_labour[on] > 0)
    # A small share of episodes leave a disability; this month's outpatient and medical
    # costs (routine care and medicines for every member, more for the elderly); who is
    # too sick to work; one month less of each episode.
    p_dis = h.p_acute_to_disability
    kernels.health_costs(
        onset, u[3], np.result_type(u[3], p_dis).type(p_dis), per_worker, hh.disability,
        hh.n_labour, hh.n_migrants, hh.lost_disability_m, hh.acute_left, hh.acute_cost_m,
        hh.sick_worker, hh.size, hh.n_elderly, hh.chronic,
        h.cost_outpatient_person_year / 12.0, h.rel_outpatient_elderly - 1.0,
        h.cost_chronic_month, hh.outpatient_cost_m, hh.medical_cost_m, hh.sick_now)
    # Earnings lost while a worker is sick; earnings of workers lost for good.
    hh.book("illness", per_worker, hh.sick_now)
    hh.book("disability", hh.lost_disability_m)
    hh.book("aging", hh.lost_aging_m)
