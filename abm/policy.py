"""The idealized policy (Smith): lines, benefits and the calendar, as rules over data.

Everything here reads ``cfg.policy`` and the calendar; nothing here draws random
numbers. Instruments say who is eligible and how much they get; the household
phases apply them through named adjustments (e.g. a reimbursement applied to
medical spending).
"""

from __future__ import annotations

import numpy as np

from abm.config import Config


class Calendar:
    """Month index <-> calendar time. Month 0 is January of ``start_year``."""

    def __init__(self, start_year: int):
        self.start_year = start_year

    def year(self, month: int) -> int:
        return self.start_year + month // 12

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
    p = cfg.policy
    return p.dibao_line_per_capita * (1.0 + p.dibao_line_growth) ** max(
        0.0, cal.years_since(month, 2021))


def transition_taper(cfg: Config, cal: Calendar, month: int) -> float:
    """Share of transition-period support still paid in ``month`` (1 during, then to 0)."""
    end_month = (cfg.policy.transition_end_year + 1 - cal.start_year) * 12
    if month < end_month:
        return 1.0
    w = cfg.policy.withdrawal_months
    if w == 0:
        return 0.0
    return max(0.0, 1.0 - (month - end_month + 1) / w)


def reimbursement_ratio(cfg: Config, cal: Calendar, month: int,
                        registered: np.ndarray) -> np.ndarray:
    """Effective share of medical costs paid by insurance and assistance, per household."""
    p = cfg.policy
    taper = transition_taper(cfg, cal, month)
    reg = p.reimbursement_registered_after + taper * (
        p.reimbursement_registered - p.reimbursement_registered_after)
    return np.where(registered, reg, p.reimbursement_general)


def wage_index(cfg: Config, cal: Calendar, month: int) -> float:
    """Level of wages and farm returns relative to January 2021."""
    return (1.0 + cfg.economy.wage_growth_year) ** cal.years_since(month, 2021)
