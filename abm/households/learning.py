"""Learning phase: motivation and skills move with the household's own experience, its
neighbours', training and social work. All households at once, no draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import kernels, rules

if TYPE_CHECKING:
    from abm.config import Config
    from abm.households.state import Households


def psych(hh: Households, cfg: Config, treated: np.ndarray | float) -> None:
    """Psychological distress: rises in a month of stress (an illness episode in the
    household, a lost job, debt above ``distress_debt_months`` of subsistence), fades
    by ``psych_recovery`` a month, faster when treated (``treated``: the chance this
    month, 0-1, that a clinic's counselling or social work reaches the household), and
    saps motivation (``psych_motivation`` a month at full distress).

    With ``treated`` one float64 per household (as the model passes it), one compiled
    pass (``abm.kernels.psych_pass``); otherwise the numpy lines it replaces."""
    b = cfg.behaviour
    if isinstance(treated, np.ndarray) and treated.dtype == np.float64 and (
            treated.shape == hh.psych_distress.shape):
        # One compiled pass, the same bits as the numpy lines below.
        kernels.psych_pass(
            hh.acute_left, hh.sick_now, hh.lost_job_now, hh.debt, hh.size, treated,
            hh.psych_distress, hh.motivation, float(b.distress_debt_months),
            cfg.spending.subsistence_per_capita / 12.0, float(b.psych_onset),
            float(b.psych_recovery), float(b.psych_treatment_gain),
            float(b.psych_motivation))
        return
    stress = (hh.acute_left > 0) | hh.sick_now | hh.lost_job_now | rules.heavy_debt(
        hh, b.distress_debt_months, cfg.spending.subsistence_per_capita)
    d = hh.psych_distress
    d = d + b.psych_onset * stress * (1.0 - d)
    d = d - b.psych_recovery * (1.0 + b.psych_treatment_gain * treated) * d
    hh.psych_distress[:] = np.clip(d, 0.0, 1.0)
    hh.motivation[:] = hh.motivation * (1.0 - b.psych_motivation * hh.psych_distress)


def psych_counselled(hh: Households, cfg: Config, prevention, ctx) -> None:
    """``psych`` with this month's treatment chance as the model reads it: ``min(
    prevention.counselling(hh, ctx) + (hh.support_gain > 0), 1)`` (the clinics'
    counselling, and social work served this month).

    One compiled pass (``abm.kernels.psych_counselled_pass``, the chance made household
    by household, the same bits) when the counselling is clinic access x one number
    (``Prevention.counselling_reach``) and the columns are float64, as in the model;
    otherwise the chance as numpy makes it, then ``psych``."""
    b = cfg.behaviour
    reach = getattr(prevention, "counselling_reach", None)
    cols = (hh.clinic_access, hh.support_gain, hh.psych_distress, hh.motivation, hh.debt)
    if reach is not None and all(isinstance(c, np.ndarray) and c.dtype == np.float64
                                 and c.shape == (hh.n,) for c in cols):
        kernels.psych_counselled_pass(
            hh.acute_left, hh.sick_now, hh.lost_job_now, hh.debt, hh.size,
            hh.clinic_access, float(reach(ctx)), hh.support_gain, hh.psych_distress,
            hh.motivation, float(b.distress_debt_months),
            cfg.spending.subsistence_per_capita / 12.0, float(b.psych_onset),
            float(b.psych_recovery), float(b.psych_treatment_gain),
            float(b.psych_motivation))
        return
    treated = np.minimum(prevention.counselling(hh, ctx) + (hh.support_gain > 0), 1.0)
    psych(hh, cfg, treated)


def learning(hh: Households, cfg: Config, peers, has_peers: np.ndarray,
             income: np.ndarray | None = None) -> None:
    """Motivation and skills move with the household's own experience, its neighbours',
    training and social work (the neighbours' averages through ``peers``, a row-normalised
    CSR matrix or its ``kernels.peer_parts``, as the model passes ``County.peer_parts``,
    made once a run; ``income``: this month's ``hh.income_m()`` when the caller has it).

    For each household, with m its motivation and s its skills (0-1):

    - gain = clip((income - out-of-pocket medical - usual) / usual, -1, 1), usual being
      last year's monthly disposable income (at least 1 yuan);
    - m += experience * gain * (1 - m if gain > 0 else m); then
      m += peer * (neighbours' m - m) - shock * [sick or lost a job] * m;
      m += recovery * (disposition - m); m -= dependence * [reliant on transfers] * m;
      m += support gained from social work * (1 - m); clipped to [0, 1];
    - s += learning * [working] * (1 - s) - decay * [not working] * s;
      s += peer * max(neighbours' s - s, 0); s += training gained * (1 - s); clipped.

    Compiled passes over all households, in place (``abm.kernels.learning_pass_into``:
    the neighbours' averages first, then the updates, which read the reliance rule,
    ``abm.rules.reliant_on_transfers``, household by household).
    """
    b = cfg.behaviour
    income = hh.income_m() if income is None else income
    if isinstance(peers, tuple):
        parts = peers
    else:  # a matrix (scipy imported only then: the model passes the parts)
        import scipy.sparse as sp

        parts = kernels.peer_parts(sp.csr_matrix(peers))
    # In place on the columns; the month's support and training gains are used up.
    kernels.learning_pass_into(
        hh.motivation, hh.skills, hh.net_sum, income, hh.sp_medical_m, hh.sick_now,
        hh.lost_job_now, hh.n_labour, hh.help_m, float(b.reliance_help_share),
        hh.disposition, hh.support_gain, hh.n_migrants, hh.inc_wage_m,
        hh.training_gain, np.asarray(has_peers, dtype=np.bool_), *parts,
        float(b.motivation_experience), float(b.motivation_peer),
        float(b.motivation_shock), float(b.motivation_recovery),
        float(b.motivation_dependence), float(b.skills_learning), float(b.skills_decay),
        float(b.skills_peer))
