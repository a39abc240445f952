"""Small household businesses (a shop, transport, processing, a homestay): a livelihood
of its own beside farming, local wage work and migrant work. A household with drive, a
member at home and the savings starts one; it earns while someone is at home to run it,
more when the village's farmers earn more; it closes for the months an epidemic stops
the local economy, and fails now and then, when its income becomes a loss the
household carries until it starts another. Started and ended in the decisions phase
(``businesses``, on its own ``business`` stream); its income is earned in the work
phase (``income``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import kernels, rules
from abm.households.health import monthly

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def usual_income(motivation: np.ndarray, cfg: Config, wage_index: float) -> np.ndarray:
    """What a business earns in a normal month at its household's drive: net_month x
    wage index x effort (``abm.rules.effort``, the farm's)."""
    return cfg.business.net_month * wage_index * rules.effort(motivation, cfg.behaviour)


def income(hh: Households, cfg: Config, ctx: MonthContext, home: np.ndarray,
           noise: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """This month's business income (someone at home runs it; ``noise`` is the local
    economy's lognormal factor), what the village's market took from it (its customers
    are the village's farmers: ``demand_share`` of its sales move with the village
    sector's price) and what an epidemic took (it closes with the local economy:
    ``epidemic_local``). One compiled pass (``abm.kernels.business_income``) when the
    prices are one float64 per household, as the model's are."""
    n = hh.n
    price = ctx.farm_price
    if (isinstance(price, np.ndarray) and price.dtype == np.float64 and price.shape == (n,)
            and noise.shape == (n,) and home.shape == (n,)):
        # One compiled pass, the same bits as the numpy lines below.
        b = cfg.behaviour
        return kernels.business_income(
            hh.business, home, hh.motivation, noise,
            price, float(cfg.business.net_month * ctx.wage_index),
            float(b.farm_effort_motivation), float(b.motivation_reference),
            float(cfg.business.demand_share), float(ctx.epidemic_local))
    # Only the few households running one (the rest earn and lose nothing).
    run = np.flatnonzero(hh.business & (home >= 1))
    usual = usual_income(hh.motivation[run], cfg, ctx.wage_index) * noise[run]
    price = np.broadcast_to(ctx.farm_price, (hh.n,))[run]
    demand = np.maximum(0.0, 1.0 + cfg.business.demand_share * (price - 1.0))
    full = usual * demand
    out = np.zeros((3, hh.n))
    out[1, run] = usual * np.maximum(0.0, 1.0 - demand)
    out[2, run] = full * ctx.epidemic_local
    out[0, run] = full - out[2, run]
    return out[0], out[1], out[2]


def businesses(hh: Households, cfg: Config, rng: np.random.Generator,
               ctx: MonthContext) -> None:
    """Failures, then starts (two draws per household a month, fixed size). A failed
    business's usual income is a loss (``business_failure``) every month until the
    household starts another; a start invests ``start_cost`` of savings, with chance
    monthly(p_start_year) x min(motivation / motivation_reference, 1.5) x (0.5 + skills)."""
    bc = cfg.business
    u = rng.random((2, hh.n), dtype=np.float32)
    hh.business_invested_m[:] = 0.0
    fail = hh.business & (u[0] < monthly(bc.p_fail_year))
    if fail.any():
        hh.business[fail] = False
        hh.lost_business_m[fail] = usual_income(hh.motivation[fail], cfg, ctx.wage_index)
    # Who starts: one compiled pass (abm.kernels.business_starts), the same booleans as
    # drive = min(motivation / motivation_reference, 1.5) * (0.5 + skills);
    # start = ~business & ~fail & (rules.free_to_leave(hh) >= 1)
    #         & (savings >= start_cost) & (u[1] < monthly(p_start_year) * drive).
    start = kernels.business_starts(
        hh.business, fail, u[1], np.float64(monthly(bc.p_start_year)), hh.motivation,
        float(cfg.behaviour.motivation_reference), hh.skills, hh.n_labour, hh.n_migrants,
        hh.n_jobless, hh.sick_now, hh.employer, hh.in_post, hh.savings,
        float(bc.start_cost))
    if start.any():
        hh.business[start] = True
        hh.savings[start] -= bc.start_cost
        hh.business_invested_m[start] = bc.start_cost
        hh.lost_business_m[start] = 0.0
