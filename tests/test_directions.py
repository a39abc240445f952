"""Directions the field studies describe, tested over several seeds with paired runs
(common random numbers). Each test asserts the sign of the mean effect and a paired
t statistic above 2 (about two standard errors)."""

from __future__ import annotations

from tests.directions import (
    market_loss,
    mean_delay_to_monitoring,
    paired,
    returns_by,
    returns_total,
    share_of_returns,
    t_stat,
)

SEEDS = range(1, 6)
# Fewer, larger villages (300 households each) so that cadre time binds.
GEO = ["county.n_townships=2", "county.villages_per_township=5"]


def test_medical_expense_cap_lowers_returns_caused_by_illness():
    budget = ["policy.medical_cap.budget_per_household=1000"]
    r = paired(returns_by("illness"), budget, budget + ["policy.medical_cap.enabled=true"],
               SEEDS, months=48)
    fewer = r[:, 0] - r[:, 1]
    assert fewer.mean() > 0, r
    assert t_stat(fewer) > 2, r


def test_more_cadre_visits_shorten_time_to_monitoring():
    r = paired(mean_delay_to_monitoring, GEO + ["implementers.registered_per_cadre=66"],
               GEO + ["implementers.registered_per_cadre=22"], SEEDS, months=36)
    faster = r[:, 0] - r[:, 1]
    assert faster.mean() > 1.0, r  # months
    assert t_stat(faster) > 2, r


def test_assessment_weighted_to_paperwork_lengthens_time_to_monitoring():
    """Paperwork crowds out visits where the assessment also counts traces beyond the
    forms (H County's formalism: a third of the paper score); with the forms alone and
    the baseline's small roll the teams have hours to spare (about 0.05 months)."""
    forms = ["assessment.weight_paperwork=0.9", "assessment.weight_outcomes=0.1",
             "assessment.weight_traces=0.3"]
    outcomes = ["assessment.weight_paperwork=0.1", "assessment.weight_outcomes=0.9",
                "assessment.weight_traces=0.0"]
    r = paired(mean_delay_to_monitoring, GEO + forms, GEO + outcomes, SEEDS, months=36)
    slower = r[:, 0] - r[:, 1]
    assert slower.mean() > 0.5, r
    assert t_stat(slower) > 2, r


def test_withdrawing_transfers_raises_returns_to_poverty():
    early = ["policy.transition_end_year=2021", "policy.withdrawal_months=6"]
    r = paired(returns_total, early + ["policy.support.kept_after_transition=1"],
               early + ["policy.support.kept_after_transition=0"], SEEDS, months=48)
    more = r[:, 1] - r[:, 0]
    assert more.mean() > 0, r
    assert t_stat(more) > 2, r


def test_single_sector_county_loses_more_in_a_price_shock():
    shock = ["shocks.price_shocks=[{sector: livestock, year: 2022, size: -0.6}]"]
    r = paired(market_loss, shock, shock + ["industry.sectors={livestock: 1.0}"], SEEDS,
               months=36)
    more = r[:, 1] - r[:, 0]
    assert more.mean() > 0, r
    assert t_stat(more) > 2, r


def test_causes_follow_policy_withdrawing_support_raises_the_withdrawal_share():
    """Causes are measured by counterfactual, so withdrawing support shows up as such."""
    early = ["policy.transition_end_year=2021", "policy.withdrawal_months=6"]
    r = paired(share_of_returns("policy_withdrawal"),
               early + ["policy.support.kept_after_transition=1"],
               early + ["policy.support.kept_after_transition=0"], SEEDS, months=48)
    more = r[:, 1] - r[:, 0]
    assert more.mean() > 0.1, r
    assert t_stat(more) > 2, r


def test_causes_follow_policy_a_medical_cap_lowers_the_illness_share():
    budget = ["policy.medical_cap.budget_per_household=1000",
              "policy.medical_cap.eligible=all"]
    r = paired(share_of_returns("illness"), budget,
               budget + ["policy.medical_cap.enabled=true"], SEEDS, households=8000,
               months=48)
    fewer = r[:, 0] - r[:, 1]
    assert fewer.mean() > 0.05, r
    assert t_stat(fewer) > 2, r
