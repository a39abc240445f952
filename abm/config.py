"""Typed configuration: every parameter's default, range, unit, meaning and source.

A YAML file is loaded once into frozen pydantic models that reject unknown keys.
Errors become a :class:`ConfigError` that names the file, the dotted key and what
is allowed; the CLI turns it into one line and exit code 2.

Money is yuan per year unless the name ends in ``_month``. Probabilities are
``p_`` per month unless the name says ``_year``.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, Field, ValidationError, create_model, model_validator

from abm.instruments import registry
from abm.params import ASSUMPTION, SETTING, P, Section

__all__ = [
    "read_yaml_mapping",
    "Config",
    "ConfigError",
    "load_config",
    "config_from_dict",
    "apply_overrides",
    "parameter_table",
]


class ConfigError(ValueError):
    """Bad input: carries the file, the dotted key and what is allowed."""

    def __init__(self, source: str, key: str, message: str):
        self.source = source
        self.key = key
        self.message = message
        where = f"{source}: {key}" if key else source
        super().__init__(f"{where}: {message}")


# --------------------------------------------------------------------------- run
class RunConfig(Section):
    seed: int = P(1, unit="-", doc="Root seed; every phase draws from a stream named after it",
                  ge=0, le=2**63 - 1, source=SETTING)
    months: int = P(120, unit="months", doc="Months simulated, from January of start_year",
                    ge=1, le=600, source=SETTING)
    start_year: int = P(2021, unit="year", doc="Calendar year of month 0", ge=2015, le=2040,
                        source=SETTING)
    households: int = P(20_000, unit="households", doc="Households in the county",
                        ge=1, le=2_000_000, source=SETTING)


# ------------------------------------------------------------------------ county
class NetworkConfig(Section):
    k_neighbours: int = P(4, unit="ties", doc="Neighbour ties per household in its village "
                          "(Watts-Strogatz ring lattice degree, even)", ge=0, le=40,
                          source=ASSUMPTION)
    p_rewire: float = P(0.1, unit="probability", doc="Share of neighbour ties rewired at random "
                        "within the village", ge=0, le=1, source=ASSUMPTION)
    kin_ties_mean: float = P(1.5, unit="ties", doc="Mean kin ties per household within the "
                             "village (random graph)", ge=0, le=20, source=ASSUMPTION)
    cross_village_ties_mean: float = P(0.3, unit="ties", doc="Mean ties per household to "
                                       "households of other villages in its township", ge=0,
                                       le=10, source=ASSUMPTION)


class CountyConfig(Section):
    name: str = Field("Baseline county", description="Name shown in reports",
                      json_schema_extra={"source": SETTING})
    n_townships: int = P(10, unit="townships", doc="Townships in the county", ge=1, le=500,
                         source=ASSUMPTION)
    villages_per_township: int = P(15, unit="villages", doc="Administrative villages per "
                                   "township", ge=1, le=500, source=ASSUMPTION)
    village_size_sigma: float = P(0.4, unit="log-sd", doc="Spread of village sizes "
                                  "(lognormal sigma of household counts)", ge=0, le=2,
                                  source=ASSUMPTION)
    network: NetworkConfig = NetworkConfig()


# -------------------------------------------------------------------- population
class GradientsConfig(Section):
    """How strongly the latent disadvantage behind registered-poor history goes with each
    trait (per unit of ``disadvantage_loading``); no data backs the sizes yet."""

    age_years: float = P(3.0, unit="years per sd", doc="Older household heads", ge=-20,
                         le=20, source=ASSUMPTION)
    chronic: float = P(0.5, unit="log-odds tilt", doc="More chronic illness", ge=-5, le=5,
                       source=ASSUMPTION)
    disability: float = P(0.7, unit="log-odds tilt", doc="More disability", ge=-5, le=5,
                          source=ASSUMPTION)
    land: float = P(0.25, unit="log-mu per sd", doc="Less farmland", ge=-5, le=5,
                    source=ASSUMPTION)
    education_years: float = P(1.5, unit="years per sd", doc="Less schooling", ge=-10, le=10,
                               source=ASSUMPTION)
    motivation: float = P(0.05, unit="per sd", doc="Lower motivation", ge=-1, le=1,
                          source=ASSUMPTION)
    savings: float = P(0.3, unit="log-yuan per sd", doc="Less savings", ge=-5, le=5,
                       source=ASSUMPTION)
    debt: float = P(0.5, unit="log-odds tilt", doc="More often in debt", ge=-5, le=5,
                    source=ASSUMPTION)


class PopulationConfig(Section):
    p_health_literate: float = P(0.20, unit="share", doc="Share of households with basic "
                                 "health literacy (they follow health management and seek "
                                 "care promptly)", ge=0, le=1, source="health literacy of "
                                 "rural residents 20.02% in 2020 (National Health Commission, "
                                 "national health literacy monitoring 2020)")
    mean_household_size: float = P(3.3, unit="persons", doc="Mean household size "
                                   "(1 + Poisson)", ge=1, le=8,
                                   source="rural household size around 3.3 (NBS yearbooks)")
    p_child: float = P(0.22, unit="share", doc="Share of non-head members who are school-age "
                       "children or younger", ge=0, le=0.9, source=ASSUMPTION)
    p_elderly_member: float = P(0.22, unit="share", doc="Share of other members aged 60+",
                                ge=0, le=0.9, source=ASSUMPTION)
    age_head_mean: float = P(52.0, unit="years", doc="Mean age of household head", ge=20, le=90,
                             source=ASSUMPTION)
    age_head_sd: float = P(12.0, unit="years", doc="Spread of household-head age", ge=0, le=30,
                           source=ASSUMPTION)
    land_mean_mu: float = P(6.0, unit="mu", doc="Mean contracted farmland per household",
                            gt=0, le=200, source=ASSUMPTION)
    land_sigma: float = P(0.6, unit="log-sd", doc="Spread of farmland (lognormal sigma)",
                          ge=0, le=3, source=ASSUMPTION)
    education_mean_years: float = P(7.5, unit="years", doc="Mean schooling of the head",
                                    ge=0, le=16, source=ASSUMPTION)
    p_chronic: float = P(0.20, unit="share", doc="Households with a chronically ill member "
                         "at start", ge=0, le=1, source=ASSUMPTION)
    p_disability: float = P(0.06, unit="share", doc="Households with a disabled member at "
                            "start", ge=0, le=1, source=ASSUMPTION)
    p_registered_poor: float = P(0.12, unit="share", doc="Households registered poor at some "
                                 "time in 2014-2020 (all lifted out by 2020)", ge=0, le=1,
                                 source=ASSUMPTION)
    disadvantage_loading: float = P(1.1, unit="sd", doc="How strongly registered-poor history "
                                    "goes with less land, schooling and health", ge=0, le=3,
                                    source=ASSUMPTION)
    motivation_mean: float = P(0.667, unit="share", doc="Mean motivation (endogenous "
                               "driving force) households return to (Beta, concentration 9)",
                               ge=0.05, le=0.95, source=ASSUMPTION)
    savings_months_mean: float = P(4.0, unit="months", doc="Mean savings at start, in months "
                                   "of the household's income", ge=0, le=60, source=ASSUMPTION)
    p_debt: float = P(0.15, unit="share", doc="Households starting with debt", ge=0, le=1,
                      source=ASSUMPTION)
    debt_months_mean: float = P(6.0, unit="months", doc="Mean starting debt of indebted "
                                "households, in months of income", ge=0, le=120, source=ASSUMPTION)
    education_sd: float = P(2.5, unit="years", doc="Spread of the head's schooling", ge=0,
                            le=10, source=ASSUMPTION)
    skills_base: float = P(0.1, unit="skill", doc="Skill of a head with no schooling", ge=0,
                           le=1, source=ASSUMPTION)
    skills_per_school_year: float = P(0.04, unit="skill/year", doc="Skill added by each "
                                      "year of the head's schooling", ge=0, le=0.2,
                                      source=ASSUMPTION)
    skills_sd: float = P(0.08, unit="skill", doc="Spread of skills at a given schooling",
                         ge=0, le=1, source=ASSUMPTION)
    gradients: GradientsConfig = GradientsConfig()


# ------------------------------------------------------------------------ health
class HealthConfig(Section):
    p_acute: float = P(0.007, unit="per household-month", doc="Serious acute illness or "
                       "accident (an inpatient episode) in a healthy household", ge=0, le=1,
                       source="inpatient rate of rural residents, order of magnitude")
    rel_acute_chronic: float = P(2.95, unit="multiplier", doc="Acute risk in households "
                                 "with a chronic patient who does not manage the illness "
                                 "(the household's own management, "
                                 "behaviour.self_care_chronic, lowers the extra risk)", ge=0,
                                 le=20, source="assumption: 2.5 for the baseline's average "
                                 "chronic household, re-based for self-care (chronic "
                                 "households' mean adherence 0.58 at the start: 1 + 1.5 / "
                                 "(1 - 0.4 x 0.58))")
    rel_acute_per_elderly: float = P(0.5, unit="multiplier", doc="Extra acute risk per "
                                     "elderly member (added to 1)", ge=0, le=10, source=ASSUMPTION)
    dur_acute: float = P(2.0, unit="months", doc="Mean duration of an acute episode", ge=1,
                         le=24, source=ASSUMPTION)
    cost_acute_yuan: float = P(11_000.0, unit="yuan", doc="Mean total cost of an acute "
                               "episode before reimbursement", ge=0, le=1_000_000,
                               source=ASSUMPTION)
    cost_acute_sigma: float = P(0.9, unit="log-sd", doc="Spread of acute episode cost",
                                ge=0, le=3, source=ASSUMPTION)
    p_sick_is_worker: float = P(0.5, unit="probability", doc="An acute patient is a working "
                                "member who cannot work during the episode", ge=0, le=1,
                                source=ASSUMPTION)
    cost_outpatient_person_year: float = P(700.0, unit="yuan/person/year", doc="Routine "
                                           "outpatient care and medicines of a member "
                                           "without a chronic condition, before "
                                           "reimbursement", ge=0, le=100_000,
                                           source="fitted: health care in rural consumption "
                                           "(docs/calibration.md)")
    rel_outpatient_elderly: float = P(2.0, unit="multiplier", doc="Routine outpatient cost "
                                      "of an elderly member relative to a younger one",
                                      ge=0, le=20, source=ASSUMPTION)
    cost_chronic_month: float = P(250.0, unit="yuan/month", doc="Outpatient and drug cost of "
                                  "a chronic condition", ge=0, le=100_000, source=ASSUMPTION)
    p_chronic_onset_year: float = P(0.02, unit="per household-year", doc="New chronic "
                                    "condition", ge=0, le=1, source=ASSUMPTION)
    p_disability_year: float = P(0.004, unit="per household-year", doc="New disability, "
                                 "which removes a labour unit", ge=0, le=1, source=ASSUMPTION)
    p_acute_to_disability: float = P(0.05, unit="probability", doc="An acute episode leaves "
                                     "a lasting disability", ge=0, le=1, source=ASSUMPTION)
    p_retire_year: float = P(0.03, unit="per labour unit-year", doc="A working member ages "
                             "out of work (rises with the head's age)", ge=0, le=1,
                             source=ASSUMPTION)
    p_child_to_labour_year: float = P(0.08, unit="per child-year", doc="A child comes of "
                                      "working age", ge=0, le=1, source=ASSUMPTION)
    p_elderly_death_year: float = P(0.04, unit="per elderly-year", doc="An elderly member "
                                    "dies", ge=0, le=1, source=ASSUMPTION)
    retire_age_from: float = P(40.0, unit="years", doc="Head's age at which the chance of "
                               "ageing out of work reaches p_retire_year", ge=0, le=100,
                               source=ASSUMPTION)
    retire_age_span: float = P(15.0, unit="years", doc="Years of the head's age over which "
                               "that chance rises by one more p_retire_year", gt=0, le=100,
                               source=ASSUMPTION)
    retire_rel_min: float = P(0.2, unit="multiplier", doc="Lowest multiple of p_retire_year "
                              "(young households)", ge=0, le=10, source=ASSUMPTION)
    retire_rel_max: float = P(3.0, unit="multiplier", doc="Highest multiple of "
                              "p_retire_year (old households)", ge=0, le=20, source=ASSUMPTION)


# ----------------------------------------------------------------------- economy
class EconomyConfig(Section):
    farm_income_per_mu: float = P(3_700.0, unit="yuan/mu/year", doc="Net farm income per mu "
                                  "with enough labour, at trend price (small household "
                                  "businesses earn apart: business.*)", ge=0, le=100_000,
                                  source="set so net business income (farm and household "
                                  "business) is ~36% of income, NBS 2019 poor-area structure "
                                  "(derived; 38% since household businesses earn apart, "
                                  "within tolerance, not refitted)")
    mu_per_farm_worker: float = P(6.0, unit="mu", doc="Land one working member can farm fully",
                                  gt=0, le=100, source=ASSUMPTION)
    local_wage_month: float = P(2_600.0, unit="yuan/month", doc="Local wage of an employed "
                                "working member in the county", ge=0, le=100_000,
                                source="set so wages are ~35% of income, NBS 2019 (derived)")
    p_local_work: float = P(0.50, unit="share of months", doc="Share of months a local worker "
                            "finds paid work (seasonal, rises with skills and motivation)",
                            ge=0, le=1, source=ASSUMPTION)
    migrant_wage_month: float = P(4_072.0, unit="yuan/month", doc="Average migrant worker "
                                  "wage", ge=0, le=100_000,
                                  source="NBS migrant worker survey 2020: 4,072 yuan/month")
    remit_share: float = P(0.25, unit="share", doc="Share of a migrant's wage sent or brought "
                           "home (NBS counts it as transfer income)", ge=0, le=1,
                           source="set so transfers are ~27% of income, NBS 2019 (derived)")
    wage_growth_year: float = P(0.045, unit="per year", doc="Growth of wages and farm "
                                "returns", ge=-0.2, le=0.5,
                                source="lifted-out income 10,740 (2020) -> 14,342 (2022), "
                                "SCIO/Xinhua (derived, incl. policy)")
    p_start_migrating: float = P(0.008, unit="per household-month", doc="Base chance a "
                                 "household sends one more working member away (scaled by "
                                 "motivation, skills, health)", ge=0, le=1, source=ASSUMPTION)
    p_return_migrant: float = P(0.006, unit="per migrant-month", doc="A migrant comes home "
                                "for good", ge=0, le=1, source=ASSUMPTION)
    p_job_loss: float = P(0.006, unit="per migrant-month", doc="A migrant loses the job and "
                          "comes home to look for another", ge=0, le=1, source=ASSUMPTION)
    p_give_up: float = P(0.05, unit="per month", doc="A migrant home after a job loss gives "
                         "up looking for work away", ge=0, le=1, source=ASSUMPTION)
    p_remigrate: float = P(0.25, unit="per month", doc="A migrant who lost a job leaves "
                           "again (scaled by motivation)", ge=0, le=1, source=ASSUMPTION)
    init_migrant_share: float = P(0.35, unit="share", doc="Share of working members working "
                                  "outside the county at start", ge=0, le=1,
                                  source="~54% of lifted-out workers outside the county "
                                  "(Guangming Daily 2020, derived) among those employed")
    price_sigma: float = P(0.04, unit="log-sd/month", doc="Monthly volatility of the farm "
                           "price index", ge=0, le=1, source=ASSUMPTION)
    price_rho: float = P(0.9, unit="-", doc="Persistence of farm price deviations (AR(1))",
                         ge=0, le=0.999, source=ASSUMPTION)
    property_income_per_capita: float = P(90.0, unit="yuan/person/year", doc="Property "
                                          "income other than the rent of let land "
                                          "(interest, dividends, house rent)", ge=0,
                                          le=100_000, source="set so property income, land "
                                          "rent included, keeps its share of income from "
                                          "before land rental (1.6% in the baseline's first "
                                          "year; NBS 2019 poor areas: 1.4%; 190 without "
                                          "rental) (derived)")
    land_let_share: float = P(1.0, unit="share", doc="Share of the land beyond what its "
                              "own labour can farm that a household lets each January "
                              "(land rental, 土地流转; 0: no rental, the land lies idle)",
                              ge=0, le=1, source="all of it: idle land is what rental "
                              "moves (the baseline's idle share, 30% of contracted land at "
                              "the start, is near the national third let by 2020, Ministry "
                              "of Agriculture and Rural Affairs) (derived)")
    land_rent_per_mu: float = P(634.0, unit="yuan/mu/year", doc="Rent of let farmland when "
                                "the lease pays rent, at 2021 wages (raised with the wage "
                                "index each January)", ge=0, le=100_000,
                                source="median rent of farmland let in large parcels, "
                                "9,512 yuan/ha, over 20,000 parcels (Xu, Li and Xin 2021, "
                                "Acta Geographica Sinica 76(3))")
    rent_free_share: float = P(0.7, unit="share", doc="Chance a household lends the land "
                               "it lets to kin and neighbours without rent", ge=0, le=1,
                               source="over 70% of let land pays no rent in mountain areas, "
                               "30-50% nationally (Wang, Xin, Zhang and Li 2019, "
                               "Sustainability 11(11)); most former poverty counties lie "
                               "in the hills and mountains of the contiguous poor areas")
    rent_follows_price: bool = P(True, unit="-", doc="A paying tenant (a co-operative, a "
                                 "large farmer, an agribusiness of the village's sector) pays "
                                 "the month's rent only as far as its profit allows: rent x "
                                 "(1 + industry.price_sensitivity x (price - 1)), clipped to "
                                 "0-1, at the village sector's price; the rest is lost to the "
                                 "market (false: the lease's rent whatever the price)",
                                 source="large tenants losing money renegotiate, cut back or "
                                 "abandon leases (Liaowang and Economic Reference News, 2019, "
                                 "as summarised by F. Gale, 'China's large farmers abandon "
                                 "land', 2019-09-09); leases to large tenants break more often "
                                 "(Zhu, Luo and Paudel 2018, SAEA, 1,611 households in nine "
                                 "provinces)")
    income_noise_sigma: float = P(0.15, unit="log-sd", doc="Month-to-month noise in local "
                                  "wage and farm income", ge=0, le=2, source=ASSUMPTION)
    cpi_growth_year: float = P(0.02, unit="per year", doc="Consumer price inflation, for the "
                               "real (2021-price) figures in the outputs", ge=-0.2, le=0.5,
                               source=ASSUMPTION)
    elderly_farm_labour: float = P(0.3, unit="labour units", doc="Farm work an elderly "
                                   "member still does", ge=0, le=1, source=ASSUMPTION)
    farm_skill_base: float = P(0.8, unit="multiplier", doc="Farm income multiplier at zero "
                               "skill", ge=0, le=5, source=ASSUMPTION)
    farm_skill_slope: float = P(0.4, unit="multiplier per skill", doc="Farm income "
                                "multiplier added by full skill", ge=0, le=5,
                                source=ASSUMPTION)
    farm_time_share: float = P(0.5, unit="share", doc="Share of a home worker's time the "
                               "land needs (not available for local wage work)", ge=0, le=1,
                               source=ASSUMPTION)
    work_skill_base: float = P(0.6, unit="multiplier", doc="Chance of local work at zero "
                               "skill, relative to p_local_work", ge=0, le=5, source=ASSUMPTION)
    work_skill_slope: float = P(0.8, unit="multiplier per skill", doc="Added by full skill",
                                ge=0, le=5, source=ASSUMPTION)
    work_motivation_base: float = P(0.6, unit="multiplier", doc="Chance of local work at "
                                    "zero motivation, relative to p_local_work", ge=0, le=5,
                                    source=ASSUMPTION)
    work_motivation_slope: float = P(0.8, unit="multiplier per motivation", doc="Added by "
                                     "full motivation", ge=0, le=5, source=ASSUMPTION)
    migration_drive: float = P(2.0, unit="multiplier", doc="Scale of motivation x (skill "
                               "base + skills) in the chance to start migrating", ge=0, le=20,
                               source=ASSUMPTION)
    migration_skill_base: float = P(0.5, unit="skill", doc="Added to skills in the drive to "
                                    "migrate", ge=0, le=5, source=ASSUMPTION)
    remigrate_drive: float = P(2.0, unit="multiplier", doc="Scale of motivation in the "
                               "chance a jobless migrant leaves again", ge=0, le=20,
                               source=ASSUMPTION)


# ----------------------------------------------------------------------- business
class BusinessConfig(Section):
    """Small household businesses (a shop, transport, processing, a homestay): a
    livelihood of its own beside farming, local wage work and migrant work."""

    init_share: float = P(0.08, unit="share", doc="Households running a small business at the "
                          "start (among those with a working member; more with skills)",
                          ge=0, le=1, source=ASSUMPTION)
    net_month: float = P(1_500.0, unit="yuan/month", doc="Net income of a small household "
                         "business at the reference drive, in 2021 (rises with the wage "
                         "index; its part of NBS net business income)", ge=0, le=100_000,
                         source=ASSUMPTION)
    start_cost: float = P(15_000.0, unit="yuan", doc="Savings a household invests to start "
                          "one (lost if it fails)", ge=0, le=1_000_000, source=ASSUMPTION)
    p_start_year: float = P(0.015, unit="per year", doc="Chance a year that a household with a "
                            "working member at home and the savings starts one, at the "
                            "reference motivation and skills 0.5: x motivation / "
                            "motivation_reference (at most 1.5) x (0.5 + skills)", ge=0,
                            le=1, source=ASSUMPTION)
    demand_share: float = P(0.5, unit="share", doc="Share of a household business's sales "
                            "that move with its village sector's price (its customers are "
                            "the village's farmers): income x max(0, 1 + this x (price - "
                            "1)); a sector's slump reaches the village's shops too",
                            ge=0, le=2, source=ASSUMPTION)
    p_fail_year: float = P(0.08, unit="per year", doc="Chance a year that a business fails "
                           "(its income is then a loss every month until the household "
                           "starts another)", ge=0, le=1, source=ASSUMPTION)


# ---------------------------------------------------------------------- spending
class SpendingConfig(Section):
    subsistence_per_capita: float = P(3_600.0, unit="yuan/person/year", doc="Consumption a "
                                      "household keeps even without income", ge=0,
                                      le=100_000, source=ASSUMPTION)
    mpc: float = P(0.75, unit="share", doc="Share of usual income above subsistence that is "
                   "consumed", ge=0, le=1.5, source=ASSUMPTION)
    schooling_per_child: float = P(1_500.0, unit="yuan/child/year", doc="Schooling costs "
                                   "left after compulsory-education exemptions", ge=0,
                                   le=100_000, source=ASSUMPTION)
    debt_interest_year: float = P(0.06, unit="per year", doc="Interest on household debt",
                                  ge=0, le=1, source=ASSUMPTION)
    repay_share_month: float = P(0.05, unit="share/month", doc="Share of savings used each "
                                 "month to repay debt", ge=0, le=1, source=ASSUMPTION)


# ----------------------------------------------------------------------- behaviour
class BehaviourConfig(Section):
    motivation_experience: float = P(0.05, unit="per month", doc="How fast motivation "
                                     "follows the household's own income gains and losses",
                                     ge=0, le=1, source=ASSUMPTION)
    motivation_peer: float = P(0.03, unit="per month", doc="How fast motivation moves towards "
                               "the neighbours' average", ge=0, le=1, source=ASSUMPTION)
    motivation_shock: float = P(0.04, unit="per shock", doc="Motivation lost when a shock "
                                "(illness, job loss) hits", ge=0, le=1, source=ASSUMPTION)
    motivation_recovery: float = P(0.02, unit="per month", doc="How fast motivation returns "
                                   "to the household's own disposition after shocks", ge=0,
                                   le=1, source=ASSUMPTION)
    motivation_dependence: float = P(0.01, unit="per month", doc="Motivation lost per month "
                                     "by an able household living mostly on help",
                                     ge=0, le=1, source=ASSUMPTION)
    skills_learning: float = P(0.004, unit="per month", doc="Skill gained per month of wage "
                               "work", ge=0, le=1, source=ASSUMPTION)
    skills_peer: float = P(0.01, unit="per month", doc="How fast skills move towards more "
                           "skilled neighbours", ge=0, le=1, source=ASSUMPTION)
    skills_decay: float = P(0.001, unit="per month", doc="Skill lost per month without wage "
                            "work", ge=0, le=1, source=ASSUMPTION)
    motivation_reference: float = P(0.667, unit="motivation", doc="Motivation of a typical "
                                    "household, at which the effort multipliers below are 1 "
                                    "(the baseline's mean motivation at the start)", ge=0,
                                    le=1, source=ASSUMPTION)
    farm_effort_motivation: float = P(0.3, unit="per motivation", doc="Farm output's rise "
                                      "per unit of motivation above the reference (care of "
                                      "fields and animals; a household waiting for help "
                                      "neglects them): output x max(0, 1 + this x (motivation "
                                      "- reference))", ge=0, le=2, source=ASSUMPTION)
    health_drive_motivation: float = P(0.5, unit="per motivation", doc="Health-seeking's "
                                       "rise per unit of motivation above the reference: the "
                                       "chance of seeking care promptly and the adherence to "
                                       "health management are x min(1, max(0, 1 + this x "
                                       "(motivation - reference))); a household with little "
                                       "drive waits longer before seeing a doctor (late care "
                                       "costs more) and follows the doctor's advice less",
                                       ge=0, le=2, source=ASSUMPTION)
    adherence_illiterate: float = P(0.5, unit="share", doc="Adherence of a household "
                                    "without basic health literacy to the care of a chronic "
                                    "illness, its own and a family doctor's (it follows the "
                                    "advice less): the share of their effect on acute risk "
                                    "it gets", ge=0, le=1, source=ASSUMPTION)
    self_care_chronic: float = P(0.4, unit="share", doc="Share of a chronic patient's extra "
                                 "acute risk that the household's own management of the "
                                 "illness removes at full adherence (medicines taken, "
                                 "pressure checked, warning signs acted on), with or without "
                                 "a family doctor; adherence is 1 with basic health literacy, "
                                 "adherence_illiterate without, times the health drive",
                                 ge=0, le=1, source=ASSUMPTION)
    care_seeking_illiterate: float = P(0.7, unit="share", doc="Chance, relative to a "
                                       "health-literate household, that a household without "
                                       "basic health literacy seeks care promptly when it can "
                                       "reach a clinic (late care costs more)", ge=0, le=1,
                                       source=ASSUMPTION)
    care_seeking_unaffordable: float = P(0.5, unit="share", doc="Chance, relative to a "
                                         "household that can pay, that a household whose "
                                         "savings do not cover its expected share of an "
                                         "acute episode's bill (after insurance, and medical "
                                         "assistance and the cap if it is registered or "
                                         "monitored) seeks care promptly (late care costs "
                                         "more)", ge=0, le=1, source=ASSUMPTION)
    psych_onset: float = P(0.15, unit="per month", doc="Psychological distress (P County: "
                           "'psychological poverty') rises this share of the way to 1 in "
                           "each month of stress: an illness episode in the household, a "
                           "lost job, or debt above distress_debt_months of subsistence",
                           ge=0, le=1, source=ASSUMPTION)
    psych_recovery: float = P(0.05, unit="per month", doc="Share of distress that fades each "
                              "month untreated", ge=0, le=1, source=ASSUMPTION)
    psych_treatment_gain: float = P(2.0, unit="x recovery", doc="Extra recovery of a "
                                    "household treated for distress (a clinic's counselling, "
                                    "social work): recovery x (1 + gain x treated)", ge=0,
                                    le=20, source=ASSUMPTION)
    psych_motivation: float = P(0.03, unit="per month", doc="Motivation lost each month at "
                                "full distress (distress saps the driving force, and with it "
                                "work, migration and take-up)", ge=0, le=1, source=ASSUMPTION)
    distress_debt_months: float = P(6.0, unit="months of subsistence", doc="Debt above this "
                                    "many months of the household's subsistence spending, "
                                    "with income below the monitoring line, puts it in "
                                    "distress: it starts selling what it produces with",
                                    ge=0, le=120, source=ASSUMPTION)
    p_distress_sale: float = P(0.1, unit="per month", doc="Chance a household in distress "
                               "sells productive assets this month (livestock, equipment, "
                               "years of land rent taken in advance)", ge=0, le=1,
                               source=ASSUMPTION)
    distress_sale_share: float = P(0.3, unit="share", doc="Share of its land's production a "
                                   "household gives up in one distress sale", ge=0, le=1,
                                   source=ASSUMPTION)
    distress_price_years: float = P(2.0, unit="years of income", doc="What a distress sale "
                                    "fetches, in years of the net income the sold assets "
                                    "produced (a fire sale is below their worth)", ge=0,
                                    le=50, source=ASSUMPTION)
    p_leave_school: float = P(0.03, unit="per month", doc="Chance a household in distress "
                              "(as for distress sales: income below the monitoring line, "
                              "debt above distress_debt_months of subsistence) that has a "
                              "child at school and no support for it (no assistance bundle "
                              "yet, no schooling subsidy) takes one child out to work this "
                              "month (the child becomes a worker without "
                              "skills, and the household's schooling costs fall)", ge=0,
                              le=1, source=ASSUMPTION)
    school_leaver_years: float = P(2.0, unit="years", doc="Mean years a school leaver "
                                   "could still go back: a child taken out to work is "
                                   "about 15 to 17, near the end of its schooling (then it "
                                   "stays a worker)", ge=0.1, le=20, source=ASSUMPTION)
    p_back_to_school: float = P(0.2, unit="per month", doc="Chance a month that a school "
                                "leaver of a household whose schooling is supported (its "
                                "assistance bundle has arrived, or the schooling subsidy "
                                "reaches it) goes back to school: the cadres' persuasion "
                                "and the schooling subsidy of 'control dropouts, keep "
                                "pupils in school' (控辍保学)", ge=0, le=1,
                                source="persuading dropouts back is required of local "
                                "governments (State Council General Office notice on "
                                "controlling dropouts, 2017, No. 72); the monthly chance is "
                                "an assumption")
    reliance_help_share: float = P(0.5, unit="share of income", doc="An able household "
                                   "relies on transfers when targeted help is above this "
                                   "share of its income (also the Smith reliance measure)",
                                   ge=0, le=1, source=ASSUMPTION)


# ------------------------------------------------------------------------ policy
class MonitoringConfig(Section):
    """Return-to-poverty monitoring and early warning (the rules as written)."""

    inclusion_multiple: float = P(1.5, unit="x poverty line", doc="Households with income "
                                  "per person below this multiple of the line are at risk",
                                  ge=0, le=10, source="about 1.5x the line, State Council "
                                  "poverty office (China Daily 2020-12-02)")
    rigid_spending_share: float = P(1.0, unit="share of income", doc="Also at risk: rigid "
                                    "spending (medical, schooling) over the last year above "
                                    "this share of the year's income", ge=0, le=5,
                                    source="rigid spending clearly above income, State "
                                    "Council poverty office (China Daily 2020-12-02)")
    sharp_drop_share: float = P(0.4, unit="share", doc="Also at risk: the last 3 months' "
                                "income this far below the usual level", ge=0, le=1,
                                source=ASSUMPTION)
    exit_multiple: float = P(1.5, unit="x poverty line", doc="Risk is eliminated when income "
                             "per person stays above this multiple of the line (and no rigid "
                             "spending or sharp drop remains)", ge=0, le=10,
                             source="the monitoring line itself: risk is eliminated when "
                             "income stays stably above it (national monitoring guidelines, "
                             "2021)")
    stable_months: int = P(6, unit="months", doc="Months above the exit line before a "
                           "household's risk is declared eliminated", ge=1, le=60,
                           source="over half a year of stable income (national monitoring "
                           "guidelines, 2021)")
    track_without_labour_months: int = P(12, unit="months", doc="A monitored household "
                                         "in which no one can work, held above the exit "
                                         "line only by the dibao's floor, is tracked this "
                                         "many months on it before its risk is declared "
                                         "eliminated (0: after stable_months, like any "
                                         "household; its own income above the exit line "
                                         "ends its risk as anyone's)", ge=0, le=600,
                                         source="national rules: a monitored household "
                                         "without labour capacity is not marked risk-"
                                         "eliminated once social security is in place but "
                                         "tracked until the help proves stable (暂不标注风险"
                                         "消除, 持续跟踪监测; Hainan provincial government "
                                         "Q&A, 2021-12; Pingdingshan rural revitalisation "
                                         "bureau, 2021-07-05); the months: ASSUMPTION, a "
                                         "year (the dibao's yearly review), checked against "
                                         "the monitored share of registered households (5-"
                                         "15%, calibration table)")
    township_criteria_spread: float = P(0.0, unit="log-sd", doc="Spread of the inclusion "
                                        "multiple that township offices actually apply "
                                        "(Laoling: townships differ)", ge=0, le=2,
                                        source=ASSUMPTION)
    verification_noise: float = P(0.15, unit="log-sd", doc="Error of a township's income "
                                  "check when it verifies a flagged household", ge=0, le=2,
                                  source=ASSUMPTION)
    p_self_apply: float = P(0.08, unit="per month", doc="Base chance an at-risk household "
                            "applies itself (scaled by trust and motivation, cut by stigma)",
                            ge=0, le=1, source=ASSUMPTION)
    stigma: float = P(0.3, unit="share", doc="How much shame about being labelled deters "
                      "applying", ge=0, le=1, source=ASSUMPTION)
    self_apply_motivation_base: float = P(0.5, unit="-", doc="Added to motivation in the "
                                          "chance to apply: p_self_apply x trust x (base + "
                                          "motivation) x (1 - stigma)", ge=0, le=5,
                                          source=ASSUMPTION)
    screen_p_detect: float = P(0.25, unit="per month", doc="Chance the sector departments' "
                               "data screen flags an at-risk household with a data trace "
                               "(large medical bills, dibao, disability)", ge=0, le=1,
                               source=ASSUMPTION)
    screen_trace_share: float = P(0.3, unit="share of income", doc="Medical and schooling "
                                  "bills above this share of a year's income leave a trace "
                                  "in the sector departments' data", ge=0, le=5, source=ASSUMPTION)
    screen_lag_months: int = P(2, unit="months", doc="Delay before a data-screen flag "
                               "reaches the township", ge=0, le=24, source=ASSUMPTION)
    screen_false_alarm: float = P(0.002, unit="per month", doc="Chance the screen flags a "
                                  "household not at risk", ge=0, le=1, source=ASSUMPTION)
    pressure_exit: float = P(0.0, unit="share", doc="Pressure on townships to show "
                             "eliminated risks: the share of stable_months they skip",
                             ge=0, le=1, source=ASSUMPTION)


class PolicyBase(Section):
    """The idealized policy as written (Smith): lines, benefits, calendar, monitoring;
    each instrument's section is added from ``abm.instruments`` (see ``PolicyConfig``)."""

    poverty_line_2020: float = P(4_000.0, unit="yuan/person/year", doc="National rural "
                                 "poverty line in 2020 prices", ge=0, le=100_000,
                                 source="2,300 yuan at 2010 prices, about 4,000 in 2020 (SCIO "
                                 "2021-04-07)")
    poverty_line_growth: float = P(0.03, unit="per year", doc="Yearly growth of the poverty "
                                   "line (price and living-standard adjustment)", ge=0, le=0.3,
                                   source=ASSUMPTION)
    transition_end_year: int = P(2025, unit="year", doc="Last year of the transition period "
                                 "in which the main support policies are kept", ge=2020,
                                 le=2050, source="2021 No. 1 Document: 2021-2025")
    withdrawal_months: int = P(24, unit="months", doc="Months over which instruments fall to "
                               "their kept_after_transition share", ge=0, le=240, source=ASSUMPTION)
    pension_month: float = P(170.0, unit="yuan/person/month", doc="Basic rural pension per "
                             "member aged 60+", ge=0, le=10_000,
                             source="urban-rural resident basic pension, order of magnitude")
    pension_growth_year: float = P(0.05, unit="per year", doc="Yearly rise of the pension, "
                                   "raised each January", ge=0, le=0.5,
                                   source="the minimum basic pension was raised every year "
                                   "(93, 98, 103 yuan/month in 2020-2022; State Council "
                                   "notices), about 5% a year")
    farm_subsidy_per_mu: float = P(120.0, unit="yuan/mu/year", doc="Farmland protection and "
                                   "grain subsidies", ge=0, le=10_000, source=ASSUMPTION)
    farm_subsidy_growth_year: float = P(0.0, unit="per year", doc="Yearly rise of the "
                                        "farmland subsidy (fixed in nominal yuan)", ge=0,
                                        le=0.5, source="per-mu standards set by provinces "
                                        "and largely unchanged since the 2016 reform "
                                        "(assumption)")
    monitoring: MonitoringConfig = MonitoringConfig()

    @model_validator(mode="after")
    def _lines(self) -> PolicyBase:
        m = self.monitoring
        if m.exit_multiple < m.inclusion_multiple:
            raise ValueError(
                f"policy.monitoring.exit_multiple ({m.exit_multiple}) is below "
                f"policy.monitoring.inclusion_multiple ({m.inclusion_multiple}): households "
                "would leave monitoring below the line that put them in")
        return self


# One section per instrument, in the registry's order, declared by the instrument's own
# module: adding an instrument adds its section here without an edit.
PolicyConfig = create_model(
    "PolicyConfig",
    __base__=PolicyBase,
    __doc__=PolicyBase.__doc__,
    **{name: (cls, cls()) for name, cls in registry.config_sections().items()},
)


# ------------------------------------------------------------------- implementers
class TriageConfig(Section):
    """What makes a household look at risk to the cadres choosing whom to visit: a score
    summing these weights (plus a uniform 0-1 draw for what they know and others don't)."""

    registered: float = P(1.0, unit="score", doc="Registered poor before", ge=0, le=10,
                          source=ASSUMPTION)
    chronic: float = P(0.5, unit="score", doc="A chronic patient", ge=0, le=10,
                       source=ASSUMPTION)
    disability: float = P(0.8, unit="score", doc="A disabled member", ge=0, le=10,
                          source=ASSUMPTION)
    elderly_share: float = P(0.5, unit="score per share", doc="Share of members aged 60+",
                             ge=0, le=10, source=ASSUMPTION)
    low_income: float = P(2.0, unit="score", doc="Weight of w / (1 + income / line): low "
                          "income against the poverty line", ge=0, le=10, source=ASSUMPTION)


class ImplementersConfig(Section):
    """Village work teams and township offices (the implementing organisation)."""

    registered_per_cadre: float = P(33.0, unit="registered households/cadre", doc="The "
                                    "county's resident cadres, one for this many registered "
                                    "households, shared among the villages in proportion to "
                                    "their registered households (a village's team has that "
                                    "many cadre-equivalents, whatever the county's size)",
                                    gt=0, le=100_000, source="about 900,000 resident cadres "
                                    "for the registered households: about 33 registered "
                                    "households per resident cadre (poverty office bulletin "
                                    "2020-03; Xinhua 2021-05-11)")
    extra_cadres: int = P(0, unit="cadres", doc="Cadres the county bureau can post each year "
                          "to the villages with the heaviest caseload", ge=0, le=100_000,
                          source=ASSUMPTION)
    fund_delay_months: int = P(3, unit="months", doc="Months after January before the "
                               "county's industrial-support funds reach the enterprises (the "
                               "bureau's fund execution: approvals, tenders, transfers); until "
                               "then no enterprise is supported, links no members and pays no "
                               "dividends", ge=0, le=11, source=ASSUMPTION)
    hours_per_cadre_month: float = P(80.0, unit="hours/month", doc="Hours a cadre gives to "
                                     "consolidation work", ge=0, le=400, source=ASSUMPTION)
    team_term_months: int = P(24, unit="months", doc="A village work team's term: when it "
                              "ends, a new team arrives and has to learn the village again",
                              ge=1, le=600, source="terms of at least two years (Xinhua "
                              "2021-05-11)")
    months_to_know_village: float = P(12.0, unit="months", doc="Time scale over which a new "
                                      "team learns its village (1 - 1/e of the way in this "
                                      "many months)", gt=0, le=240, source=ASSUMPTION)
    new_team_knowledge: float = P(0.6, unit="share", doc="How well a team that has just "
                                  "arrived recognises risk and its cause, relative to one "
                                  "that knows the village", ge=0, le=1, source=ASSUMPTION)
    fatigue_per_paperwork: float = P(0.05, unit="per month", doc="How fast a team tires "
                                     "when paperwork fills its hours: its fatigue rises by "
                                     "this x its paperwork share x (1 - fatigue) a month, and "
                                     "a tired team recognises less of the risk it sees on a "
                                     "visit (detection x (1 - fatigue)); a new team arrives "
                                     "rested", ge=0, le=1, source="assumption; the burden "
                                     "forms, inspections and traces put on grassroots cadres "
                                     "is what the CPC General Office's 2019 notice on "
                                     "reducing burdens at the grassroots names")
    contract_service_share: float = P(1.0, unit="share", doc="Share of the family-doctor "
                                      "contracts a township clinic signs that its doctors "
                                      "serve with health management (follow-ups, "
                                      "medication guidance), its priority patients first; "
                                      "the rest are signed on paper to reach the contract "
                                      "rate the clinic is assessed on ('signed but not "
                                      "served', 签而不约) and change nothing for the "
                                      "household, though the county pays for them; 1: "
                                      "every contract served", ge=0, le=1,
                                      source="assumption (1: every contract served); "
                                      "contracts signed without service are what the NHC's "
                                      "2018 notice on standardising family-doctor contract "
                                      "services (国卫基层发〔2018〕35号) asks to end")
    exit_rush: float = P(0.5, unit="share", doc="Share of the observation months "
                         "(stable_months) a village team skips before proposing a monitored "
                         "household's exit when all its hours go to paperwork (pressure to "
                         "show exits; it skips this x its paperwork share)", ge=0, le=1,
                         source="assumption; exits on paper are what the CPC Central Committee and "
                         "State Council's 2018 guidance on the three-year action against "
                         "poverty forbids ('put an end to numbers exits and false exits', "
                         "杜绝数字脱贫、虚假脱贫)")
    fatigue_recovery: float = P(0.1, unit="per month", doc="Share of a team's fatigue that "
                                "fades each month", ge=0, le=1, source=ASSUMPTION)
    team_skill_spread: float = P(0.3, unit="log-sd", doc="Spread of skill between teams "
                                 "(detection and diagnosis), drawn when a team arrives",
                                 ge=0, le=2, source=ASSUMPTION)
    diagnosis_skill: float = P(0.5, unit="probability", doc="Chance a team bringing the "
                               "assistance bundle identifies the cause of the household's "
                               "risk and adds the help that fits it (illness: temporary "
                               "assistance); otherwise only the uniform bundle", ge=0, le=1,
                               source=ASSUMPTION)
    hours_per_visit: float = P(2.0, unit="hours", doc="Time one home visit takes", gt=0,
                               le=40, source=ASSUMPTION)
    forms_hours_per_case: float = P(4.0, unit="hours/month", doc="Paperwork one monitored "
                                    "household demands each month", ge=0, le=100, source=ASSUMPTION)
    forms_hours_base: float = P(10.0, unit="hours/month per cadre", doc="Paperwork each "
                                "cadre of a team owes every month whatever the team's "
                                "caseload (reports, meetings, the registered households' "
                                "files)", ge=0, le=1000, source=ASSUMPTION)
    detection_skill: float = P(0.6, unit="probability", doc="Chance a visit to an at-risk "
                               "household recognises the risk", ge=0, le=1, source=ASSUMPTION)
    paperwork_inertia: float = P(0.15, unit="per month", doc="How fast a team moves its "
                                 "time split towards what the assessment rewards (routines "
                                 "persist)", ge=0, le=1, source=ASSUMPTION)
    help_per_visit: float = P(1.0, unit="households", doc="Monitored households a visit "
                              "brings the assistance bundle to", ge=0, le=10, source=ASSUMPTION)
    initial_paperwork_share: float = P(0.3, unit="share of hours", doc="Share of a team's "
                                       "hours on paperwork when it starts", ge=0, le=1,
                                       source=ASSUMPTION)
    triage: TriageConfig = TriageConfig()


class AssessmentConfig(Section):
    """The county's annual assessment of village teams (what cadres respond to)."""

    weight_paperwork: float = P(0.5, unit="weight", doc="Weight of complete files and forms "
                                "in the assessment", ge=0, le=1, source=ASSUMPTION)
    weight_outcomes: float = P(0.5, unit="weight", doc="Weight of outcomes (at-risk "
                               "households found and helped) in the assessment", ge=0, le=1,
                               source=ASSUMPTION)
    weight_traces: float = P(0.0, unit="weight", doc="Share of the paperwork score given "
                             "for traces beyond the required forms (records, photos, "
                             "meeting minutes that inspections count: 1 - exp(-extra hours / "
                             "required hours)); 0: only the required forms count", ge=0,
                             le=1, source=ASSUMPTION)
    visit_returns: float = P(3.0, unit="-", doc="How fast outcomes rise with visits per "
                             "household, as cadres perceive it", gt=0, le=100, source=ASSUMPTION)
    replace_share: float = P(0.1, unit="share of teams", doc="Share of village teams with "
                             "the lowest scores that the county recalls and replaces after "
                             "its December review (a new team arrives)", ge=0, le=1,
                             source=ASSUMPTION)


# ----------------------------------------------------------------------- industry
class IndustryConfig(Section):
    sectors: dict[str, float] = Field(
        {"grain": 0.4, "livestock": 0.3, "vegetables": 0.2, "handicraft": 0.1},
        description="Sector mix: share of villages whose main product is in each sector",
        json_schema_extra={"source": ASSUMPTION})
    enterprises_per_township: int = P(3, unit="enterprises", doc="Enterprises and "
                                      "cooperatives per township", ge=0, le=1000, source=ASSUMPTION)
    jobs_per_enterprise: int = P(20, unit="jobs", doc="Local jobs in one enterprise", ge=0,
                                 le=100_000, source=ASSUMPTION)
    wage_month: float = P(2_500.0, unit="yuan/month", doc="Enterprise wage", ge=0,
                          le=100_000, source=ASSUMPTION)
    margin: float = P(0.12, unit="share of revenue", doc="Normal profit margin at trend "
                      "price", ge=-1, le=1, source=ASSUMPTION)
    capital_months: float = P(12.0, unit="months of revenue", doc="Capital an enterprise "
                              "can lose before it fails", ge=0, le=600, source=ASSUMPTION)
    failure_months: int = P(6, unit="months", doc="Consecutive loss-making months that, with "
                            "capital gone, close an enterprise", ge=1, le=120, source=ASSUMPTION)
    price_sensitivity: float = P(3.0, unit="-", doc="How much profit moves with the sector "
                                 "price (operating leverage)", ge=0, le=50, source=ASSUMPTION)
    p_entry_year: float = P(0.3, unit="per year", doc="Chance each January that a new "
                            "enterprise of the same sector takes a failed one's place in its "
                            "township, times the sector's price effect on profit (1 + "
                            "price_sensitivity x (price - 1), clipped to 0-1): entrants come "
                            "when the market pays", ge=0, le=1, source=ASSUMPTION)
    p_job_separation: float = P(0.01, unit="per worker-month", doc="An enterprise job ends "
                                "(contract over, the worker leaves or is let go)", ge=0, le=1,
                                source=ASSUMPTION)
    wage_share_of_revenue: float = P(0.4, unit="share", doc="Wages as a share of an "
                                     "enterprise's revenue at trend price", gt=0, le=1,
                                     source=ASSUMPTION)
    investment_capacity: float = P(0.1, unit="yuan/month per yuan", doc="Monthly revenue "
                                   "capacity added per 12 yuan of support funds invested",
                                   ge=0, le=10, source=ASSUMPTION)


# ----------------------------------------------------------------------- social
class SocialConfig(Section):
    charity_per_household: float = P(30.0, unit="yuan/household/year", doc="Donations to "
                                     "the county's charities, per household", ge=0,
                                     le=100_000, source=ASSUMPTION)
    charity_grant: float = P(2_000.0, unit="yuan", doc="One charity grant to a household in "
                             "sudden severe hardship", ge=0, le=1_000_000, source=ASSUMPTION)
    charity_grant_gap_months: int = P(12, unit="months", doc="Months before a household "
                                      "can receive another charity grant", ge=1, le=120,
                                      source=ASSUMPTION)
    social_workers_per_10k: float = P(2.0, unit="workers per 10,000 households", doc="Social "
                                      "workers", ge=0, le=1000, source=ASSUMPTION)
    caseload_per_worker: int = P(15, unit="households", doc="Households one social worker "
                                 "supports at a time", ge=0, le=1000, source=ASSUMPTION)
    cost_per_case_month: float = P(150.0, unit="yuan/month", doc="Cost of a month of "
                                   "social-work support, paid by charities", ge=0, le=100_000,
                                   source=ASSUMPTION)
    referral_motivation: float = P(0.45, unit="motivation", doc="Cadres refer helped "
                                   "households with motivation below this to social work",
                                   ge=0, le=1, source=ASSUMPTION)
    outreach: bool = P(True, unit="-", doc="Social workers fill the caseload the cadres' "
                       "referrals leave free with households of their own clientele (registered, "
                       "monitored or on the dibao) whose motivation is below "
                       "referral_motivation, the least motivated first; a case lasts while the "
                       "household stays in that clientele, and a waiting referral is withdrawn "
                       "once its household is no longer a discouraged client (false: referrals "
                       "only, as they came, each case closing when its household leaves "
                       "monitoring)",
                       source="Ministry of Civil Affairs, 14th Five-Year Plan for civil "
                       "affairs (2021): a social-work station in every township by 2025, "
                       "its workers serving people in difficulty (the dibao, the "
                       "low-income, households at risk of returning to poverty) directly")
    motivation_support: float = P(0.03, unit="per month", doc="Motivation gained per month of "
                                  "social-work support", ge=0, le=1, source=ASSUMPTION)
    case_months: int = P(6, unit="months", doc="Months a social worker supports a "
                         "household before closing the case", ge=1, le=120,
                         source=ASSUMPTION)
    clinic_reach: float = P(1.5, unit="map units", doc="Distance from the township clinic at "
                            "which access halves", gt=0, le=100, source=ASSUMPTION)
    delay_cost: float = P(0.3, unit="share", doc="Extra cost of an acute episode when care is "
                          "delayed for lack of access", ge=0, le=5, source=ASSUMPTION)


# ------------------------------------------------------------------------- shocks
FITTED_EPIDEMIC = ("fitted to the national epidemic quarter: rural income in Q1 2020 +0.9% "
                   "nominal, net business -7.3%, Q1-Q3 +5.8% (NBS 2020-04-17, 2020-10-19), "
                   "by abm validate's epidemic rows (an epidemic from January to March)")


class EpidemicConfig(Section):
    start_year: int = P(2022, unit="year", doc="Year the epidemic wave begins", ge=2000,
                        le=2100, source=ASSUMPTION)
    start_month_of_year: int = P(3, unit="month", doc="Month of that year (1-12)", ge=1, le=12,
                                 source=ASSUMPTION)
    dur_months: int = P(0, unit="months", doc="How long migrant work and local business are "
                        "disrupted (0: no epidemic)", ge=0, le=120, source=ASSUMPTION)
    idle_migrant_share: float = P(0.05, unit="share", doc="Share of migrants who cannot "
                                  "work during the epidemic", ge=0, le=1,
                                  source=FITTED_EPIDEMIC)
    local_loss_share: float = P(0.05, unit="share", doc="Share of local wage work and of "
                                "enterprises' revenue and wages lost", ge=0, le=1,
                                source=FITTED_EPIDEMIC)
    farm_loss_share: float = P(0.12, unit="share", doc="Share of farm and household-business "
                               "income lost (farming mostly continues; small businesses "
                               "close)", ge=0, le=1, source=FITTED_EPIDEMIC)


class PriceShockConfig(Section):
    sector: str = Field("livestock", description="Sector hit")
    year: int = P(2023, unit="year", doc="Year the shock starts", ge=2000, le=2100,
                  source=ASSUMPTION)
    size: float = P(-0.4, unit="log change", doc="Change of the sector's log price", ge=-5,
                    le=5, source=ASSUMPTION)


class ShocksConfig(Section):
    p_disaster_village_year: float = P(0.02, unit="per village-year", doc="Flood, drought or "
                                       "hail hitting a village", ge=0, le=1, source=ASSUMPTION)
    disaster_farm_loss: float = P(0.5, unit="share", doc="Farm income lost in a stricken "
                                  "village", ge=0, le=1, source=ASSUMPTION)
    dur_disaster: int = P(4, unit="months", doc="Months the farm loss lasts", ge=1, le=60,
                          source=ASSUMPTION)
    disaster_damage_yuan: float = P(3_000.0, unit="yuan", doc="Repairs a household of a "
                                    "stricken village must pay", ge=0, le=1_000_000,
                                    source=ASSUMPTION)
    p_sector_slump_year: float = P(0.05, unit="per sector-year", doc="Chance that a sector "
                                   "of the county slumps (a disease of the herds, a collapse "
                                   "of demand): its price index falls by sector_slump_size "
                                   "at once and recovers as prices do", ge=0, le=1,
                                   source=ASSUMPTION + ": about once in twenty years for "
                                   "each sector")
    sector_slump_size: float = P(-0.53, unit="log change", doc="Change of the slumping "
                                 "sector's log price index", ge=-5, le=0, source="output "
                                 "of the hit sector about -41% (African swine fever 2019: "
                                 "pig herd -41%, NBS); log(0.59) = -0.53")
    epidemic: EpidemicConfig = EpidemicConfig()
    price_shocks: list[PriceShockConfig] = Field(default_factory=list,
                                                 json_schema_extra={"source": SETTING},
                                                 description="Sector price shocks")


# ------------------------------------------------------------------------ measures
class MeasuresConfig(Section):
    """How the Smith measures are taken (not behaviour)."""

    delay_window_cases: int = P(500, unit="cases", doc="Months to monitoring and to help "
                                "are averaged over the most recent this many cases", ge=1,
                                le=1_000_000, source=SETTING)


class Config(Section):
    run: RunConfig = RunConfig()
    county: CountyConfig = CountyConfig()
    population: PopulationConfig = PopulationConfig()
    health: HealthConfig = HealthConfig()
    economy: EconomyConfig = EconomyConfig()
    business: BusinessConfig = BusinessConfig()
    spending: SpendingConfig = SpendingConfig()
    behaviour: BehaviourConfig = BehaviourConfig()
    policy: PolicyConfig = PolicyConfig()
    implementers: ImplementersConfig = ImplementersConfig()
    assessment: AssessmentConfig = AssessmentConfig()
    industry: IndustryConfig = IndustryConfig()
    social: SocialConfig = SocialConfig()
    shocks: ShocksConfig = ShocksConfig()
    measures: MeasuresConfig = MeasuresConfig()

    @model_validator(mode="after")
    def _cross_field(self) -> Config:
        if self.county.network.k_neighbours % 2:
            raise ValueError("county.network.k_neighbours must be even (a ring lattice)")
        if self.population.p_child + self.population.p_elderly_member > 1:
            raise ValueError(
                "population.p_child + population.p_elderly_member must not exceed 1"
            )
        sectors = self.industry.sectors
        total = sum(sectors.values())  # NaN fails every comparison below
        if (not sectors or any(not 0 <= v < float("inf") for v in sectors.values())
                or not 0 < total < float("inf")):
            raise ValueError("industry.sectors must map sector names to finite, non-negative "
                             "shares with a positive, finite sum")
        for i, shock in enumerate(self.shocks.price_shocks):
            if shock.sector not in sectors:
                raise ValueError(f"shocks.price_shocks.{i}.sector: {shock.sector!r} is not a "
                                 f"sector of industry.sectors ({', '.join(sectors)})")
        return self


# ------------------------------------------------------------------- loading
def _format_loc(loc: tuple[Any, ...]) -> str:
    return ".".join(str(x) for x in loc if not (isinstance(x, str) and x.startswith("function")))


def _allowed_for(loc: tuple[Any, ...]) -> str:
    """What a dotted key allows, from the schema (range and unit, or the known keys)."""
    model: type[BaseModel] = Config
    for i, part in enumerate(loc):
        fields = model.model_fields
        if part not in fields:
            return "known keys here: " + ", ".join(fields)
        info = fields[part]
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            model = ann
            continue
        if i != len(loc) - 1:
            return ""
        bits = []
        for m in info.metadata:
            for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<")):
                v = getattr(m, attr, None)
                if v is not None:
                    bits.append(f"{sym} {v}")
        tname = getattr(ann, "__name__", str(ann))
        unit = (info.json_schema_extra or {}).get("unit") if isinstance(
            info.json_schema_extra, dict) else None
        s = f"allowed: {tname}"
        if bits:
            s += " " + " and ".join(bits)
        if unit and unit != "-":
            s += f" ({unit})"
        return s
    return ""


def config_from_dict(data: dict[str, Any], source: str = "<config>") -> Config:
    """Validate a plain dict into a Config, raising ConfigError on the first problem."""
    if not isinstance(data, dict):
        raise ConfigError(source, "", "the top level must be a mapping of sections")
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = tuple(err.get("loc", ()))
        key = _format_loc(loc)
        etype = err.get("type", "")
        if etype == "extra_forbidden":
            parent = loc[:-1]
            msg = f"unknown key; {_allowed_for(parent + ('?',))}"
        elif etype == "value_error":
            msg = err["msg"].removeprefix("Value error, ")
            key = key or ""
        else:
            given = err.get("input")
            allowed = _allowed_for(loc)
            msg = f"{err['msg'].lower()} (got {given!r})"
            if allowed:
                msg += f"; {allowed}"
        raise ConfigError(source, key, msg) from None


def read_yaml_mapping(path: Path, top: str = "a mapping of sections") -> dict[str, Any]:
    """Read a YAML file whose top level is a mapping; ConfigError on any problem.

    Regular files only, with limits on size, nesting and aliases, and no duplicate
    keys (see :mod:`abm.yamlio`).
    """
    from abm.yamlio import YamlInputError, read_yaml_file

    source = str(path)
    try:
        data = read_yaml_file(path)
    except YamlInputError as exc:
        raise ConfigError(source, exc.where, exc.message) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "?"
        problem = getattr(exc, "problem", None) or "malformed YAML"
        raise ConfigError(source, where, f"malformed YAML: {problem}") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ConfigError(source, "", f"the top level must be {top}")
    return data


def _known_key(path: list[str]) -> bool:
    model: type[BaseModel] = Config
    for i, part in enumerate(path):
        if part not in model.model_fields:
            return False
        ann = model.model_fields[part].annotation
        last = i == len(path) - 1
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            if last:
                return False  # a whole section, not a value
            model = ann
        elif not last:
            return False
    return True


def parse_sets(sets: list[str], source: str = "--set") -> dict[str, Any]:
    """``dotted.key=value`` strings as {dotted key: value}, in order; values are read as
    YAML 1.2 core scalars (``abm.yamlio.parse_value``: ``yes``, ``1:00`` or ``0x10`` stay
    text). An unknown key or a malformed item is a ``ConfigError`` naming it."""
    from abm.yamlio import YamlInputError, parse_value, short

    out: dict[str, Any] = {}
    for item in sets:
        if "=" not in item:
            raise ConfigError(source, short(item)[1:-1], "expected dotted.key=VALUE")
        key, raw = item.split("=", 1)
        key = key.strip()
        if not _known_key(key.split(".")):
            raise ConfigError(source, short(key)[1:-1], "no such parameter; see "
                              "docs/parameters.md for the keys")
        try:
            value = parse_value(raw) if raw.strip() else raw
        except YamlInputError as exc:
            raise ConfigError(source, key, exc.message) from None
        except yaml.YAMLError:
            value = raw
        out.pop(key, None)  # a key given twice: the last one, in the last place
        out[key] = value
    return out


def apply_overrides(data: dict[str, Any], sets: list[str], source: str = "--set") -> dict:
    """Apply ``dotted.key=value`` strings (read by :func:`parse_sets`)."""
    out = copy.deepcopy(data)
    for key, value in parse_sets(sets, source).items():
        parts = key.split(".")
        node = out
        for p in parts[:-1]:
            if not isinstance(node.get(p), dict):
                node[p] = {}
            node = node[p]
        node[parts[-1]] = value
    return out


def load_config(
    path: str | Path | None,
    sets: list[str] | None = None,
    *,
    seed: int | str | None = None,
    months: int | str | None = None,
    households: int | str | None = None,
) -> Config:
    """Load a YAML config, apply overrides and validate everything once."""
    data: dict[str, Any] = {} if path is None else read_yaml_mapping(Path(path))
    source = "<defaults>" if path is None else str(path)
    from abm.yamlio import parse_whole_number

    overrides = list(sets or [])
    flags = {}
    for name, val in (("seed", seed), ("months", months), ("households", households)):
        if val is not None:
            try:
                number = parse_whole_number(val)
            except ValueError as exc:
                raise ConfigError(f"--{name}", f"run.{name}", str(exc)) from None
            overrides.append(f"run.{name}={number}")
            flags[f"run.{name}"] = f"--{name}"
    data = apply_overrides(data, overrides, source="--set") if overrides else data
    try:
        return config_from_dict(data, source)
    except ConfigError as exc:
        # Say which option was at fault when the key came from the command line.
        if exc.key in flags:
            raise ConfigError(flags[exc.key], exc.key, exc.message) from None
        if any(o.split("=", 1)[0].strip() == exc.key for o in overrides):
            raise ConfigError("--set", exc.key, exc.message) from None
        raise


def config_to_dict(cfg: Config) -> dict[str, Any]:
    return cfg.model_dump(mode="json")


def parameter_table(model: type[BaseModel] = Config, prefix: str = "") -> list[dict[str, Any]]:
    """Rows (key, default, range, unit, meaning, source) for docs and UI generation."""
    rows: list[dict[str, Any]] = []
    for name, info in model.model_fields.items():
        ann = info.annotation
        key = f"{prefix}{name}"
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            rows.extend(parameter_table(ann, key + "."))
            continue
        lo = hi = None
        for m in info.metadata:
            lo = getattr(m, "ge", None) if getattr(m, "ge", None) is not None else lo
            lo = getattr(m, "gt", None) if getattr(m, "gt", None) is not None else lo
            hi = getattr(m, "le", None) if getattr(m, "le", None) is not None else hi
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        rows.append({
            "key": key,
            "type": getattr(ann, "__name__", str(ann)),
            "default": info.default_factory() if info.default_factory else info.default,
            "min": lo,
            "max": hi,
            "unit": extra.get("unit", ""),
            "meaning": info.description or "",
            "source": extra.get("source", ""),
        })
    return rows

