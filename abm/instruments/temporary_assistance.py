"""Temporary assistance (临时救助) from civil affairs: a one-off grant to a monitored
household whose risk came from illness or disability (hardship from spending, 支出型),
sized by the medical spending it paid out of pocket over the last year, or from a
disaster (sudden hardship, 急难型), sized by what the disaster cost it over the last year
(repairs and the harvest lost, from the loss ledger); up to some months of the
minimum-living line for each member; it reaches the household next month.

It is help fitted to the cause (``fits_causes``): the village team brings it only when it
has identified that the household's risk came from illness, disability or a disaster
(``implementers.diagnosis_skill``); a team that brings the uniform bundle does not.
"""

from __future__ import annotations

import numpy as np

from abm.instruments.base import ILLNESS_CAUSES, BudgetLine, Instrument
from abm.params import ASSUMPTION, InstrumentConfig, P


class TemporaryAssistanceConfig(InstrumentConfig):
    """Temporary assistance for households hit by illness or disability."""

    share_of_oop: float = P(0.5, unit="share", doc="Share of the last 12 months' "
                            "out-of-pocket medical spending the grant covers", ge=0, le=1,
                            source=ASSUMPTION)
    cap_months_of_dibao: float = P(6.0, unit="months", doc="Largest grant, in months of the "
                                   "minimum-living line for each member (counties set the "
                                   "amounts under the 2014 interim measures on temporary "
                                   "assistance)", ge=0, le=120, source=ASSUMPTION)
    share_of_disaster_loss: float = P(0.5, unit="share", doc="Share of the last 12 months' "
                                      "disaster losses (repairs, harvest lost) the grant "
                                      "covers when a disaster was the cause", ge=0, le=1,
                                      source=ASSUMPTION)
    budget_per_household: float = P(30.0, unit="yuan/household/year", doc="Money civil "
                                    "affairs sets aside for temporary assistance, per "
                                    "household of the county", ge=0, le=100_000,
                                    source=ASSUMPTION)


class TemporaryAssistance(Instrument):
    name = "temporary_assistance"
    order = 17
    label = "temporary assistance / 临时救助"
    Config = TemporaryAssistanceConfig
    lines = (BudgetLine("temporary_assistance", "civil_affairs", "credit"),)
    fits_causes = (*ILLNESS_CAUSES, "disaster")
    ideal = {"budget_per_household": 500.0}

    def __init__(self, cfg, streams=None):
        super().__init__(cfg, streams)
        self.n_granted = 0

    def start_of_run(self) -> None:
        self.n_granted = 0

    def allocate(self, hh, ctx) -> dict[str, float]:
        return {"temporary_assistance": self.p.budget_per_household * hh.n
                * ctx.levels[self.name]}

    def deliver(self, hh, idx: np.ndarray, able: np.ndarray, s) -> None:
        lv = s.ctx.levels[self.name]
        if lv <= 0 or idx.size == 0:
            return
        p = self.p
        cap = p.cap_months_of_dibao * s.ctx.dibao_line / 12.0 * np.maximum(hh.size[idx], 1)
        need = p.share_of_oop * hh.oop_sum[idx]
        from abm.households.state import CAUSE_INDEX  # (state imports the registry)

        k = CAUSE_INDEX["disaster"]
        hit = np.flatnonzero(hh.risk_cause[idx] == k)
        if hit.size:  # a disaster's cost instead of medical bills
            need[hit] = p.share_of_disaster_loss * hh.loss_years(idx[hit])[0][k]
        grant = np.minimum(need, cap) * lv
        paid = s.budget.pay("temporary_assistance", grant)
        ok = paid > 0
        hh.credit(paid[ok], idx[ok])
        self.n_granted += int(ok.sum())
