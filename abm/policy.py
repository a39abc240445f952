"""The idealized policy (Smith): lines, benefits and the calendar, as rules over data.

Everything here reads ``cfg.policy`` and the calendar; nothing here draws random
numbers. Each instrument is a small plug-in described by its config section (switch,
start and end year, share kept after the transition); ``levels`` says how much of each
is in force in a month, and the agents and household phases act on that. The
monitoring inclusion rule is ``abm.agents.household.at_risk_rule``.
"""

from __future__ import annotations

from abm.config import Config, Instrument

# Instrument name -> config attribute of cfg.policy. "medical_extra" is the extra
# reimbursement of registered and monitored households above the general ratio.
INSTRUMENTS = (
    "medical", "medical_extra", "medical_cap", "prevention", "dibao", "support",
    "industrial_support", "public_posts", "training", "employment_help",
    "schooling_subsidy", "consumption_assistance", "epidemic_relief",
)


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


def instrument_level(cfg: Config, inst: Instrument, cal: Calendar, month: int) -> float:
    """Share of an instrument in force in ``month``: 0 outside its years or when off;
    1 during the transition; then falling linearly to ``kept_after_transition`` over
    ``policy.withdrawal_months``."""
    year = cal.year(month)
    if not inst.enabled or year < inst.start_year or year > inst.end_year:
        return 0.0
    end_month = cal.month_of(cfg.policy.transition_end_year + 1)
    if month < end_month:
        return 1.0
    kept = inst.kept_after_transition
    w = cfg.policy.withdrawal_months
    if w == 0:
        return kept
    frac = min(1.0, (month - end_month + 1) / w)
    return 1.0 - frac * (1.0 - kept)


def levels(cfg: Config, cal: Calendar, month: int) -> dict[str, float]:
    """Every instrument's level in ``month``."""
    p = cfg.policy
    out = {}
    for name in INSTRUMENTS:
        if name == "medical":
            out[name] = 1.0 if p.medical.enabled else 0.0  # basic insurance is never withdrawn
        elif name == "medical_extra":
            out[name] = instrument_level(cfg, p.medical, cal, month)
        else:
            out[name] = instrument_level(cfg, getattr(p, name), cal, month)
    return out


def wage_index(cfg: Config, cal: Calendar, month: int) -> float:
    """Level of wages and farm returns relative to January 2021."""
    return (1.0 + cfg.economy.wage_growth_year) ** cal.years_since(month, 2021)


def allocations(cfg: Config, n_households: int, lv: dict[str, float],
                registered_persons: float, covered_children: float) -> dict[str, float]:
    """Yearly allocations of the bounded budget lines as the policy writes them, from the
    county's size and its rosters (registered persons, children of registered and
    monitored households). Yuan per year."""
    p = cfg.policy
    n = n_households
    s = cfg.social
    alloc = {
        "support": p.support.per_capita * registered_persons * lv["support"],
        "industrial_support": p.industrial_support.fund_per_household * n
        * lv["industrial_support"],
        "public_posts": p.public_posts.quota_per_1000 * n / 1000.0 * p.public_posts.wage_month
        * 12 * lv["public_posts"],
        "training": p.training.seats_per_1000 * n / 1000.0 * p.training.cost_per_seat
        * lv["training"],
        "employment_help": 0.02 * n * p.employment_help.cost_per_placement
        * lv["employment_help"],
        "schooling_subsidy": p.schooling_subsidy.per_child * covered_children
        * lv["schooling_subsidy"],
        "consumption_assistance": p.consumption_assistance.budget_per_household * n
        * lv["consumption_assistance"],
        "epidemic_relief": p.epidemic_relief.per_household_month * 0.05 * n * 6
        * lv["epidemic_relief"],
        "medical_cap": p.medical_cap.budget_per_household * n * lv["medical_cap"],
        "prevention": p.prevention.cost_per_contract * p.prevention.coverage * 0.2 * n
        * lv["prevention"],
        "charity": s.charity_per_household * n,
        "social_work": s.social_workers_per_10k * n / 10_000 * s.caseload_per_worker
        * s.cost_per_case_month * 12,
    }
    return alloc
