"""Learning phase: motivation and skills move with the household's own experience, its
neighbours', training and social work. All households at once, no draws."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import rules

if TYPE_CHECKING:
    from abm.config import Config
    from abm.households.state import Households


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
