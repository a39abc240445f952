"""Smith's four implementation factors, measured each month from what agents did.

No factor is a parameter: each indicator below is computed from household states,
implementer actions and money flows, as a field researcher would measure it.
Prefixes: ``smith_policy_`` (idealized policy), ``smith_org_`` (implementing
organisation), ``smith_target_`` (target group), ``smith_env_`` (environment).
All values are finite; a rate with no denominator yet is 0.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm.agents.household import CAUSE_INDEX
from abm.budget import SOCIAL_SECTOR

if TYPE_CHECKING:
    from abm.model import CountyModel


def _ratio(a: float, b: float) -> float:
    return float(a) / float(b) if b else 0.0


def _mean(xs: list[int]) -> float:
    return float(np.mean(xs)) if xs else 0.0


class SmithMeter:
    """Keeps the running sums some indicators need (trends, help by payer)."""

    def __init__(self) -> None:
        self.motivation_history: list[float] = []
        self.help_total = 0.0
        self.help_social = 0.0

    def measure(self, model: CountyModel) -> dict[str, float]:
        hh = model.households
        imp = model.implementation
        out: dict[str, float] = {}
        risk = hh.at_risk
        mon = hh.monitored
        n_risk = int(risk.sum())
        n_mon = int(mon.sum())

        # -- idealized policy: does the rule as applied reach the right households?
        out["smith_policy_coverage"] = _ratio((risk & mon).sum(), n_risk)
        out["smith_policy_exclusion_error"] = _ratio((risk & ~mon).sum(), n_risk)
        out["smith_policy_inclusion_error"] = _ratio((mon & ~risk).sum(), n_mon)
        line_m = model.ctx.poverty_line / 12.0 * hh.size
        without = hh.income_m() - hh.sp_medical_m - hh.help_m
        gap = np.maximum(line_m - without, 0.0)
        sel = mon & (gap > 0)
        out["smith_policy_adequacy"] = _ratio(np.minimum(hh.help_m[sel], gap[sel]).sum(),
                                              gap[sel].sum())
        mult = np.array([t.inclusion_multiple for t in model.township_offices])
        out["smith_policy_threshold_spread"] = float(mult.std() / mult.mean()) if (
            mult.size and mult.mean() > 0) else 0.0

        # -- implementing organisation: speed, load, time use, money, exits
        out["smith_org_months_to_monitoring"] = _mean(imp.delay_to_monitor[-500:])
        out["smith_org_months_to_help"] = _mean(imp.delay_to_help[-500:])
        cadres = sum(t.n_cadres for t in model.village_teams)
        out["smith_org_caseload_per_cadre"] = _ratio(n_mon, cadres)
        hours = sum(t.hours for t in model.village_teams)
        out["smith_org_paperwork_share"] = _ratio(
            sum(t.paper_hours for t in model.village_teams), hours)
        out["smith_org_visits_per_100_households"] = 100.0 * _ratio(
            sum(t.visits for t in model.village_teams), hh.n)
        months_in_year = model.month % 12 + 1
        out["smith_org_fund_execution"] = min(
            1.5, model.budget.execution() * 12.0 / months_in_year)
        out["smith_org_premature_exit_returns"] = _ratio(imp.n_premature_returns,
                                                         imp.n_exits)
        out["smith_org_found_by_visits"] = _ratio(imp.n_included_by[2], imp.n_included)

        # -- target group: take-up, participation, motivation, self-reporting, reliance
        out["smith_target_self_report_share"] = _ratio(imp.n_included_by[1], imp.n_included)
        out["smith_target_training_takeup"] = _ratio(imp.trained, imp.invited)
        eligible = hh.registered | mon
        out["smith_target_coop_participation"] = _ratio((eligible & (hh.coop >= 0)).sum(),
                                                        eligible.sum())
        mot = float(hh.motivation[eligible].mean()) if eligible.any() else 0.0
        out["smith_target_motivation"] = mot
        self.motivation_history.append(mot)
        past = self.motivation_history[-13] if len(self.motivation_history) > 12 else (
            self.motivation_history[0])
        out["smith_target_motivation_trend"] = mot - past
        able = eligible & (hh.n_labour > 0)
        reliant = able & (hh.help_m + hh.inc_public_m > 0.5 * np.maximum(hh.income_m(), 1))
        out["smith_target_transfer_reliance"] = _ratio(reliant.sum(), able.sum())

        # -- environment: shocks, concentration, social sector, clinics
        booked = hh.booked_month
        per_hh = 1.0 / max(hh.n, 1)
        out["smith_env_loss_market_m"] = float(booked[CAUSE_INDEX["market"]]) * per_hh
        out["smith_env_loss_epidemic_m"] = float(booked[CAUSE_INDEX["epidemic"]]) * per_hh
        out["smith_env_loss_disaster_m"] = float(booked[CAUSE_INDEX["disaster"]]) * per_hh
        out["smith_env_loss_illness_m"] = float(booked[CAUSE_INDEX["illness"]]) * per_hh
        out["smith_env_industry_concentration"] = model.industry.concentration()
        spent = model.budget.month_by_line()
        help_lines = {k: v for k, v in spent.items()
                      if k not in ("pension", "farm_subsidy", "medical_insurance")}
        self.help_total += sum(help_lines.values())
        self.help_social += sum(v for k, v in help_lines.items() if k in SOCIAL_SECTOR)
        out["smith_env_social_share_of_help"] = _ratio(self.help_social, self.help_total)
        out["smith_env_clinic_access"] = float(hh.clinic_access.mean()) if hh.n else 0.0
        out["smith_env_enterprises_alive"] = float(len(model.industry.alive()))
        return out
