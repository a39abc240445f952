"""Skills training: seats offered to able members of monitored households when the
village team brings the bundle (and, with ``open_offer``, each January to able members
of registered and monitored households); attendance rises with motivation; seats are
paid whole."""

from __future__ import annotations

import numpy as np

from abm.instruments.base import BudgetLine, Instrument
from abm.params import ASSUMPTION, InstrumentConfig, P


class TrainingConfig(InstrumentConfig):
    """Skills training."""

    seats_per_1000: float = P(10.0, unit="seats per 1000 households per year", doc="Training "
                              "seats offered", ge=0, le=1000, source=ASSUMPTION)
    skill_gain: float = P(0.1, unit="skill", doc="Skill gained by a trainee who attends", ge=0,
                          le=1, source=ASSUMPTION)
    open_offer: bool = P(False, unit="-", doc="Also offer the year's seats each January to "
                         "able members of registered (lifted-out) and monitored households, "
                         "least skilled first (attendance rises with motivation), not only "
                         "to monitored households when the village team brings the bundle",
                         source=ASSUMPTION)
    cost_per_seat: float = P(1_500.0, unit="yuan", doc="Cost of one seat", ge=0, le=100_000,
                             source=ASSUMPTION)


class Training(Instrument):
    name = "training"
    order = 11
    label = "skills training / 技能培训"
    Config = TrainingConfig
    lines = (BudgetLine("training", "consolidation_fund", "service"),)
    streams = ("training",)  # the January offer's attendance draws

    def __init__(self, cfg, streams=None):
        super().__init__(cfg, streams)
        self.invited = 0  # households invited since month 0 (running counts)
        self.trained = 0

    def start_of_run(self) -> None:
        self.invited = 0
        self.trained = 0

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        p = self.p
        return {"training": p.seats_per_1000 * hh.n / 1000.0 * p.cost_per_seat * level}

    def deliver(self, hh, idx: np.ndarray, able: np.ndarray, s) -> None:
        lv = s.ctx.levels[self.name]
        if lv <= 0:
            return
        invited = idx[able]
        self.invited += int(invited.size)
        attend = invited[s.draws.attend[invited] < hh.motivation[invited]]
        attend = attend[s.budget.pay_units("training", attend.size, self.p.cost_per_seat)]
        hh.training_gain[attend] += self.p.skill_gain * lv
        self.trained += int(attend.size)

    def monthly(self, s) -> None:
        """With ``open_offer``, each January: the year's seats to able members of
        registered and monitored households, least skilled first; one attendance draw
        per household (the ``training`` stream), attendance below its motivation, while
        the line lasts (what is left serves the bundles during the year)."""
        if not (self.p.open_offer and s.ctx.january):
            return
        hh = s.households
        lv = s.ctx.levels[self.name]
        u = self.rng["training"].random(hh.n, dtype=np.float32)
        if lv <= 0:
            return
        cand = np.flatnonzero((hh.registered | hh.monitored) & (hh.n_labour > 0))
        seats = int(self.p.seats_per_1000 * hh.n / 1000.0)
        invited = cand[np.argsort(hh.skills[cand], kind="stable")][:seats]
        self.invited += int(invited.size)
        attend = invited[u[invited] < hh.motivation[invited]]
        attend = attend[s.budget.pay_units("training", attend.size, self.p.cost_per_seat)]
        hh.training_gain[attend] += self.p.skill_gain * lv
        self.trained += int(attend.size)
