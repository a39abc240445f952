"""Work-and-income phase: job loss, farming, local and enterprise jobs, remittances,
property income, then everything the instruments pay. All households at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import kernels, rules
from abm.households import land
from abm.households.business import income as business_income
from abm.instruments.base import Income

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def work_income(hh: Households, cfg: Config, rng: np.random.Generator,
                ctx: MonthContext) -> np.ndarray:
    """Work and income by source, and every payment households receive this month.
    Returns this month's income (``hh.income_m()``, a new array).

    Earned income first; then each instrument's ``income`` hook in ``pays_at`` order
    (every public yuan through a budget line, never beyond its allocation); then the
    one-off help organisations credited last month; then ``top_up`` hooks (the
    minimum-living guarantee), which need every other income. Books job losses and
    market, disaster and epidemic losses.
    """
    e = cfg.economy
    n = hh.n
    u = rng.random(n, dtype=np.float32)
    z = rng.standard_normal((2, n), dtype=np.float32)
    wi = ctx.wage_index
    if ctx.january and e.land_let_share > 0:
        # The year's leases of land the household cannot farm (abm.households.land).
        land.leases(hh, cfg, rng, wi)

    # Migrants: job loss (chance p_job_loss per migrant, at most 1) sends one home to
    # look again; an epidemic idles some.
    remit_per = e.migrant_wage_month * e.remit_share * wi
    job_loss, remit_full, remit = kernels.migrants_pass(
        u, hh.n_migrants, hh.n_jobless, hh.lost_job_now, float(e.p_job_loss),
        float(remit_per), float(ctx.epidemic_idle))
    hh.book("job_loss", job_loss, hh.n_jobless > 0)
    if ctx.epidemic_idle > 0:
        hh.book("epidemic", remit_full * ctx.epidemic_idle)

    # Home workers split between the farm, an enterprise job and local wage work
    # (abm.kernels.earnings_pass, one pass over all households):
    #   farm = land x income per mu / 12 x wage index x min(1, farm labour / labour
    #          needed) x skill factor x price x (1 - disaster loss) x (1 - epidemic
    #          farm loss) x effort x lognormal noise, effort = max(0, 1 +
    #          farm_effort_motivation x (motivation - motivation_reference));
    #   local wages = wage units x p(local work | skills, motivation) x local wage x
    #          wage index x noise, wage units being home workers less the farm's share
    #          of their time, an enterprise job and a public-welfare post;
    #   enterprise wage for a member in an enterprise job; property income per person,
    #   and the rent of let land (property income, as NBS counts it; the farm is the
    #   land not let: abm.households.land), as far as the tenant's profit at the
    #   village sector's price allows (rent_follows_price; the rest a market loss).
    # An epidemic hits by livelihood: farming mostly continues (epidemic_farm), local
    # wage work and enterprises stop more (epidemic_local), migrants cannot leave.
    home = _workers_at_home(hh)
    sig = e.income_noise_sigma
    # noise = exp(sig * z[0] - sig * sig / 2), noise2 likewise of z[1]: both rows at
    # once, in place (float32, the same bits as the two lines of numpy)
    noises = np.multiply(sig, z)
    noises -= sig * sig / 2
    np.exp(noises, out=noises)
    noise, noise2 = noises[0], noises[1]
    disaster_loss = ctx.disaster_loss
    if np.isscalar(disaster_loss):
        disaster_loss = np.full(n, float(disaster_loss))
    farm, wage, prop, farm_priced, market, disaster, local, has_job = kernels.earnings_pass(
        home, hh.land, hh.land_let, hh.rent_m, hh.n_elderly, hh.skills, hh.motivation,
        np.asarray(ctx.farm_price, dtype=np.float64), disaster_loss, hh.employer,
        hh.in_post, hh.business, hh.size, noise, noise2, hh.local_workers,
        float(e.mu_per_farm_worker), float(e.elderly_farm_labour), float(e.farm_skill_base),
        float(e.farm_skill_slope), float(e.farm_income_per_mu), float(wi),
        float(ctx.epidemic_farm), float(cfg.industry.wage_month), float(ctx.epidemic_local),
        float(e.farm_time_share), float(e.p_local_work), float(e.work_skill_base),
        float(e.work_skill_slope), float(e.work_motivation_base),
        float(e.work_motivation_slope), float(e.local_wage_month),
        float(e.property_income_per_capita / 12.0),
        float(cfg.behaviour.farm_effort_motivation), float(cfg.behaviour.motivation_reference),
        float(cfg.industry.price_sensitivity) if e.rent_follows_price else 0.0)
    # A small household business: net_month x wage index x effort x the village's
    # demand x the local noise, while a member is at home to run it; it closes with the
    # local economy in an epidemic (abm.households.business).
    biz, biz_market, biz_epidemic = business_income(hh, cfg, ctx, home, noise2)
    hh.book("market", market)
    hh.book("market", biz_market)
    hh.book("disaster", disaster)
    if ctx.epidemic_farm > 0:
        hh.book("epidemic", farm_priced * (1.0 - ctx.disaster_loss) * ctx.epidemic_farm * noise)
    if ctx.epidemic_local > 0:  # enterprise wages cut by the epidemic are its loss too
        hh.book("epidemic", has_job * cfg.industry.wage_month * wi * ctx.epidemic_local)
        hh.book("epidemic", local * ctx.epidemic_local)
        hh.book("epidemic", biz_epidemic)
    # Jobs and dividends lost when an enterprise failed, until replaced.
    hh.book("job_loss", hh.lost_job_m)
    hh.book("asset_sale", hh.lost_assets_m)
    hh.book("market", hh.lost_dividend_m)
    hh.book("business_failure", hh.lost_business_m)  # until another starts

    # What the instruments pay, then last month's credits, then the top-ups.
    inc = Income(farm, wage, remit, prop, home)
    for inst in ctx.instruments.hooked("income"):
        inst.income(hh, ctx, inc)
    # The business's income is net business income (NBS), added after the instruments
    # that pay on farm produce (consumption assistance) and before the top-ups.
    inc.add("farm", biz, help=False, keep=hh.inc_business_m)  # (copied into the column)
    inc.add("public", hh.pending_transfer_m, clear=True)  # (paid out: the column zeroed)
    for inst in ctx.instruments.hooked("top_up"):
        inst.top_up(hh, ctx, inc)
    parts = (inc.farm, inc.wage, inc.remit, inc.property, inc.public, inc.help)
    if all(isinstance(a, np.ndarray) and a.dtype == np.float64 and a.shape == (n,)
           for a in parts):
        # The columns and their sum in one compiled pass (the same bits as the lines
        # below and hh.income_m(), whose INCOME_COLUMNS are these in this order).
        return kernels.store_income(*parts, hh.inc_farm_m, hh.inc_wage_m, hh.inc_remit_m,
                                    hh.inc_property_m, hh.inc_public_m, hh.help_m)
    hh.inc_farm_m[:] = inc.farm
    hh.inc_wage_m[:] = inc.wage
    hh.inc_remit_m[:] = inc.remit
    hh.inc_property_m[:] = inc.property
    hh.inc_public_m[:] = inc.public
    hh.help_m[:] = inc.help
    return hh.income_m()


def _workers_at_home(hh: Households) -> np.ndarray:
    """``rules.workers_at_home(hh).astype(np.float64)``: one compiled pass
    (``kernels.workers_at_home``) for int16 counts and a boolean sickness flag, as in
    the model, instead of three integer temporaries and a conversion."""
    if hh.n_labour.dtype == np.int16 and hh.n_migrants.dtype == np.int16 and (
            hh.sick_now.dtype == np.bool_):
        return kernels.workers_at_home(hh.n_labour, hh.n_migrants, hh.sick_now)
    return rules.workers_at_home(hh).astype(np.float64)
