"""Money that keeps its value, dynamic management and no calendar artefacts."""

from __future__ import annotations

import numpy as np
import pytest

from abm.config import load_config
from abm.model import CountyModel
from abm.runner import simulate


def model(*sets, n=2000, seed=6, months=36):
    return CountyModel(load_config(None, list(sets), households=n, months=months, seed=seed))


def test_each_amount_follows_its_own_rule_and_real_figures_are_reported():
    m = model()
    for _ in range(24):
        m.step()
    land = m.households.land.sum()  # paid on before this month's distress sales, if any
    m.step()
    hh = m.households
    # pension raised each January by 5%: 170 in 2021, 170 x 1.05^2 in 2023
    paid = m.budget.lines["pension"].spent_month
    assert paid == pytest.approx(hh.n_elderly.sum() * 170.0 * 1.05**2)
    # farmland subsidy stays at 120 yuan/mu/year
    assert m.budget.lines["farm_subsidy"].spent_month == pytest.approx(
        land * 120.0 / 12.0)
    ts = m.timeseries()
    assert ts["cpi"].iloc[0] == pytest.approx(1.02 ** (0.5 / 12))
    assert (ts["income_pc_real"] < ts["income_pc"]).all()
    assert ts["poverty_line_real"].iloc[-1] == pytest.approx(
        ts["poverty_line"].iloc[-1] / ts["cpi"].iloc[-1])


def test_dibao_review_takes_out_those_above_the_line_and_takes_in_those_below():
    m = model(n=3000, months=14)
    dibao = m.instruments["dibao"]
    hh = m.households
    for _ in range(13):  # through the January 2022 review
        m.step()
    assert dibao.n_exits > 0 and dibao.n_entries > 0
    own = dibao.income_without_top_up(hh)
    line = m.ctx.dibao_line
    # right after the review nobody in the dibao is far above its line without it
    assert (own[hh.dibao] <= 1.3 * line).mean() > 0.9


def test_posts_end_with_their_term_unless_renewed():
    # Holders age out of work quickly, so some terms end with no one at home to renew.
    m = model("policy.public_posts.term_months=3", "policy.public_posts.quota_per_1000=40",
              "health.p_retire_year=0.5", n=6000)
    posts = m.instruments["public_posts"]
    hh = m.households
    for _ in range(18):
        m.step()
        assert (hh.post_until[hh.in_post] > m.month - 1).all()  # no post past its term
    assert posts.n_ended > 0
    assert hh.in_post.any()


def test_enterprise_jobs_end_and_the_lost_wage_is_a_job_loss_until_rehired():
    m = model("industry.p_job_separation=0.2")
    for _ in range(6):
        m.step()
    assert m.industry.n_separations > 0
    hh = m.households
    assert (hh.lost_job_m[hh.employer >= 0] == 0).all()  # rehired: nothing lost
    assert (hh.lost_job_m > 0).any()


def test_charity_spends_as_needs_arise_not_in_january():
    cfg = load_config(None, ["social.charity_per_household=10",
                             "social.charity_grant=1000"], households=3000, months=36,
                      seed=2)
    ts = simulate(cfg).timeseries
    spent = ts["spent_charity_m"].to_numpy()
    january = spent[::12].sum() / spent.sum()
    assert january < 0.25  # was about 0.9 when the whole year's pool went in January
    for year in range(3):
        cum = np.cumsum(spent[12 * year: 12 * year + 12])
        alloc = 10.0 * 3000
        assert (cum <= alloc * np.arange(1, 13) / 12 + 1e-6).all()


def test_no_january_jump_in_poverty_over_seeds():
    """Demographic events are spread over the year: poverty is not seasonal by
    construction (January's change is like any other month's)."""
    jan, other = [], []
    for seed in (1, 2, 3):
        ts = simulate(load_config(None, households=4000, months=72, seed=seed)).timeseries
        d = np.diff(ts["poverty_rate"].to_numpy())
        moy = np.arange(1, 72) % 12
        jan.extend(d[moy == 0])
        other.extend(d[moy != 0])
    assert abs(np.mean(jan) - np.mean(other)) < 3 * np.std(other) / np.sqrt(len(jan))
