"""The social sector: charities, social workers, clinics, paired-assistance enterprises,
and their part in the epidemic emergency response.

Each is a Mesa agent. Their help reaches households only through declared hooks
(``Households.credit`` for money, ``support_gain`` for social work, ``doctor_contract``
and ``ca_buyer`` for services) and is paid from a budget line with a named payer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from abm.model import CountyModel


class Charity(mesa.Agent):
    """A donation pool: grants to households in sudden severe hardship, and relief in an
    epidemic together with the county's emergency fund."""

    def __init__(self, model: CountyModel):
        super().__init__(model)
        self.last_grant = np.full(model.households.n, -999, dtype=np.int32)
        self.n_grants = 0
        self.n_relieved = 0

    def step(self) -> None:
        m = self.model
        hh = m.households
        s = m.config.social
        want = hh.monitored & (hh.category == 3) & (m.month - self.last_grant >= 12)
        idx = np.flatnonzero(want)
        if idx.size and s.charity_grant > 0:
            paid = m.budget.pay("charity", np.full(idx.size, s.charity_grant))
            ok = paid > 0
            hh.credit(paid[ok], idx[ok])
            self.last_grant[idx[ok]] = m.month
            self.n_grants += int(ok.sum())
        if m.ctx.epidemic_idle > 0 or m.ctx.epidemic_local > 0:
            self.relief()

    def relief(self) -> None:
        """Epidemic relief: monitored households and those with idled migrants, paid by
        the county emergency fund (its line runs out when the wave lasts long)."""
        m = self.model
        hh = m.households
        lv = m.ctx.levels["epidemic_relief"]
        if lv <= 0:
            return
        idx = np.flatnonzero(hh.monitored | (hh.n_migrants > 0) & hh.poor)
        amount = m.config.policy.epidemic_relief.per_household_month * lv
        if idx.size:
            paid = m.budget.pay("epidemic_relief", np.full(idx.size, amount))
            ok = paid > 0
            hh.credit(paid[ok], idx[ok])
            self.n_relieved += int(ok.sum())


class SocialWorkers(mesa.Agent):
    """Social workers with a limited caseload, raising the motivation of discouraged
    monitored households referred by the cadres."""

    def __init__(self, model: CountyModel):
        super().__init__(model)
        s = model.config.social
        self.capacity = int(s.social_workers_per_10k * model.households.n / 10_000
                            * s.caseload_per_worker)
        self.cases = np.zeros(0, dtype=np.int64)
        self.case_months = np.zeros(0, dtype=np.int16)
        self.queue: list[int] = []
        self.served = 0

    def refer(self, idx: np.ndarray) -> None:
        self.queue.extend(idx.tolist())

    def step(self) -> None:
        m = self.model
        hh = m.households
        s = m.config.social
        keep = (self.case_months < 6) & hh.monitored[self.cases]
        self.cases, self.case_months = self.cases[keep], self.case_months[keep]
        room = self.capacity - self.cases.size
        if room > 0 and self.queue:
            new = np.array(self.queue[:room], dtype=np.int64)
            new = new[~np.isin(new, self.cases)]
            self.queue = self.queue[room:]
            self.cases = np.concatenate([self.cases, new])
            self.case_months = np.concatenate([self.case_months,
                                               np.zeros(new.size, np.int16)])
        if self.cases.size == 0:
            return
        paid = m.budget.pay_units("social_work", self.cases.size, s.cost_per_case_month)
        served = self.cases[paid]
        hh.support_gain[served] += s.motivation_support
        self.case_months[paid] += 1
        self.served += int(served.size)


class Clinic(mesa.Agent):
    """A township clinic: family-doctor contracts for chronic patients (health
    management), within the prevention budget; access falls with distance."""

    def __init__(self, model: CountyModel, township: int):
        super().__init__(model)
        self.township = township
        self.mask = model.county.hh_township == township
        self.contracts = 0

    def new_year(self) -> None:
        m = self.model
        hh = m.households
        p = m.config.policy.prevention
        lv = m.ctx.levels["prevention"]
        mine = self.mask
        hh.doctor_contract[mine] = False
        self.contracts = 0
        if lv <= 0:
            return
        chronic = np.flatnonzero(mine & hh.chronic)
        n = int(p.coverage * lv * chronic.size)
        if n == 0:
            return
        # Registered and monitored patients first, then those nearest the clinic.
        order = np.lexsort((-hh.clinic_access[chronic],
                            ~(hh.registered[chronic] | hh.monitored[chronic])))
        pick = chronic[order[:n]]
        pick = pick[m.budget.pay_units("prevention", pick.size, p.cost_per_contract)]
        hh.doctor_contract[pick] = True
        self.contracts = int(pick.size)


class PairedEnterprise(mesa.Agent):
    """Consumption assistance: buys the products of registered and monitored farming
    households, lowest incomes first, as far as its yearly purchases allow."""

    def __init__(self, model: CountyModel):
        super().__init__(model)
        self.buyers = 0

    def new_year(self) -> None:
        m = self.model
        hh = m.households
        ca = m.config.policy.consumption_assistance
        lv = m.ctx.levels["consumption_assistance"]
        hh.ca_buyer[:] = False
        self.buyers = 0
        if lv <= 0 or ca.premium <= 0:
            return
        cand = np.flatnonzero((hh.registered | hh.monitored) & (hh.land > 0))
        cand = cand[np.argsort(hh.income_pc_year[cand], kind="stable")]
        cost = np.cumsum(12.0 * hh.inc_farm_m[cand] * ca.premium * lv)
        n = int(np.searchsorted(cost, m.budget.lines["consumption_assistance"].remaining))
        hh.ca_buyer[cand[:n]] = True
        self.buyers = n


class SocialSector:
    """The county's social organisations together."""

    def __init__(self, model: CountyModel):
        self.charity = Charity(model)
        self.workers = SocialWorkers(model)
        self.clinics = [Clinic(model, t) for t in range(model.county.n_townships)]
        self.paired = PairedEnterprise(model)

    def refer(self, idx: np.ndarray) -> None:
        self.workers.refer(idx)

    def step(self) -> None:
        self.charity.step()
        self.workers.step()

    def new_year(self) -> None:
        for c in self.clinics:
            c.new_year()
        self.paired.new_year()
