"""The compiled passes of ``abm.kernels`` give the numpy expressions they replace, bit for
bit, on random households (edge values included: zeros, ones, no neighbours, NaN-free
extremes). The reference functions below are the phases' numpy code before the kernels.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from abm import rules
from abm.config import Config
from abm.households import learning
from tests.conftest import make_households

CFG = Config()


def learning_reference(hh, cfg, peers, has_peers) -> None:
    """The learning phase as numpy expressions (before ``abm.kernels.learning_pass``)."""
    b = cfg.behaviour
    m = hh.motivation
    usual = np.maximum(hh.net_sum / 12.0, 1.0)
    gain = np.clip((hh.income_m() - hh.sp_medical_m - usual) / usual, -1.0, 1.0)
    hit = hh.sick_now | hh.lost_job_now
    peer_m = np.where(has_peers, peers @ m, m)
    m = m + b.motivation_experience * gain * np.where(gain > 0, 1.0 - m, m)
    m = m + b.motivation_peer * (peer_m - m) - b.motivation_shock * hit * m
    m = m + b.motivation_recovery * (hh.disposition - m)
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


def random_network(n: int, rng: np.random.Generator) -> tuple[sp.csr_matrix, np.ndarray]:
    m = 3 * n
    a, b = rng.integers(0, n, m), rng.integers(0, n, m)
    keep = a != b
    rows = np.concatenate([a[keep], b[keep]])
    cols = np.concatenate([b[keep], a[keep]])
    adj = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
    adj.data[:] = 1.0
    adj.sort_indices()
    deg = np.asarray(adj.sum(axis=1)).ravel()
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
    return sp.csr_matrix(sp.diags(inv) @ adj), deg > 0


def random_households(n: int, rng: np.random.Generator):
    hh = make_households(n)

    def pick(values, p=None):
        return rng.choice(np.asarray(values), n, p=p)

    def spiky(lo, hi):  # uniform, with exact bounds and zeros mixed in
        x = rng.uniform(lo, hi, n)
        return np.where(rng.random(n) < 0.1, pick([lo, hi, 0.0, 1.0]), x)

    hh.motivation[:] = spiky(0.0, 1.0)
    hh.skills[:] = spiky(0.0, 1.0)
    hh.disposition[:] = spiky(0.0, 1.0)
    hh.net_sum[:] = spiky(-5000.0, 200000.0)
    hh.inc_farm_m[:] = spiky(-500.0, 5000.0)
    hh.inc_wage_m[:] = np.where(rng.random(n) < 0.4, 0.0, spiky(0.0, 6000.0))
    hh.inc_remit_m[:] = spiky(0.0, 3000.0)
    hh.inc_property_m[:] = spiky(0.0, 300.0)
    hh.inc_public_m[:] = spiky(0.0, 2000.0)
    hh.help_m[:] = np.where(rng.random(n) < 0.5, 0.0, spiky(0.0, 3000.0))
    hh.sp_medical_m[:] = np.where(rng.random(n) < 0.7, 0.0, spiky(0.0, 20000.0))
    hh.sick_now[:] = rng.random(n) < 0.2
    hh.lost_job_now[:] = rng.random(n) < 0.1
    hh.n_migrants[:] = pick([0, 0, 1, 2])
    hh.n_labour[:] = pick([0, 1, 2, 3])
    hh.support_gain[:] = np.where(rng.random(n) < 0.8, 0.0, spiky(0.0, 0.3))
    hh.training_gain[:] = np.where(rng.random(n) < 0.8, 0.0, spiky(0.0, 0.3))
    return hh


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.tobytes() == b.tobytes()


def test_learning_pass_matches_numpy():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        n = 3000
        peers, has_peers = random_network(n, rng)
        has_peers[rng.random(n) < 0.05] = False  # some rows left to their own values
        a = random_households(n, np.random.default_rng(seed))
        b = random_households(n, np.random.default_rng(seed))
        for month in range(3):  # the values feed back, as in a run
            learning_reference(a, CFG, peers, has_peers)
            learning(b, CFG, peers, has_peers)
            for col in ("motivation", "skills", "support_gain", "training_gain"):
                assert same_bits(getattr(a, col), getattr(b, col)), (seed, month, col)
