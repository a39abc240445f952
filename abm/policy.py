"""The idealized policy (Smith): the calendar and the lines that grow with it.

Everything here reads ``cfg.policy`` and the calendar; nothing draws random numbers.
Each instrument's own rules (eligibility, benefits, its level in a month) live in its
module under ``abm/instruments/``; the monitoring inclusion rule is ``abm.rules.at_risk``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from abm.config import Config


class Calendar:
    """Month index <-> calendar time. Month 0 is January of ``start_year``."""

    def __init__(self, start_year: int):
        self.start_year = start_year

    def year(self, month: int) -> int:
        return self.start_year + month // 12

    def month_of(self, year: int, month_of_year: int = 1) -> int:
        """Model month of a calendar month (1-12)."""
        return (year - self.start_year) * 12 + month_of_year - 1

    def years_since(self, month: int, year: int) -> float:
        """Fractional years from 1 January of ``year`` to the middle of ``month``."""
        return self.start_year - year + (month + 0.5) / 12.0


def poverty_line(cfg: Config, cal: Calendar, month: int) -> float:
    """Poverty line (yuan/person/year) in force in ``month``: the 2020 line grown yearly."""
    p = cfg.policy
    return p.poverty_line_2020 * (1.0 + p.poverty_line_growth) ** max(
        0.0, cal.years_since(month, 2020))


def dibao_line(cfg: Config, cal: Calendar, month: int) -> float:
    """Minimum living guarantee line (yuan/person/year) in force in ``month``."""
    d = cfg.policy.dibao
    return d.line_2021 * (1.0 + d.line_growth) ** max(0.0, cal.years_since(month, 2021))


def wage_index(cfg: Config, cal: Calendar, month: int) -> float:
    """Level of wages and farm returns relative to January 2021."""
    return (1.0 + cfg.economy.wage_growth_year) ** cal.years_since(month, 2021)


def levels(cfg: Config, cal: Calendar, month: int) -> dict[str, float]:
    """Every instrument's level in ``month`` (0 off .. 1 in full force)."""
    from abm.instruments.registry import Instruments

    return Instruments(cfg).levels(cal, month)
