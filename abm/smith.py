"""Smith's four implementation factors, measured each month from what agents did.

No factor is a parameter: each indicator below is computed from household states,
implementer actions and money flows, as a field researcher would measure it.
Prefixes: ``smith_policy_`` (idealized policy), ``smith_org_`` (implementing
organisation), ``smith_target_`` (target group), ``smith_env_`` (environment).
All values are finite; a rate with no denominator yet is 0. ``measure`` is pure: the
running sums some indicators need (trends, help by payer) live in the model's
:class:`~abm.results.Tally`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from abm.agents.implementer import Channel
from abm.households.state import CAUSE_INDEX

if TYPE_CHECKING:
    from abm.model import CountyModel


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def _mean(xs: list[int]) -> float:
    return float(np.mean(xs)) if xs else 0.0


def target_group(hh) -> np.ndarray:
    """Households the target-group measures are about: registered or monitored."""
    return hh.registered | hh.monitored


def target_motivation(hh) -> float:
    eligible = target_group(hh)
    return float(hh.motivation[eligible].mean()) if eligible.any() else 0.0


def household_pass(model: CountyModel, income: np.ndarray | None = None) -> tuple:
    """The household counts and selections the measures read, in one compiled pass
    (``abm.kernels.smith_pass``: ``counts, help_sel, gap_sel, psych``)."""
    from abm import kernels  # (not at import: the config needs no numba)

    hh = model.households
    # (the reliance rule, abm.rules.reliant_on_transfers, read household by household)
    return kernels.smith_pass(
        hh.at_risk, hh.monitored, hh.registered, hh.coop, hh.health_literate, hh.n_labour,
        float(model.config.behaviour.reliance_help_share),
        hh.income_m() if income is None else income, hh.sp_medical_m, hh.help_m, hh.size,
        model.ctx.poverty_line / 12.0, hh.psych_distress)


def measure(model: CountyModel, income: np.ndarray | None = None,
            passed: Callable[[], tuple] | None = None) -> dict[str, float]:
    """This month's Smith measures. ``passed``: a getter of :func:`household_pass` for
    this month, when the caller started it already (``abm.parallel.later``)."""
    hh = model.households
    imp = model.implementation
    tally = model.tally
    cfg = model.config
    window = cfg.measures.delay_window_cases
    out: dict[str, float] = {}
    # The household counts and selections, in one compiled pass (``counts``); the sums
    # and means stay numpy's, over the same arrays.
    counts, help_sel, gap_sel, psych = (household_pass(model, income) if passed is None
                                        else passed())
    (n_risk, n_mon, n_both, n_risk_only, n_mon_only, n_elig, n_coop, n_literate, n_able,
     n_reliant, n_gap) = (int(c) for c in counts)

    # -- idealized policy: does the rule as applied reach the right households?
    out["smith_policy_coverage"] = _ratio(n_both, n_risk)
    out["smith_policy_exclusion_error"] = _ratio(n_risk_only, n_risk)
    out["smith_policy_inclusion_error"] = _ratio(n_mon_only, n_mon)
    out["smith_policy_adequacy"] = _ratio(help_sel[:n_gap].sum(), gap_sel[:n_gap].sum())
    # of the last 12 months' acute episodes, those whose household could not pay its
    # expected share from savings (and so put care off more often)
    out["smith_policy_care_unaffordable"] = _ratio(sum(u for _, u in hh.care_log),
                                                   sum(e for e, _ in hh.care_log))
    mult = np.array([t.inclusion_multiple for t in model.township_offices])
    out["smith_policy_threshold_spread"] = float(mult.std() / mult.mean()) if (
        mult.size and mult.mean() > 0) else 0.0

    # -- implementing organisation: speed, load, time use, money, exits
    out["smith_org_months_to_monitoring"] = _mean(imp.delay_to_monitor[-window:])
    out["smith_org_months_to_help"] = _mean(imp.delay_to_help[-window:])
    # The teams' numbers (``TeamStore``), added team by team as Python adds them.
    teams = model.teams
    cadres = sum(teams.n_cadres.tolist())
    out["smith_org_caseload_per_cadre"] = _ratio(n_mon, cadres)
    hours = sum(teams.hours.tolist())
    out["smith_org_paperwork_share"] = _ratio(sum(teams.paper_hours.tolist()), hours)
    out["smith_org_visits_per_100_households"] = 100.0 * _ratio(
        sum(teams.visits.tolist()), hh.n)
    months_in_year = model.month % 12 + 1
    out["smith_org_fund_execution"] = min(
        1.5, model.budget.execution() * 12.0 / months_in_year)
    out["smith_org_premature_exit_returns"] = _ratio(imp.n_premature_returns, imp.n_exits)
    out["smith_org_help_fitted"] = _ratio(imp.n_diagnosed, imp.n_bundles)
    n_teams = len(model.village_teams)
    out["smith_org_team_months_in_village"] = _ratio(sum(teams.tenure.tolist()), n_teams)
    out["smith_org_team_fatigue"] = _ratio(sum(teams.fatigue.tolist()), n_teams)
    out["smith_org_months_to_exit"] = imp.mean_months_to_exit(
        model.config.policy.monitoring)
    out["smith_org_found_by_visits"] = _ratio(imp.n_included_by[Channel.CADRE_VISIT],
                                              imp.n_included)
    clinics = model.social.clinics
    out["smith_org_contracts_served"] = _ratio(sum(c.served for c in clinics),
                                               sum(c.contracts for c in clinics))

    # -- target group: take-up, participation, motivation, self-reporting, reliance
    training = model.instruments["training"]
    out["smith_target_self_report_share"] = _ratio(
        imp.n_included_by[Channel.SELF_APPLICATION], imp.n_included)
    out["smith_target_training_takeup"] = _ratio(training.trained, training.invited)
    out["smith_target_coop_participation"] = _ratio(n_coop, n_elig)
    mot = tally.motivation[-1] if tally.motivation else target_motivation(hh)
    out["smith_target_motivation"] = mot
    past = tally.motivation[-13] if len(tally.motivation) > 12 else (
        tally.motivation[0] if tally.motivation else mot)
    out["smith_target_motivation_trend"] = mot - past
    out["smith_target_health_literacy"] = _ratio(n_literate, n_elig)
    out["smith_target_psych_distress"] = float(psych[:n_elig].mean()) if n_elig else 0.0
    out["smith_target_transfer_reliance"] = _ratio(n_reliant, n_able)

    # -- environment: shocks, concentration, social sector, clinics
    booked = hh.booked_month
    per_hh = 1.0 / max(hh.n, 1)
    out["smith_env_loss_market_m"] = float(booked[CAUSE_INDEX["market"]]) * per_hh
    out["smith_env_loss_epidemic_m"] = float(booked[CAUSE_INDEX["epidemic"]]) * per_hh
    out["smith_env_loss_disaster_m"] = float(booked[CAUSE_INDEX["disaster"]]) * per_hh
    out["smith_env_loss_illness_m"] = float(booked[CAUSE_INDEX["illness"]]) * per_hh
    out["smith_env_industry_concentration"] = model.industry.concentration()
    out["smith_env_social_share_of_help"] = _ratio(tally.help_social, tally.help_total)
    out["smith_env_clinic_access"] = float(hh.clinic_access.mean()) if hh.n else 0.0
    out["smith_env_enterprises_alive"] = float(len(model.industry.alive()))
    return out
