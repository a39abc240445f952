"""Invariants over random parameters and seeds (hypothesis)."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from abm.config import load_config
from abm.households import COLUMNS, INCOME_COLUMNS
from abm.model import CountyModel

params = st.fixed_dictionaries({
    "health.p_acute": st.floats(0.0, 0.1),
    "health.cost_acute_yuan": st.floats(0.0, 200_000.0),
    "economy.p_job_loss": st.floats(0.0, 0.2),
    "economy.price_sigma": st.floats(0.0, 0.5),
    "economy.remit_share": st.floats(0.0, 1.0),
    "spending.mpc": st.floats(0.0, 1.5),
    "policy.support.per_capita": st.floats(0.0, 5000.0),
    "policy.medical_cap.enabled": st.booleans(),
    "policy.medical_cap.cap_yuan": st.floats(0.0, 20_000.0),
    "policy.public_posts.quota_per_1000": st.floats(0.0, 200.0),
    "policy.monitoring.township_criteria_spread": st.floats(0.0, 1.0),
    "policy.monitoring.pressure_exit": st.floats(0.0, 1.0),
    "assessment.weight_paperwork": st.floats(0.0, 1.0),
    "implementers.registered_per_cadre": st.floats(1.0, 500.0),
    "industry.margin": st.floats(-0.2, 0.3),
    "shocks.p_disaster_village_year": st.floats(0.0, 1.0),
    "shocks.epidemic.dur_months": st.integers(0, 12),
    "shocks.epidemic.start_year": st.integers(2020, 2022),
    "policy.transition_end_year": st.integers(2020, 2023),
    "policy.withdrawal_months": st.integers(0, 12),
    "population.p_registered_poor": st.floats(0.0, 1.0),
    "county.n_townships": st.integers(1, 4),
    "county.villages_per_township": st.integers(1, 6),
    "policy.microcredit.enabled": st.booleans(),
    "policy.microcredit.p_take_up": st.floats(0.0, 1.0),
    "policy.microcredit.p_venture_failure": st.floats(0.0, 1.0),
    "policy.microcredit.term_months": st.integers(1, 12),
    "policy.microcredit.subsidy_share": st.floats(0.0, 1.0),
    "behaviour.p_leave_school": st.floats(0.0, 1.0),
    "behaviour.p_back_to_school": st.floats(0.0, 1.0),
    "implementers.exit_rush": st.floats(0.0, 1.0),
    "implementers.fatigue_per_paperwork": st.floats(0.0, 1.0),
})


# A quiet county (most of the drawn parameters at their lowest) in which the failing
# cases below were found; each example changes what its case needs.
QUIET = {
    **{k: 0.0 for k in ("health.cost_acute_yuan", "economy.p_job_loss",
                        "economy.price_sigma", "economy.remit_share", "spending.mpc",
                        "policy.support.per_capita", "policy.medical_cap.cap_yuan",
                        "policy.public_posts.quota_per_1000",
                        "policy.monitoring.township_criteria_spread",
                        "policy.monitoring.pressure_exit", "assessment.weight_paperwork",
                        "industry.margin", "shocks.p_disaster_village_year",
                        "population.p_registered_poor", "policy.microcredit.p_take_up",
                        "policy.microcredit.p_venture_failure",
                        "policy.microcredit.subsidy_share", "implementers.exit_rush",
                        "implementers.fatigue_per_paperwork")},
    "health.p_acute": 0.0625, "policy.medical_cap.enabled": False,
    "implementers.registered_per_cadre": 1.0, "shocks.epidemic.dur_months": 0,
    "shocks.epidemic.start_year": 2020, "policy.transition_end_year": 2020,
    "policy.withdrawal_months": 0, "county.n_townships": 1,
    "county.villages_per_township": 1, "policy.microcredit.enabled": False,
    "policy.microcredit.term_months": 1, "behaviour.p_leave_school": 0.03,
    "behaviour.p_back_to_school": 0.2,
}


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=params, seed=st.integers(0, 2**32), n=st.integers(1, 300))
# Found in CI: a school leaver going back left more migrants than workers.
@example(p={**QUIET, "implementers.exit_rush": 0.5,
            "implementers.fatigue_per_paperwork": 0.05}, seed=0, n=163)
# Found by a longer local run: a school leaver whose household lost its only worker to
# illness or age that month went back to school from minus one workers.
@example(p={**QUIET, "health.cost_acute_yuan": 8129.0, "county.n_townships": 3,
            "behaviour.p_leave_school": 0.75, "behaviour.p_back_to_school": 0.5},
         seed=129, n=250)
def test_invariants_hold_every_month(p, seed, n):
    sets = [f"{k}={v}" for k, v in p.items()]
    cfg = load_config(None, sets, seed=seed, households=n, months=30)
    model = CountyModel(cfg)
    hh = model.households
    for _ in range(30):
        wealth = hh.savings - hh.debt
        model.step()
        # each household's money is accounted for: income - spending = change in wealth,
        # but for the principal of a failed venture's loan (capital lost, repaid or owed),
        # the proceeds of assets sold in distress (land turned into money) and savings
        # invested in starting a household business (money turned into a business)
        flow = (hh.income_m() - hh.spending_m() - hh.loan_repaid_m + hh.asset_proceeds_m
                - hh.business_invested_m)
        np.testing.assert_allclose(hh.savings - hh.debt - wealth, flow, rtol=1e-9, atol=1e-6)
        assert (hh.savings >= 0).all() and (hh.debt >= 0).all()
        for name in COLUMNS:
            col = getattr(hh, name)
            if col.dtype.kind == "f":
                assert np.isfinite(col).all(), name
        for name in INCOME_COLUMNS:
            assert (getattr(hh, name) >= 0).all(), name
        assert (hh.n_labour >= 0).all() and (hh.n_migrants >= 0).all()
        assert (hh.n_migrants + hh.n_jobless <= np.maximum(hh.n_labour, 0)).all()
        # school leavers are workers, counted once each
        assert (hh.n_school_leavers >= 0).all() and (hh.n_children >= 0).all()
        assert (hh.n_school_leavers <= np.maximum(hh.n_labour, 0)).all()
        assert (hh.size >= 1).all()
        assert (hh.size >= hh.n_children + hh.n_elderly + hh.n_labour).all()
        assert ((hh.motivation >= 0) & (hh.motivation <= 1)).all()
        assert ((hh.skills >= 0) & (hh.skills <= 1)).all()
        assert (hh.losses >= 0).all()
        assert hh.poor.sum() == model.metrics["n_poor"]
        # monitoring categories are exclusive and only monitored households have one
        assert ((hh.category > 0) == hh.monitored).all()
        assert set(np.unique(hh.category)) <= {0, 1, 2, 3}
        # no bounded budget line spends more than its allocation
        for name, line in model.budget.lines.items():
            assert line.spent <= line.allocated + 1e-6, name
    ts = model.timeseries()
    assert not ts.isna().any().any()
    for col in ts.columns:
        if col.startswith(("share_", "poverty_rate", "mean_")):
            assert ts[col].between(0, 1).all(), col
    ev = model.events()
    # every household that is poor now and was not at the start had an event into poverty
    assert set(ev["event"].unique()) <= {"fell_into_poverty", "returned_to_poverty",
                                         "exited_poverty", "monitored", "risk_eliminated"}
    into = ev["event"].isin(["fell_into_poverty", "returned_to_poverty", "monitored"])
    assert (ev.loc[into, "cause"] != "").all()
    assert (ev.loc[~into, "cause"] == "").all()
