"""CountyModel: builds the county and runs the monthly step as a list of phases."""

from __future__ import annotations

import mesa
import numpy as np
import pandas as pd

from abm import policy
from abm.agents import household as hhmod
from abm.config import Config
from abm.county import County, Market, build_county
from abm.metrics import monthly_metrics
from abm.rng import Streams

SPIN_UP_MONTHS = 18


class CountyModel(mesa.Model):
    """A county after 2020, month by month.

    The step runs these phases in order (docs/model.md, "Process overview"):

    1. environment   county: farm price, wage level, policy calendar (lines, tapers)
    2. health        all households: aging, chronic onset, disability, acute episodes, costs
    3. work_income   all households: job loss, farming, local wages, remittances, transfers
    4. spending      all households: consumption, out-of-pocket medical, schooling, interest;
                     savings and debt
    5. learning      all households: motivation and skills from own experience and neighbours
    6. decisions     all households: migrate, come home, go back after a job loss
    7. status        all households: 12-month disposable income, poverty status, events
                     with their measured causes; then the month's metrics are collected

    Before month 0 the same phases run for ``SPIN_UP_MONTHS`` (mid-2019 to 2020) so that
    incomes, savings and the 12-month income history are settled; a year before month 0
    households with no one able to work and income below the minimum-living line are
    enrolled in it (the 2020 rosters). Nothing is recorded during the spin-up.

    Each phase that draws uses its own stream (``abm.rng``), named after the phase.
    """

    def __init__(self, config: Config | None = None, *, seed: int | None = None):
        cfg = config or Config()
        if seed is not None:
            cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"seed": int(seed)})})
        super().__init__(rng=cfg.run.seed)
        self.config = cfg
        self.streams = Streams(cfg.run.seed)
        self.calendar = policy.Calendar(cfg.run.start_year)
        self.county: County = build_county(cfg, self.streams["county"])
        self.households = hhmod.generate(cfg, self.county.hh_village, self.county.hh_township,
                                         self.streams["population"])
        self.market = Market(cfg, self.streams["market"])
        self.month = -SPIN_UP_MONTHS
        self.cum_returned = 0
        self.metrics: dict[str, float] = {}
        self._events: list[tuple[int, np.ndarray, np.ndarray, np.ndarray]] = []
        self.datacollector: mesa.DataCollector | None = None
        for _ in range(SPIN_UP_MONTHS):
            if self.month == -12:  # a year before month 0: the 2020 rosters
                hhmod.enrol_guarantee(self.households, self.config)
            self._advance(record=False)
        self.month = 0
        self.cum_returned = 0
        hhmod.start_of_run(self.households)

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
        self.status(record)
        self.month += 1

    # ------------------------------------------------------------------ phases
    def environment(self) -> None:
        """County level: farm price, wage level and the policy calendar for this month."""
        cfg, cal, m = self.config, self.calendar, self.month
        self.market.step()
        full = cfg.policy.registered_support_per_capita / 12.0
        support = full * policy.transition_taper(cfg, cal, m)
        before = full * policy.transition_taper(cfg, cal, m - 1)
        self.ctx = hhmod.MonthContext(
            month=m,
            january=(m % 12 == 0),
            price=self.market.price,
            wage_index=policy.wage_index(cfg, cal, m),
            reimbursement=policy.reimbursement_ratio(cfg, cal, m, self.households.registered),
            support_per_capita=support,
            support_drop_per_capita=max(0.0, before - support),
            poverty_line=policy.poverty_line(cfg, cal, m),
            dibao_line=policy.dibao_line(cfg, cal, m),
        )

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
        hhmod.decisions(self.households, self.config, self.streams["decisions"])

    def status(self, record: bool) -> None:
        who, codes, causes = hhmod.status(self.households, self.ctx)
        if not record:
            return
        self._events.append((self.month, who, codes, causes))
        self.metrics = monthly_metrics(self, who, codes, causes)
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
