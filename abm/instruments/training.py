"""Skills training: seats offered to able members of monitored households when the
village team brings the bundle; attendance rises with motivation; seats are paid whole."""

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
    cost_per_seat: float = P(1_500.0, unit="yuan", doc="Cost of one seat", ge=0, le=100_000,
                             source=ASSUMPTION)


class Training(Instrument):
    name = "training"
    order = 11
    label = "skills training / 技能培训"
    Config = TrainingConfig
    lines = (BudgetLine("training", "consolidation_fund", "service"),)

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
