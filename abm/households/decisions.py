"""Decisions phase: migration choices, and households' own choices about instruments
(``decide`` hooks, e.g. taking a loan). All households at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import kernels, rules
from abm.households.health import monthly_from_rate
from abm.households.state import NO_MONTH

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def decisions(hh: Households, cfg: Config, rng: np.random.Generator,
              ctx: MonthContext) -> None:
    """Leave to work, come home for good, go back after a job loss (one draw per
    household and choice); placements bought by instruments (employment help) make going
    back more likely. Then each instrument's ``decide`` hook."""
    e = cfg.economy
    u = rng.random((4, hh.n), dtype=np.float32)
    epidemic = 1.0 - ctx.epidemic_idle
    # One compiled pass each side of the placements hook, in the numpy expressions'
    # order (``tests/test_kernels.py`` keeps them as the reference):
    # free = rules.free_to_leave(hh); drive = migration_drive * motivation *
    # (migration_skill_base + skills); go = (free > 0) & (u[0] < min(1, p_start_migrating
    # * drive * epidemic)); back = (n_migrants > 0) & (u[1] < min(1, n_migrants *
    # p_return_migrant)); p_again = p_remigrate * remigrate_drive * motivation *
    # epidemic; again_plain = u[2] < min(1, p_again).
    go, back, p_again, again_plain = kernels.migration_choices(
        u[0], u[1], u[2], hh.n_labour, hh.n_migrants, hh.n_jobless, hh.sick_now,
        hh.employer, hh.in_post, hh.business, hh.motivation, hh.skills,
        e.migration_drive, e.migration_skill_base, e.p_start_migrating, epidemic,
        e.p_return_migrant, e.p_remigrate * e.remigrate_drive)
    extra = np.zeros(hh.n, bool)
    for inst in ctx.instruments.hooked("job_placements"):
        got = inst.job_placements(hh, ctx, p_again, u[2], again_plain)
        if got is not None:
            extra |= got
    # again = (n_jobless > 0) & (again_plain | extra); give_up = (n_jobless > 0) & ~again
    # & (u[3] < p_give_up); n_migrants += go - back + again; n_jobless -= again +
    # give_up (in place); then members who became unable to work leave the migrant
    # pool: n_jobless = min(n_jobless, max(n_labour - n_migrants, 0)), n_migrants =
    # min(n_migrants, n_labour) (new arrays).
    hh.n_jobless, hh.n_migrants = kernels.migration_moves(
        go, back, again_plain, extra, u[3], np.result_type(u, e.p_give_up).type(e.p_give_up),
        hh.n_migrants, hh.n_jobless, hh.n_labour)
    for inst in ctx.instruments.hooked("decide"):
        inst.decide(hh, ctx)
    distress_sales(hh, cfg, rng.random(hh.n, dtype=np.float32), ctx)
    leaving_school(hh, cfg, rng.random((2, hh.n), dtype=np.float32), ctx)


def distress_sales(hh: Households, cfg: Config, u: np.ndarray, ctx: MonthContext) -> None:
    """Late or missing help has a cost: a household whose income (after medical bills)
    is below the monitoring line and whose debt is above ``distress_debt_months`` of its
    subsistence cannot service it and sells productive assets with chance
    ``p_distress_sale`` a month: ``distress_sale_share`` of its land's production goes,
    for ``distress_price_years`` of the net income it produced, paid against the debt.
    The farm income it no longer earns is booked as ``asset_sale`` every month from
    then on."""
    b = cfg.behaviour
    hard_line = rules.distress_line(cfg, ctx.poverty_line)
    if isinstance(u, np.ndarray) and u.shape == (hh.n,):
        # One compiled pass, the same booleans as the numpy lines below (``u`` compared
        # in the dtype numpy compares it in).
        sell = kernels.distress_sellers(
            hh.income_pc_year, float(hard_line), hh.debt, hh.size,
            float(b.distress_debt_months), cfg.spending.subsistence_per_capita / 12.0,
            hh.land, u, np.result_type(u, b.p_distress_sale).type(b.p_distress_sale))
    else:
        sell = rules.in_distress(hh, cfg, ctx.poverty_line) & (hh.land > 0) & (
            u < b.p_distress_sale)
    hh.asset_proceeds_m[:] = 0.0
    if not sell.any():
        return
    idx = np.flatnonzero(sell)
    sold = hh.land[idx] * b.distress_sale_share
    # The net income those assets produced last month, and what they fetch.
    per_mu = hh.inc_farm_m[idx] / np.maximum(hh.land[idx], 1e-9)
    # Land goes from the farmed and the let part alike: the let part's rent with it.
    lost_rent = hh.rent_m[idx] * b.distress_sale_share
    lost_m = np.maximum(per_mu * sold, 0.0) + lost_rent
    proceeds = lost_m * 12.0 * b.distress_price_years
    hh.land[idx] -= sold
    hh.land_let[idx] *= 1.0 - b.distress_sale_share
    hh.rent_m[idx] -= lost_rent
    hh.lost_assets_m[idx] += lost_m
    pay = np.minimum(proceeds, hh.debt[idx])
    hh.debt[idx] -= pay
    hh.savings[idx] += proceeds - pay
    hh.asset_proceeds_m[idx] = proceeds
    hh.n_distress_sales[idx] += 1


def leaving_school(hh: Households, cfg: Config, u: np.ndarray, ctx: MonthContext) -> None:
    """Late or missing help costs schooling too. A household in distress (as for distress
    sales: income below the monitoring line, debt above ``distress_debt_months`` of its
    subsistence) with a child at school and no support for its schooling (no assistance
    bundle yet, and no instrument's ``keeps_in_school`` hook covering it: the schooling
    subsidy of registered and monitored households) takes one child out of school to
    work with chance ``p_leave_school`` a month (``u[0]``): the child joins the workers
    without skills (the household's skills, an average over its workers, are diluted),
    its schooling costs stop, and it counts as a school leaver. A leaver of a household
    so supported goes back to school with chance ``p_back_to_school`` a month
    (``u[1]``): the cadres' persuasion and the subsidy (控辍保学). A leaver stops
    counting as one (stays a worker) when it would have finished school anyway (after
    ``school_leaver_years`` on average, also ``u[1]``) or when the household has fewer
    workers than leavers. The distress test and the support are read only for the
    households a draw selects (few)."""
    b = cfg.behaviour

    def supported(idx: np.ndarray) -> np.ndarray:
        """Whether households ``idx`` have their schooling supported this month."""
        ok = hh.monitored[idx] & (hh.helped_since[idx] != NO_MONTH)
        for inst in ctx.instruments.hooked("keeps_in_school"):
            kept = inst.keeps_in_school(hh, ctx, idx)
            if kept is not None:
                ok |= kept
        return ok

    # Leavers first: no longer among the workers (a worker lost to illness or age this
    # month), then back to school or of age.
    out = np.flatnonzero(hh.n_school_leavers > 0)
    if out.size:
        hh.n_school_leavers[out] = np.minimum(hh.n_school_leavers[out],
                                              np.maximum(hh.n_labour[out], 0))
        out = out[hh.n_school_leavers[out] > 0]
    if out.size:
        back = supported(out) & (u[1, out] < b.p_back_to_school)
        grown = ~back & (u[1, out] >= 1.0 - monthly_from_rate(1.0 / b.school_leaver_years))
        i = out[back]
        hh.n_school_leavers[i] -= 1
        hh.n_labour[i] -= 1
        hh.n_children[i] += 1
        # The one who goes back was among the workers: the migrant and jobless counts
        # stay within them (as ``kernels.migration_moves`` keeps them), the jobless first.
        hh.n_jobless[i] = np.minimum(hh.n_jobless[i],
                                     np.maximum(hh.n_labour[i] - hh.n_migrants[i], 0))
        hh.n_migrants[i] = np.minimum(hh.n_migrants[i], hh.n_labour[i])
        hh.n_school_leavers[out[grown]] -= 1
    # New leavers: the draw first (few households), then the distress test on those.
    cand = np.flatnonzero(u[0] < b.p_leave_school)
    if cand.size == 0:
        return
    cand = cand[(hh.n_children[cand] > 0) & rules.in_distress(hh, cfg, ctx.poverty_line,
                                                               cand)]
    if cand.size == 0:
        return
    i = cand[~supported(cand)]
    if i.size == 0:
        return
    workers = hh.n_labour[i].astype(np.float64)
    hh.skills[i] *= workers / (workers + 1.0)
    hh.n_children[i] -= 1
    hh.n_labour[i] += 1
    hh.n_school_leavers[i] += 1
    hh.n_left_school[i] += 1
