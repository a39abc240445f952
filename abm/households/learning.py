"""Learning phase: motivation and skills move with the household's own experience, its
neighbours', training and social work. All households at once, no draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import rules

if TYPE_CHECKING:
    from abm.config import Config
    from abm.households.state import Households


def psych(hh: Households, cfg: Config, treated: np.ndarray | float) -> None:
    """Psychological distress: rises in a month of stress (an illness episode in the
    household, a lost job, debt above ``distress_debt_months`` of subsistence), fades
    by ``psych_recovery`` a month, faster when treated (``treated``: the chance this
    month, 0-1, that a clinic's counselling or social work reaches the household), and
    saps motivation (``psych_motivation`` a month at full distress)."""
    b = cfg.behaviour
    subsist = cfg.spending.subsistence_per_capita / 12.0 * np.maximum(hh.size, 1)
    stress = (hh.acute_left > 0) | hh.sick_now | hh.lost_job_now | (
        hh.debt > b.distress_debt_months * subsist)
    d = hh.psych_distress
    d = d + b.psych_onset * stress * (1.0 - d)
    d = d - b.psych_recovery * (1.0 + b.psych_treatment_gain * treated) * d
    hh.psych_distress[:] = np.clip(d, 0.0, 1.0)
    hh.motivation[:] = hh.motivation * (1.0 - b.psych_motivation * hh.psych_distress)


def learning(hh: Households, cfg: Config, peers, has_peers: np.ndarray) -> None:
    """Motivation and skills move with the household's own experience, its neighbours',
    training and social work (a sparse matrix product for the neighbours)."""
    b = cfg.behaviour
    m = hh.motivation
    usual = np.maximum(hh.net_sum / 12.0, 1.0)
    gain = np.clip((hh.income_m() - hh.sp_medical_m - usual) / usual, -1.0, 1.0)
    hit = hh.sick_now | hh.lost_job_now
    peer_m = np.where(has_peers, peers @ m, m)
    m = m + b.motivation_experience * gain * np.where(gain > 0, 1.0 - m, m)
    m = m + b.motivation_peer * (peer_m - m) - b.motivation_shock * hit * m
    m = m + b.motivation_recovery * (hh.disposition - m)
    # Relying on transfers while able to work saps the driving force a little.
    reliant = rules.reliant_on_transfers(hh, b.reliance_help_share)
    m = m - b.motivation_dependence * reliant * m
    m = m + hh.support_gain * (1.0 - m)
    hh.support_gain[:] = 0.0
    hh.motivation[:] = np.clip(m, 0.0, 1.0)
    sk = hh.skills
    working = (hh.n_migrants > 0) | (hh.inc_wage_m > 0)
    peer_s = np.where(has_peers, peers @ sk, sk)
    sk = sk + b.skills_learning * working * (1.0 - sk) - b.skills_decay * ~working * sk
    sk = sk + b.skills_peer * np.maximum(peer_s - sk, 0.0)
    sk = sk + hh.training_gain * (1.0 - sk)
    hh.training_gain[:] = 0.0
    hh.skills[:] = np.clip(sk, 0.0, 1.0)
