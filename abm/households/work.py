"""Work-and-income phase: job loss, farming, local and enterprise jobs, remittances,
property income, then everything the instruments pay. All households at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import rules
from abm.instruments.base import Income

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def work_income(hh: Households, cfg: Config, rng: np.random.Generator,
                ctx: MonthContext) -> None:
    """Work and income by source, and every payment households receive this month.

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

    # Migrants: job loss sends one home to look again; an epidemic idles some.
    remit_per = e.migrant_wage_month * e.remit_share * wi
    lose = (hh.n_migrants > 0) & (u < np.minimum(1.0, hh.n_migrants * e.p_job_loss))
    hh.n_migrants -= lose
    hh.n_jobless += lose
    hh.lost_job_now[:] = lose
    hh.book("job_loss", remit_per * hh.n_jobless, hh.n_jobless > 0)
    remit_full = hh.n_migrants * remit_per
    remit = remit_full * (1.0 - ctx.epidemic_idle)
    if ctx.epidemic_idle > 0:
        hh.book("epidemic", remit_full * ctx.epidemic_idle)

    # Home workers split between the farm, an enterprise job and local wage work.
    home = rules.workers_at_home(hh).astype(np.float64)
    need = hh.land / e.mu_per_farm_worker
    farm_labour = home + e.elderly_farm_labour * hh.n_elderly
    farm_factor = np.minimum(1.0, farm_labour / np.maximum(need, 1e-9))
    sig = e.income_noise_sigma
    noise = np.exp(sig * z[0] - sig * sig / 2)
    skill_f = e.farm_skill_base + e.farm_skill_slope * hh.skills
    farm_trend = hh.land * e.farm_income_per_mu / 12.0 * wi * farm_factor * skill_f
    farm_priced = farm_trend * ctx.farm_price
    hh.book("market", farm_trend * np.maximum(0.0, 1.0 - ctx.farm_price))
    # An epidemic hits by livelihood: farming mostly continues (epidemic_farm), local
    # wage work and enterprises stop more (epidemic_local), migrants cannot leave.
    keep = (1.0 - ctx.disaster_loss) * (1.0 - ctx.epidemic_farm)
    farm = farm_priced * keep * noise
    hh.book("disaster", farm_priced * ctx.disaster_loss * noise)
    if ctx.epidemic_farm > 0:
        hh.book("epidemic", farm_priced * (1.0 - ctx.disaster_loss) * ctx.epidemic_farm * noise)

    has_job = (hh.employer >= 0) & (home >= 1)
    enterprise_wage = has_job * cfg.industry.wage_month * wi * (1.0 - ctx.epidemic_local)
    if ctx.epidemic_local > 0:  # enterprise wages cut by the epidemic are its loss too
        hh.book("epidemic", has_job * cfg.industry.wage_month * wi * ctx.epidemic_local)
    post_units = hh.in_post & (home >= 1)
    wage_units = np.maximum(home - e.farm_time_share * np.minimum(need, home) - has_job
                            - post_units, 0.0)
    p_work = np.clip(e.p_local_work * (e.work_skill_base + e.work_skill_slope * hh.skills)
                     * (e.work_motivation_base + e.work_motivation_slope * hh.motivation),
                     0.0, 1.0)
    noise2 = np.exp(sig * z[1] - sig * sig / 2)
    local = wage_units * p_work * e.local_wage_month * wi * noise2
    hh.local_workers[:] = wage_units * p_work + has_job + post_units
    if ctx.epidemic_local > 0:
        hh.book("epidemic", local * ctx.epidemic_local)
    wage = local * (1.0 - ctx.epidemic_local) + enterprise_wage
    prop = e.property_income_per_capita / 12.0 * hh.size * wi
    # Jobs and dividends lost when an enterprise failed, until replaced.
    hh.book("job_loss", hh.lost_job_m)
    hh.book("asset_sale", hh.lost_assets_m)
    hh.book("market", hh.lost_dividend_m)

    # What the instruments pay, then last month's credits, then the top-ups.
    inc = Income(farm, wage, remit, prop, home)
    for inst in ctx.instruments.hooked("income"):
        inst.income(hh, ctx, inc)
    pending = hh.pending_transfer_m.copy()
    hh.pending_transfer_m[:] = 0.0
    inc.add("public", pending)
    for inst in ctx.instruments.hooked("top_up"):
        inst.top_up(hh, ctx, inc)
    hh.inc_farm_m[:] = inc.farm
    hh.inc_wage_m[:] = inc.wage
    hh.inc_remit_m[:] = inc.remit
    hh.inc_property_m[:] = inc.property
    hh.inc_public_m[:] = inc.public
    hh.help_m[:] = inc.help
