"""Unit tests of each household phase on small hand-built populations."""

from __future__ import annotations

import numpy as np
import pytest

from abm import households as H
from abm.config import load_config
from abm.rng import stream
from tests.conftest import make_ctx, make_households

CFG = load_config(None)


def this_month(hh, cause):
    """Loss booked to ``cause`` in the ledger's current month."""
    return hh.losses[H.CAUSE_INDEX[cause], hh.ledger_pos].astype(float)


def test_household_view_reads_and_writes_arrays():
    hh = make_households(3)
    v = hh[1]
    assert v.size == 3 and v.motivation == pytest.approx(0.6)
    v.set(motivation=0.9)
    assert hh.motivation[1] == pytest.approx(0.9)
    assert hh[-1].id == 2
    with pytest.raises(IndexError):
        hh[3]
    with pytest.raises(AttributeError):
        v.set(no_such=1)
    d = v.as_dict()
    assert d["id"] == 1 and set(d["losses"]) == set(H.CAUSES)


def test_health_acute_episode_costs_and_books_illness():
    n = 2000
    hh = make_households(n)
    cfg = load_config(None, ["health.p_acute=1.0", "health.p_sick_is_worker=1.0",
                             "health.dur_acute=1", "health.p_acute_to_disability=0"])
    hh.inc_wage_m[:] = 2000.0
    H.health(hh, cfg, stream(1, "health"), make_ctx(n))
    assert (hh.medical_cost_m > 0).all()
    assert hh.sick_now.all()
    # lost earnings of the sick worker (2000 / 2 workers) booked to illness
    assert this_month(hh, "illness") == pytest.approx(np.full(n, 1000.0))
    episode_cost = hh.acute_cost_m * (hh.acute_left + 1)  # monthly cost x duration
    assert episode_cost.mean() == pytest.approx(cfg.health.cost_acute_yuan, rel=0.1)


def test_health_no_illness_when_rates_zero():
    hh = make_households(50)
    cfg = load_config(None, ["health.p_acute=0", "health.cost_chronic_month=0",
                             "health.cost_outpatient_person_year=0"])
    H.health(hh, cfg, stream(1, "health"), make_ctx(50))
    assert (hh.medical_cost_m == 0).all() and not hh.sick_now.any()


def test_aging_is_spread_over_the_year_and_keeps_sizes_consistent():
    n = 3000
    hh = make_households(n, age_head=58.0, n_elderly=1, size=4)
    cfg = load_config(None, ["health.p_retire_year=0.5", "health.p_elderly_death_year=0.5",
                             "health.p_disability_year=0", "health.p_acute=0"])
    hh.inc_wage_m[:] = 2000.0
    rng = stream(2, "health")
    per_month = []
    for month in range(12, 24):
        hh.new_ledger_month(month)
        labour = hh.n_labour.copy()
        H.health(hh, cfg, rng, make_ctx(n, month=month))
        per_month.append(int((hh.n_labour < labour).sum()))
    assert hh.age_head == pytest.approx(np.full(n, 59.0))
    # workers age out in every month, not all in January (no calendar artefact)
    assert min(per_month) > 0 and max(per_month) < 3 * np.mean(per_month)
    # without disability every member is a child, an elder or a worker
    assert not hh.disability.any()
    assert (hh.size == hh.n_children + hh.n_elderly + hh.n_labour).all()
    assert hh.n_labour.mean() < 2.0 and (hh.n_labour >= 0).all()
    assert hh.size.mean() < 4.0
    assert this_month(hh, "aging").sum() > 0
    # a worker aged out is a loss every month from now on, not once
    retired = hh.lost_aging_m > 0
    assert retired.any()
    hh.new_ledger_month(24)
    H.health(hh, cfg, rng, make_ctx(n, month=24))
    assert (this_month(hh, "aging")[retired] > 0).all()


def test_work_income_sources():
    n = 1000
    hh = make_households(n, n_migrants=1)
    cfg = load_config(None, ["economy.p_job_loss=0", "economy.income_noise_sigma=0"])
    H.work_income(hh, cfg, stream(1, "work"), make_ctx(n))
    e = cfg.economy
    assert hh.inc_remit_m == pytest.approx(np.full(n, e.migrant_wage_month * e.remit_share))
    assert (hh.inc_farm_m > 0).all() and (hh.inc_wage_m > 0).all()
    assert (hh.inc_public_m > 0).all()  # farm subsidy on land


def test_price_drop_books_market_loss_and_cuts_farm_income():
    n = 200
    cfg = load_config(None, ["economy.income_noise_sigma=0"])
    a, b = make_households(n), make_households(n)
    H.work_income(a, cfg, stream(1, "work"), make_ctx(n, farm_price=1.0))
    H.work_income(b, cfg, stream(1, "work"), make_ctx(n, farm_price=0.6))
    assert b.inc_farm_m == pytest.approx(0.6 * a.inc_farm_m)
    assert (this_month(b, "market") > 0).all()
    assert (this_month(a, "market") == 0).all()


def test_withdrawn_support_is_booked_as_policy_withdrawal_every_month_it_is_missing():
    n = 10
    hh = make_households(n, registered=True)
    for month in (60, 61):
        hh.new_ledger_month(month)
        H.work_income(hh, CFG, stream(1, "work"),
                      make_ctx(n, month=month, levels={"support": 0.5},
                               withdrawn={"support": 0.5}))
        # support is 1200/person/year: half of it (50 yuan/person/month) for 3 members
        assert this_month(hh, "policy_withdrawal") == pytest.approx(np.full(n, 150.0))
    assert hh.inc_public_m.min() >= 150.0  # half the support still paid


def test_dibao_tops_up_to_line():
    n = 5
    hh = make_households(n, n_labour=0, n_children=0, n_elderly=3, land=0.0, dibao=True)
    H.work_income(hh, CFG, stream(1, "work"), make_ctx(n))
    line = 5500.0 / 12 * 3
    assert hh.income_m() == pytest.approx(np.full(n, line))


def test_spending_accounts_for_every_yuan():
    n = 500
    hh = make_households(n, savings=1000.0, debt=500.0)
    rng = np.random.default_rng(0)
    hh.inc_wage_m[:] = rng.uniform(0, 5000, n)
    hh.medical_cost_m[:] = rng.uniform(0, 20000, n)
    hh.net_sum[:] = 12 * 2000.0
    before = hh.savings - hh.debt
    H.spending(hh, CFG, make_ctx(n))
    assert hh.savings - hh.debt - before == pytest.approx(hh.income_m() - hh.spending_m())
    assert (hh.savings >= 0).all() and (hh.debt >= 0).all()
    ratio = CFG.policy.medical.reimbursement_general
    assert hh.sp_medical_m == pytest.approx(hh.medical_cost_m * (1 - ratio))
    assert hh.reimbursed_m + hh.sp_medical_m == pytest.approx(hh.medical_cost_m)


def test_learning_pulls_motivation_towards_neighbours():
    import scipy.sparse as sp

    hh = make_households(2)
    hh.motivation[:] = [0.2, 0.8]
    adj = sp.csr_matrix(np.array([[0, 1.0], [1.0, 0]]))
    hh.net_sum[:] = 12 * 100.0
    hh.inc_wage_m[:] = 100.0
    H.learning(hh, CFG, adj, np.array([True, True]))
    assert hh.motivation[0] > 0.2 and hh.motivation[1] < 0.8


def test_shock_lowers_motivation():
    import scipy.sparse as sp

    hh = make_households(2)
    hh.net_sum[:] = 1200.0
    hh.inc_wage_m[:] = 100.0
    hh.sick_now[:] = [True, False]
    H.learning(hh, CFG, sp.csr_matrix((2, 2)), np.array([False, False]))
    assert hh.motivation[0] < hh.motivation[1]


def test_decisions_migration_respects_labour():
    n = 4000
    hh = make_households(n, n_labour=1)
    cfg = load_config(None, ["economy.p_start_migrating=1", "economy.p_return_migrant=0"])
    H.decisions(hh, cfg, stream(1, "decisions"), make_ctx(n))
    assert (hh.n_migrants <= hh.n_labour).all()
    assert hh.n_migrants.mean() > 0.5
    hh2 = make_households(n, n_labour=0)
    H.decisions(hh2, cfg, stream(1, "decisions"), make_ctx(n))
    assert (hh2.n_migrants == 0).all()


def test_status_events_and_measured_cause():
    n = 3
    hh = make_households(n, size=1)
    hh.poor[:] = [False, True, False]
    hh.ever_exited[:] = [True, False, False]
    hh.net_hist[:] = 1000.0  # 12 000 a year
    hh.net_sum[:] = 12000.0
    hh.hist_filled = 12
    hh.book("illness", np.array([500.0, 0, 10.0]))
    hh.book("market", np.array([100.0, 0, 20.0]))
    hh.inc_wage_m[:] = [-5000.0, 1000.0, -5000.0]  # drop this month
    who, codes, causes, causes2 = H.status(hh, CFG, make_ctx(n, poverty_line=7000.0))
    got = {int(w): (H.EVENTS[c], cz, c2)
           for w, c, cz, c2 in zip(who, codes, causes, causes2, strict=True)}
    assert got[0] == ("returned_to_poverty", "illness", "market")
    assert got[2] == ("fell_into_poverty", "market", "illness")
    assert got[1] == ("exited_poverty", "", "")  # 12 000 a year is above the line
    assert hh.ever_exited[1] and hh.poor.tolist() == [True, False, True]


def _ledger(hh, month, **flows):
    """Book the same monthly flows for months month-23 .. month (two years)."""
    for m in range(month - 23, month + 1):
        hh.new_ledger_month(m)
        for cause, (before, now) in flows.items():
            hh.book(cause, np.asarray(now if m > month - 12 else before, float))


def test_counterfactual_cause_a_lost_transfer_beats_an_ordinary_illness():
    """A household that loses support and has its usual (chronic) illness costs is a
    withdrawal case; a new, larger illness makes it an illness case; a household whose
    income stood still while the line rose fell through low income."""
    hh = make_households(4, size=3)
    _ledger(hh, 70,
            illness=([300.0, 300.0, 300.0, 0.0], [300.0, 300.0, 900.0, 0.0]),
            policy_withdrawal=([0.0, 0.0, 0.0, 0.0], [300.0, 0.0, 300.0, 0.0]))
    first, second = hh.causes_of(np.arange(4), line_rise=120.0)
    # 0: support missing (3600 a year) vs the same chronic costs both years
    assert (first[0], second[0]) == ("policy_withdrawal", "low_income")
    # 1: nothing changed but the line (120 x 3 members)
    assert (first[1], second[1]) == ("low_income", "")
    # 2: illness up by 7200 a year beats the missing 3600
    assert (first[2], second[2]) == ("illness", "policy_withdrawal")
    # 3: no loss and no line rise: low income, nothing else
    first3, second3 = hh.causes_of(np.array([3]), line_rise=0.0)
    assert (first3[0], second3[0]) == ("low_income", "")


def test_a_withdrawal_counts_as_long_as_the_transfer_is_missing():
    hh = make_households(1, size=2)
    _ledger(hh, 100, policy_withdrawal=([200.0], [200.0]), illness=([50.0], [150.0]))
    # two full years without support: still the largest counterfactual difference
    assert hh.causes_of(np.array([0]))[0][0] == "policy_withdrawal"


def test_income_before_a_full_year_is_annualised():
    hh = make_households(2, size=1)
    hh.inc_wage_m[:] = [500.0, 1000.0]
    for _ in range(3):
        H.status(hh, CFG, make_ctx(2))
    assert hh.income_pc_year == pytest.approx([6000.0, 12000.0])  # 3 months x 4


def test_an_epidemic_books_the_enterprise_wage_it_cuts():
    from abm.households.state import CAUSE_INDEX

    cfg = load_config(None, ["economy.p_local_work=0"])  # no casual work to lose
    hh = make_households(2, n_labour=1, size=1, n_children=0, land=0.0)
    hh.employer[:] = [0, -1]  # the first has an enterprise job, the second none
    hh.new_ledger_month(1)
    H.work_income(hh, cfg, stream(1, "work"), make_ctx(2, epidemic_local=0.5))
    booked = hh.losses[CAUSE_INDEX["epidemic"], hh.ledger_pos]
    wage = cfg.industry.wage_month
    assert np.isclose(hh.inc_wage_m[0], wage * 0.5)
    assert np.isclose(booked[0], wage * 0.5, rtol=1e-6) and booked[1] == 0.0


def test_a_new_ledger_month_reads_as_zeros_however_its_causes_are_booked():
    """The month's row holds the losses of 24 months ago until each cause's first booking
    writes it (``Households.book``) or the ledger is read: whatever is booked, by any
    path, and whatever is not, the ledger reads as if the row had been cleared first."""
    from abm.households.state import CAUSES, LEDGER_MONTHS, Households

    rng = np.random.default_rng(5)
    n = 500
    hh = Households(n, np.zeros(n, np.int64), np.zeros(n, np.int64))
    ref = np.zeros((len(CAUSES), LEDGER_MONTHS, n), np.float32)
    for month in range(LEDGER_MONTHS + 30):
        hh.new_ledger_month(month)
        pos = month % LEDGER_MONTHS
        ref[:, pos] = 0.0
        for cause in rng.choice(CAUSES, rng.integers(0, 4)).tolist():
            amount = rng.lognormal(4.0, 1.0, n)
            where = rng.random(n) < 0.3
            way = int(rng.integers(0, 4))
            row = ref[CAUSES.index(cause), pos]
            if way == 0:
                hh.book(cause, amount)
                row += amount
            elif way == 1:
                hh.book(cause, amount, where)
                row[where] += amount[where]
            elif way == 2:
                hh.book(cause, 12.5)
                row += 12.5
            else:
                hh.book(cause, 7.25, where)
                row[where] += 7.25
        if month % 5 == 0:  # read mid-ring on some months only
            assert np.array_equal(hh.losses.view(np.int32), ref.view(np.int32)), month
    idx = np.arange(n)
    order = (pos - np.arange(LEDGER_MONTHS)) % LEDGER_MONTHS
    now, before = hh.loss_years(idx)
    assert np.array_equal(now, ref[:, order[:12]].astype(np.float64).sum(axis=1))
    assert np.array_equal(before, ref[:, order[12:]].astype(np.float64).sum(axis=1))
