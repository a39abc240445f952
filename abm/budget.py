"""Public money: budget lines, who pays for each, and a ledger of every yuan paid.

Every payment to households goes through :meth:`Budget.pay`, which never lets a line
spend more than it was allocated for the year (entitlements have no ceiling) and
records the payer. The lines are declared by the instruments (``abm/instruments/``) and
the social sector (``abm.agents.social.LINES``); the county bureau sets the allocations
each January, and a bounded line nobody allocated is an error, never a silent zero.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np

from abm.instruments.base import BudgetLine


def declared_lines() -> tuple[BudgetLine, ...]:
    """Every budget line of the model: the instruments', then the social sector's."""
    from abm.agents.social import LINES
    from abm.instruments.registry import budget_lines

    return budget_lines() + LINES


def payers() -> dict[str, str]:
    """Budget line -> who pays it, in the budget's order."""
    return {d.name: d.payer for d in declared_lines()}


@dataclass
class Line:
    payer: str
    bounded: bool = True
    targeted: bool = True
    social_sector: bool = False
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
    lines: dict[str, Line] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.lines:
            self.lines = self.from_declarations(declared_lines()).lines

    @classmethod
    def from_declarations(cls, declared: Iterable[BudgetLine]) -> Budget:
        lines = {}
        for d in declared:
            if d.name in lines:
                raise RuntimeError(f"budget line {d.name!r} is declared twice")
            lines[d.name] = Line(payer=d.payer, bounded=d.bounded, targeted=d.targeted,
                                 social_sector=d.social_sector)
        return cls(lines)

    def new_year(self, allocations: dict[str, float]) -> None:
        """Set this year's allocations (entitlements stay unbounded). Every bounded line
        must have an allocation, and every allocation a line."""
        unknown = set(allocations) - set(self.lines)
        if unknown:
            raise KeyError(f"allocations for unknown budget lines: {sorted(unknown)}")
        missing = [k for k, line in self.lines.items() if line.bounded and k not in allocations]
        if missing:
            raise KeyError(f"no allocation for the bounded budget lines {missing}: the "
                           "instrument that owns a line must allocate it")
        for name, line in self.lines.items():
            line.spent = 0.0
            if not line.bounded:
                line.allocated = np.inf
            else:
                line.allocated = float(allocations[name])
                line.cum_allocated += line.allocated

    def new_month(self) -> None:
        for line in self.lines.values():
            line.spent_month = 0.0

    def pay(self, name: str, amounts: np.ndarray, fresh: bool = False) -> np.ndarray:
        """Pay ``amounts`` (one per household) from line ``name``; scaled down pro rata
        when the line's remaining allocation is short. Returns what was paid, a new array
        unless ``fresh``: the caller made ``amounts`` for this payment and only reads it
        afterwards, so paid in full it is returned itself (the same numbers, one pass
        fewer)."""
        line = self.lines[name]
        want = float(amounts.sum())
        if want <= 0:
            return np.zeros_like(amounts)
        scale = min(1.0, line.remaining / want)
        # a new array: callers may reuse ``amounts`` (x * 1.0 is x, bit for bit)
        if scale == 1.0 and amounts.dtype == np.float64:
            paid = amounts if fresh else amounts.copy()
        else:
            paid = amounts * scale
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
        names = names or [k for k, line in self.lines.items() if line.bounded]
        alloc = sum(self.lines[k].allocated for k in names if np.isfinite(
            self.lines[k].allocated))
        spent = sum(self.lines[k].spent for k in names)
        return spent / alloc if alloc > 0 else 0.0
