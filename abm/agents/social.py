"""The social sector: charities, social workers, clinics, paired-assistance enterprises.

Each is a Mesa agent acting through a :class:`~abm.context.StepContext`. Their help
reaches households only through declared hooks (``Households.credit`` for money,
``support_gain`` for social work, ``doctor_contract`` and ``ca_buyer`` for services)
and is paid from a budget line with a named payer. Who qualifies for an instrument they
deliver (prevention, consumption assistance) is the instrument's rule.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from abm.context import Referrals
from abm.households.state import Category
from abm.instruments.base import BudgetLine

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import StepContext
    from abm.county import County

# The social sector's own budget lines (the instruments declare theirs).
LINES = (
    BudgetLine("charity", "charities", "credit", social_sector=True),
    BudgetLine("social_work", "charities", "service", social_sector=True),
)


def allocations(cfg: Config, n: int) -> dict[str, float]:
    """The year's donations and social-work money, yuan."""
    s = cfg.social
    return {
        "charity": s.charity_per_household * n,
        "social_work": s.social_workers_per_10k * n / 10_000 * s.caseload_per_worker
        * s.cost_per_case_month * 12,
    }


class Charity(mesa.Agent):
    """A donation pool: grants to households in sudden severe hardship, as needs arise:
    by the end of each month it has released at most that month's share of the year's
    donations (those waiting longest first), so January does not take the year's pool."""

    def __init__(self, model: mesa.Model, n_households: int):
        super().__init__(model)
        self.last_grant = np.full(n_households, -999, dtype=np.int32)
        self.n_grants = 0

    def step(self, s: StepContext) -> None:
        hh = s.households
        soc = s.config.social
        want = hh.monitored & (hh.category == Category.SUDDEN) & (
            s.month - self.last_grant >= soc.charity_grant_gap_months)
        idx = np.flatnonzero(want)
        if idx.size and soc.charity_grant > 0:
            line = s.budget.lines["charity"]
            released = line.allocated * (s.month % 12 + 1) / 12.0
            n_afford = int(max(0.0, released - line.spent) // soc.charity_grant)
            idx = idx[np.argsort(hh.monitored_since[idx], kind="stable")][:n_afford]
        if idx.size and soc.charity_grant > 0:
            paid = s.budget.pay("charity", np.full(idx.size, soc.charity_grant))
            ok = paid > 0
            hh.credit(paid[ok], idx[ok])
            self.last_grant[idx[ok]] = s.month
            self.n_grants += int(ok.sum())


class SocialWorkers(mesa.Agent):
    """Social workers with a limited caseload, raising the motivation of discouraged
    households: those the cadres refer, and (``social.outreach``) those the township
    social-work station finds itself among its clientele, the registered, monitored and
    dibao households, the least motivated first, while the referrals leave room."""

    def __init__(self, model: mesa.Model, cfg: Config, n_households: int):
        super().__init__(model)
        soc = cfg.social
        self.capacity = int(soc.social_workers_per_10k * n_households / 10_000
                            * soc.caseload_per_worker)
        self.cases = np.zeros(0, dtype=np.int64)
        self.case_months = np.zeros(0, dtype=np.int16)
        self.is_case = np.zeros(n_households, dtype=np.bool_)  # (cases, by household)
        self.queue: list[int] = []
        self.served = 0

    def step(self, s: StepContext) -> None:
        hh = s.households
        soc = s.config.social
        self.queue.extend(Referrals.take(s.referrals.social_work).tolist())
        # A case lasts case_months while its household is monitored or, with outreach,
        # still among the station's clientele (registered, monitored or on the dibao).
        c = self.cases
        clients = _clients(hh, c) if soc.outreach else hh.monitored[c]
        keep = (self.case_months < soc.case_months) & clients
        self.is_case[c[~keep]] = False
        self.cases, self.case_months = self.cases[keep], self.case_months[keep]
        if soc.outreach and self.queue:
            # The station screens its waiting list as it screens its own clients: a
            # referral is withdrawn once its household is a case, has left the
            # clientele or is no longer below the line (a household's first referral
            # keeps its place), so none waits for years in a thinly staffed county.
            q = np.array(self.queue, dtype=np.int64)
            first = np.zeros(q.size, dtype=np.bool_)
            first[np.unique(q, return_index=True)[1]] = True
            ok = first & ~self.is_case[q] & _clients(hh, q) & (
                hh.motivation[q] < soc.referral_motivation)
            self.queue = q[ok].tolist()
        room = self.capacity - self.cases.size
        if room > 0 and self.queue:
            new = np.array(self.queue[:room], dtype=np.int64)
            new = new[~self.is_case[new]]
            self.queue = self.queue[room:]
            self._open(new)
        room = self.capacity - self.cases.size
        if room > 0 and soc.outreach:  # after the referrals
            from abm import kernels  # (not at import: the config needs no numba)

            found = kernels.discouraged_clients(hh.monitored, hh.registered, hh.dibao,
                                                hh.motivation, float(soc.referral_motivation))
            found = found[~self.is_case[found]]
            self._open(found[np.argsort(hh.motivation[found], kind="stable")[:room]])
        if self.cases.size == 0:
            return
        paid = s.budget.pay_units("social_work", self.cases.size, soc.cost_per_case_month)
        served = self.cases[paid]
        hh.support_gain[served] += soc.motivation_support
        self.case_months[paid] += 1
        self.served += int(served.size)

    def _open(self, new: np.ndarray) -> None:
        """Open cases for households ``new`` (none of them a case already)."""
        self.is_case[new] = True
        self.cases = np.concatenate([self.cases, new])
        self.case_months = np.concatenate([self.case_months, np.zeros(new.size, np.int16)])


def _clients(hh, idx: np.ndarray) -> np.ndarray:
    """Whether households ``idx`` are among the social-work stations' clientele:
    registered, monitored or on the dibao (``kernels.discouraged_clients`` reads the
    same three flags for all households)."""
    return hh.monitored[idx] | hh.registered[idx] | hh.dibao[idx]


class Clinic(mesa.Agent):
    """A township clinic: family-doctor contracts for chronic patients (health
    management), within the prevention budget; access falls with distance. Its doctors
    serve ``implementers.contract_service_share`` of the contracts it signs; only a
    served contract marks the household (``doctor_contract``)."""

    def __init__(self, model: mesa.Model, county: County, township: int):
        super().__init__(model)
        self.township = township
        self.mask = county.hh_township == township
        self.members = np.flatnonzero(self.mask)  # its township's households
        self.contracts = 0  # contracts signed this year
        self.served = 0  # of them, served with health management

    def new_year(self, s: StepContext, chronic: np.ndarray, priority: np.ndarray) -> None:
        """This year's contracts: last year's end; the township's chronic patients
        (``chronic``, in household order) are signed, the instrument's priority group
        first (``priority``: ``Prevention.priority`` of every household), then those
        nearest the clinic, as far as coverage and the budget go. The social sector
        finds both for all clinics at once (``SocialSector.new_year``)."""
        hh = s.households
        prevention = s.instruments["prevention"]
        p = prevention.p
        lv = s.ctx.levels[prevention.name]
        hh.doctor_contract[self.members] = False
        self.contracts = 0
        self.served = 0
        if lv <= 0:
            return
        n = int(p.coverage * lv * chronic.size)
        if n == 0:
            return
        # The instrument's priority group first, then those nearest the clinic.
        order = np.lexsort((-hh.clinic_access[chronic], ~priority[chronic]))
        pick = chronic[order[:n]]
        pick = pick[s.budget.pay_units("prevention", pick.size, p.cost_per_contract)]
        # Of the contracts signed (and paid for), the doctors serve the first ones, in
        # the order signed; the rest are signed on paper (签而不约).
        served = int(np.floor(s.config.implementers.contract_service_share * pick.size
                              + 0.5))
        hh.doctor_contract[pick[:served]] = True
        self.contracts = int(pick.size)
        self.served = served


class PairedEnterprise(mesa.Agent):
    """Consumption assistance: buys the products of eligible farming households, lowest
    incomes first, as far as its yearly purchases allow."""

    def __init__(self, model: mesa.Model):
        super().__init__(model)
        self.buyers = 0

    def new_year(self, s: StepContext) -> None:
        hh = s.households
        ca = s.instruments["consumption_assistance"]
        lv = s.ctx.levels[ca.name]
        hh.ca_buyer[:] = False
        self.buyers = 0
        if lv <= 0 or ca.p.premium <= 0:
            return
        cand = np.flatnonzero(ca.eligible(hh))
        buyers = _cheapest_first(hh.income_pc_year[cand],
                                 12.0 * hh.inc_farm_m[cand] * ca.p.premium * lv,
                                 s.budget.lines["consumption_assistance"].remaining)
        hh.ca_buyer[cand[buyers]] = True
        self.buyers = int(buyers.size)


def _cheapest_first(income: np.ndarray, cost: np.ndarray, budget: float) -> np.ndarray:
    """Positions in ``income`` of the buyers a budget reaches, lowest incomes first (ties
    in order): with ``order`` the stable sort of ``income``, the first ``n`` of ``order``,
    ``n`` being where the running total of ``cost[order]`` reaches ``budget``
    (``np.searchsorted``). When no cost is negative (the running total then never
    falls), only the lowest incomes are sorted, about twice as many as the mean cost
    says the budget reaches (the lowest incomes all come before the rest in the whole
    sort, in the same order), more if that was not enough: the same buyers as sorting
    all, which took about 2 ms each January for 25,000 candidates at 200,000 households
    (0.95 ms now, with the rest of the purchases)."""
    n = cost.size
    if n > 8192 and np.isfinite(budget) and not (cost < 0).any() and not np.isnan(
            income).any():
        # about twice as many as the mean cost says the budget reaches
        mean = float(cost.sum()) / n
        k = max(1024, int(min(2.0 * budget / mean, n) if mean > 0 else n))
        while 2 * k < n:
            low = np.flatnonzero(income <= np.partition(income, k - 1)[k - 1])
            low = low[np.argsort(income[low], kind="stable")]
            total = np.cumsum(cost[low])
            if total[-1] >= budget:  # reached among them
                return low[:int(np.searchsorted(total, budget))]
            k *= 2
    order = np.argsort(income, kind="stable")
    return order[:int(np.searchsorted(np.cumsum(cost[order]), budget))]


class SocialSector:
    """The county's social organisations together."""

    def __init__(self, model: mesa.Model, cfg: Config, county: County):
        n = county.n_households
        self.charity = Charity(model, n)
        self.workers = SocialWorkers(model, cfg, n)
        self.clinics = [Clinic(model, county, t) for t in range(county.n_townships)]
        self.paired = PairedEnterprise(model)

    def step(self, s: StepContext) -> None:
        self.charity.step(s)
        self.workers.step(s)

    def new_year(self, s: StepContext) -> None:
        """The clinics' contracts (each township's chronic patients found for all of them
        at once, and the priority group once: a mask of every household per clinic took
        3 to 4 ms each January at 200,000 households), then the paired purchases."""
        hh = s.households
        chronic = np.flatnonzero(hh.chronic)
        town = s.county.hh_township[chronic]
        if (np.diff(town) < 0).any():  # (the county numbers households township by township)
            by_town = np.argsort(town, kind="stable")  # by township, in household order
            chronic, town = chronic[by_town], town[by_town]
        cut = np.searchsorted(town, np.arange(s.county.n_townships + 1))
        priority = s.instruments["prevention"].priority(hh)
        for c in self.clinics:
            t = c.township
            c.new_year(s, chronic[cut[t]:cut[t + 1]], priority)
        self.paired.new_year(s)
