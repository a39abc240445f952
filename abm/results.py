"""Declared results: every series ``timeseries.parquet`` holds, declared once with its
name, unit, label, dtype and factor (in the spirit of Starsim's ``define_results``).

``measure(model, codes, causes)`` collects one month's values from the pure measure
functions (``abm.metrics``, ``abm.smith`` and the instruments' ``measure`` hooks) in the
declared order, and refuses a value nobody declared. Running totals that some results
need (returns so far, the motivation history, help by payer) live in the model's
:class:`Tally`, updated once a month by the status phase; measuring twice changes
nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from abm.model import CountyModel


@dataclass(frozen=True)
class Result:
    """One output series."""

    name: str
    unit: str
    label: str
    dtype: str = "float64"  # int64 for counts
    factor: str = ""  # Smith factor (policy, org, target, env) or "" for the others
    better: str = ""  # "higher" or "lower" when the direction is clear, else ""

    def __post_init__(self) -> None:
        if self.dtype not in ("float64", "int64"):
            raise ValueError(f"result {self.name}: dtype must be float64 or int64")


def _count(name: str, label: str, unit: str = "households") -> Result:
    return Result(name, unit, label, "int64")


def _core() -> list[Result]:
    from abm.budget import declared_lines
    from abm.households.state import RETURN_CAUSES
    from abm.metrics import MONITORED_CATEGORIES

    r = [
        _count("month", "model month (0 = January of the start year)", "month"),
        _count("year", "calendar year", "year"),
        Result("poverty_line", "yuan/person/year", "poverty line in force"),
        Result("price_index", "index", "farm price index, weighted by villages"),
        _count("n_households", "households"),
        Result("n_persons", "persons", "persons"),
        _count("n_poor", "poor households"),
        Result("poverty_rate", "share of households", "poverty rate", better="lower"),
        Result("poverty_rate_persons", "share of persons", "poverty rate (persons)",
               better="lower"),
        _count("n_registered", "households registered poor in 2014-2020"),
        _count("n_poor_registered", "poor registered households"),
        Result("poverty_rate_registered", "share of registered households",
               "poverty rate of registered households", better="lower"),
        _count("new_fell_into_poverty", "households falling into poverty this month"),
        _count("new_returned_to_poverty", "households returning to poverty this month"),
        _count("new_exited_poverty", "households leaving poverty this month"),
        _count("new_monitored", "households included in monitoring this month"),
        _count("new_risk_eliminated", "households whose risk was declared eliminated"),
    ]
    r += [_count(f"new_returned_{c}", f"returns to poverty this month, cause {c}")
          for c in RETURN_CAUSES]
    r += [
        _count("cum_returned_to_poverty", "returns to poverty since month 0"),
        _count("cum_returned_census", "returns to poverty found by the year-end censuses "
               "since month 0 (poor in December, not poor the December before, had left "
               "poverty)"),
        _count("cum_returned_census_income", "returns to poverty found by the year-end "
               "censuses on income alone since month 0 (income per person over the year, "
               "before medical bills, below the line in December, not the December "
               "before, had left poverty)"),
        _count("cum_returned_census_income_registered", "of those, registered "
               "(lifted-out) households"),
        Result("income_pc", "yuan/person/year", "income per person (this month x 12)"),
        Result("cpi", "index", "consumer prices (January 2021 = 1)"),
        Result("income_pc_real", "yuan/person/year, 2021 prices", "income per person in "
               "2021 prices"),
        Result("poverty_line_real", "yuan/person/year, 2021 prices", "poverty line in 2021 "
               "prices"),
        Result("income_pc_wages", "yuan/person/year", "wages per person"),
        Result("income_pc_business", "yuan/person/year", "net farm and business income "
               "per person"),
        Result("income_pc_property", "yuan/person/year", "property income per person"),
        Result("income_pc_remittances", "yuan/person/year", "remittances per person"),
        Result("income_pc_public_transfers", "yuan/person/year", "public transfers per "
               "person"),
        Result("share_wages", "share of income", "wages' share of income"),
        Result("share_business", "share of income", "business share of income"),
        Result("share_property", "share of income", "property share of income"),
        Result("share_transfers", "share of income", "transfers' share of income "
               "(remittances and public)"),
        Result("income_pc_registered", "yuan/person/year", "income per person of "
               "registered households"),
        Result("disposable_income_pc_median", "yuan/person/year", "median 12-month "
               "disposable income per person"),
        Result("mean_motivation", "0-1", "mean motivation"),
        Result("mean_skills", "0-1", "mean skills"),
        Result("share_workers_migrant", "share of workers", "workers working away"),
        Result("share_wage_workers_away_registered", "share of wage workers", "registered "
               "households' wage workers working outside the county (migrants against "
               "migrants and local wage workers)"),
        _count("n_jobless_migrants", "migrants home after a job loss", "persons"),
        Result("share_chronic", "share of households", "households with a chronic patient"),
        Result("share_disability", "share of households", "households with a disabled "
               "member"),
        Result("share_sick_workers", "share of households", "households with a worker too "
               "sick to work"),
        Result("savings_median", "yuan", "median savings"),
        Result("share_in_debt", "share of households", "households in debt"),
        Result("share_land_let", "share of land", "contracted farmland let for the year "
               "(land rental)"),
        Result("share_letting_land", "share of households", "households letting land"),
        _count("n_at_risk", "households meeting the monitoring rule"),
        _count("n_monitored", "households in monitoring"),
    ]
    r += [_count(f"n_monitored_{name}", f"monitored households, category {name}")
          for _, name in MONITORED_CATEGORIES]
    r += [
        _count("n_in_posts", "households holding a public-welfare post"),
        _count("n_dibao", "households in the dibao"),
        _count("n_coop_members", "households linked to an enterprise"),
        _count("n_enterprise_jobs", "households with an enterprise job"),
        _count("n_businesses", "households running a small business"),
        _count("n_school_leavers", "children out of school working (they left under "
               "debt before help came, and have not gone back)", "persons"),
        _count("cum_left_school", "children taken out of school to work since month 0",
               "persons"),
    ]
    r += [Result(f"spent_{line.name}_m", "yuan/month", f"spent this month on "
                 f"{line.name.replace('_', ' ')} (payer: {line.payer})")
          for line in declared_lines()]
    r += [
        Result("help_m", "yuan/month", "targeted help received by households"),
        Result("medical_cost_m", "yuan/month", "medical costs before reimbursement"),
        Result("medical_oop_m", "yuan/month", "out-of-pocket medical spending"),
        Result("medical_reimbursed_m", "yuan/month", "medical costs reimbursed"),
        Result("public_transfers_m", "yuan/month", "public transfers received"),
        Result("consumption_m", "yuan/month", "consumption spending (but medical and "
               "schooling)"),
        Result("schooling_m", "yuan/month", "schooling spending"),
    ]
    return r


def _smith() -> list[Result]:
    def s(name, unit, label, better=""):
        factor = name.split("_")[1]
        return Result(name, unit, label, factor=factor, better=better)

    return [
        s("smith_policy_coverage", "share", "at-risk households in monitoring", "higher"),
        s("smith_policy_exclusion_error", "share", "at-risk households not in monitoring",
          "lower"),
        s("smith_policy_inclusion_error", "share", "monitored households not at risk",
          "lower"),
        s("smith_policy_adequacy", "share", "share of monitored households' shortfall "
          "that help closes", "higher"),
        s("smith_policy_care_unaffordable", "share", "acute episodes of the last 12 months "
          "whose household could not pay its expected share of the bill from savings",
          "lower"),
        s("smith_policy_threshold_spread", "coefficient of variation", "spread of the "
          "inclusion lines townships apply", "lower"),
        s("smith_org_months_to_monitoring", "months", "months from falling into risk to "
          "monitoring (recent cases)", "lower"),
        s("smith_org_months_to_help", "months", "months from falling into risk to the "
          "first help (recent cases)", "lower"),
        s("smith_org_caseload_per_cadre", "households", "monitored households per cadre"),
        s("smith_org_paperwork_share", "share of hours", "cadre hours on paperwork",
          "lower"),
        s("smith_org_visits_per_100_households", "visits", "home visits this month per "
          "100 households", "higher"),
        s("smith_org_fund_execution", "share", "bounded allocations spent, annualised"),
        s("smith_org_premature_exit_returns", "share", "exits back in monitoring within "
          "a year", "lower"),
        s("smith_org_found_by_visits", "share", "inclusions found by cadre visits"),
        s("smith_org_help_fitted", "share", "assistance bundles fitted to the measured "
          "cause of the risk", "higher"),
        s("smith_org_team_months_in_village", "months", "months the village teams have "
          "been in their villages (local knowledge)", "higher"),
        s("smith_org_team_fatigue", "0-1", "mean fatigue of the village teams (paperwork "
          "tires; a tired team recognises less of the risk it sees)", "lower"),
        s("smith_org_months_to_exit", "months", "stable months the village teams wait "
          "before proposing an exit (fewer under pressure to show exits)", "higher"),
        s("smith_org_contracts_served", "share", "family-doctor contracts signed this "
          "year that the clinics' doctors serve (the rest on paper)", "higher"),
        s("smith_target_self_report_share", "share", "inclusions by self-application"),
        s("smith_target_training_takeup", "share", "invited trainees who attended",
          "higher"),
        s("smith_target_coop_participation", "share", "registered or monitored households "
          "linked to an enterprise", "higher"),
        s("smith_target_motivation", "0-1", "mean motivation of registered or monitored "
          "households", "higher"),
        s("smith_target_motivation_trend", "per year", "change of that motivation over 12 "
          "months", "higher"),
        s("smith_target_health_literacy", "share", "registered or monitored households with "
          "basic health literacy", "higher"),
        s("smith_target_psych_distress", "0-1", "mean psychological distress of registered "
          "or monitored households", "lower"),
        s("smith_target_transfer_reliance", "share", "able registered or monitored "
          "households living mostly on help", "lower"),
        s("smith_env_loss_market_m", "yuan/household/month", "income lost to farm prices",
          "lower"),
        s("smith_env_loss_epidemic_m", "yuan/household/month", "income lost to the "
          "epidemic", "lower"),
        s("smith_env_loss_disaster_m", "yuan/household/month", "income lost to disasters",
          "lower"),
        s("smith_env_loss_illness_m", "yuan/household/month", "income and money lost to "
          "illness", "lower"),
        s("smith_env_industry_concentration", "Herfindahl index", "concentration of "
          "villages in few sectors", "lower"),
        s("smith_env_social_share_of_help", "share", "help paid by the social sector "
          "since month 0"),
        s("smith_env_clinic_access", "0-1", "mean access to a township clinic", "higher"),
        s("smith_env_enterprises_alive", "enterprises", "enterprises still in business",
          "higher"),
    ]


@cache
def RESULTS() -> tuple[Result, ...]:  # noqa: N802 - a constant, computed once
    """Every declared result, in the order of ``timeseries.parquet``'s columns."""
    from abm.instruments.registry import classes

    out = _core() + _smith()
    for cls in classes():
        out += list(cls.results)
    names = [r.name for r in out]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise RuntimeError(f"results declared twice: {sorted(dup)}")
    return tuple(out)


def by_name() -> dict[str, Result]:
    return {r.name: r for r in RESULTS()}


@dataclass
class Tally:
    """Running totals since month 0, updated once a month (never by a measure)."""

    cum_returned: int = 0
    cum_returned_census: int = 0  # returns found by the year-end censuses
    # the same censuses on income alone (before medical bills), of all households and
    # of the registered
    cum_returned_census_income: int = 0
    cum_returned_census_income_registered: int = 0
    census_poor: np.ndarray | None = None  # poor at the last year-end census
    census_poor_income: np.ndarray | None = None  # income-poor at the last census
    census_left: np.ndarray | None = None  # had left poverty by the last census
    motivation: list[float] = field(default_factory=list)  # target group, by month
    help_total: float = 0.0  # targeted help paid since month 0, yuan
    help_social: float = 0.0  # of which by the social sector

    def census(self, hh, line: float) -> None:
        """The year-end census, as the field counts returns to poverty: once a year, a
        household that had left poverty (registered, or out of poverty before) and is
        poor in December though it was not the December before. A fall within the year
        that help has repaired by December is not a return. The first census compares
        with December 2020 (the model's month -1), taken when recording starts.

        Counted twice: on the model's poverty (income after out-of-pocket medical bills,
        ``hh.poor``: impoverishment by medical spending counts, as where monitoring
        deducts rigid spending) and on income alone (``hh.income_pc_gross_year`` below
        ``line``, the poverty line this month: medical spending not deducted, as income
        statistics count it). The same households "had left poverty" in both."""
        poor_income = hh.income_pc_gross_year < line
        if self.census_poor is not None:
            left = self.census_left
            self.cum_returned_census += int(np.count_nonzero(
                hh.poor & ~self.census_poor & left))
            back = poor_income & ~self.census_poor_income & left
            self.cum_returned_census_income += int(np.count_nonzero(back))
            self.cum_returned_census_income_registered += int(np.count_nonzero(
                back & hh.registered))
        self.census_poor = hh.poor.copy()
        self.census_poor_income = poor_income
        self.census_left = hh.registered | hh.ever_exited

    def update(self, model: CountyModel, codes: np.ndarray) -> None:
        from abm.households.state import Event
        from abm.smith import target_group

        self.cum_returned += int((codes == Event.RETURNED_TO_POVERTY).sum())
        if model.month % 12 == 11:
            self.census(model.households, model.ctx.poverty_line)
        # smith.target_motivation, the target group gathered by index (the same array as
        # by mask, so the same mean; faster)
        hh = model.households
        group = np.flatnonzero(target_group(hh))
        self.motivation.append(float(hh.motivation.take(group).mean()) if group.size
                               else 0.0)
        lines = model.budget.lines
        help_lines = {k: line.spent_month for k, line in lines.items() if line.targeted}
        self.help_total += sum(help_lines.values())
        self.help_social += sum(v for k, v in help_lines.items() if lines[k].social_sector)


def measure(model: CountyModel, codes: np.ndarray,
            causes: np.ndarray | Callable[[], np.ndarray],
            income: np.ndarray | None = None,
            medians: tuple[Callable[[], float], Callable[[], float]] | None = None
            ) -> dict[str, float]:
    """This month's value of every declared result, in declared order (``income``: this
    month's ``hh.income_m()`` when the caller has it already; ``causes``: the primary
    causes of the status phase's events, or a getter of them, and ``medians``, as
    ``metrics.measure``)."""
    from abm import metrics, parallel, smith

    # The Smith measures' household pass on the other thread meanwhile, when the run
    # has two and many households (the metrics only read the households).
    passed = parallel.later(lambda: smith.household_pass(model, income),
                            model.households.n)
    values = metrics.measure(model, codes, causes, income=income, medians=medians)
    values.update(smith.measure(model, income, passed))
    for inst in model.instruments:
        values.update(inst.measure(model))
    declared = RESULTS()
    if len(values) != len(declared):
        extra = sorted(set(values) - {r.name for r in declared})
        if extra:
            raise RuntimeError(f"measured but not declared in abm/results.py: {extra}")
    return {r.name: values[r.name] for r in declared}
