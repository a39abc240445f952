"""Health phase: aging (spread over the year), chronic onset, disability, acute episodes and
their costs. All households at once, one fixed-size draw per use."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import rules

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def earnings_per_worker(hh: Households) -> np.ndarray:
    """Last month's earnings per working member (what one more or fewer worker is worth)."""
    earn = hh.inc_farm_m + hh.inc_wage_m + hh.inc_remit_m
    return earn / np.maximum(hh.n_labour, 1)


def disable(hh: Households, who: np.ndarray, per_worker: np.ndarray) -> None:
    """A member becomes disabled: the household loses a worker (their earnings are a
    loss every month from now on) and a migrant if it no longer has one to send."""
    hh.disability |= who
    lose = who & (hh.n_labour > 0)
    hh.lost_disability_m += np.where(lose, per_worker, 0.0)
    hh.n_labour -= lose
    hh.n_migrants = np.minimum(hh.n_migrants, hh.n_labour)


def monthly(p_year: float | np.ndarray) -> float | np.ndarray:
    """The monthly probability of an event with yearly probability ``p_year``."""
    return 1.0 - (1.0 - np.minimum(p_year, 1.0)) ** (1.0 / 12.0)


def monthly_from_rate(rate_year: np.ndarray) -> np.ndarray:
    """The monthly probability of at least one event at ``rate_year`` events a year
    (e.g. members x each member's yearly chance)."""
    return -np.expm1(-rate_year / 12.0)


def monthly_from_count(count: np.ndarray, rate_year: float) -> np.ndarray:
    """``monthly_from_rate(count * rate_year)`` for member counts (small integers >= 0),
    looked up from the few distinct values instead of computed per household: the same
    numbers, element by element."""
    if count.size == 0 or count.min() < 0 or count.max() > 255:
        return monthly_from_rate(count * rate_year)
    table = monthly_from_rate(np.arange(int(count.max()) + 1, dtype=count.dtype) * rate_year)
    return table[count]


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
    per_worker = earnings_per_worker(hh)
    hh.age_head += 1.0 / 12.0
    hh.chronic |= ud[0] < monthly(h.p_chronic_onset_year)
    new_dis = (ud[1] < monthly(h.p_disability_year)) & ~hh.disability
    # Ageing out of work: more likely as the household ages.
    p_ret = h.p_retire_year * np.clip((hh.age_head - h.retire_age_from) / h.retire_age_span,
                                      h.retire_rel_min, h.retire_rel_max)
    retire = (hh.n_labour > 0) & (ud[2] < monthly_from_rate(hh.n_labour * p_ret))
    grow = (hh.n_children > 0) & (
        ud[3] < monthly_from_count(hh.n_children, h.p_child_to_labour_year))
    # The last member of a household does not die: households never dissolve.
    die = (hh.n_elderly > 0) & (hh.size > 1) & (
        ud[4] < monthly_from_count(hh.n_elderly, h.p_elderly_death_year))
    hh.lost_aging_m += np.where(retire, per_worker, 0.0)
    hh.n_labour -= retire
    hh.n_elderly += retire
    hh.n_children -= grow
    hh.n_labour += grow
    hh.n_elderly -= die
    hh.size -= die
    disable(hh, new_dis, per_worker)
    # Acute episodes start in households not already in one.
    # A chronic patient's extra risk, less what the household's own management of the
    # illness removes (abm.rules.chronic_excess_kept: health literacy and drive).
    rel = (1.0 + (h.rel_acute_chronic - 1.0) * hh.chronic
           * rules.chronic_excess_kept(hh, cfg.behaviour)) * (
        1.0 + h.rel_acute_per_elderly * hh.n_elderly)
    for inst in ctx.instruments.hooked("acute_risk"):
        rel = inst.acute_risk(hh, ctx, rel)
    onset = (hh.acute_left == 0) & (u[0] < h.p_acute * rel)
    # Duration and cost only for the episodes that start (the draws are still made for
    # everyone above; the same numbers, element by element).
    on = np.flatnonzero(onset)
    dur = np.maximum(1, np.rint(-np.log1p(-u[1][on]) * h.dur_acute)).astype(np.int16)
    sig = h.cost_acute_sigma
    cost = h.cost_acute_yuan * np.exp(sig * z_cost[on] - sig * sig / 2)
    # Care delayed for lack of access to a clinic, or by a household that does not seek
    # it promptly (without basic health literacy, or with little drive), costs more.
    prompt = hh.clinic_access[on] * np.where(
        hh.health_literate[on], 1.0, cfg.behaviour.care_seeking_illiterate
    ) * rules.health_drive(hh.motivation[on], cfg.behaviour)
    cost = cost * (1.0 + ctx.delay_cost * (u[4][on] > prompt))
    hh.acute_left[on] = dur
    hh.acute_cost_m[on] = cost / dur
    hh.sick_worker[on] = (u[2][on] < h.p_sick_is_worker) & (hh.n_labour[on] > 0)
    # A small share of episodes leave a disability.
    leaves = onset & (u[3] < h.p_acute_to_disability) & ~hh.disability
    disable(hh, leaves, per_worker)
    in_episode = hh.acute_left > 0
    # Routine outpatient care and medicines for every member (more for the elderly).
    hh.outpatient_cost_m[:] = h.cost_outpatient_person_year / 12.0 * (
        hh.size + (h.rel_outpatient_elderly - 1.0) * hh.n_elderly)
    hh.medical_cost_m[:] = np.where(in_episode, hh.acute_cost_m, 0.0) + (
        h.cost_chronic_month * hh.chronic) + hh.outpatient_cost_m
    # Earnings lost while a worker is sick; earnings of workers lost for good.
    hh.book("illness", per_worker, in_episode & hh.sick_worker)
    hh.book("disability", hh.lost_disability_m)
    hh.book("aging", hh.lost_aging_m)
    hh.acute_left[:] = np.maximum(hh.acute_left - 1, 0)
    hh.sick_now[:] = in_episode & hh.sick_worker
