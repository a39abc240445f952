"""Definitions used by households, organisations and the Smith measures alike, written
once: who is at risk, who can work at home, who relies on transfers, who leaves a trace
in the sector departments' data.

Every function reads household columns and returns an array; none writes anything.
``idx`` (optional) restricts a rule to some households and returns values for them only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from abm.config import Config
    from abm.households.state import Households


def _sel(a: np.ndarray, idx):
    return a if idx is None else a[idx]


# ---------------------------------------------------------------- labour
def labour_at_home(hh: Households, idx=None) -> np.ndarray:
    """Members able to work who are not working away (jobless migrants included)."""
    return _sel(hh.n_labour, idx) - _sel(hh.n_migrants, idx)


def workers_at_home(hh: Households, idx=None) -> np.ndarray:
    """Members working at home this month: able, not away, not too sick to work."""
    return np.maximum(labour_at_home(hh, idx) - _sel(hh.sick_now, idx), 0)


def farm_capacity_mu(hh: Households, cfg: Config) -> np.ndarray:
    """Land the household's own labour can farm fully, mu: members able to work and not
    away, and the elderly's share of a worker (``elderly_farm_labour``), each
    ``mu_per_farm_worker`` (sickness passes: a lease is for the year)."""
    e = cfg.economy
    return (labour_at_home(hh) + e.elderly_farm_labour * hh.n_elderly) * e.mu_per_farm_worker


def free_to_leave(hh: Households) -> np.ndarray:
    """Members at home with nothing holding them: not looking for work away after a job
    loss, not sick, not in an enterprise job, a public-welfare post or the household's
    business (may be < 0)."""
    return (labour_at_home(hh) - hh.n_jobless - hh.sick_now - (hh.employer >= 0)
            - hh.in_post - hh.business)


# ---------------------------------------------------------------- risk
def rigid_spending_high(hh: Households, share: float, idx=None,
                        line_pc: float | None = None) -> np.ndarray:
    """Rigid spending (medical, schooling) over about a year above ``share`` of the
    year's income before medical spending (the income it came out of) and, when
    ``line_pc`` is given, so large that what is left leaves each member below that line
    (spending that makes basic living hard)."""
    rigid = _sel(hh.rigid_12m, idx)
    income_12 = np.maximum(_sel(hh.net_sum, idx) + _sel(hh.oop_sum, idx), 1.0)
    high = rigid > share * income_12
    if line_pc is None:
        return high
    return high & (income_12 - rigid < line_pc * np.maximum(_sel(hh.size, idx), 1))


def sharp_drop(hh: Households, share: float, idx=None,
               line_pc: float | None = None) -> np.ndarray:
    """The last three months' income (before medical bills, which count through rigid
    spending) at least ``share`` below the usual level and, when
    ``line_pc`` is given, so low that a year of it would leave each member below that
    line (a fall that makes basic living hard, not any fall)."""
    usual = (_sel(hh.net_sum, idx) + _sel(hh.oop_sum, idx)) / 12.0
    recent = _sel(hh.income_recent_m, idx)
    drop = recent < (1.0 - share) * np.maximum(usual, 0.0)
    if line_pc is None:
        return drop
    return drop & (recent * 12.0 < line_pc * np.maximum(_sel(hh.size, idx), 1))


def at_risk(hh: Households, mon, poverty_line: float, idx=None,
            income_pc: np.ndarray | None = None, multiple: float | None = None,
            guaranteed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The monitoring inclusion rule as written (national guidelines, 2020-2021): low
    income; large rigid spending (above its share of income) or a sharp fall in income,
    either leaving basic living hard (what is left, over a year, below the monitoring
    line: the provinces' reading of "basic living in serious difficulty").

    The income test reads income before out-of-pocket medical spending (the rule's
    per-capita income); medical bills count through the rigid-spending test, not twice.

    Low income is a risk of poverty only where nothing holds the household above the
    poverty line: a household whose floor is ``guaranteed`` (one flag per household, from
    ``guaranteed_floor``; None: no one's) is at risk only through a sudden hardship. The
    categories monitored are households below the monitoring line "and with a risk of
    returning to (or falling into) poverty" (national guidelines, 2021).

    ``mon`` is ``cfg.policy.monitoring``. A township verifying a flag passes the income
    it measured (``income_pc``) and the multiple it applies. Returns (at risk, at risk
    through rigid spending or a sharp drop: a sudden hardship).
    """
    mult = mon.inclusion_multiple if multiple is None else multiple
    if _compiled(hh, idx, income_pc, guaranteed):  # one pass, the lines below' results
        from abm import kernels  # (not at import: the config needs no numba)

        every = idx is None
        return kernels.at_risk_pass(
            np.empty(0, np.int64) if every else idx, every,
            hh.income_pc_gross_year if income_pc is None else income_pc,
            income_pc is not None, hh.net_sum, hh.oop_sum, hh.rigid_12m,
            hh.income_recent_m, hh.size, mult * poverty_line, mon.rigid_spending_share,
            1.0 - mon.sharp_drop_share, mult * poverty_line,
            np.zeros(0, np.bool_) if guaranteed is None else guaranteed)
    income = _sel(hh.income_pc_gross_year, idx) if income_pc is None else income_pc
    low = income < mult * poverty_line
    if guaranteed is not None:
        low = low & ~_sel(guaranteed, idx)
    sudden = rigid_spending_high(hh, mon.rigid_spending_share, idx,
                                 line_pc=mult * poverty_line) | sharp_drop(
        hh, mon.sharp_drop_share, idx, line_pc=mult * poverty_line)
    return low | sudden, sudden


def _compiled(hh: Households, idx, income_pc, guaranteed=None) -> bool:
    """Whether ``at_risk`` can take its compiled pass: float64 columns and income,
    ``idx`` None or an array of household numbers, ``guaranteed`` None or one bool per
    household (anything else takes numpy's path)."""
    cols = (hh.income_pc_gross_year, hh.net_sum, hh.oop_sum, hh.rigid_12m,
            hh.income_recent_m)
    if any(not isinstance(c, np.ndarray) or c.dtype != np.float64 for c in cols):
        return False
    if idx is not None and not (isinstance(idx, np.ndarray) and idx.ndim == 1
                                and idx.dtype.kind in "iu"):
        return False
    n = hh.n if idx is None else idx.size
    if guaranteed is not None and not (isinstance(guaranteed, np.ndarray)
                                       and guaranteed.dtype == np.bool_
                                       and guaranteed.shape == (hh.n,)):
        return False
    return income_pc is None or (isinstance(income_pc, np.ndarray)
                                 and income_pc.dtype == np.float64
                                 and income_pc.shape == (n,))


def guaranteed_floor(hh: Households, ctx) -> np.ndarray | None:
    """Households whose income the minimum living guarantee holds at or above the poverty
    line: those on the dibao, while it is fully in force and its line is not below the
    poverty line (rural dibao lines may not fall below the national poverty standard).
    None when it guarantees no one. ``ctx`` is the month's ``MonthContext``."""
    if ctx.levels.get("dibao", 0.0) >= 1.0 and ctx.dibao_line >= ctx.poverty_line:
        return hh.dibao
    return None


def without_dibao(hh: Households, income_pc: np.ndarray, idx=None) -> np.ndarray:
    """Income per person ``income_pc`` (of households ``idx``, or all) less the dibao's
    top-ups of about the last year per person: what the household has of its own (read
    by the dibao's means test and by the monitoring's exit test)."""
    return income_pc - _sel(hh.dibao_12m, idx) / np.maximum(_sel(hh.size, idx), 1)


def data_trace(hh: Households, trace_share: float) -> np.ndarray:
    """A trace in the sector departments' data: large medical and schooling bills
    (against the year's disposable income), dibao enrolment, a disability."""
    income_12 = np.maximum(hh.net_sum, 1.0)
    return (hh.rigid_12m > trace_share * income_12) | hh.dibao | hh.disability


# ---------------------------------------------------------------- debt
def heavy_debt(hh: Households, debt_months: float, subsistence_per_capita: float,
               idx=None) -> np.ndarray:
    """Debt above ``debt_months`` of the household's subsistence spending (what a
    distressed household cannot service: it sells assets, and it weighs on the mind);
    for households ``idx`` (None: all)."""
    subsist = subsistence_per_capita / 12.0 * np.maximum(_sel(hh.size, idx), 1)
    return _sel(hh.debt, idx) > debt_months * subsist


def distress_line(cfg, poverty_line: float) -> float:
    """The income per person below which a heavily indebted household is in distress:
    the monitoring line (``inclusion_multiple`` x the poverty line)."""
    return cfg.policy.monitoring.inclusion_multiple * poverty_line


def in_distress(hh: Households, cfg, poverty_line: float, idx=None) -> np.ndarray:
    """Income below the monitoring line (:func:`distress_line`) and heavy debt
    (``behaviour.distress_debt_months``): a household that sells productive assets and
    takes children out of school (``abm.households.decisions``); for households ``idx``
    (None: all)."""
    return (_sel(hh.income_pc_year, idx) < distress_line(cfg, poverty_line)) & heavy_debt(
        hh, cfg.behaviour.distress_debt_months, cfg.spending.subsistence_per_capita, idx)


# ---------------------------------------------------------------- reliance
def reliant_on_transfers(hh: Households, share: float,
                         income: np.ndarray | None = None) -> np.ndarray:
    """Able to work, yet living mostly on targeted help: this month's help above
    ``share`` of income (help is already part of income; ``income`` is this month's
    ``hh.income_m()`` when the caller has it)."""
    income = hh.income_m() if income is None else income
    return (hh.n_labour > 0) & (hh.help_m > share * np.maximum(income, 1.0))


def effort(motivation: np.ndarray, behaviour) -> np.ndarray:
    """A household's effort in its own farm and business, 1 at the reference motivation:
    max(0, 1 + farm_effort_motivation x (motivation - motivation_reference)) (the same
    factor abm.kernels.earnings_pass applies to the farm)."""
    return np.maximum(0.0, 1.0 + behaviour.farm_effort_motivation
                      * (motivation - behaviour.motivation_reference))


def health_drive(motivation: np.ndarray, behaviour) -> np.ndarray:
    """How promptly a household seeks care and how well it follows health management,
    from its drive, relative to a household at the reference motivation (1 at and above
    it): clip(1 + health_drive_motivation x (motivation - motivation_reference), 0, 1)."""
    return np.clip(1.0 + behaviour.health_drive_motivation
                   * (motivation - behaviour.motivation_reference), 0.0, 1.0)


def adherence(hh: Households, behaviour) -> np.ndarray:
    """How well each household follows care for a chronic illness, 0-1: 1 with basic
    health literacy, ``adherence_illiterate`` without, times its health drive."""
    return np.where(hh.health_literate, 1.0, behaviour.adherence_illiterate) * health_drive(
        hh.motivation, behaviour)


def chronic_excess_kept(hh: Households, behaviour) -> np.ndarray:
    """Share of a chronic patient's extra acute risk left after the household's own
    management of the illness (medicines taken, pressure checked, warning signs acted
    on), with or without a family doctor: 1 - self_care_chronic x adherence.

    One compiled pass (``abm.kernels.chronic_excess_kept``, the same bits) when
    motivation is float64 and literacy boolean, as in the model; numpy's lines otherwise."""
    m, lit = hh.motivation, hh.health_literate
    if (isinstance(m, np.ndarray) and m.dtype == np.float64 and m.ndim == 1
            and isinstance(lit, np.ndarray) and lit.dtype == np.bool_
            and lit.shape == m.shape):
        from abm import kernels  # (not at import: the config needs no numba)

        return kernels.chronic_excess_kept(
            lit, m, float(behaviour.adherence_illiterate),
            float(behaviour.health_drive_motivation),
            float(behaviour.motivation_reference), float(behaviour.self_care_chronic))
    return 1.0 - behaviour.self_care_chronic * adherence(hh, behaviour)


# A household's livelihood, by where its income comes from this month (codes of
# ``LIVELIHOODS``): transfers when public transfers are at least half its income or it
# earns nothing, else its largest earned source (farming, a household business, local
# wage work, migrant work; ties to the first).
LIVELIHOODS = ("farming", "business", "local_wage", "migrant", "transfers")


def livelihood(hh: Households, idx: np.ndarray) -> np.ndarray:
    """Livelihood codes (int8, index into ``LIVELIHOODS``) of households ``idx``: the
    largest earned source (farming net of the business, the business, local wages,
    remittances), or ``transfers`` when public transfers are at least the earned total.

    One compiled pass (``abm.kernels.livelihoods``, the same codes) for an integer index
    and float64 income columns, as in the model; ``livelihood_numpy`` otherwise."""
    cols = (hh.inc_farm_m, hh.inc_business_m, hh.inc_wage_m, hh.inc_remit_m,
            hh.inc_public_m)
    if (isinstance(idx, np.ndarray) and idx.ndim == 1 and idx.dtype.kind in "iu"
            and all(c.dtype == np.float64 and c.ndim == 1 for c in cols)):
        from abm import kernels  # (not at import: the config needs no numba)

        return kernels.livelihoods(idx, *cols, np.int8(LIVELIHOODS.index("transfers")))
    return livelihood_numpy(hh, idx)


def livelihood_numpy(hh: Households, idx: np.ndarray) -> np.ndarray:
    """``livelihood`` in numpy's lines (the compiled pass's reference)."""
    biz = hh.inc_business_m[idx]
    earned = np.stack([hh.inc_farm_m[idx] - biz, biz, hh.inc_wage_m[idx],
                       hh.inc_remit_m[idx]])
    public = hh.inc_public_m[idx]
    total = earned.clip(min=0.0).sum(axis=0)
    kind = earned.argmax(axis=0).astype(np.int8)
    return np.where((public >= total) | (total <= 0.0), np.int8(LIVELIHOODS.index(
        "transfers")), kind).astype(np.int8)
