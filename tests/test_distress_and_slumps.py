"""Psychological distress and health literacy (P County) and sector slumps (Lankao):
hand-built checks of each mechanism, and their reach into the attribution's ideals."""

from __future__ import annotations

import numpy as np
import pytest

from abm import households as H
from abm.attribution import IDEAL
from abm.config import load_config
from abm.county import Markets
from abm.model import CountyModel


def small(*sets, n=400, seed=2):
    return CountyModel(load_config(None, list(sets), households=n, months=12, seed=seed))


def test_distress_rises_under_stress_fades_faster_when_treated_and_saps_motivation():
    m = small()
    hh, cfg = m.households, m.config
    b = cfg.behaviour
    hh.psych_distress[:] = 0.0
    hh.debt[:] = 0.0
    hh.acute_left[:] = 0
    hh.sick_now[:] = False
    hh.lost_job_now[:] = False
    hh.acute_left[:100] = 2  # an illness episode in the first 100 households
    hh.motivation[:] = 0.6
    H.psych(hh, cfg, treated=0.0)
    assert hh.psych_distress[:100] == pytest.approx(b.psych_onset * (1 - b.psych_recovery))
    assert (hh.psych_distress[100:] == 0).all()
    assert (hh.motivation[:100] < 0.6).all() and (hh.motivation[100:] == 0.6).all()
    # no more stress: treated households' distress fades faster
    hh.acute_left[:] = 0
    before = hh.psych_distress.copy()
    treated = np.zeros(hh.n)
    treated[:50] = 1.0
    H.psych(hh, cfg, treated)
    fade = 1.0 - hh.psych_distress[:100] / before[:100]
    assert fade[:50] == pytest.approx(b.psych_recovery * (1 + b.psych_treatment_gain))
    assert fade[50:] == pytest.approx(b.psych_recovery)


def test_counselling_and_social_work_lower_distress_in_a_run():
    means = {}
    for name, reach in (("none", 0.0), ("full", 1.0)):
        vals = []
        for seed in (1, 2, 3):
            m = small(f"policy.prevention.counselling_reach={reach}", n=2000, seed=seed)
            for _ in range(12):
                m.step()
            vals.append(m.households.psych_distress.mean())
        means[name] = np.array(vals)
    assert (means["full"] < 0.8 * means["none"]).all(), means


def test_sector_slumps_hit_one_sector_by_their_size():
    cfg = load_config(None, ["shocks.p_sector_slump_year=1.0", "economy.price_sigma=0"])
    mk = Markets(cfg, ["grain", "handicraft"], {}, np.random.default_rng(5))
    seen = []
    for month in range(36):
        before = mk.log_dev.copy()
        mk.step(month)
        jump = mk.log_dev - cfg.economy.price_rho * before
        seen.append(jump)
    jumps = np.array(seen)
    hit = jumps < -1e-12
    assert mk.n_slumps == int(hit.sum()) > 0
    assert jumps[hit] == pytest.approx(cfg.shocks.sector_slump_size)
    quiet = Markets(load_config(None, ["shocks.p_sector_slump_year=0"]), ["grain"], {},
                    np.random.default_rng(5))
    for month in range(36):
        quiet.step(month)
    assert quiet.n_slumps == 0


def test_a_slump_of_the_dominant_industry_costs_enterprises_and_jobs():
    """Lankao's exposure: when the one industry slumps, its enterprises lose money and
    shed jobs; the same slump in a minor sector costs far fewer (against the same
    county without the slump, on common random numbers)."""
    def run(sectors: str, slump: bool, seed: int) -> tuple[int, int]:
        shock = "[{sector: handicraft, year: 2021, size: -0.53}]" if slump else "[]"
        m = CountyModel(load_config(None, [f"industry.sectors={sectors}",
                                           f"shocks.price_shocks={shock}",
                                           "shocks.p_sector_slump_year=0"],
                                    households=3000, months=18, seed=seed))
        for _ in range(18):
            m.step()
        return int((m.households.employer >= 0).sum()), m.industry.n_failed
    lost, failed = {}, {}
    for name, sectors in (("dominant", "{handicraft: 0.9, grain: 0.1}"),
                          ("minor", "{handicraft: 0.1, grain: 0.9}")):
        d = [np.subtract(run(sectors, False, s), run(sectors, True, s)) for s in (1, 2)]
        lost[name] = np.mean([x[0] for x in d])
        failed[name] = -np.mean([x[1] for x in d])
    assert failed["dominant"] > failed["minor"] >= 0, failed
    assert lost["dominant"] > lost["minor"] + 10, lost


def test_the_ideals_remove_the_new_deficits():
    assert IDEAL["env"]["shocks.p_sector_slump_year"] == 0.0
    assert IDEAL["target"]["behaviour.psych_onset"] == 0.0


def test_health_management_does_less_for_households_without_health_literacy():
    m = small()
    hh = m.households
    prev = m.instruments["prevention"]
    hh.chronic[:] = True
    hh.doctor_contract[:] = True
    hh.health_literate[:] = np.arange(hh.n) % 2 == 0
    hh.motivation[:] = m.config.behaviour.motivation_reference  # full drive: literacy alone
    rel = prev.acute_risk(hh, m.ctx, np.ones(hh.n))
    p, b = prev.p, m.config.behaviour
    assert rel[0::2] == pytest.approx(p.rel_acute)
    assert rel[1::2] == pytest.approx(1.0 - (1.0 - p.rel_acute) * b.adherence_illiterate)
    assert IDEAL["target"]["population.p_health_literate"] == 1.0


def test_health_literacy_is_drawn_at_its_share():
    m = small("population.p_health_literate=0.2", n=20_000)
    assert m.households.health_literate.mean() == pytest.approx(0.2, abs=0.01)
