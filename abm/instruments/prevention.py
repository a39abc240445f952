"""Family-doctor contracts and health management for chronic patients, and the
clinics' psychological counselling. The township clinics (``abm.agents.social.Clinic``)
sign the contracts each January within the line; a covered chronic household runs a
lower acute risk. Counselling reaches households within a clinic's reach and makes
psychological distress fade faster (``abm.households.learning.psych``)."""

from __future__ import annotations

import numpy as np

from abm import rules
from abm.instruments.base import BudgetLine, Instrument
from abm.params import ASSUMPTION, InstrumentConfig, P


class PreventionConfig(InstrumentConfig):
    """Family-doctor contracts and health management for chronic patients."""

    coverage: float = P(0.5, unit="share", doc="Share of chronic households with a contract "
                        "(limited by clinic capacity)", ge=0, le=1, source=ASSUMPTION)
    rel_acute: float = P(0.8, unit="multiplier", doc="Acute risk of a covered chronic "
                         "household relative to an uncovered one", ge=0, le=1, source=ASSUMPTION)
    cost_per_contract: float = P(120.0, unit="yuan/year", doc="Cost per contract to the "
                                 "county", ge=0, le=100_000, source=ASSUMPTION)
    counselling_reach: float = P(0.3, unit="share", doc="Chance a month that the township "
                                 "clinic's psychological counselling (part of the family-doctor "
                                 "teams' work) reaches a household within its reach; treated "
                                 "distress fades faster (behaviour.psych_treatment_gain)",
                                 ge=0, le=1, source=ASSUMPTION)
    budget_chronic_share: float = P(0.2, unit="share of households", doc="Share of "
                                    "households the county budgets contracts for (its "
                                    "estimate of the chronic share)", ge=0, le=1,
                                    source=ASSUMPTION)


class Prevention(Instrument):
    name = "prevention"
    order = 6
    label = "family-doctor contracts / 家庭医生签约服务"
    Config = PreventionConfig
    lines = (BudgetLine("prevention", "county_health_bureau", "service"),)
    # As designed: a family doctor for every chronic patient (the contracts' aim for key
    # groups), budgeted for the county's whole chronic caseload, and counselling in reach.
    ideal = {"coverage": 1.0, "budget_chronic_share": 1.0, "counselling_reach": 1.0}

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        p = self.p
        return {"prevention": p.cost_per_contract * p.coverage * p.budget_chronic_share
                * hh.n * level}

    def priority(self, hh) -> np.ndarray:
        """Who the clinics sign first: registered and monitored patients."""
        return hh.registered | hh.monitored

    def counselling(self, hh, ctx) -> np.ndarray:
        """This month's chance that each household is reached by the clinics'
        counselling (its access to a clinic x the counselling's reach)."""
        return hh.clinic_access * self.counselling_reach(ctx)

    def counselling_reach(self, ctx) -> float:
        """The factor ``counselling`` applies to each household's clinic access this
        month: the counselling's reach x this month's level."""
        return self.p.counselling_reach * ctx.levels[self.name]

    def acute_risk(self, hh, ctx, rel: np.ndarray) -> np.ndarray:
        """A covered chronic household's acute risk falls to ``rel_acute``; one without
        basic health literacy gets only ``behaviour.adherence_illiterate`` of that fall,
        one with little drive less again (``abm.rules.health_drive``: it follows the
        management less)."""
        b = self.cfg.behaviour
        if np.ndim(rel) != 1 or np.shape(rel) != hh.chronic.shape or not (
                hh.motivation.dtype == np.float64 and hh.doctor_contract.dtype == np.bool_
                and hh.chronic.dtype == np.bool_):  # not one per household, as the model
            covered = hh.doctor_contract & hh.chronic
            cut = (1.0 - self.p.rel_acute) * rules.adherence(hh, b)
            return rel * np.where(covered, 1.0 - cut, 1.0)
        from abm import kernels  # (not at import: the config needs no numba)

        # the same, in one compiled pass (the drive and who is covered read in it)
        return kernels.acute_rel(np.asarray(rel, dtype=np.float64), hh.health_literate,
                                 hh.doctor_contract, hh.chronic, hh.motivation,
                                 float(b.adherence_illiterate), float(1.0 - self.p.rel_acute),
                                 float(b.health_drive_motivation),
                                 float(b.motivation_reference))
