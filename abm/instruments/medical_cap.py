"""A personal yearly cap on out-of-pocket medical spending (P County's countermeasure):
medical assistance pays what a household would spend above the cap in a calendar year,
as far as the money set aside for it lasts."""

from __future__ import annotations

import numpy as np
from pydantic import Field

from abm.instruments.base import BudgetLine, Instrument, MedicalBill
from abm.params import ASSUMPTION, SETTING, InstrumentConfig, P


class MedicalCapConfig(InstrumentConfig):
    """A personal yearly cap on out-of-pocket medical spending (P County)."""

    enabled: bool = Field(False, description="Whether the instrument runs at all",
                          json_schema_extra={"source": SETTING})
    cap_yuan: float = P(5_000.0, unit="yuan/household/year", doc="Out-of-pocket spending "
                        "above this in a calendar year is paid by medical assistance", ge=0,
                        le=1_000_000, source=ASSUMPTION)
    budget_per_household: float = P(60.0, unit="yuan/household/year", doc="Medical "
                                    "assistance money set aside for the cap, per household "
                                    "of the county (a thin budget runs out)", ge=0,
                                    le=100_000, source=ASSUMPTION)
    eligible: str = Field("registered_or_monitored", json_schema_extra={"source": SETTING},
                          description="Who is capped: "
                          "registered_or_monitored or all", pattern="^(registered_or_monitored"
                          "|all)$")


class MedicalCap(Instrument):
    name = "medical_cap"
    order = 5
    label = "personal medical-cost cap / 个人医疗费用封顶"
    Config = MedicalCapConfig
    lines = (BudgetLine("medical_cap", "county_medical_assistance"),)
    # As designed and funded: a low cap, money enough for it, for the policy's own
    # households (the lifted-out and the monitored, whom the medical-security tilt after
    # 2020 is for). A cap for every household is another policy (P County's "cap for
    # everyone" experiment): within this one a household at risk reaches the cap by
    # being found or applying, which is the organisation's and the target group's part.
    ideal = {"enabled": True, "cap_yuan": 3000.0, "eligible": "registered_or_monitored",
             "budget_per_household": 10_000.0}
    covers_at = 3

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        return {"medical_cap": self.p.budget_per_household * hh.n * level}

    def eligible(self, hh, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
        """Who the cap covers, of ``idx``."""
        if self.p.eligible == "all":
            return np.ones(hh.registered[idx].size, bool)
        return hh.registered[idx] | hh.monitored[idx]

    def medical(self, hh, ctx, bill: MedicalBill) -> None:
        lv = ctx.levels[self.name]
        withdrawn = ctx.withdrawn.get(self.name, 0.0)
        if lv <= 0 and withdrawn <= 0:
            return
        over = np.maximum(hh.oop_year + bill.oop - self.p.cap_yuan, 0.0)
        full = np.where(self.eligible(hh), np.minimum(over, bill.oop), 0.0)
        if lv > 0:
            bill.pay("assisted", ctx.budget.pay("medical_cap", full * lv))
        bill.add_withheld(full, withdrawn)

    def anticipate(self, hh, ctx, idx: np.ndarray, bill: MedicalBill) -> None:
        lv = ctx.levels[self.name]
        if lv <= 0:
            return
        over = np.maximum(hh.oop_year[idx] + bill.oop - self.p.cap_yuan, 0.0)
        bill.pay("assisted", np.where(self.eligible(hh, idx), np.minimum(over, bill.oop), 0.0)
                 * lv)
