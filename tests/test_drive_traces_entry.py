"""Households' own drive in farming and care-seeking (target group), traces beyond the
required forms in the county's assessment (H County's formalism) and enterprise entry
(environment): hand-built checks of each mechanism and its reach into a run."""

from __future__ import annotations

import numpy as np
import pytest

from abm import households as H
from abm import rules
from abm.agents.implementer import optimal_paperwork, paper_score
from abm.attribution import IDEAL
from abm.config import load_config
from abm.model import CountyModel
from abm.rng import stream
from tests.conftest import make_ctx, make_households


# ------------------------------------------------------------- drive (target group)
def test_farm_output_follows_motivation_around_the_reference():
    n = 300
    cfg = load_config(None, ["economy.income_noise_sigma=0", "economy.p_job_loss=0"])
    b = cfg.behaviour
    farms = {}
    for mot in (0.2, b.motivation_reference, 0.95):
        hh = make_households(n, motivation=mot, n_migrants=0)
        H.work_income(hh, cfg, stream(1, "work"), make_ctx(n))
        farms[mot] = hh.inc_farm_m.copy()
    ref = farms[b.motivation_reference]
    for mot in (0.2, 0.95):
        want = 1.0 + b.farm_effort_motivation * (mot - b.motivation_reference)
        assert farms[mot] == pytest.approx(want * ref)
    assert (farms[0.2] < ref).all() and (farms[0.95] > ref).all()


def test_households_with_little_drive_seek_care_later_and_pay_more():
    n = 20000
    cfg = load_config(None, ["health.p_acute=1.0", "health.dur_acute=1",
                             "health.p_acute_to_disability=0", "social.delay_cost=0.5"])
    costs = {}
    for mot in (0.1, cfg.behaviour.motivation_reference, 0.9):
        hh = make_households(n, motivation=mot)
        hh.clinic_access[:] = 1.0
        hh.health_literate[:] = True
        hh.savings[:] = 1e9  # every bill affordable: drive alone delays care here
        H.health(hh, cfg, stream(3, "health"), make_ctx(n, delay_cost=0.5))
        costs[mot] = hh.acute_cost_m.copy()
    ref = costs[cfg.behaviour.motivation_reference]
    # At and above the reference everyone seeks care promptly: the same bills.
    assert costs[0.9] == pytest.approx(ref)
    late = 1.0 - (1.0 + cfg.behaviour.health_drive_motivation * (0.1 - 0.667))
    share_late = (costs[0.1] > ref * 1.01).mean()
    assert share_late == pytest.approx(late, abs=0.02)
    assert costs[0.1].mean() > ref.mean() * (1 + 0.5 * late * 0.8)


def test_the_target_groups_ideal_lifts_drive_in_farming_and_care():
    m0 = CountyModel(load_config(None, households=800, months=12, seed=4))
    sets = [f"{k}={v}" for k, v in IDEAL["target"].items()]
    m1 = CountyModel(load_config(None, sets, households=800, months=12, seed=4))
    b = m0.config.behaviour
    assert m1.households.motivation.mean() > b.motivation_reference > \
        m0.households.motivation.mean() - 0.05


def test_chronic_patients_manage_their_illness_by_literacy_and_drive():
    """Self-care of a chronic illness (target group): the extra acute risk kept is 1 -
    self_care_chronic x adherence; adherence is 1 for a literate household at the
    reference drive, adherence_illiterate without literacy, less again with little
    drive."""
    b = load_config(None).behaviour
    hh = make_households(4, motivation=b.motivation_reference)
    hh.health_literate[:] = [True, False, True, False]
    hh.motivation[2:] = 0.1
    kept = rules.chronic_excess_kept(hh, b)
    drive = 1.0 + b.health_drive_motivation * (0.1 - b.motivation_reference)
    assert kept == pytest.approx([1 - b.self_care_chronic,
                                  1 - b.self_care_chronic * b.adherence_illiterate,
                                  1 - b.self_care_chronic * drive,
                                  1 - b.self_care_chronic * b.adherence_illiterate * drive])
    assert kept[0] < kept[2] < kept[3] and kept[0] < kept[1] < kept[3]


def test_chronic_households_without_health_literacy_fall_ill_more_often():
    """In the health phase (no family doctors), literate chronic households start acute
    episodes at their lower rate; not chronic households do not depend on literacy."""
    n = 40000
    cfg = load_config(None, ["health.p_acute=0.05", "health.p_chronic_onset_year=0",
                             "health.rel_acute_per_elderly=0"])
    h, b = cfg.health, cfg.behaviour
    rates = {}
    for seed in (1, 2, 3):
        hh = make_households(n, motivation=b.motivation_reference, n_elderly=0)
        hh.chronic[:] = np.arange(n) % 2 == 0
        hh.health_literate[:] = np.arange(n) % 4 < 2
        H.health(hh, cfg, stream(seed, "health"), make_ctx(n))
        started = hh.acute_cost_m > 0
        for key, mask in (("chronic literate", hh.chronic & hh.health_literate),
                          ("chronic illiterate", hh.chronic & ~hh.health_literate),
                          ("literate", ~hh.chronic & hh.health_literate),
                          ("illiterate", ~hh.chronic & ~hh.health_literate)):
            rates.setdefault(key, []).append(started[mask].mean())
    rate = {k: np.mean(v) for k, v in rates.items()}
    excess = h.rel_acute_chronic - 1.0
    assert rate["chronic literate"] == pytest.approx(
        h.p_acute * (1 + excess * (1 - b.self_care_chronic)), rel=0.08)
    assert rate["chronic illiterate"] == pytest.approx(
        h.p_acute * (1 + excess * (1 - b.self_care_chronic * b.adherence_illiterate)),
        rel=0.08)
    assert rate["literate"] == pytest.approx(rate["illiterate"], rel=0.1)
    assert rate["chronic illiterate"] > rate["chronic literate"] * 1.1


# ------------------------------------------------------------- traces (organisation)
def test_paper_score_rises_past_the_required_forms_only_with_traces():
    assert paper_score(60.0, 60.0, 0.0) == 1.0
    assert paper_score(120.0, 60.0, 0.0) == 1.0  # nothing gained past the requirement
    assert paper_score(30.0, 60.0, 0.3) == pytest.approx(0.35)
    assert paper_score(60.0, 60.0, 0.3) == pytest.approx(0.7)
    assert 0.7 < paper_score(90.0, 60.0, 0.3) < paper_score(120.0, 60.0, 0.3) < 1.0


@pytest.mark.parametrize("w_paper", [0.3, 0.5, 0.8])
def test_optimal_paperwork_is_the_best_split_with_and_without_traces(w_paper):
    args = dict(hours=200.0, required=40.0, n_households=120, hours_per_visit=2.0, k=3.0)
    b = args["k"] / (args["hours_per_visit"] * args["n_households"])
    grid = np.linspace(0.0, args["hours"], 40001)
    chosen = []
    for w_tr in (0.0, 0.15, 0.3, 0.6):
        p = optimal_paperwork(w_paper=w_paper, w_outcome=1 - w_paper, w_traces=w_tr, **args)

        def score(x, w_tr=w_tr):
            return w_paper * paper_score(x, args["required"], w_tr) + (1 - w_paper) * (
                1 - np.exp(-b * (args["hours"] - x)))
        assert score(p) >= max(score(x) for x in grid) - 1e-9
        chosen.append(p)
    assert chosen[0] <= args["required"]
    assert chosen == sorted(chosen)  # more weight on traces, more paperwork


def test_traces_in_the_assessment_crowd_out_visits_in_a_run():
    out = {}
    for w in (0.0, 0.3):
        share, visits = [], []
        for seed in (1, 2):
            m = CountyModel(load_config("configs/counties/h_county.yaml",
                                        [f"assessment.weight_traces={w}"],
                                        households=3000, months=24, seed=seed))
            for _ in range(24):
                m.step()
            ts = m.timeseries()
            share.append(ts["smith_org_paperwork_share"].iloc[6:].mean())
            visits.append(ts["smith_org_visits_per_100_households"].iloc[6:].mean())
        out[w] = (np.array(share), np.array(visits))
    assert (out[0.3][0] > out[0.0][0] + 0.2).all(), out
    assert (out[0.3][1] < 0.6 * out[0.0][1]).all(), out
    assert IDEAL["org"]["assessment.weight_traces"] == 0.0


# ------------------------------------------------------------- entry (environment)
def _failed_county(p_entry: float, seed: int = 1) -> CountyModel:
    m = CountyModel(load_config(None, [f"industry.p_entry_year={p_entry}",
                                       "economy.price_sigma=0",
                                       "shocks.p_sector_slump_year=0"],
                                households=1500, months=36, seed=seed))
    s = m.step_context()
    for e in m.industry.enterprises[::2]:  # half the enterprises fail
        e.fail(s, m.industry)
    return m


def test_failed_enterprises_are_replaced_by_entrants_of_their_sector():
    m = _failed_county(1.0)  # the run stands before January 2021
    n_e = len(m.industry.enterprises)
    failed = len(range(0, n_e, 2))
    sectors = [e.sector for e in m.industry.enterprises]
    assert len(m.industry.alive()) == n_e - failed
    m.step()  # January: entry
    assert len(m.industry.alive()) == n_e and m.industry.n_entered == failed
    assert [e.sector for e in m.industry.enterprises] == sectors
    assert [e.index for e in m.industry.enterprises] == list(range(n_e))
    assert not m.industry.enterprises[0].workers.size or m.industry.enterprises[0].alive
    for _ in range(2):
        m.step()
    hh = m.households
    # the entrants hire again
    assert np.isin(hh.employer[hh.employer >= 0], np.arange(0, n_e, 2)).any()


def test_no_entry_without_the_chance_of_it():
    m = _failed_county(0.0)
    for _ in range(30):
        m.step()
    assert m.industry.n_entered == 0
    assert len(m.industry.alive()) <= len(m.industry.enterprises) - len(
        range(0, len(m.industry.enterprises), 2))


# ------------------------------------------------------------- the ideals' reach
def test_ideal_environment_brings_clinics_in_reach_and_a_social_sector_that_never_runs_short():
    sets = [f"{k}={v}" for k, v in IDEAL["env"].items() if k.startswith("social.")]
    runs = {}
    for name, extra in (("as_is", []), ("ideal", sets)):
        m = CountyModel(load_config("configs/counties/y_county.yaml", extra,
                                    households=3000, months=36, seed=3))
        queue, left = 0, 0
        for k in range(36):
            m.step()
            queue = max(queue, len(m.social.workers.queue))
            hh = m.households
            low = (hh.monitored | hh.registered | hh.dibao) & (
                hh.motivation < m.config.social.referral_motivation)
            low[m.social.workers.cases] = False
            left = max(left, int(low.sum())) if k >= 24 else 0
        runs[name] = (queue, float(m.households.clinic_access.mean()), left)
    assert runs["as_is"][0] > 0  # Y County's few social workers leave referrals waiting
    assert runs["as_is"][2] > 50  # and most discouraged clients unseen
    assert runs["ideal"][0] == 0
    assert runs["ideal"][2] <= 3  # (a household or two the month it falls below the line)
    assert runs["ideal"][1] > 0.99 > runs["as_is"][1]


def test_ideal_policy_gives_every_chronic_patient_a_family_doctor():
    """The policy's ideal signs a contract with every chronic patient; in P County its
    clinics serve half of them (the organisation's deficit) unless the organisation is
    ideal too."""
    sets = [f"{k}={v}" for k, v in IDEAL["policy"].items()]
    m = CountyModel(load_config("configs/counties/p_county.yaml",
                                [*sets, "implementers.contract_service_share=1.0"],
                                households=2000, months=12, seed=1))
    chronic = m.households.chronic.copy()
    m.step()  # January: the clinics sign (patients with a chronic condition by then)
    assert m.households.doctor_contract[chronic].all()
    half = CountyModel(load_config("configs/counties/p_county.yaml", sets,
                                   households=2000, months=12, seed=1))
    half.step()
    signed = sum(c.contracts for c in half.social.clinics)
    assert signed == sum(c.contracts for c in m.social.clinics) >= chronic.sum()
    assert half.households.doctor_contract.sum() == pytest.approx(signed / 2, abs=8)
    m0 = CountyModel(load_config("configs/counties/p_county.yaml", households=2000,
                                 months=12, seed=1))
    m0.step()
    assert m0.households.doctor_contract[m0.households.chronic].mean() < 0.4


def test_health_management_helps_less_when_the_household_has_little_drive():
    from abm.instruments.registry import Instruments
    cfg = load_config(None, ["policy.prevention.rel_acute=0.6"])
    prevention = Instruments(cfg)["prevention"]
    n = 3
    hh = make_households(n, motivation=0.0)
    hh.motivation[:] = [0.1, cfg.behaviour.motivation_reference, 0.95]
    hh.health_literate[:] = True
    hh.chronic[:] = True
    hh.doctor_contract[:] = True
    rel = prevention.acute_risk(hh, make_ctx(n, cfg=cfg), np.ones(n))
    drive = 1 + cfg.behaviour.health_drive_motivation * (0.1 - cfg.behaviour.motivation_reference)
    assert rel == pytest.approx([1 - 0.4 * drive, 0.6, 0.6])


def test_support_funds_reach_enterprises_after_the_bureaus_delay():
    for delay in (0, 3):
        m = CountyModel(load_config(None, [f"implementers.fund_delay_months={delay}"],
                                    households=1500, months=24, seed=2))
        supported, members = [], []
        for _ in range(12):
            m.step()
            supported.append(sum(e.supported for e in m.industry.enterprises))
            members.append(int(sum(e.last_dividend > 0 for e in m.industry.enterprises)))
        if delay == 0:
            assert supported[0] > 0
        else:
            assert supported[:3] == [0, 0, 0] and supported[3] > 0
            assert members[:3] == [0, 0, 0]
    assert IDEAL["org"]["implementers.fund_delay_months"] == 0


def test_an_open_training_offer_reaches_registered_households_each_january():
    out = {}
    for offer in (False, True):
        m = CountyModel(load_config(None, [f"policy.training.open_offer={str(offer).lower()}",
                                           "policy.training.seats_per_1000=40"],
                                    households=3000, months=24, seed=5))
        tr = m.instruments["training"]
        hh = m.households
        skills0 = hh.skills.copy()
        m.step()  # January: the offer
        gained = hh.training_gain > 0
        if offer:  # only able members of the lifted-out and monitored are offered seats
            assert gained.any()
            assert not (gained & ~(hh.registered | hh.monitored)).any()
            assert not (gained & (hh.n_labour == 0)).any()
        m.step()  # the gain is learned
        out[offer] = (tr.trained, (hh.skills - skills0).mean())
    assert out[True][0] > out[False][0] + 40  # the January offer's trainees
    assert out[True][1] > out[False][1]


# ------------------------------------------------------------- livelihoods (measured)
def test_livelihood_is_the_largest_earned_source_or_transfers():
    from abm import rules
    hh = make_households(6)
    hh.inc_farm_m[:] = [900, 100, 100, 0, 300, 200]
    hh.inc_wage_m[:] = [100, 800, 100, 0, 200, 200]
    hh.inc_remit_m[:] = [0, 0, 1200, 0, 0, 100]
    hh.inc_public_m[:] = [100, 100, 100, 300, 500, 499]
    got = rules.livelihood(hh, np.arange(6))
    names = [rules.LIVELIHOODS[k] for k in got]
    # earns nothing -> transfers; transfers at least half of income -> transfers
    assert names == ["farming", "local_wage", "migrant", "transfers", "transfers", "farming"]
    assert got.dtype == np.int8


def test_events_record_each_households_livelihood_that_month():
    m = CountyModel(load_config(None, households=1500, months=12, seed=3))
    for _ in range(12):
        m.step()
    ev = m.events()
    assert len(ev) and ev["livelihood"].notna().all()
    month, who, *_, kinds = m._events[-1]
    from abm import rules
    assert (kinds == rules.livelihood(m.households, who)).all()
