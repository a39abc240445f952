"""What the phases and organisations of one month receive.

``MonthContext`` holds month-level values every phase reads (set by the environment
phase). ``StepContext`` is what organisations (village teams, township offices, the
bureau, enterprises, the social sector) receive instead of the whole model: the
households, the month, this month's draws, the budget, the instruments, the monitoring
operations and the referral queues between organisations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from abm.agents.implementer import Draws, Monitoring
    from abm.budget import Budget
    from abm.config import Config
    from abm.county import County, Markets
    from abm.households.state import Households
    from abm.instruments.registry import Instruments


@dataclass
class MonthContext:
    """Month-level values the household phases read (set by the environment phase)."""

    month: int  # model month (negative during spin-up)
    january: bool
    wage_index: float
    farm_price: np.ndarray  # price index of each household's village sector
    poverty_line: float  # yuan/person/year
    dibao_line: float  # yuan/person/year
    levels: dict[str, float]  # instrument name -> share in force (0 off .. 1 full)
    budget: Budget
    instruments: Instruments
    disaster_loss: np.ndarray | float = 0.0  # share of farm income lost, per household
    damage_m: np.ndarray | float = 0.0  # repairs due this month, per household
    epidemic_idle: float = 0.0  # share of migrants idled
    epidemic_local: float = 0.0  # share of local wage and enterprise income lost
    epidemic_farm: float = 0.0  # share of farm and household-business income lost
    delay_cost: float = 0.0
    withdrawn: dict[str, float] = field(default_factory=dict)  # name -> share withdrawn
    year: int = 2021  # calendar year (amounts raised each January grow with it)
    cpi: float = 1.0  # consumer prices relative to January 2021
    line_rise_year: float = 0.0  # poverty line now minus 12 months ago, yuan/person


@dataclass
class Referrals:
    """Queues between organisations, emptied by the organisation they lead to."""

    social_work: list[np.ndarray] = field(default_factory=list)  # cadres -> social workers
    enterprise_link: list[np.ndarray] = field(default_factory=list)  # cadres -> industry

    @staticmethod
    def take(queue: list[np.ndarray]) -> np.ndarray:
        out = np.concatenate(queue) if queue else np.zeros(0, np.int64)
        queue.clear()
        return out


@dataclass
class StepContext:
    """What an organisation may read and act through in one month."""

    config: Config
    county: County
    households: Households
    ctx: MonthContext
    draws: Draws
    budget: Budget
    instruments: Instruments
    monitoring: Monitoring
    referrals: Referrals
    markets: Markets

    @property
    def month(self) -> int:
        return self.ctx.month
