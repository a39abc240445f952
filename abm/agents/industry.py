"""Enterprises and cooperatives: sector prices, local jobs, benefit-linkage dividends,
industrial-support funds, and failure when losses persist.

Each enterprise is a Mesa agent; households refer to it by its index in
``Industry.enterprises`` (``employer`` and ``coop`` columns), which depends only on the
county, never on the order Mesa agents were made. The county's homogeneity is the
spread of its villages and enterprises over sectors; its cost shows when one sector's
price falls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from abm import rules
from abm.context import Referrals
from abm.households.state import NO_ID

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import StepContext
    from abm.county import County


class Enterprise(mesa.Agent):
    """A firm or cooperative of one sector in one township."""

    def __init__(self, model: mesa.Model, cfg: Config, index: int, township: int,
                 sector: int):
        super().__init__(model)
        ind = cfg.industry
        self.index = index  # what households' employer/coop columns hold
        self.township = township
        self.sector = sector
        self.jobs = ind.jobs_per_enterprise
        self.revenue_base = self.jobs * ind.wage_month / ind.wage_share_of_revenue
        self.capital = ind.capital_months * self.revenue_base * ind.margin
        self.alive = True
        self.loss_months = 0
        self.supported = False
        self.profit = 0.0
        self.last_dividend = 0.0
        self.members = np.zeros(0, dtype=np.int64)
        self.workers = np.zeros(0, dtype=np.int64)

    def step(self, s: StepContext, industry: Industry) -> None:
        if not self.alive:
            return
        ind = s.config.industry
        hh = s.households
        ctx = s.ctx
        price = float(s.markets.prices[self.sector])
        eff = 1.0 + ind.price_sensitivity * (price - 1.0)
        base = self.revenue_base * ctx.wage_index
        revenue = base * eff * (1.0 - ctx.epidemic_local)
        self.profit = revenue - base * (1.0 - ind.margin)
        dividend = 0.0
        self.members = self.members[hh.coop[self.members] == self.index]
        if self.supported and self.profit > 0 and self.members.size:
            dividend = s.config.policy.industrial_support.dividend_share * self.profit
            hh.dividend_due_m[self.members] += dividend / self.members.size
        self.last_dividend = dividend
        self.capital += self.profit - dividend
        self.loss_months = self.loss_months + 1 if self.profit < 0 else 0
        if self.capital < 0 and self.loss_months >= ind.failure_months:
            self.fail(s, industry)
            return
        self.hire(hh, industry)

    def hire(self, hh, industry: Industry) -> None:
        """Fill vacancies from the township's households with a free worker, in a fixed
        hiring order (drawn once), monitored households first (the poverty-alleviation
        workshops' rule)."""
        self.workers = self.workers[hh.employer[self.workers] == self.index]
        need = self.jobs - self.workers.size
        if need <= 0:
            return
        pool = industry.hiring_order[self.township]
        if pool.dtype == np.int64 and all(
                isinstance(c, np.ndarray) and c.shape == (hh.n,) for c in (
                    hh.employer, hh.in_post, hh.n_labour, hh.n_migrants, hh.sick_now,
                    hh.monitored)):
            from abm import kernels  # (not at import: the config needs no numba)

            # One pass that stops when the vacancies are filled: take_numpy's choice.
            take = kernels.hire_from(pool, int(need), hh.employer, hh.in_post, hh.n_labour,
                                     hh.n_migrants, hh.sick_now, hh.monitored)
        else:
            take = self.take_numpy(hh, pool, need)
        if take.size == 0:
            return
        hh.employer[take] = self.index
        hh.lost_job_m[take] = 0.0
        self.workers = np.concatenate([self.workers, take])

    @staticmethod
    def take_numpy(hh, pool: np.ndarray, need: int) -> np.ndarray:
        """Whom an enterprise with ``need`` vacancies hires from ``pool``, in numpy's
        lines (``kernels.hire_from``'s reference): the township's households in hiring
        order; taking the free ones, monitored first, keeps that order (a stable sort by
        monitored, then the key)."""
        free = ((hh.employer[pool] < 0) & ~hh.in_post[pool]
                & (rules.workers_at_home(hh, pool) > 0))
        mon = hh.monitored[pool]
        take = pool[free & mon][:need]
        if take.size < need:
            take = np.concatenate([take, pool[free & ~mon][:need - take.size]])
        return take

    def fail(self, s: StepContext, industry: Industry) -> None:
        """Close: workers lose their jobs, members lose their dividends."""
        hh = s.households
        ind = s.config.industry
        self.alive = False
        industry.n_failed += 1
        w = self.workers[hh.employer[self.workers] == self.index]
        hh.employer[w] = NO_ID
        hh.lost_job_m[w] = ind.wage_month * s.ctx.wage_index
        mem = self.members[hh.coop[self.members] == self.index]
        hh.coop[mem] = NO_ID
        if mem.size and self.last_dividend > 0:
            hh.lost_dividend_m[mem] = self.last_dividend / mem.size
        self.workers = self.workers[:0]
        self.members = self.members[:0]


class Industry:
    """The county's enterprises, their hiring pools and the yearly support funds."""

    def __init__(self, model: mesa.Model, cfg: Config, county: County,
                 rng: np.random.Generator, rng_month: np.random.Generator):
        self.model = model
        self.cfg = cfg
        self.county = county
        n_sect = len(county.sectors)
        shares = np.array([cfg.industry.sectors[s] for s in county.sectors], float)
        self.enterprises: list[Enterprise] = []
        for t in range(county.n_townships):
            sect = rng.choice(n_sect, size=cfg.industry.enterprises_per_township,
                              p=shares / shares.sum())
            for s in sect:
                self.enterprises.append(Enterprise(model, cfg, len(self.enterprises), t,
                                                   int(s)))
        self.township_pool = [np.flatnonzero(county.hh_township == t)
                              for t in range(county.n_townships)]
        self.hire_key = rng.random(county.n_households)
        self.hiring_order = [pool[np.argsort(self.hire_key[pool], kind="stable")]
                             for pool in self.township_pool]
        self.rng = rng_month  # the phase's monthly draws (one per household)
        self.n_failed = 0
        self.n_entered = 0
        self.funds_due = False  # this year's support funds not yet disbursed
        self.n_separations = 0

    def alive(self) -> list[Enterprise]:
        return [e for e in self.enterprises if e.alive]

    def step(self, s: StepContext) -> None:
        """Jobs end, the households the cadres referred are linked, then every
        enterprise's month."""
        hh = s.households
        u = self.rng.random(hh.n, dtype=np.float32)
        leave = (hh.employer >= 0) & (u < s.config.industry.p_job_separation)
        if leave.any():
            hh.employer[leave] = NO_ID
            hh.lost_job_m[leave] = s.config.industry.wage_month * s.ctx.wage_index
            self.n_separations += int(leave.sum())
        if self.funds_due and s.ctx.month % 12 == self.cfg.implementers.fund_delay_months:
            self.disburse(s)
        self.link(s, Referrals.take(s.referrals.enterprise_link))
        for e in self.enterprises:
            e.step(s, self)

    def new_year(self, s: StepContext) -> None:
        """Entry into failed enterprises' places; this year's industrial-support funds
        fall due (disbursed now if there is no delay, else in the industry phase of the
        month ``fund_delay_months`` after January)."""
        self.enter(s)
        for e in self.enterprises:
            e.supported = False
        self.funds_due = True
        if self.cfg.implementers.fund_delay_months == 0:
            self.disburse(s)

    def disburse(self, s: StepContext) -> None:
        """The year's support funds reach the enterprises (``fund_delay_months`` after
        January): split among the living ones; each supported enterprise links eligible
        households of its township (benefit linkage)."""
        self.funds_due = False
        support = s.instruments["industrial_support"]
        lv = s.ctx.levels[support.name]
        alive = self.alive()
        if lv <= 0 or not alive:
            return
        line = s.budget.lines["industrial_support"]
        each = line.remaining / len(alive)
        for e in alive:
            got = s.budget.pay_total("industrial_support", each)
            e.capital += got
            e.revenue_base += self.cfg.industry.investment_capacity * got / 12.0
            e.supported = got > 0
        hh = s.households
        eligible = support.eligible(hh)
        for e in alive:
            pool = self.township_pool[e.township]
            cand = pool[(hh.coop[pool] < 0) & eligible[pool]]
            self._add_members(s, e, cand)

    def enter(self, s: StepContext) -> None:
        """Each failed enterprise's place is taken by a new one of its sector with chance
        ``p_entry_year`` times the profit the sector's price promises (one draw per
        place, every January, whether or not it is empty)."""
        ind = self.cfg.industry
        u = self.rng.random(len(self.enterprises))
        for i, e in enumerate(self.enterprises):
            if e.alive:
                continue
            price = float(s.markets.prices[e.sector])
            pull = min(max(1.0 + ind.price_sensitivity * (price - 1.0), 0.0), 1.0)
            if u[i] < ind.p_entry_year * pull:
                e.remove()
                self.enterprises[i] = Enterprise(self.model, self.cfg, i, e.township,
                                                 e.sector)
                self.n_entered += 1

    def _add_members(self, s: StepContext, e: Enterprise, cand: np.ndarray) -> None:
        hh = s.households
        per = s.config.policy.industrial_support.members_per_enterprise
        e.members = e.members[hh.coop[e.members] == e.index]
        room = per - e.members.size
        if room <= 0 or cand.size == 0 or not e.supported:
            return
        cand = cand[np.argsort(hh.income_pc_year[cand], kind="stable")][:room]
        hh.coop[cand] = e.index
        hh.lost_dividend_m[cand] = 0.0
        e.members = np.concatenate([e.members, cand])

    def link(self, s: StepContext, idx: np.ndarray) -> None:
        """Link households the cadres referred to a supported enterprise of their
        township."""
        if idx.size == 0:
            return
        hh = s.households
        by_town: dict[int, list[Enterprise]] = {}
        for e in self.enterprises:
            if e.alive and e.supported:
                by_town.setdefault(e.township, []).append(e)
        towns = hh.township[idx]
        for t in np.unique(towns).tolist():
            firms = by_town.get(t)
            if not firms:
                continue
            cand = idx[towns == t]
            for e in firms:
                cand = cand[hh.coop[cand] < 0]
                self._add_members(s, e, cand)

    def concentration(self) -> float:
        """Herfindahl index of villages over sectors (1: one sector)."""
        v = np.bincount(self.county.village_sector,
                        minlength=len(self.county.sectors)).astype(float)
        sh = v / max(v.sum(), 1.0)
        return float((sh * sh).sum())
