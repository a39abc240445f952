"""Status phase: the 12-month disposable income, poverty status, the monitoring rule,
and this month's poverty events with their measured causes. All households, no draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import rules
from abm.households.state import NO_MONTH, RIGID_DECAY, Event

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def status(hh: Households, cfg: Config, ctx: MonthContext
           ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Roll the 12-month disposable income, set poverty status and whether the household
    meets the monitoring rule; return this month's poverty events.

    Disposable income is income minus out-of-pocket medical spending (the field studies
    count a household whose medical bills eat its income as poor through illness).
    Returns (households, event codes, primary causes, secondary causes); the causes are
    measured by counterfactual (``Households.causes_of``).
    """
    net = hh.income_m() - hh.sp_medical_m
    pos = hh.hist_pos
    hh.net_sum += net - hh.net_hist[pos]
    hh.net_hist[pos] = net
    hh.oop_sum += hh.sp_medical_m - hh.oop_hist[pos]
    hh.oop_hist[pos] = hh.sp_medical_m
    hh.hist_pos = (pos + 1) % 12
    hh.hist_filled = min(12, hh.hist_filled + 1)
    # Until a year is known, the months so far stand for the year.
    scale = 12.0 / hh.hist_filled if hh.hist_filled < 12 else 1.0
    size = np.maximum(hh.size, 1)
    hh.income_pc_year[:] = hh.net_sum * scale / size
    hh.income_pc_gross_year[:] = (hh.net_sum + hh.oop_sum) * scale / size
    hh.rigid_12m[:] = hh.rigid_12m * RIGID_DECAY + hh.sp_medical_m + hh.sp_schooling_m
    hh.income_recent_m[:] = hh.income_recent_m + (net + hh.sp_medical_m - hh.income_recent_m) / 3.0
    risk, _ = rules.at_risk(hh, cfg.policy.monitoring, ctx.poverty_line)
    hh.risk_since[:] = np.where(risk & ~hh.at_risk, ctx.month,
                                np.where(risk, hh.risk_since, NO_MONTH))
    hh.at_risk[:] = risk
    was = hh.poor.copy()
    now = hh.income_pc_year < ctx.poverty_line
    into = np.flatnonzero(now & ~was)
    out = np.flatnonzero(was & ~now)
    code_into = np.where(hh.ever_exited[into], Event.RETURNED_TO_POVERTY,
                         Event.FELL_INTO_POVERTY)
    hh.ever_exited[out] = True
    hh.poor[:] = now
    who = np.concatenate([into, out])
    codes = np.concatenate([code_into, np.full(out.size, Event.EXITED_POVERTY)]
                           ).astype(np.int8)
    first, second = hh.causes_of(into, ctx.line_rise_year)
    none = np.full(out.size, "", dtype=object)
    return who, codes, np.concatenate([first, none]), np.concatenate([second, none])
