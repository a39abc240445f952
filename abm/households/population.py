"""The initial households of a county, drawn from the configured distributions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm.households.state import Households

if TYPE_CHECKING:
    from abm.config import Config


def _scaled_prob(p: float, z: np.ndarray, a: float) -> np.ndarray:
    """Probability p on average, rising with disadvantage z (log-normal tilt)."""
    return np.clip(p * np.exp(a * z - a * a / 2.0), 0.0, 1.0)


def generate(cfg: Config, village: np.ndarray, township: np.ndarray,
             rng: np.random.Generator) -> Households:
    """Draw the initial households (``population``): a latent disadvantage ``z`` goes
    with registered-poor history, older heads, chronic illness, disability, less land,
    schooling, savings and motivation, each with the loading the schema gives."""
    pc = cfg.population
    g = pc.gradients
    n = village.size
    hh = Households(n, village, township)
    a = pc.disadvantage_loading
    z = rng.standard_normal(n)  # latent disadvantage
    hh.registered[:] = z >= np.quantile(z, 1.0 - pc.p_registered_poor) if n else False
    if pc.p_registered_poor == 0:
        hh.registered[:] = False

    size = 1 + rng.poisson(pc.mean_household_size - 1.0, n)
    size = np.minimum(size, 10)
    hh.age_head[:] = np.clip(rng.normal(pc.age_head_mean + g.age_years * a * z,
                                        pc.age_head_sd), 20, 90)
    children = rng.binomial(size - 1, pc.p_child)
    p_old = pc.p_elderly_member / max(1e-9, 1.0 - pc.p_child)
    elderly = rng.binomial(size - 1 - children, min(1.0, p_old)) + (hh.age_head >= 60)
    labour = size - children - elderly
    hh.size[:] = size
    hh.n_children[:] = children
    hh.n_elderly[:] = elderly
    hh.chronic[:] = rng.random(n) < _scaled_prob(pc.p_chronic, z, g.chronic * a)
    hh.disability[:] = rng.random(n) < _scaled_prob(pc.p_disability, z, g.disability * a)
    labour = labour - (hh.disability & (labour > 0))
    hh.n_labour[:] = labour
    hh.land[:] = rng.lognormal(np.log(pc.land_mean_mu) - pc.land_sigma**2 / 2
                               - g.land * a * z, pc.land_sigma)
    hh.education[:] = np.clip(rng.normal(pc.education_mean_years - g.education_years * a * z,
                                         pc.education_sd), 0, 16)
    hh.skills[:] = np.clip(pc.skills_base + pc.skills_per_school_year * hh.education
                           + rng.normal(0, pc.skills_sd, n), 0.02, 1.0)
    mm = pc.motivation_mean
    hh.motivation[:] = np.clip(rng.beta(9 * mm, 9 * (1 - mm), n) - g.motivation * a * z,
                               0.02, 1.0)
    hh.disposition[:] = hh.motivation
    hh.trust[:] = rng.beta(6, 3, n)
    hh.n_migrants[:] = rng.binomial(np.maximum(labour, 0), cfg.economy.init_migrant_share)

    # Savings and debt in months of a rough income (refined by the spin-up year).
    rough = cfg.economy.local_wage_month * np.maximum(labour, 0.5)
    hh.savings[:] = rng.exponential(pc.savings_months_mean, n) * rough * np.exp(
        -g.savings * a * z)
    in_debt = rng.random(n) < _scaled_prob(pc.p_debt, z, g.debt * a)
    hh.debt[:] = np.where(in_debt, rng.exponential(pc.debt_months_mean, n) * rough, 0.0)
    hh.ever_exited[:] = hh.registered  # all registered households were lifted out by 2020
    hh.health_literate[:] = rng.random(n) < pc.p_health_literate
    # Small household businesses, more often with skills, only with a working member.
    p_biz = cfg.business.init_share * (0.5 + hh.skills) / max(0.5 + hh.skills.mean(), 1e-9)
    hh.business[:] = (rng.random(n) < p_biz) & (labour > 0) if n else False
    return hh


def start_of_run(hh: Households) -> None:
    """Month 0: only registered households count as having left poverty before, and
    motivation starts from each household's disposition (the spin-up's first months,
    with no income history yet, would otherwise leave an artificial boost); children
    taken out of school are counted from month 0 (those still out stay leavers)."""
    hh.ever_exited[:] = hh.registered
    hh.motivation[:] = hh.disposition
    hh.n_left_school[:] = 0
