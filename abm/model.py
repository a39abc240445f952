"""CountyModel: builds the county and runs the monthly step as a list of phases."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from abm import policy
from abm.agents import household as hhmod
from abm.agents import implementer
from abm.agents.implementer import CountyBureau, Draws, Monitoring, TownshipOffice, VillageTeam
from abm.agents.industry import Industry
from abm.agents.social import SocialSector
from abm.budget import Budget
from abm.config import Config
from abm.county import County, Markets, Shocks, build_county
from abm.metrics import monthly_metrics
from abm.rng import Streams
from abm.smith import SmithMeter

SPIN_UP_MONTHS = 18
MONITORING_STARTS = -6  # July 2020: monitoring begins once a year of incomes is known


class CountyModel(mesa.Model):
    """A county after 2020, month by month.

    The step runs these phases in order (docs/model.md, "Process overview"):

    1. environment   county: sector prices, disasters, epidemic, wage level, poverty and
                     dibao lines, instrument levels; each January the year's budget,
                     industrial-support funds, clinic contracts and paired purchases
    2. health        all households: aging, chronic onset, disability, acute episodes, costs
    3. work_income   all households: job loss, farming, jobs, remittances, posts, dividends,
                     transfers (every public yuan through a budget line)
    4. spending      all households: consumption, medical costs after insurance, assistance
                     and the cap, schooling, interest, repairs; savings and debt
    5. learning      all households: motivation and skills from own experience, neighbours,
                     training and social work
    6. decisions     all households: migrate, come home, go back after a job loss
    7. implementers  agents: households apply, the data screen flags, village teams split
                     their hours, visit, detect and help; township offices include and exit
    8. industry      agents: enterprises earn, pay dividends, hire, fail
    9. social        agents: charity grants and epidemic relief, social work
    10. county_review  each December the bureau scores the teams and posts cadres
    11. status       all households: 12-month disposable income, poverty status, the
                     monitoring rule, events with their measured causes; metrics and Smith
                     measures are collected

    Before month 0 the same phases run for ``SPIN_UP_MONTHS`` (mid-2019 to 2020) so that
    incomes, savings, the income history and the monitoring rosters settle; a year before
    month 0 households with no one able to work and income below the minimum-living line
    are enrolled in it (the 2020 rosters). Nothing is recorded during the spin-up.

    Each phase that draws uses its own stream (``abm.rng``), named after the phase.
    """

    def __init__(self, config: Config | None = None, *, seed: int | None = None):
        cfg = config or Config()
        if seed is not None:
            cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"seed": int(seed)})})
        super().__init__(rng=cfg.run.seed)
        self.config = cfg
        self.streams = Streams(cfg.run.seed)
        self.calendar = cal = policy.Calendar(cfg.run.start_year)
        self.county: County = build_county(cfg, self.streams["county"])
        self.households = hh = hhmod.generate(cfg, self.county.hh_village,
                                              self.county.hh_township,
                                              self.streams["population"])
        hh.clinic_access[:] = self.county.village_access[self.county.hh_village]
        shock_months: dict[int, list] = {}
        for ps in cfg.shocks.price_shocks:
            k = self.county.sectors.index(ps.sector)
            shock_months.setdefault(cal.month_of(ps.year), []).append((k, ps.size))
        self.markets = Markets(cfg, self.county.sectors, shock_months, self.streams["market"])
        epi = cfg.shocks.epidemic
        e0 = cal.month_of(epi.start_year, epi.start_month_of_year)
        self.shocks = Shocks(cfg, self.county, range(e0, e0 + epi.dur_months),
                             self.streams["shocks"])
        self.budget = Budget()
        # Implementing organisation, industry and the social sector (Mesa agents).
        self.bureau = CountyBureau(self)
        mult = implementer.township_multiples(cfg, self.county.n_townships,
                                              self.streams["township_criteria"])
        self.township_offices = [TownshipOffice(self, t, float(mult[t]))
                                 for t in range(self.county.n_townships)]
        self.village_teams = [VillageTeam(self, v) for v in range(self.county.n_villages)]
        self.implementation = Monitoring(self)
        self.industry = Industry(self, self.streams["industry_setup"])
        self.social = SocialSector(self)
        self.smith = SmithMeter()

        self.month = -SPIN_UP_MONTHS
        self.cum_returned = 0
        self.metrics: dict[str, float] = {}
        self._events: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.datacollector: mesa.DataCollector | None = None
        self._new_year()
        for _ in range(SPIN_UP_MONTHS):
            if self.month == -12:  # a year before month 0: the 2020 rosters
                hhmod.enrol_guarantee(self.households, self.config)
            self._advance(record=False)
        self.month = 0
        self.cum_returned = 0
        hhmod.start_of_run(self.households)
        self.implementation = Monitoring(self)  # count from month 0
        self.smith = SmithMeter()

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One month (the phases are listed in the class docstring)."""
        self._advance(record=True)

    def _advance(self, record: bool) -> None:
        self.environment()
        self.health()
        self.work_income()
        self.spending()
        self.learning()
        self.decisions()
        self.implementers(record)
        self.industry_phase()
        self.social_phase()
        self.county_review()
        self.status(record)
        self.month += 1

    def implementers(self, record: bool) -> None:
        """Applications, data screen, village teams, then township decisions."""
        self.draws = Draws.draw(self.streams["implementers"], self.households.n)
        self.implementation.new_month()
        if self.month < MONITORING_STARTS:
            return
        implementer.self_applications(self)
        self.bureau.screen()
        for team in self.village_teams:
            team.step()
        self.implementation.after_visits()
        for office in self.township_offices:
            office.step()
        if record:
            for who, codes, causes in self.implementation.events:
                self._events.append((self.month, who, codes, causes))

    # ------------------------------------------------------------------ phases
    def environment(self) -> None:
        """County level: prices, shocks, the calendar and, each January, the budget."""
        cfg, cal, m = self.config, self.calendar, self.month
        self.markets.step(m)
        loss, damage, idle, local = self.shocks.step(m)
        lv = policy.levels(cfg, cal, m)
        before = policy.levels(cfg, cal, m - 1)
        self.budget.new_month()
        self.households.booked_month[:] = 0.0
        prices = self.markets.prices[self.county.village_sector][self.county.hh_village]
        self.ctx = hhmod.MonthContext(
            month=m,
            january=(m % 12 == 0),
            wage_index=policy.wage_index(cfg, cal, m),
            farm_price=prices,
            poverty_line=policy.poverty_line(cfg, cal, m),
            dibao_line=policy.dibao_line(cfg, cal, m),
            levels=lv,
            level_drops={k: max(0.0, before[k] - lv[k]) for k in lv},
            budget=self.budget,
            disaster_loss=loss,
            damage_m=damage,
            epidemic_idle=idle,
            epidemic_local=local,
            prevention_rel_acute=cfg.policy.prevention.rel_acute,
            delay_cost=cfg.social.delay_cost,
        )
        if m % 12 == 0:
            self._new_year()

    def _new_year(self) -> None:
        if not hasattr(self, "ctx"):
            m = self.month
            lv = policy.levels(self.config, self.calendar, m)
            self.ctx = hhmod.MonthContext(
                month=m, january=False, wage_index=1.0,
                farm_price=np.ones(self.households.n),
                poverty_line=policy.poverty_line(self.config, self.calendar, m),
                dibao_line=policy.dibao_line(self.config, self.calendar, m), levels=lv,
                level_drops={k: 0.0 for k in lv}, budget=self.budget)
        hh = self.households
        covered = hh.registered | hh.monitored
        self.budget.new_year(policy.allocations(
            self.config, hh.n, self.ctx.levels,
            registered_persons=float(hh.size[hh.registered].sum()),
            covered_children=float(hh.n_children[covered].sum())))
        self.industry.new_year()
        self.social.new_year()

    def health(self) -> None:
        hhmod.health(self.households, self.config, self.streams["health"], self.ctx)

    def work_income(self) -> None:
        hhmod.work_income(self.households, self.config, self.streams["work"], self.ctx)

    def spending(self) -> None:
        hhmod.spending(self.households, self.config, self.ctx)

    def learning(self) -> None:
        hhmod.learning(self.households, self.config, self.county.peer_weights,
                       self.county.has_peers)

    def decisions(self) -> None:
        hhmod.decisions(self.households, self.config, self.streams["decisions"], self.ctx)

    def industry_phase(self) -> None:
        self.industry.step()

    def social_phase(self) -> None:
        self.social.step()

    def county_review(self) -> None:
        if self.month % 12 == 11:
            self.bureau.annual_review()

    def status(self, record: bool) -> None:
        who, codes, causes = hhmod.status(self.households, self.config, self.ctx)
        if not record:
            return
        self._events.append((self.month, who, codes, causes))
        self.metrics = monthly_metrics(self, who, codes, causes)
        self.metrics.update(self.smith.measure(self))
        if self.datacollector is None:
            self.datacollector = mesa.DataCollector(
                model_reporters={k: _reporter(k) for k in self.metrics})
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ outputs
    def timeseries(self) -> pd.DataFrame:
        if self.datacollector is None:
            return pd.DataFrame()
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        for col in ("month", "year", "n_households", "n_poor"):
            df[col] = df[col].astype("int64")
        return df

    def events(self) -> pd.DataFrame:
        """One row per household event: month, household, township, village, event, cause."""
        if self._events:
            month = np.concatenate([np.full(w.size, m, np.int32) for m, w, _, _ in self._events])
            who = np.concatenate([w for _, w, _, _ in self._events]).astype(np.int64)
            codes = np.concatenate([c for _, _, c, _ in self._events])
            causes = np.concatenate([c for _, _, _, c in self._events]).astype(str)
        else:
            month = np.zeros(0, np.int32)
            who = np.zeros(0, np.int64)
            codes = np.zeros(0, np.int8)
            causes = np.zeros(0, str)
        events = pd.Categorical.from_codes(codes, categories=list(hhmod.EVENTS))
        cause_cats = [*hhmod.CAUSES, hhmod.NO_CAUSE, ""]
        return pd.DataFrame({
            "month": month,
            "household": who,
            "township": self.county.hh_township[who].astype(np.int32),
            "village": self.county.hh_village[who].astype(np.int32),
            "event": events,
            "cause": pd.Categorical(causes, categories=cause_cats),
        })


def _reporter(key: str):
    return lambda model: model.metrics[key]
