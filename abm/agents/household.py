"""Households: state as a structure of arrays, behaviour as rules over all of them.

``Households`` owns one numpy column per attribute. ``Household`` is a light view
of one row for inspectors, tests and users. The phase functions at the bottom
update all households at once; each column has one writing phase (noted in
``COLUMNS``), and the loss ledger is written only through :meth:`Households.book`.

Money columns ending in ``_m`` are yuan in the current month.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from abm.budget import Budget
from abm.config import Config

# Causes of loss, in the order of the ledger's rows. The cause of an event is
# the row with the largest recent loss (see ``status`` in model.py).
CAUSES = (
    "illness",
    "disability",
    "job_loss",
    "market",
    "epidemic",
    "disaster",
    "policy_withdrawal",
    "aging",
)
CAUSE_INDEX = {c: i for i, c in enumerate(CAUSES)}
NO_CAUSE = "low_income"  # no recent loss: income did not keep up with the line
LEDGER_DECAY = 11.0 / 12.0  # a loss is remembered for about a year

# column -> (dtype, writing phase, meaning)
COLUMNS: dict[str, tuple[Any, str, str]] = {
    "size": (np.int16, "health", "members"),
    "n_children": (np.int16, "health", "school-age children"),
    "n_elderly": (np.int16, "health", "members aged 60+"),
    "n_labour": (np.int16, "health", "members able to work"),
    "age_head": (np.float64, "health", "age of head, years"),
    "chronic": (np.bool_, "health", "a member has a chronic condition"),
    "disability": (np.bool_, "health", "a member is disabled"),
    "acute_left": (np.int16, "health", "months left of an acute episode"),
    "sick_worker": (np.bool_, "health", "the acute patient is a working member"),
    "medical_cost_m": (np.float64, "health", "medical costs this month before reimbursement"),
    "acute_cost_m": (np.float64, "health", "monthly cost of the current acute episode"),
    "sick_now": (np.bool_, "health", "a working member is too sick to work this month"),
    "land": (np.float64, "init", "contracted farmland, mu"),
    "education": (np.float64, "init", "schooling of head, years"),
    "registered": (np.bool_, "init", "registered poor at some time in 2014-2020"),
    "dibao": (np.bool_, "implementers", "enrolled in the minimum living guarantee"),
    "n_migrants": (np.int16, "decisions", "members working outside the county"),
    "n_jobless": (np.int16, "work", "migrants home after losing a job, looking again"),
    "lost_job_now": (np.bool_, "work", "a migrant lost a job this month"),
    "skills": (np.float64, "learning", "skill level 0-1"),
    "motivation": (np.float64, "learning", "motivation (endogenous driving force) 0-1"),
    "trust": (np.float64, "init", "trust in cadres 0-1"),
    "disposition": (np.float64, "init", "the motivation a household returns to, 0-1"),
    "inc_farm_m": (np.float64, "work", "net farm and household-business income"),
    "inc_wage_m": (np.float64, "work", "local wages"),
    "inc_remit_m": (np.float64, "work", "migrant remittances (NBS: transfer income)"),
    "inc_property_m": (np.float64, "work", "property income"),
    "inc_public_m": (np.float64, "work", "public transfers: pension, subsidies, support, "
                     "dibao, schooling subsidy, relief and grants"),
    "sp_consumption_m": (np.float64, "spending", "consumption"),
    "sp_medical_m": (np.float64, "spending", "out-of-pocket medical spending"),
    "sp_schooling_m": (np.float64, "spending", "schooling"),
    "sp_interest_m": (np.float64, "spending", "interest on debt"),
    "sp_repairs_m": (np.float64, "spending", "repairs after a disaster"),
    "reimbursed_m": (np.float64, "spending", "medical costs paid by insurance/assistance"),
    "savings": (np.float64, "spending", "savings, yuan"),
    "debt": (np.float64, "spending", "debt, yuan"),
    # -- set by implementers, industry and the social sector (acted on next month)
    "monitored": (np.bool_, "implementers", "in return-to-poverty monitoring"),
    "category": (np.int8, "implementers", "monitoring category: 0 none, 1 unstable "
                 "lifted-out, 2 marginal, 3 sudden severe hardship"),
    "monitored_since": (np.int32, "implementers", "month monitoring began (NO_MONTH: never)"),
    "helped_since": (np.int32, "implementers", "month the assistance bundle arrived"),
    "risk_start": (np.int32, "implementers", "month the risk that led to monitoring began"),
    "stable_months": (np.int16, "implementers", "months above the exit line while monitored"),
    "exited_month": (np.int32, "implementers", "month risk was last declared eliminated (-1)"),
    "flag_due": (np.int32, "implementers", "month a pending flag reaches the township (-1)"),
    "flag_channel": (np.int8, "implementers", "channel of the pending flag: 1 self-application,"
                     " 2 cadre visit, 3 data screen"),
    "in_post": (np.bool_, "implementers", "a member holds a public-welfare post"),
    "employer": (np.int32, "industry", "enterprise employing a member locally (-1 none)"),
    "coop": (np.int32, "industry", "enterprise the household is linked to (-1 none)"),
    "dividend_due_m": (np.float64, "industry", "dividend owed, paid next month"),
    "doctor_contract": (np.bool_, "social", "chronic patient has a family-doctor contract"),
    "ca_buyer": (np.bool_, "social", "a paired enterprise buys the household's products"),
    "clinic_access": (np.float64, "init", "access to the township clinic, 0-1"),
    "pending_transfer_m": (np.float64, "implementers/social", "one-off help (relief, grants) "
                           "to be paid next month, credited through credit()"),
    "training_gain": (np.float64, "implementers", "skill gained from training, applied by "
                      "learning"),
    "support_gain": (np.float64, "social", "motivation gained from social work, applied by "
                     "learning"),
    # -- status
    "at_risk": (np.bool_, "status", "meets the monitoring inclusion rule (the truth)"),
    "risk_since": (np.int32, "status", "month the household last became at risk (-1)"),
    "rigid_12m": (np.float64, "status", "out-of-pocket medical and schooling spending over "
                  "about a year"),
    "net_recent_m": (np.float64, "status", "disposable income, 3-month moving average"),
    "oop_year": (np.float64, "spending", "out-of-pocket medical spending this calendar year"),
    "help_m": (np.float64, "work", "instrument help received this month (posts, support, "
               "dibao, schooling, relief, dividends, extra reimbursement)"),
    "poor": (np.bool_, "status", "disposable income per person below the poverty line"),
    "ever_exited": (np.bool_, "status", "has left poverty (registered or during the run)"),
    "income_pc_year": (np.float64, "status", "disposable income per person, last 12 months"),
}

INCOME_COLUMNS = ("inc_farm_m", "inc_wage_m", "inc_remit_m", "inc_property_m", "inc_public_m")
NO_MONTH = -1_000_000  # "never" in month columns (months are negative in the spin-up)
MONTH_COLUMNS = ("monitored_since", "helped_since", "exited_month", "flag_due", "risk_since",
                 "risk_start")
NO_ID_COLUMNS = ("employer", "coop")  # -1: none
SPENDING_COLUMNS = ("sp_consumption_m", "sp_medical_m", "sp_schooling_m", "sp_interest_m",
                    "sp_repairs_m")


class Households:
    """Structure of arrays for all households of a county."""

    def __init__(self, n: int, village: np.ndarray, township: np.ndarray):
        self.n = n
        self.village = village
        self.township = township
        for name, (dtype, _phase, _doc) in COLUMNS.items():
            setattr(self, name, np.zeros(n, dtype=dtype))
        for name in MONTH_COLUMNS:
            getattr(self, name)[:] = NO_MONTH
        for name in NO_ID_COLUMNS:
            getattr(self, name)[:] = -1
        self.losses = np.zeros((len(CAUSES), n))  # decayed recent losses by cause, yuan
        self.booked_month = np.zeros(len(CAUSES))  # county total booked this month, by cause
        self.net_hist = np.zeros((12, n))  # monthly disposable income, ring buffer
        self.net_sum = np.zeros(n)  # sum of net_hist rows
        self.hist_pos = 0

    # -- the loss ledger: the one declared hook through which phases report losses
    def book(self, cause: str, amount: np.ndarray | float, where: np.ndarray | None = None):
        k = CAUSE_INDEX[cause]
        row = self.losses[k]
        if where is None:
            row += amount
            self.booked_month[k] += float(np.sum(amount)) if not np.isscalar(amount) else (
                amount * self.n)
        else:
            add = amount if np.isscalar(amount) else amount[where]
            row[where] += add
            self.booked_month[k] += float(np.sum(add)) if not np.isscalar(add) else (
                add * int(np.count_nonzero(where)))

    def credit(self, amounts: np.ndarray, where: np.ndarray) -> None:
        """One-off help (already paid from a budget line) that reaches households next
        month: the declared hook for agents that give money."""
        self.pending_transfer_m[where] += amounts

    def main_cause(self, idx: np.ndarray) -> np.ndarray:
        """Measured cause of each listed household's event: its largest recent loss."""
        sub = self.losses[:, idx]
        k = sub.argmax(axis=0)
        names = np.array(CAUSES + (NO_CAUSE,), dtype=object)
        k = np.where(sub.max(axis=0) > 0, k, len(CAUSES))
        return names[k]

    def income_m(self) -> np.ndarray:
        return sum(getattr(self, c) for c in INCOME_COLUMNS)

    def spending_m(self) -> np.ndarray:
        return sum(getattr(self, c) for c in SPENDING_COLUMNS)

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, i: int) -> Household:
        if not -self.n <= i < self.n:
            raise IndexError(f"household {i} out of range 0..{self.n - 1}")
        return Household(self, int(i) % self.n)

    def table(self, idx: np.ndarray | slice | None = None) -> dict[str, np.ndarray]:
        """Selected columns for a set of households (for inspectors and exports)."""
        idx = slice(None) if idx is None else idx
        out = {"household": np.arange(self.n)[idx], "village": self.village[idx],
               "township": self.township[idx]}
        for name in COLUMNS:
            out[name] = getattr(self, name)[idx]
        out["income_m"] = self.income_m()[idx]
        return out


@dataclass(frozen=True)
class Household:
    """A view of one household: attributes read from and written to the arrays."""

    _hh: Households
    id: int

    def __getattr__(self, name: str) -> Any:
        if name in COLUMNS or name in ("village", "township"):
            return getattr(self._hh, name)[self.id].item()
        raise AttributeError(f"Household has no attribute {name!r}")

    def set(self, **values: Any) -> None:
        for name, v in values.items():
            if name not in COLUMNS:
                raise AttributeError(f"Household has no column {name!r}")
            getattr(self._hh, name)[self.id] = v

    def as_dict(self) -> dict[str, Any]:
        d = {"id": self.id, "village": self.village, "township": self.township}
        d.update({name: getattr(self, name) for name in COLUMNS})
        d["income_m"] = float(self._hh.income_m()[self.id])
        d["losses"] = {c: float(self._hh.losses[i, self.id]) for i, c in enumerate(CAUSES)}
        return d

    def __repr__(self) -> str:
        return (f"Household({self.id}, village={self.village}, size={self.size}, "
                f"income_pc_year={self.income_pc_year:.0f}, poor={self.poor})")


# ------------------------------------------------------------------ generation
def _scaled_prob(p: float, z: np.ndarray, a: float) -> np.ndarray:
    """Probability p on average, rising with disadvantage z (log-normal tilt)."""
    return np.clip(p * np.exp(a * z - a * a / 2.0), 0.0, 1.0)


def generate(cfg: Config, village: np.ndarray, township: np.ndarray,
             rng: np.random.Generator) -> Households:
    """Draw the initial households from the configured distributions (``population``)."""
    pc = cfg.population
    n = village.size
    hh = Households(n, village, township)
    a = pc.disadvantage_loading
    z = rng.standard_normal(n)  # latent disadvantage
    hh.registered[:] = z >= np.quantile(z, 1.0 - pc.p_registered_poor) if n else False
    if pc.p_registered_poor == 0:
        hh.registered[:] = False

    size = 1 + rng.poisson(pc.mean_household_size - 1.0, n)
    size = np.minimum(size, 10)
    hh.age_head[:] = np.clip(rng.normal(pc.age_head_mean + 3.0 * a * z, pc.age_head_sd),
                             20, 90)
    children = rng.binomial(size - 1, pc.p_child)
    p_old = pc.p_elderly_member / max(1e-9, 1.0 - pc.p_child)
    elderly = rng.binomial(size - 1 - children, min(1.0, p_old)) + (hh.age_head >= 60)
    labour = size - children - elderly
    hh.size[:] = size
    hh.n_children[:] = children
    hh.n_elderly[:] = elderly
    hh.chronic[:] = rng.random(n) < _scaled_prob(pc.p_chronic, z, 0.5 * a)
    hh.disability[:] = rng.random(n) < _scaled_prob(pc.p_disability, z, 0.7 * a)
    labour = labour - (hh.disability & (labour > 0))
    hh.n_labour[:] = labour
    hh.land[:] = rng.lognormal(np.log(pc.land_mean_mu) - pc.land_sigma**2 / 2 - 0.25 * a * z,
                               pc.land_sigma)
    hh.education[:] = np.clip(rng.normal(pc.education_mean_years - 1.5 * a * z, 2.5), 0, 16)
    hh.skills[:] = np.clip(0.1 + 0.04 * hh.education + rng.normal(0, 0.08, n), 0.02, 1.0)
    mm = pc.motivation_mean
    hh.motivation[:] = np.clip(rng.beta(9 * mm, 9 * (1 - mm), n) - 0.05 * a * z, 0.02, 1.0)
    hh.disposition[:] = hh.motivation
    hh.trust[:] = rng.beta(6, 3, n)
    hh.n_migrants[:] = rng.binomial(np.maximum(labour, 0), cfg.economy.init_migrant_share)

    # Savings and debt in months of a rough income (refined by the spin-up year).
    rough = cfg.economy.local_wage_month * np.maximum(labour, 0.5)
    hh.savings[:] = rng.exponential(pc.savings_months_mean, n) * rough * np.exp(-0.3 * a * z)
    in_debt = rng.random(n) < _scaled_prob(pc.p_debt, z, 0.5 * a)
    hh.debt[:] = np.where(in_debt, rng.exponential(pc.debt_months_mean, n) * rough, 0.0)
    # Bottom-line guarantee: registered households with no one able to work.
    hh.dibao[:] = hh.registered & ((labour <= 0) | hh.disability)
    hh.ever_exited[:] = hh.registered  # all registered households were lifted out by 2020
    return hh


# ----------------------------------------------------------------------- phases
# Each phase takes the households, the config, the phase's own generator (if it
# draws) and a small context of month-level values. Draw sizes are fixed (one
# array of n per use) so that common random numbers hold across policies.


@dataclass
class MonthContext:
    """Month-level values the household phases read (set by the environment phase)."""

    month: int  # model month (negative during spin-up)
    january: bool
    wage_index: float
    farm_price: np.ndarray  # price index of each household's village sector
    poverty_line: float  # yuan/person/year
    dibao_line: float  # yuan/person/year
    levels: dict[str, float]  # instrument name -> share in force (0 off .. 1 full)
    level_drops: dict[str, float]  # instrument name -> fall in level since last month
    budget: Budget
    disaster_loss: np.ndarray | float = 0.0  # share of farm income lost, per household
    damage_m: np.ndarray | float = 0.0  # repairs due this month, per household
    epidemic_idle: float = 0.0  # share of migrants idled
    epidemic_local: float = 0.0  # share of local wage and business income lost
    prevention_rel_acute: float = 1.0
    delay_cost: float = 0.0


def health(hh: Households, cfg: Config, rng: np.random.Generator, ctx: MonthContext) -> None:
    """Aging (each January), chronic onset, disability, acute episodes, medical costs.

    All households at once. Books lost earnings of sick or ageing workers.
    """
    h = cfg.health
    n = hh.n
    # Fixed draw sizes per month (January has more), so draws never depend on state.
    u = rng.random((5, n), dtype=np.float32)
    z_cost = rng.standard_normal(n, dtype=np.float32)
    per_worker = _earnings_per_worker(hh)
    if ctx.january:
        uj = rng.random((5, n), dtype=np.float32)
        hh.age_head += 1.0
        hh.chronic |= uj[0] < h.p_chronic_onset_year
        new_dis = (uj[1] < h.p_disability_year) & ~hh.disability
        # Ageing out of work: more likely as the household ages.
        p_ret = h.p_retire_year * np.clip((hh.age_head - 40.0) / 15.0, 0.2, 3.0)
        retire = (hh.n_labour > 0) & (uj[2] < np.minimum(1.0, hh.n_labour * p_ret))
        grow = (hh.n_children > 0) & (uj[3] < np.minimum(1.0, hh.n_children
                                                        * h.p_child_to_labour_year))
        # The last member of a household does not die: households never dissolve.
        die = (hh.n_elderly > 0) & (hh.size > 1) & (uj[4] < np.minimum(1.0, hh.n_elderly
                                                      * h.p_elderly_death_year))
        hh.book("aging", 12.0 * per_worker, retire)
        hh.n_labour -= retire
        hh.n_elderly += retire
        hh.n_children -= grow
        hh.n_labour += grow
        hh.n_elderly -= die
        hh.size -= die
        _disable(hh, new_dis, per_worker)
    # Acute episodes start in households not already in one.
    rel = (1.0 + (h.rel_acute_chronic - 1.0) * hh.chronic) * (
        1.0 + h.rel_acute_per_elderly * hh.n_elderly)
    # Health management: a family-doctor contract lowers a chronic household's risk.
    rel = rel * np.where(hh.doctor_contract & hh.chronic, ctx.prevention_rel_acute, 1.0)
    onset = (hh.acute_left == 0) & (u[0] < h.p_acute * rel)
    dur = np.maximum(1, np.rint(-np.log1p(-u[1]) * h.dur_acute)).astype(np.int16)
    sig = h.cost_acute_sigma
    cost = h.cost_acute_yuan * np.exp(sig * z_cost - sig * sig / 2)
    # Care delayed for lack of access to a clinic costs more.
    cost = cost * (1.0 + ctx.delay_cost * (u[4] > hh.clinic_access))
    hh.acute_left[:] = np.where(onset, dur, hh.acute_left)
    hh.acute_cost_m[:] = np.where(onset, cost / dur, hh.acute_cost_m)
    hh.sick_worker[:] = np.where(onset, (u[2] < h.p_sick_is_worker) & (hh.n_labour > 0),
                                 hh.sick_worker)
    # A small share of episodes leave a disability.
    leaves = onset & (u[3] < h.p_acute_to_disability) & ~hh.disability
    _disable(hh, leaves, per_worker)
    in_episode = hh.acute_left > 0
    hh.medical_cost_m[:] = np.where(in_episode, hh.acute_cost_m, 0.0) + (
        h.cost_chronic_month * hh.chronic)
    # Earnings lost while a worker is sick.
    hh.book("illness", per_worker, in_episode & hh.sick_worker)
    hh.acute_left[:] = np.maximum(hh.acute_left - 1, 0)
    hh.sick_now[:] = in_episode & hh.sick_worker


def _disable(hh: Households, who: np.ndarray, per_worker: np.ndarray) -> None:
    hh.disability |= who
    lose = who & (hh.n_labour > 0)
    hh.book("disability", 12.0 * per_worker, lose)
    hh.n_labour -= lose
    hh.n_migrants = np.minimum(hh.n_migrants, hh.n_labour)


def _earnings_per_worker(hh: Households) -> np.ndarray:
    """Last month's earnings per working member (what one more or fewer worker is worth)."""
    earn = hh.inc_farm_m + hh.inc_wage_m + hh.inc_remit_m
    return earn / np.maximum(hh.n_labour, 1)


def work_income(hh: Households, cfg: Config, rng: np.random.Generator,
                ctx: MonthContext) -> None:
    """Work and income by source, and every payment households receive this month.

    All households at once. Payments from public money go through ``ctx.budget`` (one
    line and payer each, never beyond a line's allocation). Books job losses, market,
    disaster and epidemic losses, and cuts in benefits.
    """
    e = cfg.economy
    p = cfg.policy
    lv = ctx.levels
    n = hh.n
    u = rng.random(n, dtype=np.float32)
    z = rng.standard_normal((2, n), dtype=np.float32)
    wi = ctx.wage_index
    sick = hh.sick_now
    budget = ctx.budget

    # Migrants: job loss sends one home to look again; an epidemic idles some.
    remit_per = e.migrant_wage_month * e.remit_share * wi
    lose = (hh.n_migrants > 0) & (u < np.minimum(1.0, hh.n_migrants * e.p_job_loss))
    hh.n_migrants -= lose
    hh.n_jobless += lose
    hh.lost_job_now[:] = lose
    hh.book("job_loss", remit_per * hh.n_jobless, hh.n_jobless > 0)
    remit_full = hh.n_migrants * remit_per
    hh.inc_remit_m[:] = remit_full * (1.0 - ctx.epidemic_idle)
    if ctx.epidemic_idle > 0:
        hh.book("epidemic", remit_full * ctx.epidemic_idle)

    # Home workers split between the farm, an enterprise job and local wage work.
    home = np.maximum(hh.n_labour - hh.n_migrants - sick, 0).astype(np.float64)
    need = hh.land / e.mu_per_farm_worker
    farm_labour = home + 0.3 * hh.n_elderly
    farm_factor = np.minimum(1.0, farm_labour / np.maximum(need, 1e-9))
    sig = e.income_noise_sigma
    noise = np.exp(sig * z[0] - sig * sig / 2)
    skill_f = 0.8 + 0.4 * hh.skills
    farm_trend = hh.land * e.farm_income_per_mu / 12.0 * wi * farm_factor * skill_f
    farm_priced = farm_trend * ctx.farm_price
    hh.book("market", farm_trend * np.maximum(0.0, 1.0 - ctx.farm_price))
    keep = (1.0 - ctx.disaster_loss) * (1.0 - ctx.epidemic_local)
    farm = farm_priced * keep * noise
    hh.book("disaster", farm_priced * ctx.disaster_loss * noise)
    if ctx.epidemic_local > 0:
        hh.book("epidemic", farm_priced * (1.0 - ctx.disaster_loss) * ctx.epidemic_local * noise)
    # Consumption assistance: paired enterprises pay a premium for the products.
    premium = np.where(hh.ca_buyer, farm * p.consumption_assistance.premium
                       * lv["consumption_assistance"], 0.0)
    premium = budget.pay("consumption_assistance", premium)
    hh.inc_farm_m[:] = farm + premium

    has_job = (hh.employer >= 0) & (home >= 1)
    enterprise_wage = has_job * cfg.industry.wage_month * wi * (1.0 - ctx.epidemic_local)
    post = (hh.in_post & (home >= 1)) * p.public_posts.wage_month * lv["public_posts"]
    post_units = hh.in_post & (home >= 1)
    wage_units = np.maximum(home - 0.5 * np.minimum(need, home) - has_job - post_units, 0.0)
    p_work = np.clip(e.p_local_work * (0.6 + 0.8 * hh.skills) * (0.6 + 0.8 * hh.motivation),
                     0.0, 1.0)
    noise2 = np.exp(sig * z[1] - sig * sig / 2)
    local = wage_units * p_work * e.local_wage_month * wi * noise2
    if ctx.epidemic_local > 0:
        hh.book("epidemic", local * ctx.epidemic_local)
    post = budget.pay("public_posts", post)
    hh.inc_wage_m[:] = local * (1.0 - ctx.epidemic_local) + enterprise_wage + post

    # Property: rents, and dividends owed by linked enterprises.
    dividends = budget.pay("dividends", hh.dividend_due_m)
    hh.inc_property_m[:] = e.property_income_per_capita / 12.0 * hh.size * wi + dividends
    hh.dividend_due_m[:] = 0.0

    # Public transfers.
    pension = budget.pay("pension", hh.n_elderly * p.pension_month)
    subsidy = budget.pay("farm_subsidy", hh.land * p.farm_subsidy_per_mu / 12.0)
    support = budget.pay("support", hh.registered * hh.size * p.support.per_capita / 12.0
                         * lv["support"])
    if ctx.level_drops.get("support", 0.0) > 0:
        # A permanent cut is booked once, as a year of the lost transfer.
        hh.book("policy_withdrawal", 12.0 * ctx.level_drops["support"] * p.support.per_capita
                / 12.0 * hh.size, hh.registered)
    covered = hh.registered | hh.monitored
    school = budget.pay("schooling_subsidy", covered * hh.n_children
                        * p.schooling_subsidy.per_child / 12.0 * lv["schooling_subsidy"])
    pending = hh.pending_transfer_m.copy()
    hh.pending_transfer_m[:] = 0.0
    public = pension + subsidy + support + school + pending
    own = hh.inc_farm_m + hh.inc_wage_m + hh.inc_remit_m + hh.inc_property_m + public
    line = ctx.dibao_line / 12.0 * hh.size
    topup = np.where(hh.dibao, np.maximum(line - own, 0.0), 0.0) * lv["dibao"]
    topup = budget.pay("dibao", topup)
    hh.inc_public_m[:] = public + topup
    hh.help_m[:] = premium + post + dividends + support + school + pending + topup


def spending(hh: Households, cfg: Config, ctx: MonthContext) -> None:
    """Consumption, out-of-pocket medical costs, schooling, interest, disaster repairs;
    savings and debt.

    All households at once, no randomness. Medical costs are paid by the insurance fund
    (general ratio), medical assistance (the extra for registered and monitored
    households) and, where enabled, the personal cap; the household pays the rest.
    Income - spending = change in (savings - debt).
    """
    s = cfg.spending
    med = cfg.policy.medical
    lv = ctx.levels
    budget = ctx.budget
    if ctx.january:
        hh.oop_year[:] = 0.0
    subsist = s.subsistence_per_capita / 12.0 * hh.size
    usual = hh.net_sum / 12.0  # usual monthly disposable income (last 12 months)
    cons = subsist + s.mpc * np.maximum(usual - subsist, 0.0)
    cost = hh.medical_cost_m
    general = med.reimbursement_general * lv["medical"] if med.enabled else 0.0
    insured = budget.pay("medical_insurance", cost * general)
    extra_ratio = max(0.0, med.reimbursement_registered - med.reimbursement_general)
    assisted = budget.pay("medical_assistance", np.where(
        hh.registered | hh.monitored, cost * extra_ratio * lv["medical_extra"], 0.0))
    oop = cost - insured - assisted
    cap = cfg.policy.medical_cap
    if lv["medical_cap"] > 0:
        eligible = np.ones(hh.n, bool) if cap.eligible == "all" else (
            hh.registered | hh.monitored)
        over = np.maximum(hh.oop_year + oop - cap.cap_yuan, 0.0)
        capped = budget.pay("medical_cap", np.where(eligible, np.minimum(over, oop), 0.0)
                            * lv["medical_cap"])
        oop = oop - capped
        assisted = assisted + capped
    hh.reimbursed_m[:] = insured + assisted
    hh.sp_medical_m[:] = oop
    hh.oop_year += oop
    hh.help_m += assisted
    hh.book("illness", oop)
    hh.sp_consumption_m[:] = cons
    hh.sp_schooling_m[:] = hh.n_children * s.schooling_per_child / 12.0
    hh.sp_interest_m[:] = hh.debt * s.debt_interest_year / 12.0
    hh.sp_repairs_m[:] = ctx.damage_m
    if np.any(ctx.damage_m):
        hh.book("disaster", hh.sp_repairs_m)
    flow = hh.income_m() - hh.spending_m()
    sav = hh.savings + flow
    borrow = np.maximum(-sav, 0.0)
    sav = np.maximum(sav, 0.0)
    debt = hh.debt + borrow
    repay = np.minimum(debt, sav * s.repay_share_month)
    hh.savings[:] = sav - repay
    hh.debt[:] = debt - repay


def learning(hh: Households, cfg: Config, peers, has_peers: np.ndarray) -> None:
    """Motivation and skills move with the household's own experience, its neighbours',
    training and social work.

    All households at once (a sparse matrix product for the neighbours), no randomness.
    """
    b = cfg.behaviour
    m = hh.motivation
    usual = np.maximum(hh.net_sum / 12.0, 1.0)
    gain = np.clip((hh.income_m() - hh.sp_medical_m - usual) / usual, -1.0, 1.0)
    hit = hh.sick_now | hh.lost_job_now
    peer_m = np.where(has_peers, peers @ m, m)
    m = m + b.motivation_experience * gain * np.where(gain > 0, 1.0 - m, m)
    m = m + b.motivation_peer * (peer_m - m) - b.motivation_shock * hit * m
    m = m + b.motivation_recovery * (hh.disposition - m)
    # Relying on transfers while able to work saps the driving force a little.
    able = hh.n_labour > 0
    reliant = able & (hh.help_m > 0.5 * np.maximum(hh.income_m(), 1.0))
    m = m - b.motivation_dependence * reliant * m
    m = m + hh.support_gain * (1.0 - m)
    hh.support_gain[:] = 0.0
    hh.motivation[:] = np.clip(m, 0.0, 1.0)
    sk = hh.skills
    working = (hh.n_migrants > 0) | (hh.inc_wage_m > 0)
    peer_s = np.where(has_peers, peers @ sk, sk)
    sk = sk + b.skills_learning * working * (1.0 - sk) - b.skills_decay * ~working * sk
    sk = sk + b.skills_peer * np.maximum(peer_s - sk, 0.0)
    sk = sk + hh.training_gain * (1.0 - sk)
    hh.training_gain[:] = 0.0
    hh.skills[:] = np.clip(sk, 0.0, 1.0)


def decisions(hh: Households, cfg: Config, rng: np.random.Generator,
              ctx: MonthContext) -> None:
    """Migration choices: leave to work, come home for good, go back after a job loss.

    All households at once, one draw per household and choice. Employment help (for
    monitored households) makes going back more likely.
    """
    e = cfg.economy
    u = rng.random((4, hh.n), dtype=np.float32)
    sick = hh.sick_now
    free = hh.n_labour - hh.n_migrants - hh.n_jobless - sick - (hh.employer >= 0) - hh.in_post
    drive = 2.0 * hh.motivation * (0.5 + hh.skills)
    epidemic = 1.0 - ctx.epidemic_idle
    go = (free > 0) & (u[0] < np.minimum(1.0, e.p_start_migrating * drive * epidemic))
    back = (hh.n_migrants > 0) & (u[1] < np.minimum(1.0, hh.n_migrants * e.p_return_migrant))
    p_again = e.p_remigrate * 2.0 * hh.motivation * epidemic
    helped = (hh.n_jobless > 0) & hh.monitored & (ctx.levels["employment_help"] > 0)
    rel = 1.0 + (cfg.policy.employment_help.rel_remigrate - 1.0) * ctx.levels["employment_help"]
    p_helped = np.minimum(1.0, p_again * rel)
    again_plain = u[2] < np.minimum(1.0, p_again)
    again_helped = u[2] < p_helped
    # Placements the line can pay for (the extra ones help brings).
    extra = helped & again_helped & ~again_plain
    if extra.any():
        who = np.flatnonzero(extra)
        bought = ctx.budget.pay_units("employment_help", who.size,
                                      cfg.policy.employment_help.cost_per_placement)
        extra[who[~bought]] = False
    again = (hh.n_jobless > 0) & (again_plain | extra)
    give_up = (hh.n_jobless > 0) & ~again & (u[3] < e.p_give_up)
    hh.n_migrants += go.astype(np.int16) - back + again
    hh.n_jobless -= again.astype(np.int16) + give_up
    # Members who became unable to work leave the migrant pool.
    hh.n_jobless = np.minimum(hh.n_jobless, np.maximum(hh.n_labour - hh.n_migrants, 0)
                              ).astype(np.int16)
    hh.n_migrants = np.minimum(hh.n_migrants, hh.n_labour).astype(np.int16)


def enrol_guarantee(hh: Households, cfg: Config) -> None:
    """The 2020 minimum-living roster: no one able to work and income below its line."""
    line = cfg.policy.dibao.line_2021
    hh.dibao |= (hh.income_pc_year < line) & ((hh.n_labour == 0) | hh.disability)


def start_of_run(hh: Households) -> None:
    """Month 0: only registered households count as having left poverty before, and
    motivation starts from each household's disposition (the spin-up's first months,
    with no income history yet, would otherwise leave an artificial boost)."""
    hh.ever_exited[:] = hh.registered
    hh.motivation[:] = hh.disposition


# Event codes, in the order used by events.parquet's categories.
EVENTS = ("fell_into_poverty", "returned_to_poverty", "exited_poverty", "monitored",
          "risk_eliminated")
EVENT_CODE = {e: i for i, e in enumerate(EVENTS)}


def at_risk_rule(hh: Households, cfg: Config, poverty_line: float) -> np.ndarray:
    """The monitoring inclusion rule as written: low income, rigid spending above its
    share of income, or a sharp fall in income (national guidelines, 2020)."""
    m = cfg.policy.monitoring
    low = hh.income_pc_year < m.inclusion_multiple * poverty_line
    income_12 = np.maximum(hh.net_sum + hh.rigid_12m, 1.0)
    rigid = hh.rigid_12m > m.rigid_spending_share * income_12
    usual = hh.net_sum / 12.0
    drop = hh.net_recent_m < (1.0 - m.sharp_drop_share) * np.maximum(usual, 0.0)
    return low | rigid | drop


def status(hh: Households, cfg: Config, ctx: MonthContext
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Roll the 12-month disposable income, set poverty status and whether the household
    meets the monitoring rule; return this month's poverty events.

    Disposable income is income minus out-of-pocket medical spending (the field studies
    count a household whose medical bills eat its income as poor through illness).
    Returns (households, event codes, causes). All households at once, no randomness.
    """
    net = hh.income_m() - hh.sp_medical_m
    pos = hh.hist_pos
    hh.net_sum += net - hh.net_hist[pos]
    hh.net_hist[pos] = net
    hh.hist_pos = (pos + 1) % 12
    hh.income_pc_year[:] = hh.net_sum / np.maximum(hh.size, 1)
    hh.rigid_12m[:] = hh.rigid_12m * LEDGER_DECAY + hh.sp_medical_m + hh.sp_schooling_m
    hh.net_recent_m[:] = hh.net_recent_m + (net - hh.net_recent_m) / 3.0
    risk = at_risk_rule(hh, cfg, ctx.poverty_line)
    hh.risk_since[:] = np.where(risk & ~hh.at_risk, ctx.month,
                                np.where(risk, hh.risk_since, NO_MONTH))
    hh.at_risk[:] = risk
    was = hh.poor.copy()
    now = hh.income_pc_year < ctx.poverty_line
    into = np.flatnonzero(now & ~was)
    out = np.flatnonzero(was & ~now)
    code_into = np.where(hh.ever_exited[into], 1, 0)
    hh.ever_exited[out] = True
    hh.poor[:] = now
    who = np.concatenate([into, out])
    codes = np.concatenate([code_into, np.full(out.size, 2)]).astype(np.int8)
    causes = np.concatenate([hh.main_cause(into), np.full(out.size, "", dtype=object)])
    hh.losses *= LEDGER_DECAY
    return who, codes, causes
