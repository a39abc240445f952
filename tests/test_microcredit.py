"""Micro-credit for poverty alleviation (扶贫小额信贷), the instrument added as one module."""

from __future__ import annotations

import numpy as np
import pytest

from abm.config import load_config
from abm.households.state import CAUSE_INDEX
from abm.model import CountyModel

ON = ["policy.microcredit.enabled=true", "policy.microcredit.p_take_up=0.1"]


def model(*sets, n=2000, seed=4, months=24):
    return CountyModel(load_config(None, list(sets), households=n, months=months, seed=seed))


def test_off_by_default_nothing_is_lent_or_spent():
    m = model()
    for _ in range(6):
        m.step()
    hh = m.households
    assert not hh.loan.any() and not hh.loan_interest_m.any()
    assert m.budget.lines["microcredit_interest"].cum_spent == 0
    assert m.metrics["cum_loans"] == 0 and m.metrics["n_loans_outstanding"] == 0


def test_loans_go_to_eligible_households_within_the_quota_with_interest_subsidised():
    m = model(*ON)
    hh = m.households
    mc = m.instruments["microcredit"]
    quota = int(mc.p.loans_per_1000 * hh.n / 1000)
    for _ in range(11):  # within one calendar year
        had = hh.loan > 0
        eligible = hh.registered | hh.monitored  # as the month's decisions see it
        m.step()
        new = (hh.loan > 0) & ~had
        assert eligible[new].all()
    new_this_year = mc.n_loans
    assert 0 < new_this_year <= quota
    assert set(np.unique(hh.loan[hh.loan > 0])) == {mc.p.loan_yuan}
    # the county pays all the interest (full subsidy): households pay none
    line = m.budget.lines["microcredit_interest"]
    outstanding = hh.loan.sum()
    assert line.spent_month == pytest.approx(outstanding * mc.p.interest_year / 12.0)
    assert not hh.loan_interest_m.any()


def test_without_the_subsidy_households_pay_the_interest():
    m = model(*ON, "policy.microcredit.subsidy_share=0")
    for _ in range(8):
        m.step()
    hh = m.households
    borrowing = (hh.loan > 0) & (hh.loan_due < m.month + 36 - 1)  # held a month or more
    assert borrowing.any()
    expected = hh.loan[borrowing] * m.instruments["microcredit"].p.interest_year / 12.0
    assert hh.loan_interest_m[borrowing] == pytest.approx(expected)
    assert (hh.sp_interest_m[borrowing] >= expected - 1e-9).all()


def test_loans_raise_borrowers_business_income_over_seeds():
    gains = []
    for seed in (1, 2, 3):
        on, off = model(*ON, seed=seed), model(seed=seed)
        for _ in range(12):
            on.step()
            off.step()
        b = on.households.loan > 0
        assert b.sum() >= 5
        # common random numbers: the same households, with and without their loans
        gains.append(on.households.inc_farm_m[b].mean() - off.households.inc_farm_m[b].mean())
    assert min(gains) > 0
    expected = 30_000 * 0.15 / 12.0 * 0.5  # at least the return at zero skill
    assert np.mean(gains) > 0.5 * expected


def test_failed_ventures_book_credit_losses_default_and_bar_further_loans():
    m = model(*ON, "policy.microcredit.p_venture_failure=0.5",
              "policy.microcredit.term_months=3", "population.savings_months_mean=0",
              "policy.microcredit.risk_fund_share=1")
    hh = m.households
    mc = m.instruments["microcredit"]
    credit_booked = 0.0
    barred_in_spin_up = int(hh.credit_barred.sum())
    for _ in range(12):
        barred = hh.credit_barred.copy()
        m.step()
        credit_booked += hh.booked_month[CAUSE_INDEX["credit"]]
        new = hh.credit_barred & ~barred
        # defaulters still owe the rest (the month's surplus, paid against debt earlier
        # in the month, may exceed it, so the debt need not have grown)
        assert (hh.debt[new] > 0).all()
    assert mc.n_failed > 0 and mc.n_defaulted > 0
    assert credit_booked > 0
    assert hh.credit_barred.sum() - barred_in_spin_up == mc.n_defaulted
    assert not (hh.loan[hh.credit_barred] > 0).any()  # defaulters get no new loan
    assert m.budget.lines["microcredit_risk_fund"].cum_spent > 0
    assert m.metrics["cum_loan_defaults"] == mc.n_defaulted


def test_healthy_ventures_repay_from_their_own_capital():
    m = model(*ON, "policy.microcredit.p_venture_failure=0",
              "policy.microcredit.term_months=3")
    for _ in range(12):
        m.step()
    mc = m.instruments["microcredit"]
    assert mc.n_repaid > 0 and mc.n_defaulted == 0
    assert not m.households.credit_barred.any()


def test_no_risk_fund_no_lending_and_no_lending_after_withdrawal():
    m = model(*ON, "policy.microcredit.risk_fund_share=0")
    for _ in range(6):
        m.step()
    assert m.instruments["microcredit"].n_loans == 0
    m = model(*ON, "policy.transition_end_year=2021", "policy.withdrawal_months=0",
              "policy.microcredit.kept_after_transition=0")
    for _ in range(12):
        m.step()
    lent_in_2021 = m.instruments["microcredit"].n_loans
    for _ in range(6):
        m.step()
    assert lent_in_2021 > 0
    assert m.instruments["microcredit"].n_loans == lent_in_2021
