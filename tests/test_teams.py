"""Village work teams arrive, learn their village, leave at the end of their term, and
are recalled when the December review scores them lowest."""

from __future__ import annotations

import numpy as np

from abm.config import load_config
from abm.model import CountyModel


def model(*sets, n=3000, seed=4, months=36):
    return CountyModel(load_config(None, list(sets), households=n, months=months, seed=seed))


def test_terms_are_staggered_and_end_with_a_new_team():
    m = model("implementers.team_term_months=12", "assessment.replace_share=0")
    teams = m.village_teams
    # tenures are spread over a term, never beyond it
    ten = np.array([t.tenure for t in teams])
    assert (ten >= 0).all() and (ten < 12).all() and np.unique(ten).size > 5
    before = sum(t.n_arrivals for t in teams)
    for _ in range(12):
        m.step()
    # in a year every team's term ended once
    assert sum(t.n_arrivals for t in teams) - before == len(teams)


def test_a_team_recognises_more_as_it_learns_its_village():
    m = model("implementers.team_skill_spread=0", "implementers.new_team_knowledge=0.5")
    imp = m.config.implementers
    t = m.village_teams[0]
    t.arrive(1.0)
    skills = []
    for _ in range(6):
        t.learn(imp)
        skills.append(t.detection_skill)
        t.new_month(imp)
    assert np.all(np.diff(skills) > 0)
    assert skills[0] < imp.detection_skill * 0.6 and skills[-1] < imp.detection_skill


def test_the_review_recalls_the_lowest_scores_and_outcome_scores_select_talent():
    talent = {}
    for name, weights in (("outcomes", ("assessment.weight_paperwork=0",
                                        "assessment.weight_outcomes=1")),
                          ("forms", ("assessment.weight_paperwork=1",
                                     "assessment.weight_outcomes=0"))):
        vals = []
        for seed in (1, 2, 3):
            # enough cadre time in every village that a team's own skill, not its hours,
            # decides what it finds
            m = model(*weights, "assessment.replace_share=0.3",
                      "implementers.team_term_months=600", "implementers.team_skill_spread=0.5",
                      "implementers.registered_per_cadre=8", n=4000, seed=seed, months=48)
            for month in range(48):
                m.step()
                if month % 12 == 11:
                    rec = m.bureau.recalled
                    assert len(rec) == round(0.3 * len(m.village_teams))
                    assert all(t.tenure == 0 for t in rec)
                    worst = sorted(m.bureau.scores)[len(rec) - 1]
                    assert all(t.score <= worst for t in rec)
            vals.append(np.mean([t.talent for t in m.village_teams]))
        talent[name] = np.array(vals)
    # recalling on outcomes keeps the teams that find risk; recalling on forms does not
    assert (talent["outcomes"] > talent["forms"]).all(), talent


def test_paperwork_tires_a_team_and_a_new_team_arrives_rested():
    m = model("implementers.team_skill_spread=0", "implementers.new_team_knowledge=1",
              "implementers.fatigue_per_paperwork=0.2", "implementers.fatigue_recovery=0.1")
    imp = m.config.implementers
    busy, idle = m.village_teams[0], m.village_teams[1]
    for t in (busy, idle):
        t.arrive(1.0)
    busy.paperwork_share, idle.paperwork_share = 1.0, 0.0
    for _ in range(60):
        busy.learn(imp)
        idle.learn(imp)
    # all hours on forms: fatigue settles where tiring (0.2 x (1 - f)) equals fading
    # (0.1 x f), f = 2/3, and the team recognises a third of what a rested one does
    assert np.isclose(busy.fatigue, 2 / 3, atol=1e-3) and idle.fatigue == 0.0
    assert np.isclose(busy.detection_skill, idle.detection_skill / 3, rtol=1e-3)
    busy.arrive(1.0)
    assert busy.fatigue == 0.0
    busy.learn(imp)  # a month of forms again: a little tired
    assert 0.0 < busy.fatigue < 0.25


def test_formalism_tires_the_teams_more():
    """Over seeds, a county whose assessment counts traces (H County's teams spend most
    of their hours on paperwork) has more tired teams than one that does not."""
    tired = {}
    for name, sets in (("plain", ()), ("traces", ("assessment.weight_paperwork=0.8",
                                                  "assessment.weight_outcomes=0.2",
                                                  "assessment.weight_traces=0.3"))):
        vals = []
        for seed in (1, 2, 3):
            m = model(*sets, seed=seed, months=24)
            for _ in range(24):
                m.step()
            vals.append(np.mean([t.fatigue for t in m.village_teams]))
        tired[name] = np.array(vals)
    assert (tired["traces"] > 1.5 * tired["plain"]).all(), tired


def test_a_team_buried_in_paperwork_proposes_exits_sooner():
    m = model("implementers.exit_rush=0.5")
    busy, idle = m.village_teams[0], m.village_teams[1]
    busy.paperwork_share, idle.paperwork_share = 1.0, 0.0
    # the rule's six stable months; all hours on forms skip half of them
    assert idle.months_to_exit(m.config) == 6 and busy.months_to_exit(m.config) == 3
    # on top of the county's own (typed) pressure: 6 x 0.5 = 3, and 6 x 0.5 x 0.5 -> 2
    m2 = model("implementers.exit_rush=0.5", "policy.monitoring.pressure_exit=0.5")
    busy2, idle2 = m2.village_teams[0], m2.village_teams[1]
    busy2.paperwork_share, idle2.paperwork_share = 1.0, 0.0
    assert idle2.months_to_exit(m2.config) == 3 and busy2.months_to_exit(m2.config) == 2
    # the township offices read each village's team: a monitored household of the busy
    # village exits after 3 stable months, one of the idle village's waits for 6
    m.step()
    imp = m.implementation
    hh = m.households
    a, b = busy.sl.start, idle.sl.start
    imp.exit_months_by_village = np.full(len(m.village_teams), 6, dtype=np.int64)
    imp.exit_months_by_village[busy.village] = 3
    assert list(imp.months_to_exit(m.config.policy.monitoring, hh, np.array([a, b]))) == [3, 6]


def test_formalism_shows_exits_sooner_and_keeps_a_smaller_roll():
    """Over seeds, in a county whose assessment has teams spend most of their hours on
    paperwork, the teams' rush to show exits (exit_rush) shortens the observation the
    monitored households get and the monitoring roll is smaller."""
    h_like = ("assessment.weight_paperwork=0.8", "assessment.weight_outcomes=0.2",
              "assessment.weight_traces=0.3")
    for seed in (1, 2, 3):
        roll, months = {}, {}
        for rush in ("0", "0.5"):
            m = model(*h_like, f"implementers.exit_rush={rush}", n=5000, seed=seed,
                      months=36)
            shares, asked = [], []
            for month in range(36):
                m.step()
                if month >= 12:
                    shares.append(m.households.monitored.mean())
                    asked.append(m.implementation.exit_months_by_village.mean())
            roll[rush], months[rush] = np.mean(shares), np.mean(asked)
        assert months["0"] == 6.0 and months["0.5"] < 5.0, months
        assert roll["0.5"] < roll["0"], (seed, roll)
