"""Micro-credit for poverty alleviation (扶贫小额信贷): small loans without collateral
to registered and monitored households, with the interest paid by the county and a
county risk-compensation fund that makes banks whole when a loan is not repaid.

A household that can work and has the drive for it takes a loan (the county's yearly
quota and the risk fund permitting) and invests it in its farm or business, which then
earns a return while the venture lasts. Ventures fail now and then (less often with
more skills); a failed venture's lost returns are booked in the loss ledger as their own
cause, ``credit``. At maturity a venture that still earns repays the loan from its own
capital; after a failure the household repays from its savings, and what it cannot repay
is a default: the risk fund pays the bank, the household still owes the rest as debt and
cannot borrow again. After the transition the quota and the interest subsidy
fall with the instrument's level.

Off in the baseline (which is calibrated without it); switch it on with
``policy.microcredit.enabled=true``.
"""

from __future__ import annotations

import numpy as np
from pydantic import Field

from abm import rules
from abm.instruments.base import BudgetLine, Income, Instrument, same_columns
from abm.params import ASSUMPTION, SETTING, InstrumentConfig, P
from abm.results import Result

POLICY = ("loans up to 50,000 yuan for up to 3 years, without guarantee or collateral, at "
          "the benchmark rate with a fiscal interest subsidy and a county risk-compensation "
          "fund (State Council poverty office guideline on micro-credit, 2014); continued "
          "for the lifted-out population in the transition period (2021)")


class MicrocreditConfig(InstrumentConfig):
    """Micro-credit for poverty alleviation (扶贫小额信贷)."""

    enabled: bool = Field(False, json_schema_extra={"source": SETTING},
                          description="Whether the instrument runs at all (off in "
                          "the baseline, which is calibrated without it)")
    loan_yuan: float = P(30_000.0, unit="yuan", doc="Size of one loan", ge=0, le=50_000,
                         source=POLICY)
    term_months: int = P(36, unit="months", doc="Months until the principal is due", ge=1,
                         le=60, source=POLICY)
    interest_year: float = P(0.0435, unit="per year", doc="Interest rate of the loan",
                             ge=0, le=0.5, source="one-year benchmark lending rate 4.35% "
                             "(People's Bank of China, from 2015-10)")
    subsidy_share: float = P(1.0, unit="share", doc="Share of the interest the county pays "
                             "(fiscal interest subsidy)", ge=0, le=1, source=POLICY)
    loans_per_1000: float = P(6.0, unit="loans per 1000 households per year", doc="The "
                              "county's yearly lending quota", ge=0, le=1000,
                              source=ASSUMPTION)
    risk_fund_share: float = P(0.1, unit="share of the quota's principal", doc="Money the "
                               "county puts in the risk-compensation fund each year; banks "
                               "stop lending for the year when it is used up", ge=0, le=1,
                               source=ASSUMPTION)
    p_take_up: float = P(0.01, unit="per month", doc="Base chance an eligible household "
                         "takes a loan: p_take_up x motivation x (trust_base + trust)", ge=0,
                         le=1, source=ASSUMPTION)
    trust_base: float = P(0.5, unit="-", doc="Added to trust in the chance to take a loan",
                          ge=0, le=5, source=ASSUMPTION)
    return_year: float = P(0.15, unit="per year", doc="Net yearly return on the invested "
                           "loan at trend price: return_year x (skill_base + skills)", ge=0,
                           le=2, source=ASSUMPTION)
    skill_base: float = P(0.5, unit="skill", doc="Added to skills in a venture's return",
                          ge=0, le=5, source=ASSUMPTION)
    p_venture_failure: float = P(0.01, unit="per month", doc="Chance a financed venture "
                                 "fails: p_venture_failure x (failure_skill_base - skills)",
                                 ge=0, le=1, source=ASSUMPTION)
    failure_skill_base: float = P(1.5, unit="skill", doc="Less skills in a venture's chance "
                                  "to fail", ge=1, le=5, source=ASSUMPTION)


class Microcredit(Instrument):
    name = "microcredit"
    order = 16
    label = "micro-credit for poverty alleviation / 扶贫小额信贷"
    Config = MicrocreditConfig
    lines = (BudgetLine("microcredit_interest", "consolidation_fund", "firm"),
             BudgetLine("microcredit_risk_fund", "county_risk_fund", "firm"))
    causes = ("credit",)
    columns = {
        "loan": (np.float64, ("decisions",), "micro-credit principal outstanding, yuan"),
        "loan_due": (np.int32, ("decisions",), "month the micro-credit principal is due"),
        "venture_ok": (np.bool_, ("decisions",), "the venture financed by the loan still "
                       "earns"),
        "credit_barred": (np.bool_, ("decisions",), "defaulted on a loan: cannot borrow "
                          "again"),
        "loan_repaid_m": (np.float64, ("decisions",), "principal of a failed venture's loan "
                          "repaid this month out of savings or owed as debt, yuan"),
    }
    streams = ("microcredit",)
    results = (
        Result("n_loans_outstanding", "households", "households with a micro-credit loan",
               "int64"),
        Result("cum_loans", "loans", "micro-credit loans made since month 0", "int64"),
        Result("cum_loan_defaults", "loans", "micro-credit loans defaulted since month 0",
               "int64", better="lower"),
        Result("cum_ventures_failed", "ventures", "loan-financed ventures failed since "
               "month 0", "int64", better="lower"),
    )
    pays_at = 8

    def __init__(self, cfg, streams=None):
        super().__init__(cfg, streams)
        self.quota_left = 0
        self.n_loans = 0  # running counts since the start of the model
        self.n_repaid = 0
        self.n_defaulted = 0
        self.n_failed = 0

    def start_of_run(self) -> None:
        self.n_loans = self.n_repaid = self.n_defaulted = self.n_failed = 0

    def measure(self, model) -> dict[str, float]:
        return {"n_loans_outstanding": int(np.count_nonzero(model.households.loan)),
                "cum_loans": self.n_loans, "cum_loan_defaults": self.n_defaulted,
                "cum_ventures_failed": self.n_failed}

    def allocate(self, hh, ctx) -> dict[str, float]:
        level = ctx.levels[self.name]
        p = self.p
        quota = int(p.loans_per_1000 * hh.n / 1000.0 * level)
        self.quota_left = quota
        outstanding = int(np.count_nonzero(hh.loan))
        interest = (outstanding + quota) * p.loan_yuan * p.interest_year * p.subsidy_share
        return {"microcredit_interest": interest * level,
                "microcredit_risk_fund": quota * p.loan_yuan * p.risk_fund_share}

    def eligible(self, hh) -> np.ndarray:
        """Registered or monitored, someone able to work at home, no loan outstanding,
        never defaulted."""
        return ((hh.registered | hh.monitored) & (rules.labour_at_home(hh) > 0)
                & (hh.loan == 0) & ~hh.credit_barred)

    def venture_return_m(self, hh, farm_price, failed: bool = False) -> np.ndarray:
        """This month's return of each household's financed venture (0 without one); with
        ``failed``, what the failed ventures would have returned."""
        if (same_columns(hh.loan, hh.skills, farm_price)
                and hh.venture_ok.dtype == np.bool_):
            from abm import kernels  # (not at import: the config needs no numba)

            # the lines below in one compiled pass (the same bits)
            return kernels.venture_returns(hh.loan, hh.venture_ok, failed, hh.skills,
                                           farm_price, self.p.return_year,
                                           self.p.skill_base)
        active = (hh.loan > 0) & (~hh.venture_ok if failed else hh.venture_ok)
        return np.where(active, hh.loan * self.p.return_year / 12.0 * (self.p.skill_base
                                                                       + hh.skills)
                        * farm_price, 0.0)

    def income(self, hh, ctx, inc: Income) -> None:
        """Returns of the financed ventures; interest due, less the county's subsidy."""
        if not hh.loan.any():
            if hh.loan_interest_m.any():
                hh.loan_interest_m[:] = 0.0
            return
        inc.add("farm", self.venture_return_m(hh, ctx.farm_price), help=False)
        # A failed venture's returns are a loss every month until the loan falls due.
        failed = (hh.loan > 0) & ~hh.venture_ok
        if failed.any():
            hh.book("credit", self.venture_return_m(hh, ctx.farm_price, failed=True), failed)
        interest = hh.loan * self.p.interest_year / 12.0
        subsidy = ctx.budget.pay("microcredit_interest",
                                 interest * self.p.subsidy_share * ctx.levels[self.name])
        hh.loan_interest_m[:] = interest - subsidy

    def decide(self, hh, ctx) -> None:
        """Ventures fail, loans fall due, households borrow."""
        lv = ctx.levels[self.name]
        if hh.loan_repaid_m.any():
            hh.loan_repaid_m[:] = 0.0
        if lv <= 0 and not hh.loan.any():
            return
        p = self.p
        u = self.rng["microcredit"].random((2, hh.n), dtype=np.float32)
        # Ventures fail: a year of their returns is lost.
        active = (hh.loan > 0) & hh.venture_ok
        fail = active & (u[0] < p.p_venture_failure * (p.failure_skill_base - hh.skills))
        if fail.any():
            hh.venture_ok[fail] = False
            self.n_failed += int(fail.sum())
        # Loans fall due. A venture still earning repays from its own capital; a failed
        # one from the household's savings, and what they cannot cover is a default.
        due = np.flatnonzero((hh.loan > 0) & (hh.loan_due <= ctx.month))
        if due.size:
            lost = due[~hh.venture_ok[due]]
            repay = np.minimum(hh.savings[lost], hh.loan[lost])
            short = hh.loan[lost] - repay
            hh.savings[lost] -= repay
            hh.loan_repaid_m[lost] = hh.loan[lost]
            bad = short > 0
            if bad.any():
                ctx.budget.pay("microcredit_risk_fund", short[bad])
                hh.debt[lost[bad]] += short[bad]
                hh.credit_barred[lost[bad]] = True
            self.n_defaulted += int(bad.sum())
            self.n_repaid += int(due.size - bad.sum())
            hh.loan[due] = 0.0
            hh.venture_ok[due] = False
        # New loans, within the year's quota and while the risk fund lasts.
        fund = ctx.budget.lines["microcredit_risk_fund"]
        if lv <= 0 or self.quota_left <= 0 or fund.remaining <= 0:
            return
        want = self.eligible(hh) & (u[1] < p.p_take_up * hh.motivation
                                    * (p.trust_base + hh.trust))
        idx = np.flatnonzero(want)
        if idx.size == 0:
            return
        idx = idx[np.argsort(u[1][idx], kind="stable")][: self.quota_left]
        hh.loan[idx] = p.loan_yuan
        hh.loan_due[idx] = ctx.month + p.term_months
        hh.venture_ok[idx] = True
        self.quota_left -= int(idx.size)
        self.n_loans += int(idx.size)
