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
    """Roll the 12-month disposable income, set poverty status and whether the household
    meets the monitoring rule; return this month's poverty events.

    Disposable income is income minus out-of-pocket medical spending (the field studies
    count a household whose medical bills eat its income as poor through illness).
    Returns (households, event codes, primary causes, secondary causes); the causes are
    measured by counterfactual (``Households.causes_of``). ``income`` is this month's
    ``hh.income_m()`` when the caller has it already.

    Two compiled passes (``abm.kernels.status_roll`` and ``status_flags``) do the roll
    and the flags; the monitoring rule and the causes are read as before.
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
    first, second = hh.causes_of(into, ctx.line_rise_year)
    none = np.full(out.size, "", dtype=object)
    return who, codes, np.concatenate([first, none]), np.concatenate([second, none])
