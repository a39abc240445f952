"""The compiled passes of ``abm.kernels`` give the numpy expressions they replace, bit for
bit, on random households (edge values included: zeros, ones, no neighbours, NaN-free
extremes). The reference functions below are the phases' numpy code before the kernels.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
import scipy.sparse as sp

from abm import rules
from abm.config import Config
from abm.context import MonthContext
from abm.households import land, learning, spending, work_income
from abm.households.business import income as business_income
from abm.households.state import Households
from abm.instruments.base import Income, MedicalBill
from abm.rng import Streams
from tests.conftest import make_ctx, make_households

CFG = Config()


def learning_reference(hh, cfg, peers, has_peers) -> None:
    """The learning phase as numpy expressions (before ``abm.kernels.learning_pass_into``)."""
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


def same_bits_but_nan_sign(a: np.ndarray, b: np.ndarray) -> bool:
    """``same_bits``, except that a NaN matches any NaN: an infinite loss of either sign
    (which the model never books) added in another order gives a NaN of the other
    sign."""
    nan = np.isnan(a)
    return bool((nan == np.isnan(b)).all()) and same_bits(a[~nan], b[~nan])


def test_learning_pass_matches_numpy():
    for seed in range(5):
        rng = np.random.default_rng(seed)
        n = 3000
        peers, has_peers = random_network(n, rng)
        has_peers[rng.random(n) < 0.05] = False  # some rows left to their own values
        a = random_households(n, np.random.default_rng(seed))
        b = random_households(n, np.random.default_rng(seed))
        # incomes at and around the reliance rule's floor of 1 yuan, help at the rule's
        # threshold and one step either side
        low = rng.choice([0.0, -0.0, 0.5, 1.0, 1.5, 1.9, -3.0], 300)
        share = CFG.behaviour.reliance_help_share
        help_ = share * np.maximum(low, 1.0)
        help_ = np.where(rng.random(300) < 0.5, help_, np.nextafter(help_, np.inf))
        for hh in (a, b):
            for col in ("inc_wage_m", "inc_remit_m", "inc_property_m", "inc_public_m"):
                getattr(hh, col)[:300] = 0.0
            hh.inc_farm_m[:300] = low
            hh.help_m[:300] = help_
            hh.n_labour[:300] = 1
        for month in range(3):  # the values feed back, as in a run
            learning_reference(a, CFG, peers, has_peers)
            learning(b, CFG, peers, has_peers)
            for col in ("motivation", "skills", "support_gain", "training_gain"):
                assert same_bits(getattr(a, col), getattr(b, col)), (seed, month, col)


def work_income_reference(hh: Households, cfg: Config, rng: np.random.Generator,
                ctx: MonthContext) -> None:
    """The work-and-income phase as numpy expressions (before ``abm.kernels``).

    Earned income first; then each instrument's ``income`` hook in ``pays_at`` order
    (every public yuan through a budget line, never beyond its allocation); then the
    one-off help organisations credited last month; then ``top_up`` hooks (the
    minimum-living guarantee), which need every other income. Books job losses and
    market, disaster and epidemic losses.
    """
    e = cfg.economy
    n = hh.n
    u = rng.random(n, dtype=np.float32)
    z = rng.standard_normal((2, n), dtype=np.float32)
    wi = ctx.wage_index
    if ctx.january and e.land_let_share > 0:
        land.leases(hh, cfg, rng, wi)

    # Migrants: job loss sends one home to look again; an epidemic idles some.
    remit_per = e.migrant_wage_month * e.remit_share * wi
    lose = (hh.n_migrants > 0) & (u < np.minimum(1.0, hh.n_migrants * e.p_job_loss))
    hh.n_migrants -= lose
    hh.n_jobless += lose
    hh.lost_job_now[:] = lose
    hh.book("job_loss", remit_per * hh.n_jobless, hh.n_jobless > 0)
    remit_full = hh.n_migrants * remit_per
    remit = remit_full * (1.0 - ctx.epidemic_idle)
    if ctx.epidemic_idle > 0:
        hh.book("epidemic", remit_full * ctx.epidemic_idle)

    # Home workers split between the farm, an enterprise job and local wage work.
    home = rules.workers_at_home(hh).astype(np.float64)
    farmed = hh.land - hh.land_let
    need = farmed / e.mu_per_farm_worker
    farm_labour = home + e.elderly_farm_labour * hh.n_elderly
    farm_factor = np.minimum(1.0, farm_labour / np.maximum(need, 1e-9))
    sig = e.income_noise_sigma
    noise = np.exp(sig * z[0] - sig * sig / 2)
    skill_f = e.farm_skill_base + e.farm_skill_slope * hh.skills
    b = cfg.behaviour
    effort = np.maximum(0.0, 1.0 + b.farm_effort_motivation
                        * (hh.motivation - b.motivation_reference))
    farm_trend = farmed * e.farm_income_per_mu / 12.0 * wi * farm_factor * skill_f * effort
    farm_priced = farm_trend * ctx.farm_price
    # A paying tenant pays the rent as far as its profit at the sector price allows; the
    # rest is lost to the market, with the farm's own loss.
    rent = hh.rent_m
    market = farm_trend * np.maximum(0.0, 1.0 - ctx.farm_price)
    if e.rent_follows_price and cfg.industry.price_sensitivity > 0:
        rent = hh.rent_m * np.clip(1.0 + cfg.industry.price_sensitivity
                                   * (ctx.farm_price - 1.0), 0.0, 1.0)
        market = market + (hh.rent_m - rent)
    hh.book("market", market)
    # An epidemic hits by livelihood: farming mostly continues (epidemic_farm), local
    # wage work and enterprises stop more (epidemic_local), migrants cannot leave.
    keep = (1.0 - ctx.disaster_loss) * (1.0 - ctx.epidemic_farm)
    farm = farm_priced * keep * noise
    hh.book("disaster", farm_priced * ctx.disaster_loss * noise)
    if ctx.epidemic_farm > 0:
        hh.book("epidemic", farm_priced * (1.0 - ctx.disaster_loss) * ctx.epidemic_farm * noise)

    has_job = (hh.employer >= 0) & (home >= 1)
    enterprise_wage = has_job * cfg.industry.wage_month * wi * (1.0 - ctx.epidemic_local)
    if ctx.epidemic_local > 0:  # enterprise wages cut by the epidemic are its loss too
        hh.book("epidemic", has_job * cfg.industry.wage_month * wi * ctx.epidemic_local)
    post_units = hh.in_post & (home >= 1)
    biz_units = hh.business & (home >= 1)
    wage_units = np.maximum(home - e.farm_time_share * np.minimum(need, home) - has_job
                            - post_units - biz_units, 0.0)
    p_work = np.clip(e.p_local_work * (e.work_skill_base + e.work_skill_slope * hh.skills)
                     * (e.work_motivation_base + e.work_motivation_slope * hh.motivation),
                     0.0, 1.0)
    noise2 = np.exp(sig * z[1] - sig * sig / 2)
    local = wage_units * p_work * e.local_wage_month * wi * noise2
    hh.local_workers[:] = wage_units * p_work + has_job + post_units
    biz, biz_market, biz_epidemic = business_income(hh, cfg, ctx, home, noise2)
    hh.book("market", biz_market)
    if ctx.epidemic_local > 0:
        hh.book("epidemic", local * ctx.epidemic_local)
        hh.book("epidemic", biz_epidemic)
    wage = local * (1.0 - ctx.epidemic_local) + enterprise_wage
    prop = e.property_income_per_capita / 12.0 * hh.size * wi + rent
    # Jobs and dividends lost when an enterprise failed, until replaced.
    hh.book("job_loss", hh.lost_job_m)
    hh.book("asset_sale", hh.lost_assets_m)
    hh.book("market", hh.lost_dividend_m)
    hh.book("business_failure", hh.lost_business_m)

    # What the instruments pay, then last month's credits, then the top-ups.
    inc = Income(farm, wage, remit, prop, home)
    for inst in ctx.instruments.hooked("income"):
        inst.income(hh, ctx, inc)
    inc.add("farm", biz, help=False)
    hh.inc_business_m[:] = biz
    pending = hh.pending_transfer_m.copy()
    hh.pending_transfer_m[:] = 0.0
    inc.add("public", pending)
    for inst in ctx.instruments.hooked("top_up"):
        inst.top_up(hh, ctx, inc)
    hh.inc_farm_m[:] = inc.farm
    hh.inc_wage_m[:] = inc.wage
    hh.inc_remit_m[:] = inc.remit
    hh.inc_property_m[:] = inc.property
    hh.inc_public_m[:] = inc.public
    hh.help_m[:] = inc.help


WORK_COLUMNS = ("n_migrants", "n_jobless", "lost_job_now", "local_workers", "inc_business_m",
                "inc_farm_m",
                "inc_wage_m", "inc_remit_m", "inc_property_m", "inc_public_m", "help_m",
                "pending_transfer_m", "losses", "booked_month")


def test_work_income_matches_numpy():
    cases = [dict(), dict(epidemic_idle=0.3, epidemic_local=0.4, epidemic_farm=0.2),
             dict(disaster_loss="array"), dict(disaster_loss=0.25, epidemic_local=0.1),
             dict(disaster_loss="array", epidemic_farm=0.15, epidemic_local=0.2)]
    for seed, kw in enumerate(cases):
        n = 4000
        rng = np.random.default_rng(seed)
        a = random_households(n, np.random.default_rng(seed))
        b = random_households(n, np.random.default_rng(seed))
        extra = dict(n_elderly=rng.integers(0, 3, n), size=rng.integers(1, 7, n),
                     n_jobless=rng.integers(0, 2, n), land=np.where(rng.random(n) < 0.1,
                     0.0, rng.uniform(0, 15, n)), employer=rng.integers(-1, 5, n),
                     in_post=rng.random(n) < 0.1, business=rng.random(n) < 0.1,
                     lost_business_m=rng.uniform(0, 30, n), lost_job_m=rng.uniform(0, 100, n),
                     lost_assets_m=rng.uniform(0, 50, n), lost_dividend_m=rng.uniform(0, 9, n),
                     pending_transfer_m=np.where(rng.random(n) < 0.9, 0.0, 300.0))
        for hh in (a, b):
            for col, v in extra.items():
                getattr(hh, col)[:] = v
            hh.new_ledger_month(seed)
        kw = dict(kw)
        if kw.get("disaster_loss") == "array":
            kw["disaster_loss"] = np.where(rng.random(n) < 0.2, 0.3, 0.0)
        price = np.where(rng.random(n) < 0.5, 1.0, rng.uniform(0.5, 1.5, n))
        for month in range(2):
            for hh, phase in ((a, work_income_reference), (b, work_income)):
                ctx = make_ctx(n, month=month, wage_index=1.07, farm_price=price, **kw)
                total = phase(hh, CFG, Streams(seed)["work"], ctx)
            for col in WORK_COLUMNS:
                assert same_bits(getattr(a, col), getattr(b, col)), (seed, month, col)
            assert same_bits(total, a.income_m()), (seed, month)  # the phase's sum


def test_store_income_matches_numpy():
    """``kernels.store_income`` (the work-and-income phase's columns and their sum)
    against the column copies and ``Households.income_m()``, with edge values (zeros of
    both signs, infinities, NaN) in every source."""
    from abm import kernels

    for seed in range(4):
        n = 3000
        rng = np.random.default_rng(seed)
        parts = [_edgy(rng, n, -300.0, 5000.0) for _ in range(6)]
        a, b = make_households(n), make_households(n)
        cols = ("inc_farm_m", "inc_wage_m", "inc_remit_m", "inc_property_m", "inc_public_m",
                "help_m")
        for col, v in zip(cols, parts, strict=True):
            getattr(a, col)[:] = v
        with np.errstate(invalid="ignore"):
            want = a.income_m()
            got = kernels.store_income(*parts, *(getattr(b, c) for c in cols))
        for col in cols:
            assert same_bits(getattr(a, col), getattr(b, col)), (seed, col)
        assert same_bits_but_nan_sign(want, got), seed  # (inf - inf: either NaN)


def spending_reference(hh: Households, cfg: Config, ctx: MonthContext) -> None:
    """The spending phase as numpy expressions (before ``abm.kernels.savings_pass``).

    Medical bills are paid by the instruments with a ``medical`` hook in ``covers_at``
    order (basic insurance, medical assistance, the personal cap); the household pays the
    rest. Income - spending = change in (savings - debt).
    """
    s = cfg.spending
    if ctx.january:
        hh.oop_year[:] = 0.0
    subsist = s.subsistence_per_capita / 12.0 * hh.size
    usual = hh.net_sum / 12.0  # usual monthly disposable income (last 12 months)
    cons = subsist + s.mpc * np.maximum(usual - subsist, 0.0)
    bill = MedicalBill(hh.medical_cost_m, hh.outpatient_cost_m)
    for inst in ctx.instruments.hooked("medical"):
        inst.medical(hh, ctx, bill)
    oop = bill.oop
    hh.reimbursed_m[:] = bill.insured + bill.assisted
    hh.sp_medical_m[:] = oop
    hh.oop_year += oop
    hh.help_m += bill.assisted
    withheld = np.minimum(bill.withheld, oop)  # what a withdrawn policy left to pay
    # Routine outpatient care is a steady expense, not a loss: the ledger books what the
    # household pays beyond it (insurance reimburses routine care at its outpatient rate).
    routine = bill.outpatient - bill.outpatient_insured
    hh.book("illness", np.maximum(oop - withheld - routine, 0.0))
    hh.book("policy_withdrawal", withheld)
    hh.sp_consumption_m[:] = cons
    hh.sp_schooling_m[:] = hh.n_children * s.schooling_per_child / 12.0
    hh.sp_interest_m[:] = hh.debt * s.debt_interest_year / 12.0 + hh.loan_interest_m
    hh.sp_repairs_m[:] = ctx.damage_m
    if np.any(ctx.damage_m):
        hh.book("disaster", hh.sp_repairs_m)
    flow = hh.income_m() - hh.spending_m()
    sav = hh.savings + flow
    borrow = np.maximum(-sav, 0.0)
    sav = np.maximum(sav, 0.0)
    debt = hh.debt + borrow
    repay = np.minimum(debt, sav * s.repay_share_month)
    hh.savings[:] = sav - repay
    hh.debt[:] = debt - repay


SPENDING_COLUMNS = ("savings", "debt", "oop_year", "help_m", "reimbursed_m", "sp_medical_m",
                    "sp_consumption_m", "sp_schooling_m", "sp_interest_m", "sp_repairs_m",
                    "losses", "booked_month")


def test_spending_matches_numpy():
    for seed in range(4):
        n = 4000
        rng = np.random.default_rng(seed)
        a = random_households(n, np.random.default_rng(seed))
        b = random_households(n, np.random.default_rng(seed))
        extra = dict(savings=np.where(rng.random(n) < 0.2, 0.0, rng.uniform(0, 5e4, n)),
                     debt=np.where(rng.random(n) < 0.6, 0.0, rng.uniform(0, 3e4, n)),
                     medical_cost_m=np.where(rng.random(n) < 0.7, 0.0, rng.uniform(0, 9e3, n)),
                     outpatient_cost_m=rng.uniform(0, 50, n), size=rng.integers(1, 7, n),
                     n_children=rng.integers(0, 3, n), loan_interest_m=rng.uniform(0, 40, n))
        for hh in (a, b):
            for col, v in extra.items():
                getattr(hh, col)[:] = v
            hh.outpatient_cost_m[:] = np.minimum(hh.outpatient_cost_m, hh.medical_cost_m)
            hh.new_ledger_month(seed)
        damage = np.where(rng.random(n) < 0.05 * seed, 2000.0, 0.0)
        for month in range(3):  # savings and debt carry over
            for hh, phase in ((a, spending_reference), (b, spending)):
                phase(hh, CFG, make_ctx(n, month=month, damage_m=damage))
            for col in SPENDING_COLUMNS:
                assert same_bits(getattr(a, col), getattr(b, col)), (seed, month, col)


def status_reference(hh: Households, cfg: Config, ctx: MonthContext):
    """The status phase as numpy expressions (before ``abm.kernels.status_roll`` and
    ``status_flags``)."""
    from abm.households.state import NO_MONTH, RIGID_DECAY, Event

    net = hh.income_m() - hh.sp_medical_m
    pos = hh.hist_pos
    hh.net_sum += net - hh.net_hist[pos]
    hh.net_hist[pos] = net
    hh.oop_sum += hh.sp_medical_m - hh.oop_hist[pos]
    hh.oop_hist[pos] = hh.sp_medical_m
    hh.hist_pos = (pos + 1) % 12
    hh.hist_filled = min(12, hh.hist_filled + 1)
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


STATUS_COLUMNS = ("net_sum", "net_hist", "oop_sum", "oop_hist", "income_pc_year",
                  "income_pc_gross_year", "rigid_12m", "income_recent_m", "risk_since",
                  "at_risk", "poor", "ever_exited")


@pytest.mark.parametrize("threads", [1, 2])
def test_status_matches_numpy(threads, monkeypatch):
    """The status phase's compiled roll and flags against its numpy code, over 15 months
    (the history filling up, then rolling), with sizes 0 to 6, negative incomes, and
    households moving in and out of poverty and risk; on one thread, and split over two
    (every pass from 100 households)."""
    from abm import parallel
    from abm.households import status

    monkeypatch.setattr(parallel, "MIN_SPLIT", 100)
    monkeypatch.setattr(parallel, "_busy", [False])
    monkeypatch.setattr(parallel._state, "n", threads, raising=False)  # (this thread's)
    for seed in range(4):
        n = 3000
        rng = np.random.default_rng(seed)
        a = random_households(n, np.random.default_rng(seed))
        b = random_households(n, np.random.default_rng(seed))
        size = rng.integers(0, 7, n)
        ever = rng.random(n) < 0.3
        for hh in (a, b):
            hh.size[:] = size
            hh.ever_exited[:] = ever
            hh.net_sum[:] = 0.0
        for month in range(15):
            mrng = np.random.default_rng([seed, month])
            cols = dict(inc_wage_m=np.where(mrng.random(n) < 0.3, -800.0,
                                            mrng.uniform(0, 3000, n)),
                        inc_farm_m=mrng.uniform(-200, 2000, n),
                        sp_medical_m=np.where(mrng.random(n) < 0.8, 0.0,
                                              mrng.uniform(0, 9000, n)),
                        sp_schooling_m=np.where(mrng.random(n) < 0.7, 0.0,
                                                mrng.uniform(0, 500, n)))
            for hh in (a, b):
                hh.new_ledger_month(month)
                hh.book("illness", cols["sp_medical_m"] * 0.5)
                for col, v in cols.items():
                    getattr(hh, col)[:] = v
            ctx = make_ctx(n, month=month - 3, poverty_line=4000.0 + 10.0 * month,
                           line_rise_year=120.0)
            want = status_reference(a, CFG, ctx)
            got = status(b, CFG, ctx) if month % 2 else status(
                b, CFG, ctx, income=b.income_m())
            for x, y in zip(want, got, strict=True):
                assert x.dtype == y.dtype and np.array_equal(x, y), (seed, month)
            assert (a.hist_pos, a.hist_filled) == (b.hist_pos, b.hist_filled)
            for col in STATUS_COLUMNS:
                assert same_bits(getattr(a, col), getattr(b, col)), (seed, month, col)


def measure_reference(model, codes: np.ndarray, causes: np.ndarray) -> dict[str, float]:
    """``abm.metrics.measure`` as numpy expressions (before ``kernels.household_counts``
    and gathers by index): masks, sums and means."""
    from abm import metrics

    hh = model.households
    persons = float(hh.size.sum())
    n = hh.n
    m: dict[str, float] = {
        "month": model.month,
        "year": model.calendar.year(model.month),
        "poverty_line": model.ctx.poverty_line,
        "price_index": float(np.average(model.markets.prices, weights=np.bincount(
            model.county.village_sector, minlength=len(model.county.sectors)) + 1e-12)),
        "n_households": n,
        "n_persons": persons,
    }
    poor, reg = hh.poor, hh.registered
    m["n_poor"] = int(np.count_nonzero(poor))
    m["poverty_rate"] = m["n_poor"] / max(n, 1)
    m["poverty_rate_persons"] = float(hh.size[poor].sum()) / max(persons, 1.0)
    m["n_registered"] = int(np.count_nonzero(reg))
    m["n_poor_registered"] = int(np.count_nonzero(poor & reg))
    m["poverty_rate_registered"] = m["n_poor_registered"] / max(m["n_registered"], 1)
    metrics._events(m, model, codes, causes)
    metrics._incomes(m, model, persons)
    reg_persons = float(hh.size[reg].sum())
    m["income_pc_registered"] = (float(hh.income_m()[reg].sum()) * 12.0 / reg_persons
                                 if reg_persons else 0.0)
    m["disposable_income_pc_median"] = float(np.median(hh.income_pc_year))
    m["mean_motivation"] = float(hh.motivation.mean())
    m["mean_skills"] = float(hh.skills.mean())
    labour = float(hh.n_labour.sum())
    m["share_workers_migrant"] = float(hh.n_migrants.sum()) / max(labour, 1.0)
    away = float(hh.n_migrants[reg].sum())
    m["share_wage_workers_away_registered"] = away / max(
        away + float(hh.local_workers[reg].sum()), 1.0)
    m["n_jobless_migrants"] = int(hh.n_jobless.sum())
    m["share_chronic"] = float(hh.chronic.mean())
    m["share_disability"] = float(hh.disability.mean())
    m["share_sick_workers"] = float(hh.sick_now.mean())
    m["savings_median"] = float(np.median(hh.savings))
    m["share_in_debt"] = float((hh.debt > 0).mean())
    m["share_land_let"] = float(hh.land_let.sum() / hh.land.sum()) if hh.land.sum() > 0 \
        else 0.0
    m["share_letting_land"] = float((hh.land_let > 0).mean())
    mon = hh.monitored
    m["n_at_risk"] = int(np.count_nonzero(hh.at_risk))
    m["n_monitored"] = int(np.count_nonzero(mon))
    for k, name in metrics.MONITORED_CATEGORIES:
        m[f"n_monitored_{name}"] = int(np.count_nonzero(mon & (hh.category == k)))
    m["n_in_posts"] = int(np.count_nonzero(hh.in_post))
    m["n_dibao"] = int(np.count_nonzero(hh.dibao))
    m["n_coop_members"] = int(np.count_nonzero(hh.coop >= 0))
    m["n_enterprise_jobs"] = int(np.count_nonzero(hh.employer >= 0))
    m["n_businesses"] = int(np.count_nonzero(hh.business))
    m["n_school_leavers"] = int(hh.n_school_leavers.sum())
    m["cum_left_school"] = int(hh.n_left_school.sum())
    metrics._money(m, model)
    return m


def _small_county(seed: int, scramble_seed: int):
    """A 1,500-household county to step, its households, a generator to scramble its
    columns with, and its size."""
    from abm.config import load_config
    from abm.model import CountyModel

    model = CountyModel(load_config(None, [], households=1500, months=4, seed=seed))
    return model, model.households, np.random.default_rng(scramble_seed), model.households.n


@pytest.mark.parametrize("threads", [1, 2])
def test_measures_match_numpy(threads, monkeypatch):
    """The monthly measures with their compiled counts (``abm.kernels.household_counts``)
    against the same measures as numpy expressions, value and type, on a small county
    over a few months and with its columns scrambled (all categories, debts, jobs); on
    one thread and split over two (every pass from 100 households)."""
    from abm import metrics, parallel

    monkeypatch.setattr(parallel, "MIN_SPLIT", 100)
    monkeypatch.setattr(parallel, "_busy", [False])
    monkeypatch.setattr(parallel._state, "n", threads, raising=False)  # (this thread's)
    model, hh, rng, n = _small_county(seed=3, scramble_seed=0)
    for month in range(4):
        model.step()
        codes, causes = model._events[-1][2], model._events[-1][3]
        if month >= 2:  # scramble the columns the counts read
            hh.category[:] = rng.integers(0, 4, n)
            hh.monitored[:] = rng.random(n) < 0.3
            hh.debt[:] = np.where(rng.random(n) < 0.5, 0.0, rng.uniform(-1, 1e4, n))
            hh.coop[:] = rng.integers(-1, 3, n)
            hh.employer[:] = rng.integers(-1, 3, n)
            hh.local_workers[:] = rng.uniform(0, 3, n).astype(np.float32)
            hh.size[:] = rng.integers(0, 7, n)
            hh.n_migrants[:] = rng.integers(0, 3, n)
            for col in ("registered", "poor", "chronic", "disability", "sick_now",
                        "at_risk", "in_post", "dibao"):
                getattr(hh, col)[:] = rng.random(n) < 0.4
        want = measure_reference(model, codes, causes)
        for got in (metrics.measure(model, codes, causes),
                    metrics.measure(model, codes, causes, income=hh.income_m())):
            assert list(got) == list(want) or set(got) == set(want)
            for k, v in want.items():
                assert type(got[k]) is type(v), (month, k)
                assert np.float64(got[k]).tobytes() == np.float64(v).tobytes(), (month, k)


def _edgy(rng: np.random.Generator, n: int, lo: float, hi: float) -> np.ndarray:
    """Uniform values with zeros of both signs, ones, infinities and NaN mixed in."""
    x = rng.uniform(lo, hi, n)
    odd = rng.random(n) < 0.15
    x[odd] = rng.choice(np.array([0.0, -0.0, 1.0, -1.0, np.inf, -np.inf, np.nan, lo, hi]),
                        int(odd.sum()))
    return x

def _stress_columns(rng, n: int) -> dict:
    """The psych tests' columns of the month's stresses, drawn in this order."""
    return dict(acute_left=rng.integers(0, 3, n) * (rng.random(n) < 0.2),
                sick_now=rng.random(n) < 0.1, lost_job_now=rng.random(n) < 0.1,
                psych_distress=_edgy(rng, n, -0.2, 1.2), motivation=_edgy(rng, n, 0, 1))


def _assign(cols: dict, *households) -> None:
    """Write the same columns into each of ``households``."""
    for hh in households:
        for col, v in cols.items():
            getattr(hh, col)[:] = v



def test_instrument_passes_match_numpy():
    """The compiled passes of the instruments' monthly hooks (``where_product``,
    ``acute_rel``, ``counted_per_month``, ``per_month``, ``dibao_gap``,
    ``venture_returns``, ``posts_wages``) against the numpy expressions they replace."""
    from abm import kernels

    with np.errstate(all="ignore"):  # inf x 0 and NaN on purpose
        for seed in range(6):
            rng = np.random.default_rng(seed)
            n = 5000
            mask = rng.random(n) < 0.4
            x = _edgy(rng, n, -3000.0, 9000.0)
            for c in (0.0, -0.0, 0.2, 1.0, 0.35, np.inf):
                assert same_bits(kernels.where_product(mask, x, c),
                                 np.where(mask, x * c, 0.0))

            rel = np.abs(_edgy(rng, n, 0.5, 3.0))
            lit, contract, chronic = (rng.random(n) < p for p in (0.5, 0.4, 0.6))
            motivation = _edgy(rng, n, -0.2, 1.2)
            for a_ill, rel_acute, slope, ref in ((0.5, 0.8, 0.5, 0.667), (0.0, 1.0, 0.0, 0.5),
                                                 (1.0, 0.0, 2.0, 0.3),
                                                 (0.37, 0.61, 0.9, 0.71)):
                b = SimpleNamespace(health_drive_motivation=slope,
                                    motivation_reference=ref)
                adherence = np.where(lit, 1.0, a_ill) * rules.health_drive(motivation, b)
                cut = (1.0 - rel_acute) * adherence
                want = rel * np.where(contract & chronic, 1.0 - cut, 1.0)
                got = kernels.acute_rel(rel, lit, contract, chronic, motivation,
                                        float(a_ill), float(1.0 - rel_acute), float(slope),
                                        float(ref))
                assert same_bits(got, want), (seed, a_ill, rel_acute)

            size = rng.integers(0, 8, n).astype(np.int16)
            reg, mon = rng.random(n) < 0.2, rng.random(n) < 0.1
            for per_year in (0.0, 1200.0, 1000.0 / 3.0, 833.3):
                assert same_bits(kernels.counted_per_month(reg, reg, size, per_year),
                                 reg * size * per_year / 12.0)
                assert same_bits(kernels.counted_per_month(reg, mon, size, per_year),
                                 (reg | mon) * size * per_year / 12.0)
                assert same_bits(kernels.per_month(x, per_year), x * per_year / 12.0)
            farm, wage, remit, prop, public = (_edgy(rng, n, -500.0, 4000.0) for _ in range(5))
            oop_sum = np.abs(_edgy(rng, n, 0.0, 30000.0))
            enrolled = rng.random(n) < 0.3
            for dibao_line in (5500.0, 6131.7, 0.0):
                for deduct in (True, False):
                    line = dibao_line / 12.0 * size
                    own = (farm + wage + remit + prop + public) - (
                        oop_sum / 12.0 if deduct else 0.0)
                    want = np.where(enrolled, np.maximum(line - own, 0.0), 0.0)
                    got = kernels.dibao_gap(enrolled, size, float(dibao_line / 12.0), farm,
                                            wage, remit, prop, public, oop_sum, deduct)
                    assert same_bits(got, want), (seed, dibao_line, deduct)
            # microcredit's venture returns, the public-welfare posts' wages
            loan = np.where(rng.random(n) < 0.3, _edgy(rng, n, -1.0, 20000.0), 0.0)
            ok = rng.random(n) < 0.7
            skills, price = _edgy(rng, n, 0.0, 1.0), _edgy(rng, n, 0.5, 1.5)
            for failed in (False, True):
                active = (loan > 0) & (~ok if failed else ok)
                want = np.where(active, loan * 0.13 / 12.0 * (0.4 + skills) * price, 0.0)
                got = kernels.venture_returns(loan, ok, failed, skills, price, 0.13, 0.4)
                assert same_bits(got, want), (seed, failed)
            in_post, home = rng.random(n) < 0.2, _edgy(rng, n, 0.0, 3.0)
            for wage_m in (0.0, 800.0, 613.37, -5.0):
                assert same_bits(kernels.posts_wages(in_post, home, wage_m),
                                 (in_post & (home >= 1)) * wage_m), (seed, wage_m)


def test_budget_pay_copies_in_full_and_scales_when_short():
    """``Budget.pay`` in full hands back a copy with the same bits as ``amounts * 1.0``
    (a new array; the array itself when the caller made it for the payment, ``fresh``),
    and scales when the line is short, as before."""
    from abm.budget import Budget

    b = Budget()
    name = next(k for k, line in b.lines.items() if line.bounded)
    b.new_year({k: 1e12 if k == name else 0.0 for k, ln in b.lines.items() if ln.bounded})
    with np.errstate(all="ignore"):
        x = _edgy(np.random.default_rng(1), 1000, -0.0, 500.0)
        x = np.where(np.isnan(x) | np.isinf(x), 1.0, x)
        paid = b.pay(name, x)
        assert paid is not x and same_bits(paid, x * 1.0)
        spent = b.lines[name].spent
        assert b.pay(name, x, fresh=True) is x  # the caller's own array, paid in full
        assert b.lines[name].spent == spent + float(x.sum())
        b.lines[name].allocated = b.lines[name].spent + 10.0
        want = float(x.sum())
        paid = b.pay(name, x)
        assert same_bits(paid, x * min(1.0, 10.0 / want))
        b.lines[name].allocated = b.lines[name].spent + 10.0
        paid = b.pay(name, x, fresh=True)  # short: a scaled copy, fresh or not
        assert paid is not x and same_bits(paid, x * min(1.0, 10.0 / want))


def _branchy_maximum(a: float, b: float) -> float:  # the helpers before the selects
    if a != a:
        return a
    if b != b:
        return b
    return a if a >= b else b


def _branchy_minimum(a: float, b: float) -> float:
    if a != a:
        return a
    if b != b:
        return b
    return a if a <= b else b


def _branchy_clip(x: float, lo: float, hi: float) -> float:
    if x != x:
        return x
    y = x if x > lo else lo
    return y if y < hi else hi


def test_nan_aware_helpers_keep_their_results():
    """The kernels' ``_maximum``, ``_minimum`` and ``_clip`` (selects, not branches) give
    what their branching versions gave on every combination of edge values (NaN,
    infinities, both zeros), and numpy's ``maximum``, ``minimum`` and ``clip`` wherever
    the two arguments are not equal zeros of opposite sign and the bounds are numbers
    (there numpy's answer depends on its SIMD path)."""
    import numba

    from abm import kernels

    @numba.njit
    def apply(a, b, lo, hi):
        out = np.empty((3, a.size))
        for i in range(a.size):
            out[0, i] = kernels._maximum(a[i], b[i])
            out[1, i] = kernels._minimum(a[i], b[i])
            out[2, i] = kernels._clip(a[i], lo[i], hi[i])
        return out

    edge = np.array([np.nan, -np.inf, -1.5, -1.0, -0.0, 0.0, 0.3, 1.0, 2.0, np.inf])
    a, b = (x.ravel() for x in np.meshgrid(edge, edge))
    for lo, hi in ((0.0, 1.0), (-1.0, 1.0), (-0.0, 0.0), (0.0, -0.0), (np.nan, 1.0),
                   (0.0, np.nan), (-np.inf, np.inf), (1.0, 0.0)):
        los, his = np.full(a.size, lo), np.full(a.size, hi)
        got = apply(a, b, los, his)
        before = np.array([[_branchy_maximum(x, y) for x, y in zip(a, b, strict=True)],
                           [_branchy_minimum(x, y) for x, y in zip(a, b, strict=True)],
                           [_branchy_clip(x, lo, hi) for x in a]])
        assert same_bits(got, before), (lo, hi)
        with np.errstate(invalid="ignore"):
            want = np.stack([np.maximum(a, b), np.minimum(a, b), np.clip(a, los, his)])
        zeros = (a == 0) & (b == 0)
        assert same_bits(got[:2, ~zeros], want[:2, ~zeros]), (lo, hi)
        if lo == lo and hi == hi and lo < hi:
            assert same_bits(got[2], want[2]), (lo, hi)


def test_income_add_matches_numpy():
    """``Income.add`` (both sums in one compiled pass, ``abm.kernels.add_into``) gives
    numpy's ``source + amounts`` and ``help + amounts``, in place; the amounts copied
    into a column or cleared when asked; ``add_into``'s decay ``a * scale + x``."""
    from abm import kernels

    rng = np.random.default_rng(4)
    n = 3000
    with np.errstate(all="ignore"):
        cols = [_edgy(rng, n, -100.0, 900.0) for _ in range(6)]
        inc = Income(*(c.copy() for c in cols[:4]), home=np.ones(n))
        inc.public[:] = cols[4]
        inc.help[:] = _edgy(rng, n, 0.0, 50.0)
        want = {s: getattr(inc, s).copy() for s in ("farm", "wage", "public", "help")}
        for source, help_ in (("public", True), ("farm", True), ("wage", False),
                              ("public", True)):
            before = getattr(inc, source)
            x = _edgy(rng, n, -10.0, 400.0)
            inc.add(source, x, help=help_)
            want[source] = want[source] + x
            if help_:
                want["help"] = want["help"] + x
            assert getattr(inc, source) is before
            for s, v in want.items():
                assert same_bits(getattr(inc, s), v), (source, s)
        # an amount that is the help column itself (read before it is written)
        want["farm"], want["help"] = want["farm"] + want["help"], want["help"] + want["help"]
        inc.add("farm", inc.help)
        for s, v in want.items():
            assert same_bits(getattr(inc, s), v), ("help as amount", s)
        # copied into a column as it is added; then paid out (cleared)
        x = _edgy(rng, n, -10.0, 400.0)
        kept = np.full(n, 7.0)
        want["farm"] = want["farm"] + x
        inc.add("farm", x, help=False, keep=kept)
        assert same_bits(kept, x) and same_bits(inc.farm, want["farm"])
        want["public"], want["help"] = want["public"] + x, want["help"] + x
        inc.add("public", x, clear=True)
        assert same_bits(inc.public, want["public"]) and same_bits(inc.help, want["help"])
        assert not x.any()
        d, y = _edgy(rng, n, -100.0, 900.0), _edgy(rng, n, -10.0, 400.0)
        want_d = d * (11.0 / 12.0) + y
        kernels.add_into(d, y, scale=11.0 / 12.0)
        assert same_bits(d, want_d)


def test_income_first_payments_are_written_not_added_to_zeros(monkeypatch):
    """``Income``'s public transfers and help are zeros made when first read; the first
    payment into either is written as ``0.0 + amounts`` in the payment's pass (a -0.0
    amount gives +0.0, as numpy's ``zeros + amounts``), whatever the new array held."""
    empty = np.empty
    monkeypatch.setattr(np, "empty", lambda *a, **k: np.full_like(empty(*a, **k), 7.0))
    rng = np.random.default_rng(8)
    n = 3000
    with np.errstate(all="ignore"):
        cols = [_edgy(rng, n, -100.0, 900.0) for _ in range(4)]
        x, y = _edgy(rng, n, -10.0, 400.0), _edgy(rng, n, -10.0, 400.0)
        x[:50] = -0.0
        inc = Income(*(c.copy() for c in cols), home=np.ones(n))
        inc.add("public", x)  # both public and help written by this first payment
        assert same_bits(inc.public, np.zeros(n) + x) and same_bits(inc.help, np.zeros(n) + x)
        inc.add("farm", y)  # then added to, in place
        assert same_bits(inc.farm, cols[0] + y)
        assert same_bits(inc.help, (np.zeros(n) + x) + y)
        other = Income(*(c.copy() for c in cols), home=np.ones(n))
        other.add("wage", y)  # help written; public never paid: zeros when read
        assert same_bits(other.wage, cols[1] + y) and same_bits(other.help, np.zeros(n) + y)
        assert same_bits(other.public, np.zeros(n))
        other.add("public", x, help=False)  # (public read before: added to its zeros)
        assert same_bits(other.public, np.zeros(n) + x)


def test_learning_pass_reads_weights_by_row_or_by_tie():
    """A row-normalised network's weights are read once a row (``kernels.csr_weights``
    finds each row's one value); a network whose rows hold different values (or a -0.0
    among 0.0s) is read tie by tie; both give the numpy learning phase's bits."""
    from abm import kernels

    for seed in range(4):
        rng = np.random.default_rng(seed)
        n = 2000
        peers, has_peers = random_network(n, rng)
        indptr, _, data = kernels.csr_parts(peers)
        assert kernels.csr_weights(indptr, data).size == n
        uneven = peers.copy()
        uneven.data = uneven.data * rng.choice([1.0, 0.5, 2.0], uneven.data.size)
        signed = peers.copy()
        signed.data[:] = 0.0
        signed.data[rng.random(signed.data.size) < 0.5] = -0.0
        for net in (peers, uneven, signed):
            ip, _, d = kernels.csr_parts(net)
            assert kernels.csr_weights(ip, d).size == (n if net is peers else 0)
            a = random_households(n, np.random.default_rng(seed))
            b = random_households(n, np.random.default_rng(seed))
            for month in range(2):
                learning_reference(a, CFG, net, has_peers)
                learning(b, CFG, net, has_peers)
                for col in ("motivation", "skills"):
                    assert same_bits(getattr(a, col), getattr(b, col)), (seed, month, col)


def test_business_income_matches_numpy(monkeypatch):
    """``kernels.business_income`` against the business phase's numpy lines, with edge
    values in motivation and prices (signed zeros, infinities, NaN; demand and effort at
    their floor of 0), members at home from 0 to 3, float32 noise, epidemic months; its
    new arrays written in full (whatever they held: zeros where no business runs)."""
    from abm.households.business import income as business_income

    empty = np.empty
    monkeypatch.setattr(np, "empty", lambda *a, **k: np.full_like(empty(*a, **k), 7.0))

    for seed, local in enumerate((0.0, 0.4, 1.0, -0.0)):
        n = 4000
        rng = np.random.default_rng(seed)
        hh = random_households(n, rng)
        hh.business[:] = rng.random(n) < 0.5
        hh.motivation[:] = _edgy(rng, n, -2.0, 2.0)
        home = rng.integers(0, 4, n).astype(np.float64)
        home[rng.random(n) < 0.1] = 0.5
        noise = np.exp(0.3 * rng.standard_normal(n).astype(np.float32) - np.float32(0.045))
        price = _edgy(rng, n, 0.0, 2.0)
        price[:40] = 1.0 - 1.0 / CFG.business.demand_share  # demand exactly 0
        cfg = CFG.model_copy(update=dict(behaviour=CFG.behaviour.model_copy(update=dict(
            farm_effort_motivation=[0.6, 1.7, 0.0, 3.3][seed]))))
        ctx = make_ctx(n, wage_index=1.0 + 0.07 * seed, farm_price=price,
                       epidemic_local=local)
        # the phase's own numpy lines, which it takes for prices not in one float64
        # array (a list of the same numbers)
        lists = make_ctx(n, wage_index=1.0 + 0.07 * seed, farm_price=price.tolist(),
                         epidemic_local=local)
        with np.errstate(invalid="ignore"):
            want = business_income(hh, cfg, lists, home, noise)
            got = business_income(hh, cfg, ctx, home, noise)
        for w, g in zip(want, got, strict=True):
            assert same_bits(w, g), seed


def health_reference(hh: Households, cfg: Config, rng: np.random.Generator,
                     ctx: MonthContext) -> None:
    """The health phase as numpy expressions (before ``abm.kernels.health_people``,
    ``acute_onset`` and ``health_costs``)."""
    from abm.households.health import affordability, monthly, monthly_from_rate

    def monthly_from_count(count, rate_year):
        if count.size == 0 or count.min() < 0 or count.max() > 255:
            return monthly_from_rate(count * rate_year)
        table = monthly_from_rate(np.arange(int(count.max()) + 1, dtype=count.dtype)
                                  * rate_year)
        return table[count]

    def disable(who, per_worker):
        hh.disability |= who
        lose = who & (hh.n_labour > 0)
        hh.lost_disability_m += np.where(lose, per_worker, 0.0)
        hh.n_labour -= lose
        hh.n_migrants = np.minimum(hh.n_migrants, hh.n_labour)

    h = cfg.health
    n = hh.n
    u = rng.random((5, n), dtype=np.float32)
    z_cost = rng.standard_normal(n, dtype=np.float32)
    ud = rng.random((5, n), dtype=np.float32)
    per_worker = (hh.inc_farm_m + hh.inc_wage_m + hh.inc_remit_m) / np.maximum(hh.n_labour, 1)
    hh.age_head += 1.0 / 12.0
    hh.chronic |= ud[0] < monthly(h.p_chronic_onset_year)
    new_dis = (ud[1] < monthly(h.p_disability_year)) & ~hh.disability
    p_ret = h.p_retire_year * np.clip((hh.age_head - h.retire_age_from) / h.retire_age_span,
                                      h.retire_rel_min, h.retire_rel_max)
    retire = (hh.n_labour > 0) & (ud[2] < monthly_from_rate(hh.n_labour * p_ret))
    grow = (hh.n_children > 0) & (
        ud[3] < monthly_from_count(hh.n_children, h.p_child_to_labour_year))
    die = (hh.n_elderly > 0) & (hh.size > 1) & (
        ud[4] < monthly_from_count(hh.n_elderly, h.p_elderly_death_year))
    hh.lost_aging_m += np.where(retire, per_worker, 0.0)
    hh.n_labour -= retire
    hh.n_elderly += retire
    hh.n_children -= grow
    hh.n_labour += grow
    hh.n_elderly -= die
    hh.size -= die
    disable(new_dis, per_worker)
    rel = (1.0 + (h.rel_acute_chronic - 1.0) * hh.chronic
           * rules.chronic_excess_kept(hh, cfg.behaviour)) * (
        1.0 + h.rel_acute_per_elderly * hh.n_elderly)
    for inst in ctx.instruments.hooked("acute_risk"):
        rel = inst.acute_risk(hh, ctx, rel)
    onset = (hh.acute_left == 0) & (u[0] < h.p_acute * rel)
    on = np.flatnonzero(onset)
    dur = np.maximum(1, np.rint(-np.log1p(-u[1][on]) * h.dur_acute)).astype(np.int16)
    sig = h.cost_acute_sigma
    cost = h.cost_acute_yuan * np.exp(sig * z_cost[on] - sig * sig / 2)
    prompt = hh.clinic_access[on] * np.where(
        hh.health_literate[on], 1.0, cfg.behaviour.care_seeking_illiterate
    ) * rules.health_drive(hh.motivation[on], cfg.behaviour) * affordability(
        hh, ctx, on, cost, cfg.behaviour.care_seeking_unaffordable)
    cost = cost * (1.0 + ctx.delay_cost * (u[4][on] > prompt))
    hh.acute_left[on] = dur
    hh.acute_cost_m[on] = cost / dur
    hh.sick_worker[on] = (u[2][on] < h.p_sick_is_worker) & (hh.n_labour[on] > 0)
    leaves = onset & (u[3] < h.p_acute_to_disability) & ~hh.disability
    disable(leaves, per_worker)
    in_episode = hh.acute_left > 0
    hh.outpatient_cost_m[:] = h.cost_outpatient_person_year / 12.0 * (
        hh.size + (h.rel_outpatient_elderly - 1.0) * hh.n_elderly)
    hh.medical_cost_m[:] = np.where(in_episode, hh.acute_cost_m, 0.0) + (
        h.cost_chronic_month * hh.chronic) + hh.outpatient_cost_m
    hh.book("illness", per_worker, in_episode & hh.sick_worker)
    hh.book("disability", hh.lost_disability_m)
    hh.book("aging", hh.lost_aging_m)
    hh.acute_left[:] = np.maximum(hh.acute_left - 1, 0)
    hh.sick_now[:] = in_episode & hh.sick_worker


HEALTH_COLUMNS = ("age_head", "chronic", "disability", "n_labour", "n_elderly", "n_children",
                  "size", "n_migrants", "lost_aging_m", "lost_disability_m", "acute_left",
                  "acute_cost_m", "sick_worker", "outpatient_cost_m", "medical_cost_m",
                  "sick_now", "losses", "booked_month")


def test_health_matches_numpy():
    """The health phase's compiled passes against its numpy code over several months
    (the counts change and feed back), with high event chances so that every branch is
    taken often, health management on and off, member counts 0 to 300 (beyond the
    kernel's table), ages across the retirement span and clip bounds, and thresholds
    that float32 cannot hold (a comparison made in the wrong precision would show)."""
    from abm.households.health import health

    configs = [CFG, CFG.model_copy(update=dict(health=CFG.health.model_copy(update=dict(
        p_acute=0.3, p_chronic_onset_year=0.37, p_disability_year=0.29,
        p_acute_to_disability=0.4 + 1e-9, p_retire_year=0.61, p_child_to_labour_year=0.47,
        p_elderly_death_year=0.33, p_sick_is_worker=0.7, rel_acute_chronic=0.5,
        retire_rel_min=-0.2))))]
    for seed in range(6):
        cfg = configs[seed % 2]
        n = 3000
        rng = np.random.default_rng(seed)
        a = random_households(n, np.random.default_rng(seed))
        b = random_households(n, np.random.default_rng(seed))
        cols = dict(size=rng.integers(0, 8, n), n_labour=rng.integers(0, 5, n),
                    n_elderly=rng.integers(0, 4, n), n_children=rng.integers(0, 4, n),
                    age_head=rng.uniform(20, 95, n), chronic=rng.random(n) < 0.3,
                    disability=rng.random(n) < 0.1, acute_left=rng.integers(0, 3, n),
                    doctor_contract=rng.random(n) < 0.5, health_literate=rng.random(n) < 0.6,
                    clinic_access=rng.random(n), acute_cost_m=rng.uniform(0, 900, n),
                    lost_aging_m=rng.uniform(0, 50, n) * (rng.random(n) < 0.2),
                    lost_disability_m=-0.0 * (rng.random(n) < 0.5),
                    savings=rng.uniform(0, 8000, n), registered=rng.random(n) < 0.3)
        cols["n_children"][:7] = [255, 256, 300, 0, 254, 1000, 2]
        cols["n_elderly"][:7] = [300, 255, 256, 2000, 0, 1, 7]
        cols["size"][:7] = 3000
        for hh in (a, b):
            for col, v in cols.items():
                getattr(hh, col)[:] = v
        levels = {"prevention": float(seed % 3 != 0)}
        for month in range(4):
            for hh, phase in ((a, health_reference), (b, health)):
                hh.new_ledger_month(month)
                ctx = make_ctx(n, month=month, cfg=cfg, levels=levels, delay_cost=0.3)
                phase(hh, cfg, Streams(seed + 10 * month)["health"], ctx)
            for col in HEALTH_COLUMNS:
                assert same_bits(getattr(a, col), getattr(b, col)), (seed, month, col)


def test_at_risk_matches_numpy():
    """``rules.at_risk``'s compiled pass against its numpy expressions (the path taken
    for other inputs): all households, some by index (with repeats), a measured income
    and multiple given, with edge values (zeros, negative and infinite incomes, NaN,
    sizes 0 to 6) in the columns it reads."""
    mon = CFG.policy.monitoring
    for seed in range(4):
        n = 4000
        rng = np.random.default_rng(seed)
        hh = random_households(n, rng)
        hh.size[:] = rng.integers(0, 7, n)
        for col, lo, hi in (("income_pc_gross_year", -2000.0, 20000.0),
                            ("oop_sum", 0.0, 30000.0), ("rigid_12m", 0.0, 40000.0),
                            ("income_recent_m", -500.0, 8000.0)):
            getattr(hh, col)[:] = _edgy(rng, n, lo, hi)
        hh.net_sum[:] = _edgy(rng, n, -8000.0, 150000.0)
        idx = np.sort(rng.integers(0, n, 700))
        measured = _edgy(rng, idx.size, -1000.0, 15000.0)
        floor = rng.random(n) < 0.3
        for kw in (dict(), dict(idx=idx), dict(idx=idx.astype(np.int32), multiple=1.37),
                   dict(idx=idx, income_pc=measured, multiple=np.float64(0.93)),
                   dict(idx=idx[:1]), dict(idx=idx[:0]), dict(guaranteed=floor),
                   dict(idx=idx, income_pc=measured, guaranteed=floor)):
            got = rules.at_risk(hh, mon, 4321.5, **kw)
            # numpy's path: the index as a list (all households listed for None)
            ref_kw = dict(kw, idx=list(kw.get("idx", range(n))))
            assert rules._compiled(hh, kw.get("idx"), kw.get("income_pc"),
                                   kw.get("guaranteed"))
            assert not rules._compiled(hh, ref_kw["idx"], kw.get("income_pc"),
                                       kw.get("guaranteed"))
            want = rules.at_risk(hh, mon, 4321.5, **ref_kw)
            for x, y in zip(want, got, strict=True):
                assert same_bits(np.asarray(x), y), (seed, tuple(kw))


def test_ledger_passes_match_numpy():
    """The ledger's compiled bookings (``kernels.book_all``, ``book_where``) and its
    12-month sums (``kernels.loss_years``) against numpy's ``row += amount``,
    ``row[where] += amount[where]`` and the gathered sums over
    months, with -0.0, tiny, huge and infinite amounts, one household and many."""
    from abm import kernels
    from abm.households.state import CAUSES, LEDGER_MONTHS

    for seed in range(4):
        n = 3000
        rng = np.random.default_rng(seed)
        shape = (len(CAUSES), LEDGER_MONTHS, n)
        losses = (_edgy(rng, int(np.prod(shape)), -50.0, 3000.0).reshape(shape)
                  * rng.choice([1e-6, 1.0, 1e4], shape)).astype(np.float32)
        losses[rng.random(shape) < 0.05] = -0.0
        amount = _edgy(rng, n, -100.0, 1e7) * rng.choice([1e-9, 1.0, 3.3], n)
        amount[rng.random(n) < 0.05] = -0.0
        where = rng.random(n) < 0.3
        a, b = losses[0, seed].copy(), losses[0, seed].copy()
        a += amount
        kernels.book_all(b, amount)
        assert same_bits(a, b), seed
        add_a = amount[where]
        a[where] += add_a
        add_b = kernels.book_where(b, amount, where)
        assert same_bits(a, b) and same_bits(add_a, add_b), seed
        # A row not yet cleared this month (``fresh``): booked as onto zeros, unread.
        for k, way in enumerate(("all", "where")):
            want = np.zeros(n, np.float32)
            got = losses[1 + k, seed].copy()
            if way == "all":
                want += amount
                kernels.book_all(got, amount, True)
            else:
                want[where] += amount[where]
                assert same_bits(kernels.book_where(got, amount, where, True), amount[where])
            assert same_bits(want, got), (seed, way)
        for pos in (0, 7, 23):
            order = (pos - np.arange(LEDGER_MONTHS)) % LEDGER_MONTHS
            for idx in (np.arange(n), np.array([5]), np.array([9, 2]),
                        np.sort(rng.choice(n, 400, replace=False))):
                sub = losses[:, :, idx].astype(np.float64)
                now, before = kernels.loss_years(losses, idx, order)
                assert same_bits_but_nan_sign(sub[:, order[:12]].sum(axis=1), now), (seed, pos)
                assert same_bits_but_nan_sign(sub[:, order[12:]].sum(axis=1), before), (
                    seed, pos)


def test_loss_years_split_over_two_threads_is_the_same():
    """``Households.loss_years`` with half the causes on the other thread (from
    ``SPLIT_LOSS_YEARS`` households, when the run steps on two) gives one thread's
    sums bit for bit."""
    from types import SimpleNamespace

    from abm import parallel
    from abm.households.state import CAUSES, LEDGER_MONTHS, SPLIT_LOSS_YEARS, Households

    rng = np.random.default_rng(11)
    n = 5000
    shape = (len(CAUSES), LEDGER_MONTHS, n)
    ledger = SimpleNamespace(losses=(rng.lognormal(3.0, 2.0, shape) * rng.choice(
        [-1.0, 1.0], shape)).astype(np.float32), ledger_pos=9)
    for size in (1, SPLIT_LOSS_YEARS - 1, SPLIT_LOSS_YEARS, 400, n):
        idx = np.sort(rng.choice(n, size, replace=False))
        with parallel.threads(1):
            one = Households.loss_years(ledger, idx)
        with parallel.threads(2):
            two = Households.loss_years(ledger, idx)
        for a, b in zip(one, two, strict=True):
            assert a.shape == (len(CAUSES), size) and same_bits(a, b), size


def test_booking_adds_as_numpy_does():
    """``kernels.book_all`` adds the amounts into the float32 row as ``row += amount``
    does (onto zeros when ``fresh``), at every length around the vector widths, with
    negative zeros, infinities of both signs and NaN."""
    from abm import kernels

    rng = np.random.default_rng(3)
    sizes = [0, 1, 2, 7, 8, 9, 15, 16, 17, 127, 128, 129, 136, 255, 256, 257, 1000, 8191,
             8192, 8193, 20_011, 65_536, 200_003]
    for n in sizes:
        cases = [rng.lognormal(5.0, 3.0, n) * rng.choice([-1.0, 1.0], n), np.full(n, -0.0),
                 _edgy(rng, n, -100.0, 1e7)]
        if n:
            inf = cases[0].copy()
            inf[rng.integers(0, n)] = np.inf
            both = inf.copy()
            both[rng.integers(0, n)] = -np.inf
            cases += [inf, both]
        for x in cases:
            row = rng.random(n).astype(np.float32)
            row[rng.random(n) < 0.1] = -0.0
            want_row = row.copy()
            fresh = row.copy()
            with np.errstate(invalid="ignore", over="ignore"):
                want_row += x
                kernels.book_all(row, x)
                kernels.book_all(fresh, x, True)
                want_fresh = np.zeros(n, np.float32) + x
            assert same_bits(row, want_row), n
            assert same_bits(fresh, want_fresh.astype(np.float32)), n


def test_triage_looks_matches_numpy():
    """The cadres' triage (``kernels.triage_looks``) against its numpy expression."""
    from types import SimpleNamespace

    from abm.agents.implementer import triage_looks

    for seed in range(4):
        n = 3000
        rng = np.random.default_rng(seed)
        hh = random_households(n, rng)
        hh.size[:] = rng.integers(0, 7, n)
        hh.n_elderly[:] = rng.integers(0, 4, n)
        hh.registered[:] = rng.random(n) < 0.3
        hh.chronic[:] = rng.random(n) < 0.3
        hh.disability[:] = rng.random(n) < 0.1
        hh.income_pc_year[:] = _edgy(rng, n, -3000.0, 30000.0)
        draws = SimpleNamespace(triage=rng.random(n, dtype=np.float32))
        s = SimpleNamespace(households=hh, config=CFG, draws=draws,
                            ctx=SimpleNamespace(poverty_line=4123.25))
        cand = np.sort(rng.choice(n, 2000, replace=False))
        w = CFG.implementers.triage
        want = (hh.registered[cand] * w.registered + hh.chronic[cand] * w.chronic
                + hh.disability[cand] * w.disability + hh.n_elderly[cand] / np.maximum(
                    hh.size[cand], 1) * w.elderly_share
                + w.low_income / (1.0 + hh.income_pc_year[cand] / 4123.25)
                + draws.triage[cand])
        assert same_bits(want, triage_looks(s, cand)), seed


def smith_reference(model) -> dict[str, float]:
    """The household part of ``abm.smith.measure`` as numpy expressions (before
    ``kernels.smith_pass``): masks, counts, masked sums and means."""
    from abm.smith import _ratio, target_group

    hh = model.households
    cfg = model.config
    out: dict[str, float] = {}
    risk = hh.at_risk
    mon = hh.monitored
    n_risk = int(risk.sum())
    n_mon = int(mon.sum())
    out["smith_policy_coverage"] = _ratio((risk & mon).sum(), n_risk)
    out["smith_policy_exclusion_error"] = _ratio((risk & ~mon).sum(), n_risk)
    out["smith_policy_inclusion_error"] = _ratio((mon & ~risk).sum(), n_mon)
    line_m = model.ctx.poverty_line / 12.0 * hh.size
    without = hh.income_m() - hh.sp_medical_m - hh.help_m
    gap = np.maximum(line_m - without, 0.0)
    sel = mon & (gap > 0)
    out["smith_policy_adequacy"] = _ratio(np.minimum(hh.help_m[sel], gap[sel]).sum(),
                                          gap[sel].sum())
    out["smith_org_caseload_per_cadre"] = _ratio(
        n_mon, sum(t.n_cadres for t in model.village_teams))
    eligible = target_group(hh)
    out["smith_target_coop_participation"] = _ratio((eligible & (hh.coop >= 0)).sum(),
                                                    eligible.sum())
    out["smith_target_health_literacy"] = _ratio((eligible & hh.health_literate).sum(),
                                                 eligible.sum())
    out["smith_target_psych_distress"] = (float(hh.psych_distress[eligible].mean())
                                          if eligible.any() else 0.0)
    able = eligible & (hh.n_labour > 0)
    reliant = eligible & rules.reliant_on_transfers(hh, cfg.behaviour.reliance_help_share)
    out["smith_target_transfer_reliance"] = _ratio(reliant.sum(), able.sum())
    return out


def test_smith_matches_numpy():
    """Smith's indicators with their compiled counts and selections
    (``abm.kernels.smith_pass``) against the numpy expressions, value and type, on a
    small county over a few months, then with its columns scrambled (edge incomes,
    sizes 0 to 6, help, everyone or no one monitored)."""
    from abm import smith

    model, hh, rng, n = _small_county(seed=5, scramble_seed=1)
    for month in range(6):
        model.step()
        if month >= 2:
            hh.monitored[:] = rng.random(n) < (0.3, 1.0, 0.0, 0.5)[month - 2]
            hh.registered[:] = rng.random(n) < (0.3, 0.0, 0.0, 0.6)[month - 2]
            hh.coop[:] = rng.integers(-1, 3, n)
            hh.size[:] = rng.integers(0, 7, n)
            hh.n_labour[:] = rng.integers(0, 3, n)
            for col in ("at_risk", "health_literate"):
                getattr(hh, col)[:] = rng.random(n) < 0.4
            for col, lo, hi in (("inc_farm_m", -500.0, 3000.0), ("inc_wage_m", 0.0, 4000.0),
                                ("inc_public_m", 0.0, 900.0), ("help_m", 0.0, 900.0),
                                ("sp_medical_m", 0.0, 5000.0),
                                ("psych_distress", 0.0, 1.0)):
                getattr(hh, col)[:] = _edgy(rng, n, lo, hi)
        want = smith_reference(model)
        got = smith.measure(model)
        for k, v in want.items():
            assert type(got[k]) is type(v), (month, k)
            assert np.float64(got[k]).tobytes() == np.float64(v).tobytes(), (month, k)


def test_applications_and_screen_match_numpy():
    """Self-applications and the data screen (``kernels.self_applications``,
    ``screen_hits``) against their numpy expressions, with draws exactly at the float32
    rounding of thresholds float32 cannot hold (a comparison in the wrong precision would
    flag them differently) and thresholds given as Python and numpy floats."""
    from types import SimpleNamespace

    from abm.agents import implementer
    from abm.households.state import NO_MONTH

    class Flags:
        def __init__(self):
            self.calls = []

        def flag(self, s, idx, channel, lag):
            self.calls.append((idx.copy(), int(channel), lag))

    for seed in range(4):
        n = 5000
        rng = np.random.default_rng(seed)
        hh = random_households(n, rng)
        hh.at_risk[:] = rng.random(n) < 0.5
        hh.monitored[:] = rng.random(n) < 0.2
        hh.flag_due[:] = np.where(rng.random(n) < 0.8, NO_MONTH, 3)
        hh.trust[:] = _edgy(rng, n, 0.0, 1.0)
        hh.rigid_12m[:] = rng.uniform(0, 9000, n)
        hh.net_sum[:] = rng.uniform(-100, 40000, n)
        # incomes at and below the trace's floor of 1 yuan, rigid spending about there
        low = rng.random(n) < 0.2
        hh.net_sum[low] = rng.uniform(-100, 2, int(low.sum()))
        hh.rigid_12m[low] = CFG.policy.monitoring.screen_trace_share * rng.choice(
            [0.5, 1.0, 1.5], int(low.sum()))
        hh.dibao[:] = rng.random(n) < 0.1
        # just above a float32 value: float32 rounds them down
        p_detect = float(np.float32(0.3)) + 1e-9
        p_detect = p_detect if seed % 2 else np.float64(p_detect)
        p_false = float(np.float32(0.05)) + 1e-10
        mon = CFG.policy.monitoring.model_copy(update=dict(
            screen_p_detect=p_detect, screen_false_alarm=p_false, p_self_apply=0.7))
        cfg = CFG.model_copy(update=dict(policy=CFG.policy.model_copy(
            update=dict(monitoring=mon))))
        screen = rng.random(n, dtype=np.float32)
        screen[rng.random(n) < 0.2] = np.float32(p_detect)
        screen[rng.random(n) < 0.2] = np.float32(p_false)
        apply = rng.random(n, dtype=np.float32)
        draws = SimpleNamespace(screen=screen, apply=apply)
        got = Flags()
        s = SimpleNamespace(households=hh, config=cfg, draws=draws, monitoring=got)
        implementer.self_applications(s)
        implementer.CountyBureau.screen(None, s)
        p = mon.p_self_apply * hh.trust * (mon.self_apply_motivation_base + hh.motivation) * (
            1.0 - mon.stigma)
        want_apply = np.flatnonzero(hh.at_risk & ~hh.monitored & (hh.flag_due == NO_MONTH)
                                    & (apply < p))
        trace = rules.data_trace(hh, mon.screen_trace_share)
        free = ~hh.monitored & (hh.flag_due == NO_MONTH)
        hit = free & hh.at_risk & trace & (screen < mon.screen_p_detect)
        false = free & ~hh.at_risk & (screen < mon.screen_false_alarm)
        want_screen = np.flatnonzero(hit | false)
        assert np.array_equal(got.calls[0][0], want_apply) and got.calls[0][0].dtype == np.intp
        assert np.array_equal(got.calls[1][0], want_screen), seed
        assert [c[1:] for c in got.calls] == [(1, 0), (3, mon.screen_lag_months)]


def test_triage_visits_match_numpy():
    """The teams' triage visits in one compiled pass (``kernels.visits_found``, through
    ``Monitoring.triage_visits``) find the same households as each team's numpy
    selection (``argpartition`` of the looks, then at risk and detected), with looks
    that tie at the k-th place (left to numpy), NaN looks, teams that visit everyone,
    and skills as Python and numpy floats just above a float32 value."""
    from types import SimpleNamespace

    from abm.agents.implementer import Monitoring

    for seed in range(6):
        rng = np.random.default_rng(seed)
        n = 6000
        hh = random_households(n, rng)
        hh.at_risk[:] = rng.random(n) < 0.6
        cand = np.sort(rng.choice(n, 4000, replace=False))
        cuts = np.sort(rng.choice(np.arange(1, cand.size), 30, replace=False))
        cand_start = np.concatenate([[0], cuts, [cand.size]]).astype(np.int64)
        looks = rng.random(cand.size).round(2 if seed % 2 else 9)  # ties when rounded
        looks[rng.random(cand.size) < (0.01 if seed == 4 else 0.0)] = np.nan
        detect = rng.random(n, dtype=np.float32)
        skill32 = float(np.float32(0.6)) + 1e-9
        detect[rng.random(n) < 0.2] = np.float32(skill32)
        q = SimpleNamespace(cand=cand, cand_start=cand_start, looks=looks)
        mon = Monitoring()
        want = []
        for v in range(cand_start.size - 1):
            size = cand_start[v + 1] - cand_start[v]
            k = int(rng.integers(1, size + 3)) if size else 0
            k = min(k, size)
            if k == 0:
                continue
            skill = (skill32, np.float64(skill32), 1.0, min(1.0, np.float64(0.7)))[v % 4]
            mon.visits.append((q, v, k, skill))
            a, b = cand_start[v], cand_start[v + 1]
            c = cand[a:b]
            visited = c[np.argpartition(-looks[a:b], k - 1)[:k]] if k < c.size else c
            want.append(visited[hh.at_risk[visited] & (detect[visited] < skill)])
        s = SimpleNamespace(households=hh, draws=SimpleNamespace(detect=detect))
        got = mon.triage_visits(s)
        assert np.array_equal(np.sort(np.concatenate(want)), np.sort(np.concatenate(got)))


def decisions_reference(hh: Households, cfg: Config, rng: np.random.Generator,
                        ctx: MonthContext) -> None:
    """The decisions phase as numpy expressions (before ``abm.kernels.migration_choices``
    and ``migration_moves``)."""
    from abm.households.decisions import distress_sales, leaving_school

    e = cfg.economy
    u = rng.random((4, hh.n), dtype=np.float32)
    free = rules.free_to_leave(hh)
    drive = e.migration_drive * hh.motivation * (e.migration_skill_base + hh.skills)
    epidemic = 1.0 - ctx.epidemic_idle
    go = (free > 0) & (u[0] < np.minimum(1.0, e.p_start_migrating * drive * epidemic))
    back = (hh.n_migrants > 0) & (u[1] < np.minimum(1.0, hh.n_migrants * e.p_return_migrant))
    p_again = e.p_remigrate * e.remigrate_drive * hh.motivation * epidemic
    again_plain = u[2] < np.minimum(1.0, p_again)
    extra = np.zeros(hh.n, bool)
    for inst in ctx.instruments.hooked("job_placements"):
        got = inst.job_placements(hh, ctx, p_again, u[2], again_plain)
        if got is not None:
            extra |= got
    again = (hh.n_jobless > 0) & (again_plain | extra)
    give_up = (hh.n_jobless > 0) & ~again & (u[3] < e.p_give_up)
    hh.n_migrants += go.astype(np.int16) - back + again
    hh.n_jobless -= again.astype(np.int16) + give_up
    hh.n_jobless = np.minimum(hh.n_jobless, np.maximum(hh.n_labour - hh.n_migrants, 0)
                              ).astype(np.int16)
    hh.n_migrants = np.minimum(hh.n_migrants, hh.n_labour).astype(np.int16)
    for inst in ctx.instruments.hooked("decide"):
        inst.decide(hh, ctx)
    distress_sales(hh, cfg, rng.random(hh.n, dtype=np.float32), ctx)
    leaving_school(hh, cfg, rng.random((2, hh.n), dtype=np.float32), ctx)


def test_decisions_match_numpy():
    from abm import kernels
    from abm.budget import Budget
    from abm.households.decisions import decisions
    from abm.households.state import COLUMNS

    for seed, idle in enumerate((0.0, 0.3, 1.0, 0.05)):
        n = 4000
        rng = np.random.default_rng(seed)
        a = random_households(n, np.random.default_rng(seed))
        b = random_households(n, np.random.default_rng(seed))
        extra = dict(n_jobless=rng.integers(0, 3, n), employer=rng.integers(-1, 5, n),
                     in_post=rng.random(n) < 0.1, business=rng.random(n) < 0.1,
                     monitored=rng.random(n) < 0.3, size=rng.integers(1, 7, n),
                     debt=np.where(rng.random(n) < 0.5, 0.0, rng.uniform(0, 9e4, n)),
                     land=np.where(rng.random(n) < 0.1, 0.0, rng.uniform(0, 15, n)),
                     income_pc_year=rng.uniform(0, 9000, n))
        for hh in (a, b):
            for col, v in extra.items():
                getattr(hh, col)[:] = v
            hh.new_ledger_month(seed)
        for month in range(3):
            for hh, phase in ((a, decisions_reference), (b, decisions)):
                budget = Budget()  # finite: placements are bought in whole units
                budget.new_year({k: 1e12 for k, line in budget.lines.items() if line.bounded})
                ctx = make_ctx(n, month=month, epidemic_idle=idle, budget=budget)
                phase(hh, CFG, Streams(seed * 10 + month)["decisions"], ctx)
            for col in COLUMNS:
                assert same_bits(np.asarray(getattr(a, col)), np.asarray(getattr(b, col))), (
                    seed, month, col)
    # The first pass's float results on edge values (NaN, infinities, signed zeros).
    e = CFG.economy
    for seed in range(3):
        rng = np.random.default_rng(100 + seed)
        n = 5000
        u = rng.random((4, n), dtype=np.float32)
        u[:, :50] = rng.choice(np.array([0.0, 1.0, 0.5], np.float32), (4, 50))
        nl = rng.integers(0, 4, n).astype(np.int16)
        nm = rng.integers(0, 3, n).astype(np.int16)
        nj = rng.integers(0, 3, n).astype(np.int16)
        sick, post, bus = (rng.random(n) < 0.2 for _ in range(3))
        emp = rng.integers(-1, 4, n).astype(np.int32)
        mot, sk = _edgy(rng, n, 0.0, 1.0), _edgy(rng, n, -1.0, 1.0)
        epidemic = float(rng.choice([1.0, 0.7, 0.0, -0.0]))
        ds, base, ps, pr = 2.0 + seed * 1e7, 0.5, 0.008 * 10**seed, 0.006 * 10**seed
        pas = e.p_remigrate * e.remigrate_drive * (1 + seed)
        free = (nl - nm) - nj - sick - (emp >= 0) - post - bus  # rules.free_to_leave
        with np.errstate(invalid="ignore"):
            go = (free > 0) & (u[0] < np.minimum(1.0, ps * (ds * mot * (base + sk)) * epidemic))
            back = (nm > 0) & (u[1] < np.minimum(1.0, nm * pr))
            p_again = pas * mot * epidemic
        plain = u[2] < np.minimum(1.0, p_again)
        got = kernels.migration_choices(u[0], u[1], u[2], nl, nm, nj, sick, emp, post, bus,
                                        mot, sk, ds, base, ps, epidemic, pr, pas)
        for x, y in zip((go, back, p_again, plain), got, strict=True):
            assert same_bits(x, y), seed
        # Draws (float64 here) at the chances themselves and one step below: a chance
        # computed in another order (one bit off) compares differently.
        with np.errstate(invalid="ignore"):
            thr = [np.minimum(1.0, ps * (ds * mot * (base + sk)) * epidemic),
                   np.minimum(1.0, nm * pr), np.minimum(1.0, pas * mot * epidemic)]
        step = rng.random(n) < 0.5
        v = [np.where(step, np.nextafter(t, -np.inf), t) for t in thr]
        go = (free > 0) & (v[0] < thr[0])
        back = (nm > 0) & (v[1] < thr[1])
        plain = v[2] < thr[2]
        got = kernels.migration_choices(v[0], v[1], v[2], nl, nm, nj, sick, emp, post, bus,
                                        mot, sk, ds, base, ps, epidemic, pr, pas)
        for x, y in zip((go, back, p_again, plain), got, strict=True):
            assert same_bits(x, y), seed


def test_spending_passes_match_numpy_on_edge_values():
    from abm import kernels

    for seed in range(4):
        rng = np.random.default_rng(200 + seed)
        n = 5000
        size = rng.integers(0, 9, n).astype(np.int16)
        kids = rng.integers(0, 12, n).astype(np.int16)
        net_sum = _edgy(rng, n, -5e3, 2e5)
        spm, mpc, rate = 3000.0 / 12.0 * (1 + seed), 0.3 + 0.1 * seed, 0.07
        per_child = float(rng.uniform(100.0, 5000.0))
        insured, assisted, oop, withheld, outpatient, out_ins, debt, loan = (
            _edgy(rng, n, 0.0, 9e3) for _ in range(8))
        cols = [_edgy(rng, n, 0.0, 1e4) for _ in range(7)]  # reimbursed .. sp_interest_m
        with np.errstate(invalid="ignore", over="ignore"):
            subsist = spm * size
            usual = net_sum / 12.0
            cons = subsist + mpc * np.maximum(usual - subsist, 0.0)
            ref = [insured + assisted, oop.copy(), cols[2] + oop, cols[3] + assisted, cons,
                   kids * per_child / 12.0, debt * rate / 12.0 + loan]
            left = np.minimum(withheld, oop)
            illness = np.maximum(oop - left - (outpatient - out_ins), 0.0)
        got_cons = kernels.consumption(size, net_sum, spm, mpc)
        assert same_bits(cons, got_cons), seed
        got = kernels.spending_pass(insured, assisted, oop, withheld, outpatient, out_ins,
                                    got_cons, kids, per_child, debt, rate, loan, *cols)
        assert same_bits(left, got[0]) and same_bits(illness, got[1]), seed
        for k, (x, y) in enumerate(zip(ref, cols, strict=True)):
            assert same_bits(x, y), (seed, k)


def test_populate_in_background_leaves_the_arrays_as_they_are():
    """``abm.model.populate_in_background`` maps memory only: what the arrays hold, and
    what is written to them while it works, stays (it changes no number of a run)."""
    from abm.model import populate_in_background

    rng = np.random.default_rng(3)
    ledger = np.zeros((3, 24, 200_003), dtype=np.float32)
    ledger[1, 5, 7:1000] = rng.random(993, dtype=np.float32)
    hist = rng.random((12, 1000))
    want_ledger, want_hist = ledger.copy(), hist.copy()
    thread = populate_in_background(ledger, hist, np.zeros(0))
    ledger[2, 23, -5:] = 7.0  # written meanwhile
    want_ledger[2, 23, -5:] = 7.0
    if thread is not None:
        thread.join(30)
        assert not thread.is_alive()
    assert same_bits(ledger, want_ledger) and same_bits(hist, want_hist)


def test_kth_smallest_matches_numpy_partition():
    """``kernels._kth_smallest`` (a selection among the values under a threshold read
    from a sample, as ``visits_found`` uses it) gives ``np.partition``'s k-th value, on
    lists long and short, with ties, zeros of both signs, infinities, sorted and
    reversed lists and lists of one or two values (where the sample misleads), and k
    from 1 to the length."""
    from abm import kernels

    rng = np.random.default_rng(11)
    lists = []
    for n in (1, 2, 5, 256, 257, 300, 1227, 1500, 5000):
        x = rng.normal(size=n)
        lists += [x, np.round(x, 1), np.sort(x), np.sort(x)[::-1].copy(),
                  np.where(rng.random(n) < 0.5, 0.0, -0.0), np.full(n, 3.0),
                  np.where(rng.random(n) < 0.9, 1.0, -np.inf),
                  np.where(rng.random(n) < 0.05, -5.0, np.inf)]
        if n > 256:  # the sample (every (n // 128)-th value) all far below the rest
            y = 10.0 + rng.random(n)
            y[::n // 128] = -10.0 + rng.random(y[::n // 128].size)
            lists.append(y)
    for x in lists:
        n = x.size
        ks = {1, 2, n // 2, n - 1, n, *rng.integers(1, n + 1, 6).tolist()}
        for k in sorted(k for k in ks if 1 <= k <= n):
            want = np.partition(x, k - 1)[k - 1]
            got = kernels._kth_smallest(x.copy(), k)
            assert got == want or (got == 0.0 and want == 0.0), (n, k)


def _near(rng: np.random.Generator, threshold: np.ndarray, dtype) -> np.ndarray:
    """Draws placed at ``threshold`` (rounded to ``dtype``) and one step either side of
    it, so that a chance computed in another order or compared in another precision
    gives other booleans."""
    t = threshold.astype(dtype)
    with np.errstate(invalid="ignore"):
        step = rng.integers(-1, 2, t.size)
        u = np.where(step < 0, np.nextafter(t, dtype(-np.inf)),
                     np.where(step > 0, np.nextafter(t, dtype(np.inf)), t))
    return np.where(np.isfinite(u), u, dtype(0.5)).astype(dtype)


def test_psych_pass_matches_numpy():
    """``kernels.psych_pass`` (the learning phase's distress, one float64 chance per
    household) against ``psych``'s numpy lines, with edge values in the distress,
    the treatment chance and the debt (zeros of both signs, ones, infinities, NaN),
    sizes 0 to 6 and debts placed at the heavy-debt limit itself."""
    from abm.households.learning import psych

    for seed in range(4):
        n = 4000
        rng = np.random.default_rng(seed)
        cfg = CFG if seed % 2 == 0 else CFG.model_copy(update=dict(
            behaviour=CFG.behaviour.model_copy(update=dict(
                psych_onset=0.37, psych_recovery=0.11, psych_treatment_gain=1.7,
                psych_motivation=0.29, distress_debt_months=7.3)),
            spending=CFG.spending.model_copy(update=dict(subsistence_per_capita=3977.7))))
        b = cfg.behaviour
        a = random_households(n, np.random.default_rng(seed))
        c = random_households(n, np.random.default_rng(seed))
        size = rng.integers(0, 7, n)
        limit = b.distress_debt_months * (
            cfg.spending.subsistence_per_capita / 12.0 * np.maximum(size, 1))
        debt = np.where(rng.random(n) < 0.5, limit, _edgy(rng, n, 0.0, 90000.0))
        debt = np.where(rng.random(n) < 0.3, np.nextafter(debt, np.inf), debt)
        cols = dict(size=size, debt=debt,
                    **_stress_columns(rng, n))
        _assign(cols, a, c)
        treated = _edgy(rng, n, 0.0, 1.0)
        for month in range(3):
            with np.errstate(invalid="ignore"):
                # ``psych``'s own numpy lines: it takes them for a chance not shaped one
                # per household (here the same numbers as one row)
                psych(a, cfg, treated[None, :])
                psych(c, cfg, treated)
            assert same_bits(a.psych_distress, c.psych_distress), (seed, month)
            # NaN times NaN (a NaN motivation and an infinite distress, which a run never
            # has) gives either operand's NaN, by the order the compiler chose
            assert same_bits_but_nan_sign(a.motivation, c.motivation), (seed, month)


def test_distress_sellers_and_business_starts_match_numpy():
    """``kernels.distress_sellers`` and ``kernels.business_starts`` against the numpy
    lines they replace, with draws at the chances and one step either side (float32
    against a Python float compares in float32, against a float64 array in float64),
    debts at the heavy-debt limit, member counts that make ``free_to_leave`` 0 or 1,
    and edge values (signed zeros, infinities, NaN) in the floats."""
    from abm import kernels
    from abm.households.decisions import distress_sales
    from abm.households.health import monthly

    for seed in range(4):
        n = 5000
        rng = np.random.default_rng(seed)
        cfg = CFG.model_copy(update=dict(
            behaviour=CFG.behaviour.model_copy(update=dict(
                distress_debt_months=[6.0, 7.3, 0.7, 11.9][seed])),
            spending=CFG.spending.model_copy(update=dict(
                subsistence_per_capita=[4100.0, 3977.7, 5123.1, 4444.4][seed]))))
        b, bc = cfg.behaviour, cfg.business
        hh = random_households(n, np.random.default_rng(seed))
        hh.size[:] = rng.integers(0, 7, n)
        spc12 = cfg.spending.subsistence_per_capita / 12.0
        limit = b.distress_debt_months * (spc12 * np.maximum(hh.size, 1))
        hh.debt[:] = np.where(rng.random(n) < 0.5, limit, _edgy(rng, n, 0.0, 90000.0))
        hh.land[:] = np.where(rng.random(n) < 0.2, rng.choice([0.0, -0.0], n),
                              _edgy(rng, n, 0.0, 12.0))
        hh.income_pc_year[:] = _edgy(rng, n, 0.0, 9000.0)
        hh.n_jobless[:] = rng.integers(0, 2, n)
        hh.employer[:] = rng.integers(-1, 3, n)
        hh.in_post[:] = rng.random(n) < 0.1
        hh.business[:] = rng.random(n) < 0.3
        hh.savings[:] = np.where(rng.random(n) < 0.3, bc.start_cost,
                                 _edgy(rng, n, 0.0, 40000.0))
        # a chance just above a float32 value: compared in float32 (as numpy does with a
        # Python float), a draw equal to that value is not below it; in float64 it is
        p = float(np.nextafter(np.float64(np.float32(b.p_distress_sale * (1 + seed))), 1.0))
        cfg = cfg.model_copy(update=dict(behaviour=b.model_copy(update=dict(
            p_distress_sale=p))))
        u = _near(rng, np.full(n, p), np.float32)
        hard_line = 1.3 * 4000.0
        with np.errstate(invalid="ignore"):
            want = (hh.income_pc_year < hard_line) & rules.heavy_debt(
                hh, b.distress_debt_months, cfg.spending.subsistence_per_capita) & (
                hh.land > 0) & (u < p)
        got = kernels.distress_sellers(hh.income_pc_year, hard_line, hh.debt, hh.size,
                                       float(b.distress_debt_months), spc12, hh.land, u,
                                       np.result_type(u, p).type(p))
        assert same_bits(want, got), seed
        fail = hh.business & (rng.random(n) < 0.2)
        p_start = np.float64(monthly(bc.p_start_year)) * (1 + 40 * seed)
        with np.errstate(invalid="ignore"):
            drive = np.minimum(hh.motivation / b.motivation_reference, 1.5) * (
                0.5 + hh.skills)
            u1 = _near(rng, p_start * drive, np.float32)
            want = (~hh.business & ~fail & (rules.free_to_leave(hh) >= 1)
                    & (hh.savings >= bc.start_cost) & (u1 < p_start * drive))
        got = kernels.business_starts(hh.business, fail, u1, p_start, hh.motivation,
                                      float(b.motivation_reference), hh.skills, hh.n_labour,
                                      hh.n_migrants, hh.n_jobless, hh.sick_now, hh.employer,
                                      hh.in_post, hh.savings, float(bc.start_cost))
        assert same_bits(want, got), seed
        assert 0 < int(want.sum()) < n
        # The phase itself: the same columns as with the numpy lines.
        ctx = make_ctx(n, poverty_line=4000.0)
        a = random_households(n, np.random.default_rng(seed))
        c = random_households(n, np.random.default_rng(seed))
        for hh2 in (a, c):
            for col in ("size", "debt", "land", "income_pc_year", "n_jobless", "employer",
                        "in_post", "business", "savings"):
                getattr(hh2, col)[:] = getattr(hh, col)
            hh2.new_ledger_month(seed)
        with np.errstate(invalid="ignore"):
            # the phase's own numpy lines: it takes them for draws not shaped one per
            # household (here the same draws as one row)
            distress_sales(a, cfg, u[None, :], ctx)
            distress_sales(c, cfg, u, ctx)
        for col in ("land", "lost_assets_m", "debt", "savings", "asset_proceeds_m",
                    "n_distress_sales"):
            assert same_bits(getattr(a, col), getattr(c, col)), (seed, col)


def test_chronic_excess_kept_matches_numpy():
    """``rules.chronic_excess_kept``'s compiled pass against its numpy lines (1 -
    self_care x adherence, adherence = literacy factor x health_drive), motivation with
    edge values (signed zeros, infinities, NaN, the reference itself, the clip's
    bounds)."""
    for seed in range(4):
        n = 4000
        rng = np.random.default_rng(seed)
        b = CFG.behaviour if seed % 2 == 0 else CFG.behaviour.model_copy(update=dict(
            adherence_illiterate=0.37, health_drive_motivation=3.1, self_care_chronic=0.61))
        hh = random_households(n, rng)
        hh.motivation[:] = _edgy(rng, n, -1.0, 2.0)
        hh.motivation[:50] = b.motivation_reference
        hh.motivation[50:100] = b.motivation_reference - 1.0 / b.health_drive_motivation
        hh.health_literate[:] = rng.random(n) < 0.5
        want = 1.0 - b.self_care_chronic * rules.adherence(hh, b)
        assert same_bits(want, rules.chronic_excess_kept(hh, b)), seed


def test_psych_counselled_pass_matches_numpy():
    """``learning.psych_counselled`` (the chance ``min(counselling + (support_gain > 0),
    1)`` made in ``kernels.psych_counselled_pass``) against the model's former numpy
    lines (the chance as an array, then ``psych``'s numpy lines), with edge values in
    clinic access, the social work served, the distress and the debt (signed zeros,
    infinities, NaN), and access placed where the chance reaches 1."""
    from abm.households.learning import psych, psych_counselled
    from abm.instruments.prevention import Prevention

    for seed in range(4):
        n = 4000
        rng = np.random.default_rng(40 + seed)
        cfg = CFG if seed % 2 == 0 else CFG.model_copy(update=dict(
            behaviour=CFG.behaviour.model_copy(update=dict(
                psych_onset=0.37, psych_recovery=0.11, psych_treatment_gain=1.7,
                psych_motivation=0.29, distress_debt_months=7.3)),
            policy=CFG.policy.model_copy(update=dict(
                prevention=CFG.policy.prevention.model_copy(update=dict(
                    counselling_reach=0.73))))))
        prev = Prevention(cfg)
        ctx = make_ctx(n, cfg=cfg, levels={"prevention": 1.0 if seed < 2 else 0.6})
        a = random_households(n, np.random.default_rng(seed))
        c = random_households(n, np.random.default_rng(seed))
        size = rng.integers(0, 7, n)
        access = _edgy(rng, n, 0.0, 1.5)
        reach = prev.counselling_reach(ctx)
        access[:300] = 1.0 / reach  # the chance exactly 1, and either side of it
        access[300:600] = np.nextafter(access[300:600], -np.inf)
        access[600:900] = np.nextafter(1.0 / reach, np.inf)
        cols = dict(size=size, debt=_edgy(rng, n, 0.0, 90000.0), clinic_access=access,
                    support_gain=np.where(rng.random(n) < 0.7, 0.0, _edgy(rng, n, -0.1, 0.3)),
                    **_stress_columns(rng, n))
        _assign(cols, a, c)
        for month in range(3):
            with np.errstate(invalid="ignore"):
                treated = np.minimum(prev.counselling(a, ctx) + (a.support_gain > 0), 1.0)
                psych(a, cfg, treated[None, :])  # psych's numpy lines
                psych_counselled(c, cfg, prev, ctx)
            assert same_bits(a.psych_distress, c.psych_distress), (seed, month)
            assert same_bits_but_nan_sign(a.motivation, c.motivation), (seed, month)


def test_livelihoods_match_numpy():
    """``kernels.livelihoods`` (the model's event livelihoods) against
    ``rules.livelihood``'s numpy lines, with edge values in every income (signed zeros,
    infinities, NaN), ties between sources, public transfers placed at the earned
    total, and indices long, short, repeated and empty."""
    from abm import kernels

    transfers = np.int8(rules.LIVELIHOODS.index("transfers"))
    for seed in range(4):
        n = 5000
        rng = np.random.default_rng(60 + seed)
        hh = random_households(n, rng)
        hh.inc_farm_m[:] = _edgy(rng, n, -500.0, 5000.0)
        hh.inc_business_m[:] = np.where(rng.random(n) < 0.6, 0.0, _edgy(rng, n, -300, 3000))
        hh.inc_wage_m[:] = _edgy(rng, n, -10.0, 4000.0)
        hh.inc_remit_m[:] = _edgy(rng, n, 0.0, 3000.0)
        hh.inc_public_m[:] = _edgy(rng, n, 0.0, 6000.0)
        with np.errstate(invalid="ignore"):
            tie = rng.random(n) < 0.1  # wages equal to the farm's net income
            hh.inc_wage_m[tie] = hh.inc_farm_m[tie] - hh.inc_business_m[tie]
            tie = rng.random(n) < 0.1  # the business's income equal to the farm's
            hh.inc_farm_m[tie] = 2.0 * hh.inc_business_m[tie]
            tie = rng.random(n) < 0.1  # remittances equal to the largest other source
            hh.inc_remit_m[tie] = np.stack([hh.inc_farm_m - hh.inc_business_m,
                                            hh.inc_business_m, hh.inc_wage_m])[:, tie].max(0)
            at = rng.random(n) < 0.2  # transfers equal to the earned total
            earned = np.stack([hh.inc_farm_m - hh.inc_business_m, hh.inc_business_m,
                               hh.inc_wage_m, hh.inc_remit_m]).clip(min=0.0).sum(axis=0)
            hh.inc_public_m[at] = earned[at]
            for idx in (np.arange(n), rng.integers(0, n, 777), np.array([3]),
                        np.array([], dtype=np.int64), rng.integers(0, n, 50).astype(np.int32)):
                want = rules.livelihood_numpy(hh, idx)
                got = kernels.livelihoods(idx, hh.inc_farm_m, hh.inc_business_m,
                                          hh.inc_wage_m, hh.inc_remit_m, hh.inc_public_m,
                                          transfers)
                assert same_bits(want, got), (seed, idx.size)
                assert same_bits(want, rules.livelihood(hh, idx)), (seed, idx.size)


def test_savings_spent_pass_matches_numpy():
    """``kernels.savings_spent_pass`` (spending added in the pass) against
    ``savings_pass`` of ``Households.spending_m()``, with edge values in every column
    (signed zeros, infinities, NaN) and spending placed at the income."""
    from abm import kernels
    from abm.households.state import SPENDING_COLUMNS

    for seed in range(4):
        n = 5000
        rng = np.random.default_rng(80 + seed)
        hh = random_households(n, rng)
        for col in SPENDING_COLUMNS:
            getattr(hh, col)[:] = _edgy(rng, n, -100.0, 9000.0)
        hh.sp_medical_m[:200] = -0.0
        hh.sp_consumption_m[:100] = -0.0
        income = _edgy(rng, n, -2000.0, 20000.0)
        zero = slice(n - 100, n)  # every value a negative zero (the sum's first + 0.0)
        for col in SPENDING_COLUMNS:
            getattr(hh, col)[zero] = -0.0
        income[zero] = -0.0
        with np.errstate(invalid="ignore", over="ignore"):
            spent = hh.spending_m()
            income[rng.random(n) < 0.05] = 0.0
            at = rng.random(n) < 0.1
            income[at] = spent[at]
            savings = _edgy(rng, n, -10.0, 50000.0)
            savings[zero] = -0.0
            debt = _edgy(rng, n, 0.0, 50000.0)
            s1, d1, s2, d2 = savings.copy(), debt.copy(), savings.copy(), debt.copy()
            share = 0.05 + 0.1 * seed
            kernels.savings_pass(s1, d1, income, spent, share)
            kernels.savings_spent_pass(s2, d2, income,
                                       *(getattr(hh, c) for c in SPENDING_COLUMNS), share)
        assert same_bits(s1, s2) and same_bits(d1, d2), seed


def test_workers_at_home_matches_numpy():
    """``kernels.workers_at_home`` (as ``work_income`` reads it) against
    ``rules.workers_at_home(hh).astype(np.float64)``: counts from 0 to 4, migrants above
    the able members (negative differences), the sick flag either way."""
    from abm import kernels
    from abm.households.work import _workers_at_home

    for seed in range(3):
        n = 5000
        rng = np.random.default_rng(90 + seed)
        hh = random_households(n, rng)
        hh.n_labour[:] = rng.integers(0, 5, n)
        hh.n_migrants[:] = rng.integers(0, 5, n)
        hh.sick_now[:] = rng.random(n) < 0.3
        want = rules.workers_at_home(hh).astype(np.float64)
        assert same_bits(want, kernels.workers_at_home(hh.n_labour, hh.n_migrants,
                                                       hh.sick_now)), seed
        assert same_bits(want, _workers_at_home(hh)), seed


class _OldBill:
    """``MedicalBill`` as it was before its payments were made in place (new arrays)."""

    def __init__(self, cost, outpatient=None):
        self.cost = cost
        self.outpatient = np.zeros(cost.size) if outpatient is None else outpatient
        self.inpatient = cost - self.outpatient
        self.outpatient_insured = np.zeros(cost.size)
        self.insured = np.zeros(cost.size)
        self.assisted = np.zeros(cost.size)
        self.oop = cost
        self.withheld = np.zeros(cost.size)

    def pay(self, kind, paid):
        setattr(self, kind, getattr(self, kind) + paid)
        self.oop = self.oop - paid


def _old_medical_hooks(insts, hh, ctx, bill) -> None:
    """The medical hooks' numpy lines before their compiled passes (basic insurance,
    medical assistance, the cap), in ``covers_at`` order."""
    for inst in insts:
        lv = ctx.levels[inst.name]
        if inst.name == "medical":
            if not inst.p.enabled:
                continue
            routine = bill.outpatient * (inst.p.reimbursement_outpatient * lv)
            bill.pay("insured", ctx.budget.pay(
                "medical_insurance", bill.inpatient * (inst.p.reimbursement_general * lv)
                + routine))
            bill.outpatient_insured = routine
        elif inst.name == "medical_extra":
            full = np.where(inst.eligible(hh), bill.inpatient * inst.extra(), 0.0)
            bill.pay("assisted", ctx.budget.pay("medical_assistance", full * lv))
            bill.withheld = bill.withheld + full * ctx.withdrawn.get(inst.name, 0.0)
        elif inst.name == "medical_cap":
            withdrawn = ctx.withdrawn.get(inst.name, 0.0)
            if lv <= 0 and withdrawn <= 0:
                continue
            over = np.maximum(hh.oop_year + bill.oop - inst.p.cap_yuan, 0.0)
            full = np.where(inst.eligible(hh), np.minimum(over, bill.oop), 0.0)
            if lv > 0:
                bill.pay("assisted", ctx.budget.pay("medical_cap", full * lv))
            bill.withheld = bill.withheld + full * withdrawn


def test_a_bill_makes_its_zeros_when_first_read_or_paid_into(monkeypatch):
    """``MedicalBill``'s zeros are made when first read (and then added into in place)
    or written by the first payment into them (``0.0 + paid``: a -0.0 payment books
    +0.0, as numpy's ``zeros + paid``, whatever the new array held); ``made`` says which
    exist; the cost handed in is never written."""
    from abm import kernels

    empty = np.empty
    monkeypatch.setattr(np, "empty", lambda *a, **k: np.full_like(empty(*a, **k), 7.0))
    n = 30_000
    cost = np.linspace(0.0, 1000.0, n)
    before = cost.copy()
    paid = np.where(np.arange(n) % 3 == 0, -0.0, cost * 0.5)
    bill = MedicalBill(cost, cost * 0.1)
    assert all(bill.made(k) is None for k in MedicalBill.ZEROS)
    bill.pay("insured", paid)  # the first payment: written, not added to zeros
    assert same_bits(bill.insured, np.zeros(n) + paid)
    assert same_bits(bill.oop, cost - paid) and bill.made("assisted") is None
    seen = bill.assisted  # read before any payment: zeros, kept and added into
    assert same_bits(seen, np.zeros(n)) and bill.made("assisted") is seen
    bill.pay("assisted", paid)
    assert bill.assisted is seen and same_bits(seen, np.zeros(n) + paid)
    assert same_bits(bill.oop, (cost - paid) - paid)
    bill.add_withheld(paid, 0.5)
    assert same_bits(bill.made("withheld"), np.zeros(n) + paid * 0.5)
    assert same_bits(cost, before)
    got, out = np.full(n, 7.0), np.empty(n)  # the pass alone: the held values not read
    kernels.pay_into(got, cost, out, paid, True)
    assert same_bits(got, np.zeros(n) + paid) and same_bits(out, cost - paid)


def test_medical_bill_in_place_matches_numpy():
    """The spending phase's medical bill (``MedicalBill.pay`` and ``add_withheld`` in
    place, ``kernels.insurance_claims`` and ``assistance_claims``) against the bill and
    hooks' former numpy lines (new arrays), every column compared: costs with edge
    values (signed zeros, infinities, NaN), levels 1 and below, a withdrawn share, the
    cap on and off; the costs handed in are left as they were. ``pay_into`` and
    ``add_product_into`` alone against numpy, ``oop`` written over itself or into a new
    array."""
    from abm import kernels
    from abm.instruments.medical import MedicalAssistance
    from abm.instruments.registry import Instruments

    for seed in range(4):
        n = 4000
        rng = np.random.default_rng(120 + seed)
        cfg = CFG
        if seed >= 2:
            cfg = CFG.model_copy(update=dict(policy=CFG.policy.model_copy(update=dict(
                medical_cap=CFG.policy.medical_cap.model_copy(update=dict(
                    enabled=True, cap_yuan=2000.0 + 1000 * seed))))))
        hh = random_households(n, rng)
        hh.medical_cost_m[:] = np.where(rng.random(n) < 0.5, 0.0, _edgy(rng, n, 0.0, 3e4))
        hh.outpatient_cost_m[:] = _edgy(rng, n, 0.0, 300.0)
        hh.oop_year[:] = _edgy(rng, n, 0.0, 9000.0)
        for col in ("registered", "monitored", "dibao"):
            getattr(hh, col)[:] = rng.random(n) < 0.3
        levels = {"medical": 1.0, "medical_extra": 1.0 if seed % 2 == 0 else 0.7,
                  "medical_cap": 1.0 if seed < 3 else 0.6}
        withdrawn = {"medical_extra": 0.0 if seed % 2 == 0 else 0.3,
                     "medical_cap": 0.0 if seed < 3 else 0.4}
        cost, outpatient = hh.medical_cost_m.copy(), hh.outpatient_cost_m.copy()
        insts = Instruments(cfg).hooked("medical")
        assert any(isinstance(i, MedicalAssistance) for i in insts)
        with np.errstate(invalid="ignore", over="ignore"):
            ctx = make_ctx(n, cfg=cfg, levels=levels, withdrawn=withdrawn)
            old = _OldBill(hh.medical_cost_m, hh.outpatient_cost_m)
            _old_medical_hooks(insts, hh, ctx, old)
            ctx = make_ctx(n, cfg=cfg, levels=levels, withdrawn=withdrawn)
            new = MedicalBill(hh.medical_cost_m, hh.outpatient_cost_m)
            for inst in insts:
                inst.medical(hh, ctx, new)
        for col in ("inpatient", "outpatient_insured", "insured", "assisted", "oop"):
            assert same_bits(getattr(old, col), getattr(new, col)), (seed, col)
        # a NaN cost (which a run never has) gives a NaN withheld of either sign, by the
        # order the compiler chose for the addition
        assert same_bits_but_nan_sign(old.withheld, new.withheld), seed
        finite = np.isfinite(old.withheld)
        assert finite.sum() > n // 2 and same_bits(old.withheld[finite],
                                                   new.withheld[finite]), seed
        assert same_bits(cost, hh.medical_cost_m) and same_bits(outpatient,
                                                                 hh.outpatient_cost_m)
        # the passes alone
        a, oop, paid = (_edgy(rng, n, -10.0, 1e4) for _ in range(3))
        with np.errstate(invalid="ignore"):
            want_a, want_oop = a + paid, oop - paid
            want_w = a + paid * 0.37
        got_a, out = a.copy(), np.empty(n)
        kernels.pay_into(got_a, oop, out, paid)
        assert same_bits(want_a, got_a) and same_bits(want_oop, out), seed
        got_a, got_oop = a.copy(), oop.copy()
        kernels.pay_into(got_a, got_oop, got_oop, paid)
        assert same_bits(want_a, got_a) and same_bits(want_oop, got_oop), seed
        got_w = a.copy()
        kernels.add_product_into(got_w, paid, 0.37)
        assert same_bits(want_w, got_w), seed


def test_placements_wanted_matches_numpy():
    """``kernels.placements_wanted`` (employment help's candidates) against the hook's
    numpy lines, the float32 draws placed at the chance ``p_again * rel`` and one step
    either side (a chance compared in float32 would give other booleans), chances with
    edge values (signed zeros, above 1, infinities, NaN), the instrument on and off."""
    from abm import kernels

    for seed in range(4):
        n = 5000
        rng = np.random.default_rng(500 + seed)
        n_jobless = rng.integers(0, 3, n).astype(np.int16)
        monitored = rng.random(n) < 0.5
        again_plain = rng.random(n) < 0.3
        p_again = _edgy(rng, n, 0.0, 1.3)
        rel = 1.0 + 0.37 * seed
        lv = 0.0 if seed == 3 else 1.0
        with np.errstate(invalid="ignore", over="ignore"):
            u = _near(rng, np.minimum(1.0, p_again * rel), np.float32)
            u[:500] = rng.random(500, dtype=np.float32)
            want = ((n_jobless > 0) & monitored & (lv > 0)) & (
                u < np.minimum(1.0, p_again * rel)) & ~again_plain
        got = kernels.placements_wanted(n_jobless, monitored, bool(lv > 0), u, p_again,
                                        rel, again_plain)
        assert same_bits(want, got), seed
        assert seed == 3 or want.sum() > 100


def causes_of_reference(hh, idx, line_rise):
    """``Households.causes_of`` as numpy lines (before ``kernels.cause_ranks``)."""
    return hh.causes_of_numpy(idx, line_rise)


def test_cause_ranks_match_numpy():
    """``Households.causes_of`` (``kernels.cause_ranks``) against its numpy lines (a
    stable argsort of the scores): ledgers with equal losses in several causes (ties
    broken by row order), losses equal this year and last (zero scores of either sign),
    all scores at or below 0, the line's rise equal to the largest loss, infinite losses
    (NaN scores), and lists long, short and empty."""
    for seed in range(4):
        n = 3000
        rng = np.random.default_rng(700 + seed)
        hh = make_households(n)
        hh.size[:] = rng.integers(0, 7, n)
        shape = hh.losses.shape
        vals = np.array([0.0, -0.0, 50.0, 100.0, 250.0, 1000.0], dtype=np.float32)
        hh.losses[:] = rng.choice(vals, shape) * (rng.random(shape) < 0.3)
        some = rng.random(shape) < 0.01
        hh.losses[some] = rng.uniform(-100, 5000, int(some.sum())).astype(np.float32)
        hh.new_ledger_month(seed + 5)
        hh.losses[:, hh.ledger_pos, :] = rng.choice(vals, shape[::2]) * (
            rng.random(shape[::2]) < 0.3)
        if seed >= 2:  # infinite losses: in both years of a cause, a NaN score
            hh.losses[rng.random(shape) < 0.0005] = np.inf
            for r in rng.integers(0, shape[0], 3):
                hh.losses[r, :, rng.random(n) < 0.1] = np.inf
        for line_rise in (0.0, 50.0 / 3.0, 100.0, -20.0):
            with np.errstate(invalid="ignore"):
                for idx in (np.arange(n), rng.integers(0, n, 300), np.array([4]),
                            np.array([], dtype=np.int64)):
                    want = causes_of_reference(hh, idx, line_rise)
                    got = hh.causes_of(idx, line_rise)
                    assert list(want[0]) == list(got[0]), (seed, line_rise, idx.size)
                    assert list(want[1]) == list(got[1]), (seed, line_rise, idx.size)


def test_hiring_matches_numpy():
    """An enterprise's hires in one compiled pass (``kernels.hire_from``, through
    ``Enterprise.hire``) are ``Enterprise.take_numpy``'s: the free households of the pool
    in its order, the monitored first, with vacancies from none to more than the pool
    and members away, sick, in posts or employed."""
    from abm import kernels
    from abm.agents.industry import Enterprise

    for seed in range(8):
        rng = np.random.default_rng(seed)
        n = 3000
        hh = random_households(n, rng)
        hh.employer[:] = np.where(rng.random(n) < 0.3, rng.integers(0, 5, n), -1)
        hh.in_post[:] = rng.random(n) < 0.1
        hh.monitored[:] = rng.random(n) < (0.02, 0.3, 0.9)[seed % 3]
        pool = rng.permutation(np.flatnonzero(rng.random(n) < 0.5)).astype(np.int64)
        for need in (0, 1, 3, 40, 400, pool.size + 5):
            want = Enterprise.take_numpy(hh, pool, need)
            got = kernels.hire_from(pool, need, hh.employer, hh.in_post, hh.n_labour,
                                    hh.n_migrants, hh.sick_now, hh.monitored)
            assert got.dtype == want.dtype and np.array_equal(got, want), (seed, need)


def test_discouraged_clients_match_numpy():
    """``kernels.discouraged_clients`` against its numpy expression, with motivations
    exactly at the line and every combination of the three rolls."""
    from abm import kernels

    rng = np.random.default_rng(5)
    n = 4000
    mon, reg, dib = (rng.random(n) < p for p in (0.1, 0.3, 0.2))
    mot = rng.random(n)
    line = float(mot[17])
    mot[rng.integers(0, n, 50)] = line
    got = kernels.discouraged_clients(mon, reg, dib, mot, line)
    want = np.flatnonzero((mon | reg | dib) & (mot < line))
    assert got.dtype == np.int64 and np.array_equal(got, want) and want.size > 100
    assert kernels.discouraged_clients(mon[:0], reg[:0], dib[:0], mot[:0], line).size == 0


def test_median_matches_numpy():
    """``metrics.median`` (the middle values selected among those near a sample's
    middle, ``kernels.median_pair``) gives ``np.median``'s bits on long and short lists,
    odd and even, with ties, zeros of both signs, infinities, NaN, sorted and reversed
    lists and lists whose sample misleads (the selection then falls back to a full
    partition); and the pair says which of the three it did."""
    from abm import kernels
    from abm.metrics import median

    rng = np.random.default_rng(5)
    lists = []
    for n in (1, 2, 7, 512, 513, 514, 1001, 5000, 20001, 20000):
        x = rng.lognormal(8.0, 1.0, size=n)
        lists += [x, np.round(x, -3), np.sort(x), np.sort(x)[::-1].copy(),
                  np.where(rng.random(n) < 0.5, 0.0, -0.0), np.full(n, 3.0),
                  np.where(rng.random(n) < 0.6, 0.0, x), np.where(rng.random(n) < 0.6, 7.5, x),
                  np.where(rng.random(n) < 0.3, 0.0, np.where(rng.random(n) < 0.5, -0.0, x)),
                  np.where(rng.random(n) < 0.5, -np.inf, np.inf),
                  np.where(rng.random(n) < 0.01, np.nan, x)]
        y = x.copy()
        y[n // 3] = np.nan
        lists.append(y)
        if n > 512:  # the sample (every (n // 128)-th value) all far below the rest
            z = 10.0 + rng.random(n)
            z[::n // 128] = -10.0 + rng.random(z[::n // 128].size)
            lists.append(z)
    states = set()
    for x in lists:
        want = np.median(x)
        got = median(x.copy())
        assert np.array_equal(np.float64(got), want, equal_nan=True), (x.size, got, want)
        assert np.signbit(got) == np.signbit(want), x.size
        states.add(int(kernels.median_pair(x)[2]))
    assert states == {0, 1, 2, 3}
