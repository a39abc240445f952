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
    "dibao": (np.bool_, "init", "enrolled in the minimum living guarantee"),
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
    "inc_public_m": (np.float64, "work", "public transfers: pension, subsidies, support, dibao"),
    "sp_consumption_m": (np.float64, "spending", "consumption"),
    "sp_medical_m": (np.float64, "spending", "out-of-pocket medical spending"),
    "sp_schooling_m": (np.float64, "spending", "schooling"),
    "sp_interest_m": (np.float64, "spending", "interest on debt"),
    "reimbursed_m": (np.float64, "spending", "medical costs paid by insurance/assistance"),
    "savings": (np.float64, "spending", "savings, yuan"),
    "debt": (np.float64, "spending", "debt, yuan"),
    "poor": (np.bool_, "status", "disposable income per person below the poverty line"),
    "ever_exited": (np.bool_, "status", "has left poverty (registered or during the run)"),
    "income_pc_year": (np.float64, "status", "disposable income per person, last 12 months"),
}

INCOME_COLUMNS = ("inc_farm_m", "inc_wage_m", "inc_remit_m", "inc_property_m", "inc_public_m")
SPENDING_COLUMNS = ("sp_consumption_m", "sp_medical_m", "sp_schooling_m", "sp_interest_m")


class Households:
    """Structure of arrays for all households of a county."""

    def __init__(self, n: int, village: np.ndarray, township: np.ndarray):
        self.n = n
        self.village = village
        self.township = township
        for name, (dtype, _phase, _doc) in COLUMNS.items():
            setattr(self, name, np.zeros(n, dtype=dtype))
        self.losses = np.zeros((len(CAUSES), n))  # decayed recent losses by cause, yuan
        self.net_hist = np.zeros((12, n))  # monthly disposable income, ring buffer
        self.net_sum = np.zeros(n)  # sum of net_hist rows
        self.hist_pos = 0

    # -- the loss ledger: the one declared hook through which phases report losses
    def book(self, cause: str, amount: np.ndarray | float, where: np.ndarray | None = None):
        row = self.losses[CAUSE_INDEX[cause]]
        if where is None:
            row += amount
        else:
            row[where] += amount if np.isscalar(amount) else amount[where]

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

    def home_workers(self) -> np.ndarray:
        return np.maximum(self.n_labour - self.n_migrants, 0)

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
    hh.motivation[:] = np.clip(rng.beta(6, 3, n) - 0.05 * a * z, 0.02, 1.0)
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
    month: int  # model month (negative during spin-up)
    january: bool
    price: float  # farm price index
    wage_index: float
    reimbursement: np.ndarray  # effective reimbursement share per household
    support_per_capita: float  # registered-household transfers this month, per person
    support_drop_per_capita: float  # how much lower than last month (a withdrawal step)
    poverty_line: float  # yuan/person/year
    dibao_line: float  # yuan/person/year


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
    onset = (hh.acute_left == 0) & (u[0] < h.p_acute * rel)
    dur = np.maximum(1, np.rint(-np.log1p(-u[1]) * h.dur_acute)).astype(np.int16)
    sig = h.cost_acute_sigma
    cost = h.cost_acute_yuan * np.exp(sig * z_cost - sig * sig / 2)
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
    """Work and income by source: farming, local wages, remittances, property, transfers.

    All households at once. Books job losses, market (price) losses and withdrawn support.
    """
    e = cfg.economy
    p = cfg.policy
    n = hh.n
    u = rng.random(n, dtype=np.float32)
    z = rng.standard_normal((2, n), dtype=np.float32)
    wi = ctx.wage_index
    sick = hh.sick_now

    # Migrants: job loss sends one home to look again.
    remit_per = e.migrant_wage_month * e.remit_share * wi
    lose = (hh.n_migrants > 0) & (u < np.minimum(1.0, hh.n_migrants * e.p_job_loss))
    hh.n_migrants -= lose
    hh.n_jobless += lose
    hh.lost_job_now[:] = lose
    hh.book("job_loss", remit_per, hh.n_jobless > 0)
    working_migrants = hh.n_migrants
    hh.inc_remit_m[:] = working_migrants * remit_per

    # Home workers split between the farm and local wage work.
    home = np.maximum(hh.n_labour - hh.n_migrants - sick, 0).astype(np.float64)
    need = hh.land / cfg.economy.mu_per_farm_worker
    farm_labour = home + 0.3 * hh.n_elderly
    farm_factor = np.minimum(1.0, farm_labour / np.maximum(need, 1e-9))
    sig = e.income_noise_sigma
    noise = np.exp(sig * z[0] - sig * sig / 2)
    skill_f = 0.8 + 0.4 * hh.skills
    farm_trend = hh.land * e.farm_income_per_mu / 12.0 * wi * farm_factor * skill_f
    hh.inc_farm_m[:] = farm_trend * ctx.price * noise
    hh.book("market", farm_trend * max(0.0, 1.0 - ctx.price))

    wage_units = np.maximum(home - 0.5 * np.minimum(need, home), 0.0)
    p_work = np.clip(e.p_local_work * (0.6 + 0.8 * hh.skills) * (0.6 + 0.8 * hh.motivation),
                     0.0, 1.0)
    noise2 = np.exp(sig * z[1] - sig * sig / 2)
    hh.inc_wage_m[:] = wage_units * p_work * e.local_wage_month * wi * noise2
    hh.inc_property_m[:] = e.property_income_per_capita / 12.0 * hh.size * wi

    # Public transfers: pension, farm subsidy, registered support, minimum living guarantee.
    support = hh.registered * hh.size * ctx.support_per_capita
    if ctx.support_drop_per_capita > 0:
        # A permanent cut is booked once, as a year of the lost transfer.
        hh.book("policy_withdrawal", 12.0 * ctx.support_drop_per_capita * hh.size,
                hh.registered)
    public = (hh.n_elderly * p.pension_month + hh.land * p.farm_subsidy_per_mu / 12.0
              + support)
    own = hh.inc_farm_m + hh.inc_wage_m + hh.inc_remit_m + hh.inc_property_m + public
    line = ctx.dibao_line / 12.0 * hh.size
    topup = np.where(hh.dibao, np.maximum(line - own, 0.0), 0.0)
    hh.inc_public_m[:] = public + topup


def spending(hh: Households, cfg: Config, ctx: MonthContext) -> None:
    """Consumption, out-of-pocket medical costs, schooling, interest; savings and debt.

    All households at once, no randomness. Income - spending = change in (savings - debt).
    """
    s = cfg.spending
    subsist = s.subsistence_per_capita / 12.0 * hh.size
    usual = hh.net_sum / 12.0  # usual monthly disposable income (last 12 months)
    cons = subsist + s.mpc * np.maximum(usual - subsist, 0.0)
    hh.reimbursed_m[:] = hh.medical_cost_m * ctx.reimbursement
    hh.sp_medical_m[:] = hh.medical_cost_m - hh.reimbursed_m
    hh.book("illness", hh.sp_medical_m, None)
    hh.sp_consumption_m[:] = cons
    hh.sp_schooling_m[:] = hh.n_children * s.schooling_per_child / 12.0
    hh.sp_interest_m[:] = hh.debt * s.debt_interest_year / 12.0
    flow = hh.income_m() - hh.spending_m()
    sav = hh.savings + flow
    borrow = np.maximum(-sav, 0.0)
    sav = np.maximum(sav, 0.0)
    debt = hh.debt + borrow
    repay = np.minimum(debt, sav * s.repay_share_month)
    hh.savings[:] = sav - repay
    hh.debt[:] = debt - repay


def learning(hh: Households, cfg: Config, peers, has_peers: np.ndarray) -> None:
    """Motivation and skills move with the household's own experience and its neighbours'.

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
    hh.motivation[:] = np.clip(m, 0.0, 1.0)
    sk = hh.skills
    working = (hh.n_migrants > 0) | (hh.inc_wage_m > 0)
    peer_s = np.where(has_peers, peers @ sk, sk)
    sk = sk + b.skills_learning * working * (1.0 - sk) - b.skills_decay * ~working * sk
    sk = sk + b.skills_peer * np.maximum(peer_s - sk, 0.0)
    hh.skills[:] = np.clip(sk, 0.0, 1.0)


def decisions(hh: Households, cfg: Config, rng: np.random.Generator) -> None:
    """Migration choices: leave to work, come home for good, go back after a job loss.

    All households at once, one draw per household and choice.
    """
    e = cfg.economy
    u = rng.random((4, hh.n), dtype=np.float32)
    sick = hh.sick_now
    free = hh.n_labour - hh.n_migrants - hh.n_jobless - sick
    drive = 2.0 * hh.motivation * (0.5 + hh.skills)
    go = (free > 0) & (u[0] < np.minimum(1.0, e.p_start_migrating * drive))
    back = (hh.n_migrants > 0) & (u[1] < np.minimum(1.0, hh.n_migrants * e.p_return_migrant))
    again = (hh.n_jobless > 0) & (u[2] < np.minimum(1.0, e.p_remigrate * 2.0 * hh.motivation))
    give_up = (hh.n_jobless > 0) & ~again & (u[3] < 0.05)
    hh.n_migrants += go.astype(np.int16) - back + again
    hh.n_jobless -= again.astype(np.int16) + give_up
    # Members who became unable to work leave the migrant pool.
    hh.n_jobless = np.minimum(hh.n_jobless, np.maximum(hh.n_labour - hh.n_migrants, 0)
                              ).astype(np.int16)
    hh.n_migrants = np.minimum(hh.n_migrants, hh.n_labour).astype(np.int16)


def enrol_guarantee(hh: Households, cfg: Config) -> None:
    """The 2020 minimum-living roster: no one able to work and income below its line."""
    line = cfg.policy.dibao_line_per_capita
    hh.dibao |= (hh.income_pc_year < line) & ((hh.n_labour == 0) | hh.disability)


def start_of_run(hh: Households) -> None:
    """Month 0: only registered households count as having left poverty before, and
    motivation starts from each household's disposition (the spin-up's first months,
    with no income history yet, would otherwise leave an artificial boost)."""
    hh.ever_exited[:] = hh.registered
    hh.motivation[:] = hh.disposition


# Event codes, in the order used by events.parquet's categories.
EVENTS = ("fell_into_poverty", "returned_to_poverty", "exited_poverty")


def status(hh: Households, ctx: MonthContext) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Roll the 12-month disposable income, set poverty status, return this month's events.

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
