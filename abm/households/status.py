"""Status phase: the 12-month disposable income, poverty status, the monitoring rule,
and this month's poverty events with their measured causes. All households, no draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import kernels, rules
from abm.households.state import NO_MONTH, RIGID_DECAY, Event

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def status(hh: Households, cfg: Config, ctx: MonthContext, income: np.ndarray | None = None
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """:func:`changes`, then the measured causes of the falls (:func:`fall_causes`):
    (households, event codes, primary causes, secondary causes)."""
    who, codes, into = changes(hh, cfg, ctx, income)
    return (who, codes, *fall_causes(hh, ctx, into, who.size))


def changes(hh: Households, cfg: Config, ctx: MonthContext, income: np.ndarray | None = None
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Roll the 12-month disposable income, set poverty status and whether the household
    meets the monitoring rule; return this month's poverty events.

    Disposable income is income minus out-of-pocket medical spending (the field studies
    count a household whose medical bills eat its income as poor through illness).
    Returns (households, event codes, the households that fell: the first of them). The
    causes of the falls are measured apart (:func:`fall_causes`): they only read the
    ledger and the households, so the model measures them on its other thread meanwhile.
    ``income`` is this month's ``hh.income_m()`` when the caller has it already.

    Two compiled passes (``abm.kernels.status_roll`` and ``status_flags``) do the roll
    and the flags; the monitoring rule is read as before.
    """
    income = hh.income_m() if income is None else income
    pos = hh.hist_pos
    hh.hist_pos = (pos + 1) % 12
    hh.hist_filled = min(12, hh.hist_filled + 1)
    # Until a year is known, the months so far stand for the year.
    scale = 12.0 / hh.hist_filled if hh.hist_filled < 12 else 1.0
    kernels.status_roll(income, hh.sp_medical_m, hh.sp_schooling_m, hh.net_hist[pos],
                        hh.oop_hist[pos], hh.net_sum, hh.oop_sum, hh.size, float(scale),
                        RIGID_DECAY, hh.rigid_12m, hh.income_recent_m, hh.income_pc_year,
                        hh.income_pc_gross_year)
    if hh.bill_credits:
        book_bill_credits(hh, int(ctx.month), pos, float(scale))
    risk, _ = rules.at_risk(hh, cfg.policy.monitoring, ctx.poverty_line,
                            guaranteed=rules.guaranteed_floor(hh, ctx))
    into, out = kernels.status_flags(np.asarray(risk, dtype=np.bool_), hh.at_risk,
                                     hh.risk_since, int(ctx.month), NO_MONTH,
                                     hh.income_pc_year, float(ctx.poverty_line), hh.poor)
    code_into = np.where(hh.ever_exited[into], Event.RETURNED_TO_POVERTY,
                         Event.FELL_INTO_POVERTY)
    hh.ever_exited[out] = True
    who = np.concatenate([into, out])
    codes = np.concatenate([code_into, np.full(out.size, Event.EXITED_POVERTY)]
                           ).astype(np.int8)
    return who, codes, into


def fall_causes(hh: Households, ctx: MonthContext, into: np.ndarray, n: int
                ) -> tuple[np.ndarray, np.ndarray]:
    """The primary and secondary causes of this month's ``n`` events (:func:`changes`):
    measured by counterfactual (``Households.causes_of``) for the falls ``into``, which
    come first, and "" for the exits after them. Only reads the households."""
    first, second = hh.causes_of(into, ctx.line_rise_year)
    none = np.full(n - into.size, "", dtype=object)
    return np.concatenate([first, none]), np.concatenate([second, none])


def book_bill_credits(hh: Households, month: int, pos: int, scale: float) -> None:
    """Book the reimbursements of past medical bills that arrived this month
    (``Households.credit_bills``) against the months of the bills, after this month's
    roll (``pos``: this month's row of the 12-month histories; ``scale`` annualises).

    The field counts a household's medical burden net of what was reimbursed for it, in
    the months of the treatment. So for a reimbursement ``p`` of the bills of ``d``
    months before this one: that month's disposable income rises and its out-of-pocket
    spending falls by ``p`` (a month older than the 12-month window takes its
    reimbursement out with it), and the money no longer counts as this month's income,
    in the 12-month incomes, the 3-month income and the rigid spending (by ``p`` as it
    has decayed since). Credited as a lump, it would lift a household above the line for
    a year after its bills had left the window, and it would cross back when the lump
    left."""
    due = [c for c in hh.bill_credits if c[0] <= month]
    hh.bill_credits = [c for c in hh.bill_credits if c[0] > month]
    window = hh.net_hist.shape[0]  # months of the 12-month histories
    for _, idx, by_month in due:
        total = by_month.sum(axis=1)
        hh.net_hist[pos, idx] -= total
        for k in range(by_month.shape[1]):
            d = k + 1  # months back from this one (granted last month)
            p = by_month[:, k]
            if d < window:
                row = (pos - d) % window
                hh.net_hist[row, idx] += p
                hh.oop_hist[row, idx] -= p
                hh.oop_sum[idx] -= p
            else:
                hh.net_sum[idx] -= p
            hh.rigid_12m[idx] = np.maximum(hh.rigid_12m[idx] - p * RIGID_DECAY ** d, 0.0)
        hh.income_recent_m[idx] -= total / 3.0
        members = np.maximum(hh.size[idx], 1).astype(np.float64)
        hh.income_pc_year[idx] = hh.net_sum[idx] * scale / members
        hh.income_pc_gross_year[idx] = (hh.net_sum[idx] + hh.oop_sum[idx]) * scale / members
