"""Public money: budget lines, who pays for each, and a ledger of every yuan paid.

Every payment to households goes through :meth:`Budget.pay`, which never lets a line
spend more than it was allocated for the year (entitlements have no ceiling) and
records the payer. The county bureau sets the allocations each January.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# line -> payer. Entitlement lines (no yearly ceiling) are marked in ENTITLEMENTS.
PAYERS = {
    "pension": "pension_fund",
    "farm_subsidy": "central_agriculture",
    "medical_insurance": "medical_insurance_fund",
    "medical_assistance": "county_medical_assistance",
    "medical_cap": "county_medical_assistance",
    "prevention": "county_health_bureau",
    "dibao": "civil_affairs",
    "support": "consolidation_fund",
    "industrial_support": "consolidation_fund",
    "public_posts": "consolidation_fund",
    "training": "consolidation_fund",
    "employment_help": "consolidation_fund",
    "schooling_subsidy": "education_bureau",
    "consumption_assistance": "paired_enterprises",
    "epidemic_relief": "county_emergency_fund",
    "charity": "charities",
    "dividends": "enterprises",
    "social_work": "charities",
}
ENTITLEMENTS = {"pension", "farm_subsidy", "medical_insurance", "medical_assistance", "dibao",
                "dividends"}
# Lines whose help reaches households as money or services (for the social-sector share).
SOCIAL_SECTOR = {"charity", "consumption_assistance", "social_work"}


@dataclass
class Line:
    payer: str
    allocated: float = np.inf  # this year
    spent: float = 0.0  # this year
    spent_month: float = 0.0
    cum_spent: float = 0.0
    cum_allocated: float = 0.0

    @property
    def remaining(self) -> float:
        return max(0.0, self.allocated - self.spent)


@dataclass
class Budget:
    lines: dict[str, Line] = field(default_factory=lambda: {
        k: Line(payer=v) for k, v in PAYERS.items()})

    def new_year(self, allocations: dict[str, float]) -> None:
        """Set this year's allocations (entitlements stay unbounded)."""
        for name, line in self.lines.items():
            line.spent = 0.0
            if name in ENTITLEMENTS:
                line.allocated = np.inf
            else:
                line.allocated = float(allocations.get(name, 0.0))
                line.cum_allocated += line.allocated

    def new_month(self) -> None:
        for line in self.lines.values():
            line.spent_month = 0.0

    def pay(self, name: str, amounts: np.ndarray) -> np.ndarray:
        """Pay ``amounts`` (one per household) from line ``name``; scaled down pro rata
        when the line's remaining allocation is short. Returns what was paid."""
        line = self.lines[name]
        want = float(amounts.sum())
        if want <= 0:
            return np.zeros_like(amounts)
        scale = min(1.0, line.remaining / want)
        paid = amounts * scale  # a new array: callers may reuse ``amounts``
        total = want * scale
        line.spent += total
        line.spent_month += total
        line.cum_spent += total
        return paid

    def pay_units(self, name: str, n: int, unit_cost: float) -> np.ndarray:
        """Buy up to ``n`` whole units of a service (a seat, a contract, a case-month), in
        order, while the line lasts. Returns a mask of the units bought; nothing is spent
        on a unit that cannot be paid in full."""
        line = self.lines[name]
        if unit_cost <= 0:
            return np.ones(n, bool)
        k = min(n, int(np.floor(line.remaining / unit_cost + 1e-9)))
        total = k * unit_cost
        line.spent += total
        line.spent_month += total
        line.cum_spent += total
        return np.arange(n) < k

    def pay_total(self, name: str, amount: float) -> float:
        """Pay a lump (e.g. to an enterprise or for a service); returns what was paid."""
        return float(self.pay(name, np.array([max(0.0, amount)]))[0])

    def month_by_line(self) -> dict[str, float]:
        return {k: v.spent_month for k, v in self.lines.items()}

    def execution(self, names: list[str] | None = None) -> float:
        """Share of this year's bounded allocations spent so far."""
        names = names or [k for k in self.lines if k not in ENTITLEMENTS]
        alloc = sum(self.lines[k].allocated for k in names if np.isfinite(
            self.lines[k].allocated))
        spent = sum(self.lines[k].spent for k in names)
        return spent / alloc if alloc > 0 else 0.0
