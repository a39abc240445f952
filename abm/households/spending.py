"""Spending phase: consumption, medical costs after what the instruments pay,
schooling, interest, disaster repairs; savings and debt. All households, no draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import kernels
from abm.households.state import SPENDING_COLUMNS
from abm.instruments.base import MedicalBill

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def spending(hh: Households, cfg: Config, ctx: MonthContext,
             income: np.ndarray | None = None) -> None:
    """Consumption, out-of-pocket medical costs, schooling, interest, disaster repairs;
    savings and debt. ``income`` is this month's ``hh.income_m()`` when the caller has
    it already.

    Medical bills are paid by the instruments with a ``medical`` hook in ``covers_at``
    order (basic insurance, medical assistance, the personal cap); the household pays the
    rest. Income - spending = change in (savings - debt).
    """
    s = cfg.spending
    if ctx.january:
        hh.oop_year[:] = 0.0
    # cons = subsist + mpc * max(usual - subsist, 0): subsist =
    # subsistence_per_capita / 12 * size; usual = net_sum / 12, the usual monthly
    # disposable income (last 12 months). One compiled pass (numpy's order).
    cons = kernels.consumption(hh.size, hh.net_sum, s.subsistence_per_capita / 12.0, s.mpc)
    bill = MedicalBill(hh.medical_cost_m, hh.outpatient_cost_m)
    for inst in ctx.instruments.hooked("medical"):
        inst.medical(hh, ctx, bill)
    # One compiled pass: reimbursed_m = insured + assisted; sp_medical_m = oop; oop_year
    # += oop; help_m += assisted; withheld = min(bill.withheld, oop) (what a withdrawn
    # policy left to pay); routine outpatient care is a steady expense, not a loss: the
    # ledger books what the household pays beyond it, max(oop - withheld - (outpatient -
    # outpatient_insured), 0) (insurance reimburses routine care at its outpatient rate);
    # sp_consumption_m = cons; sp_schooling_m = n_children * schooling_per_child / 12;
    # sp_interest_m = debt * debt_interest_year / 12 + loan_interest_m.
    kept = bill.made("withheld")  # (none made: nothing withheld this month)
    withheld, illness = kernels.spending_pass(
        bill.insured, bill.assisted, bill.oop, kernels.NONE if kept is None else kept,
        bill.outpatient,
        bill.outpatient_insured, cons, hh.n_children, s.schooling_per_child, hh.debt,
        s.debt_interest_year, hh.loan_interest_m, hh.reimbursed_m, hh.sp_medical_m,
        hh.oop_year, hh.help_m, hh.sp_consumption_m, hh.sp_schooling_m, hh.sp_interest_m)
    hh.book("illness", illness)
    hh.book("policy_withdrawal", withheld)
    hh.sp_repairs_m[:] = ctx.damage_m
    if np.any(ctx.damage_m):
        hh.book("disaster", hh.sp_repairs_m)
    # Savings += income - spending; a shortfall is borrowed (debt += max(-savings, 0),
    # savings floored at 0); repay min(debt, savings x repay_share_month). One pass.
    income = hh.income_m() if income is None else income
    spent = tuple(getattr(hh, c) for c in SPENDING_COLUMNS)
    if len(spent) == 5 and all(c.dtype == np.float64 and c.shape == (hh.n,) for c in spent):
        # The month's spending (hh.spending_m(): its columns in their order) added
        # household by household in the same pass.
        kernels.savings_spent_pass(hh.savings, hh.debt, income, *spent,
                                   float(s.repay_share_month))
        return
    kernels.savings_pass(hh.savings, hh.debt, income, hh.spending_m(),
                         float(s.repay_share_month))
