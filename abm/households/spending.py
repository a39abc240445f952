"""Spending phase: consumption, medical costs after what the instruments pay,
schooling, interest, disaster repairs; savings and debt. All households, no draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import kernels
from abm.instruments.base import MedicalBill

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def spending(hh: Households, cfg: Config, ctx: MonthContext) -> None:
    """Consumption, out-of-pocket medical costs, schooling, interest, disaster repairs;
    savings and debt.

    Medical bills are paid by the instruments with a ``medical`` hook in ``covers_at``
    order (basic insurance, medical assistance, the personal cap); the household pays the
    rest. Income - spending = change in (savings - debt).
    """
    s = cfg.spending
    if ctx.january:
        hh.oop_year[:] = 0.0
    subsist = s.subsistence_per_capita / 12.0 * hh.size
    usual = hh.net_sum / 12.0  # usual monthly disposable income (last 12 months)
    cons = subsist + s.mpc * np.maximum(usual - subsist, 0.0)
    bill = MedicalBill(hh.medical_cost_m, hh.outpatient_cost_m)
    for inst in ctx.instruments.hooked("medical"):
        inst.medical(hh, ctx, bill)
    oop = bill.oop
    hh.reimbursed_m[:] = bill.insured + bill.assisted
    hh.sp_medical_m[:] = oop
    hh.oop_year += oop
    hh.help_m += bill.assisted
    withheld = np.minimum(bill.withheld, oop)  # what a withdrawn policy left to pay
    # Routine outpatient care is a steady expense, not a loss: the ledger books what the
    # household pays beyond it (insurance reimburses routine care at its outpatient rate).
    routine = bill.outpatient - bill.outpatient_insured
    hh.book("illness", np.maximum(oop - withheld - routine, 0.0))
    hh.book("policy_withdrawal", withheld)
    hh.sp_consumption_m[:] = cons
    hh.sp_schooling_m[:] = hh.n_children * s.schooling_per_child / 12.0
    hh.sp_interest_m[:] = hh.debt * s.debt_interest_year / 12.0 + hh.loan_interest_m
    hh.sp_repairs_m[:] = ctx.damage_m
    if np.any(ctx.damage_m):
        hh.book("disaster", hh.sp_repairs_m)
    # Savings += income - spending; a shortfall is borrowed (debt += max(-savings, 0),
    # savings floored at 0); repay min(debt, savings x repay_share_month). One pass.
    kernels.savings_pass(hh.savings, hh.debt, hh.income_m(), hh.spending_m(),
                         float(s.repay_share_month))
