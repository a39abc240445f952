"""The implementing organisation: county bureau, township offices, village work teams.

These are ordinary Mesa agents (hundreds at most) acting on households through array
queries; each month they receive a :class:`~abm.context.StepContext`, not the model.
Formalism is not a parameter: each village team splits its hours between home visits
and paperwork to do well in the county's assessment, so when the assessment rewards
forms more than outcomes the visits shrink by themselves.

All draws of the phase come from one fixed-size batch per month (``Draws``), so a
policy that changes who is visited does not reshuffle anyone else's numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING

import mesa
import numpy as np

from abm import rules
from abm.households.state import NO_ID, NO_MONTH, RETURN_CAUSES, Category, Event

CAUSE_CODE = {c: i for i, c in enumerate(RETURN_CAUSES)}  # risk_cause codes

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import StepContext
    from abm.county import County


class Channel(IntEnum):
    """How a household's hardship reaches the township (``flag_channel``; 0: none)."""

    SELF_APPLICATION = 1
    CADRE_VISIT = 2
    DATA_SCREEN = 3


@dataclass
class Draws:
    """This month's random numbers for the implementers phase, one per household."""

    apply: np.ndarray
    detect: np.ndarray
    screen: np.ndarray
    verify: np.ndarray  # standard normal: error of the township's income check
    triage: np.ndarray  # cadres' imperfect knowledge of who is struggling
    attend: np.ndarray  # whether an invited trainee attends
    diagnose: np.ndarray  # whether the team bringing the bundle identifies the cause

    @classmethod
    def draw(cls, rng: np.random.Generator, n: int) -> Draws:
        u = rng.random((5, n), dtype=np.float32)
        z = rng.standard_normal(n, dtype=np.float32)
        d = rng.random(n, dtype=np.float32)
        return cls(u[0], u[1], u[2], z, u[3], u[4], d)


def paper_score(paper: float, required: float, w_traces: float,
                extra: float | None = None) -> float:
    """The assessment's score for ``paper`` hours of required forms done against
    ``required`` hours: the required forms completed, and, with weight ``w_traces``, the
    traces left beyond them (records, photos, meeting minutes the inspections count:
    ``1 - exp(-extra / required)``, rising with every extra hour, ever more slowly).
    ``extra`` is ``max(paper - required, 0)`` unless given (the December review adds up
    a year's months, each split into forms done and traces)."""
    if required <= 0:
        return 1.0
    done = min(1.0, paper / required)
    if extra is None:
        extra = max(paper - required, 0.0)
    return (1.0 - w_traces) * done + w_traces * (1.0 - np.exp(-extra / required))


def optimal_paperwork(hours: float, required: float, n_households: int, w_paper: float,
                      w_outcome: float, hours_per_visit: float, k: float,
                      w_traces: float = 0.0) -> float:
    """Paperwork hours that maximise the team's expected assessment score.

    Score = w_paper * paper_score(P) + w_outcome * (1 - exp(-k * visits / n)), visits =
    (hours - P) / hours_per_visit. On [0, required] the paper score is linear, on
    [required, hours] concave (the traces), so each piece has its optimum in closed form
    (where the marginal values are equal, clipped to the piece); the better one is taken.
    With ``w_traces`` = 0 nothing is gained beyond the required forms.
    """
    if hours <= 0 or required <= 0 or w_paper <= 0:
        return 0.0
    cap = min(hours, required)
    if w_outcome <= 0 or n_households <= 0:
        return hours if w_traces > 0 else cap
    b = k / (hours_per_visit * n_households)  # outcome's rate per hour of visits
    # Piece 1, P <= required: w_paper (1 - w_traces) / required = w_outcome b exp(-b (hours - P)).
    lin = w_paper * (1.0 - w_traces) / required
    if lin <= 0:
        p1 = 0.0
    else:
        c = lin / (w_outcome * b)
        p1 = cap if c >= 1.0 else min(max(hours + np.log(c) / b, 0.0), cap)
    if w_traces <= 0 or hours <= required:
        return float(p1)
    # Piece 2, P >= required: w_paper w_traces / R exp(-(P - R) / R) = w_outcome b
    # exp(-b (hours - P))  =>  P = (ln(w_paper w_traces / (R w_outcome b)) + 1 + b hours)
    # / (1 / R + b).
    a = 1.0 / required
    p2 = (np.log(w_paper * w_traces * a / (w_outcome * b)) + 1.0 + b * hours) / (a + b)
    p2 = min(max(p2, required), hours)

    def score(p: float) -> float:
        return w_paper * paper_score(p, required, w_traces) + w_outcome * (
            1.0 - np.exp(-b * (hours - p)))
    return float(p2 if score(p2) > score(p1) else p1)


class VillageTeam(mesa.Agent):
    """A village's resident work team: visits, triage, detection, help, forms."""

    def __init__(self, model: mesa.Model, county: County, cfg: Config, village: int,
                 cadres: float):
        super().__init__(model)
        self.village = village
        self.township = int(county.village_township[village])
        self.sl = county.village_slice(village)
        self.n_households = self.sl.stop - self.sl.start
        imp = cfg.implementers
        self.base_cadres = cadres  # the village's share of the county's resident cadres
        self.n_cadres = cadres
        self.detection_skill = imp.detection_skill
        self.diagnosis_skill = imp.diagnosis_skill
        self.talent = 1.0  # the current team's own skill relative to the county's
        self.tenure = 0.0  # months the current team has been in the village
        self.fatigue = 0.0  # 0-1: how tired the team is of the paperwork
        self.n_arrivals = 0  # teams that arrived during the run
        self.paperwork_share = imp.initial_paperwork_share
        self.hours = 0.0
        self.paper_hours = 0.0
        self.required_hours = 0.0
        self.visits = 0
        self.year_paper_done = 0.0
        self.year_paper_required = 0.0
        self.year_paper_traces = 0.0
        self.score = np.nan

    def caseload(self, hh) -> int:
        return int(hh.monitored[self.sl].sum())

    def arrive(self, talent: float, tenure: float = 0.0) -> None:
        """A new team takes over the village (end of a term, or recalled after the
        review): it brings its own skill, has to learn the village, and is rested."""
        self.talent = talent
        self.tenure = tenure
        self.fatigue = 0.0

    def new_month(self, imp) -> bool:
        """A month more in the village; returns True when the team's term has ended
        (the model then sends a new one)."""
        self.tenure += 1.0
        return self.tenure >= imp.team_term_months

    def learn(self, imp) -> None:
        """Skills follow the team's talent and how well it knows the village:
        ``new_team_knowledge`` on arrival, rising towards 1 over
        ``months_to_know_village``. Paperwork tires: last month's paperwork share s
        raises the team's fatigue f by ``fatigue_per_paperwork`` x s x (1 - f) and
        ``fatigue_recovery`` x f fades; a tired team recognises less of the risk it sees
        (detection x (1 - f))."""
        self.fatigue += (imp.fatigue_per_paperwork * self.paperwork_share * (1.0 - self.fatigue)
                         - imp.fatigue_recovery * self.fatigue)
        know = imp.new_team_knowledge + (1.0 - imp.new_team_knowledge) * (
            1.0 - np.exp(-self.tenure / imp.months_to_know_village))
        self.detection_skill = min(1.0, imp.detection_skill * self.talent * know
                                   * (1.0 - self.fatigue))
        self.diagnosis_skill = min(1.0, imp.diagnosis_skill * self.talent * know)

    def months_to_exit(self, cfg: Config) -> int:
        """Stable months after which this team proposes a monitored household's exit.
        Pressure to show exits comes with the paperwork: the assessment that has the team
        fill its hours with forms also counts what the forms show, and a team that sees
        its households mostly on paper proposes their exits on the paper figures, before
        the observation ends. It skips ``exit_rush`` x its paperwork share of the
        observation months (the township signs the proposal off)."""
        return TownshipOffice.months_to_exit(
            cfg.policy.monitoring, cfg.implementers.exit_rush * self.paperwork_share)

    def step(self, s: StepContext, queues: VillageQueues | None = None) -> None:
        """Split the month's hours, bring the bundle, triage and visit. ``queues`` is the
        month's households grouped by village (built once for all teams); without it the
        team builds its own."""
        imp, ass = s.config.implementers, s.config.assessment
        q = queues if queues is not None else VillageQueues.build(s, self.sl, [self])
        v = q.index[self.village]
        self.hours = self.n_cadres * imp.hours_per_cadre_month
        self.required_hours = (imp.forms_hours_base * self.n_cadres
                               + imp.forms_hours_per_case * int(q.caseload[v]))
        target = optimal_paperwork(self.hours, self.required_hours, self.n_households,
                                   ass.weight_paperwork, ass.weight_outcomes,
                                   imp.hours_per_visit, ass.visit_returns, ass.weight_traces)
        share_target = target / self.hours if self.hours > 0 else 0.0
        self.paperwork_share += imp.paperwork_inertia * (share_target - self.paperwork_share)
        self.paper_hours = self.paperwork_share * self.hours
        self.year_paper_done += min(self.paper_hours, self.required_hours)
        self.year_paper_traces += max(self.paper_hours - self.required_hours, 0.0)
        self.year_paper_required += self.required_hours
        self.visits = int((self.hours - self.paper_hours) / imp.hours_per_visit)
        if self.visits <= 0 or self.n_households == 0:
            return
        # 1. Bring the assistance bundle to monitored households still waiting for it
        # (longest monitored first).
        waiting = q.waiting[q.waiting_start[v]:q.waiting_start[v + 1]]
        n_help = min(waiting.size, int(self.visits * imp.help_per_visit))
        if n_help:
            s.monitoring.to_help.append(waiting[:n_help])
        left = self.visits - int(np.ceil(n_help / max(imp.help_per_visit, 1e-9)))
        if left <= 0:
            return
        # 2. Triage: visit the households that look most at risk to the cadres.
        a, b = q.cand_start[v], q.cand_start[v + 1]
        cand = q.cand[a:b]
        if cand.size == 0:
            return
        # What the visits find is worked out for all teams at once after their steps
        # (``Monitoring.after_visits``): nothing else reads it before.
        s.monitoring.visits.append((q, v, min(left, cand.size), self.detection_skill))


def triage_looks(s: StepContext, cand: np.ndarray) -> np.ndarray:
    """How much at risk households ``cand`` look to the cadres (higher: visited first)."""
    hh = s.households
    w = s.config.implementers.triage
    line = s.ctx.poverty_line
    if isinstance(cand, np.ndarray) and cand.dtype.kind in "iu" and (
            hh.income_pc_year.dtype == np.float64):
        from abm import kernels  # (not at import: the config needs no numba)

        # One pass: the same numbers as the numpy expression below.
        return kernels.triage_looks(cand, hh.registered, hh.chronic, hh.disability,
                                    hh.n_elderly, hh.size, hh.income_pc_year,
                                    s.draws.triage, w.registered, w.chronic, w.disability,
                                    w.elderly_share, w.low_income, line)
    return (hh.registered[cand] * w.registered + hh.chronic[cand] * w.chronic
            + hh.disability[cand] * w.disability + hh.n_elderly[cand] / np.maximum(
                hh.size[cand], 1) * w.elderly_share
            + w.low_income / (1.0 + hh.income_pc_year[cand] / line)
            + s.draws.triage[cand])


@dataclass
class VillageQueues:
    """This month's households grouped by village for the teams, built with one pass over
    all households instead of one per team (villages are contiguous runs of households).

    For the ``k``-th listed village: ``caseload[k]`` monitored households;
    ``waiting[waiting_start[k]:waiting_start[k + 1]]`` monitored households still waiting
    for the bundle, longest monitored first (ties by household number);
    ``cand[cand_start[k]:cand_start[k + 1]]`` households a visit could flag (not monitored,
    no pending flag), in household order, and ``looks`` how at risk each looks.
    """

    index: dict[int, int]  # village -> k
    caseload: np.ndarray
    waiting: np.ndarray
    waiting_start: np.ndarray
    cand: np.ndarray
    cand_start: np.ndarray
    looks: np.ndarray

    @classmethod
    def build(cls, s: StepContext, span: slice, teams: list[VillageTeam]) -> VillageQueues:
        """Queues of ``teams``, whose villages lie one after another in ``span`` of the
        households (all villages for the month's pass)."""
        hh = s.households
        lo = span.start
        starts = np.array([t.sl.start for t in teams] + [span.stop], dtype=np.int64) - lo
        mon = hh.monitored[span]
        # Searching the village starts in the sorted positions splits each list by village.
        caseload = np.diff(np.searchsorted(np.flatnonzero(mon), starts))
        waiting = np.flatnonzero(mon & (hh.helped_since[span] == NO_MONTH))
        w_start = np.searchsorted(waiting, starts)
        team_of = np.repeat(np.arange(len(teams)), np.diff(w_start))
        # One stable sort by (village, month monitored) = each village's stable sort.
        waiting = waiting[np.lexsort((hh.monitored_since[span][waiting], team_of))] + lo
        cand = np.flatnonzero(~mon & (hh.flag_due[span] == NO_MONTH)) + lo
        return cls(index={t.village: k for k, t in enumerate(teams)}, caseload=caseload,
                   waiting=waiting, waiting_start=w_start, cand=cand,
                   cand_start=np.searchsorted(cand, starts + lo),
                   looks=triage_looks(s, cand))


class TownshipOffice(mesa.Agent):
    """Decides inclusion into and exit from monitoring, with its own criteria."""

    def __init__(self, model: mesa.Model, county: County, cfg: Config, township: int,
                 multiple: float):
        super().__init__(model)
        mon = cfg.policy.monitoring
        self.township = township
        self.inclusion_multiple = multiple
        self.exit_multiple = multiple * (mon.exit_multiple / mon.inclusion_multiple
                                         if mon.inclusion_multiple else 1.0)
        self.mask = county.hh_township == township
        # A township's households are one run (villages of a township are contiguous).
        mine = np.flatnonzero(self.mask)
        lo = int(mine[0]) if mine.size else 0
        self.sl = slice(lo, lo + mine.size)
        if mine.size and int(mine[-1]) != lo + mine.size - 1:
            raise ValueError(f"households of township {township} are not contiguous")
        self.included = 0
        self.rejected = 0

    def step(self, s: StepContext) -> None:
        hh = s.households
        mon = s.config.policy.monitoring
        month = s.month
        line = s.ctx.poverty_line
        sl = self.sl
        floor = rules.guaranteed_floor(hh, s.ctx)
        due = hh.flag_due[sl]
        mine = np.flatnonzero((due != NO_MONTH) & (due <= month) & ~hh.monitored[sl]) + sl.start
        if mine.size:
            measured = hh.income_pc_gross_year[mine] * np.exp(
                mon.verification_noise * s.draws.verify[mine])
            ok, sudden = rules.at_risk(hh, mon, line, idx=mine, income_pc=measured,
                                       multiple=self.inclusion_multiple, guaranteed=floor)
            s.monitoring.include(s, mine[ok], sudden=sudden[ok],
                                 channel=hh.flag_channel[mine[ok]])
            self.included += int(ok.sum())
            self.rejected += int((~ok).sum())
            hh.flag_due[mine] = NO_MONTH
            hh.flag_channel[mine] = 0
        # Exits: income above the exit line (or a floor the dibao guarantees), and no
        # rigid spending or sharp drop, for long enough (less under pressure).
        mon_idx = np.flatnonzero(hh.monitored[sl]) + sl.start
        if mon_idx.size:
            _, sudden = rules.at_risk(hh, mon, line, idx=mon_idx)
            above, tracked = self.above_exit_line(hh, mon, mon_idx, self.exit_multiple * line,
                                                  floor)
            above &= ~sudden
            hh.stable_months[mon_idx] = np.where(above, hh.stable_months[mon_idx] + 1, 0)
            need = self.months_needed(mon, s.monitoring.months_to_exit(mon, hh, mon_idx),
                                      tracked)
            done = mon_idx[hh.stable_months[mon_idx] >= need]
            s.monitoring.eliminate(s, done)

    @staticmethod
    def above_exit_line(hh, mon, idx: np.ndarray, exit_line,
                        floor) -> tuple[np.ndarray, np.ndarray]:
        """Which monitored households ``idx`` count as above the exit line this month
        (``mon`` is ``cfg.policy.monitoring``, ``exit_line`` yuan per person, one value or
        one per household, ``floor`` :func:`abm.rules.guaranteed_floor`): income per person
        before medical bills at or above it, or held there by the dibao's floor. Also
        returns which of them are held there only by the floor with no one able to work
        (their own income, without the top-up, below the line): social security put in
        place is not yet a risk eliminated for them (national rules), so they are
        tracked ``track_without_labour_months`` before their exit."""
        income = hh.income_pc_gross_year[idx]
        above = income >= exit_line
        if floor is not None:
            above |= floor[idx]
        tracked = np.zeros(idx.size, dtype=np.bool_)
        if mon.track_without_labour_months > 0:
            tracked = hh.dibao[idx] & (hh.n_labour[idx] == 0)
            if tracked.any():
                tracked &= above & (rules.without_dibao(hh, income, idx) < exit_line)
        return above, tracked

    @staticmethod
    def months_needed(mon, need, tracked: np.ndarray):
        """Stable months each monitored household needs before its exit: ``need`` (the
        team's or the rule's), at least ``track_without_labour_months`` for those
        ``tracked`` (:meth:`above_exit_line`)."""
        if not tracked.any():
            return need
        return np.where(tracked, np.maximum(need, mon.track_without_labour_months), need)

    @staticmethod
    def months_to_exit(mon, rush: float = 0.0) -> int:
        """Stable months before a risk is declared eliminated (``mon`` is
        ``cfg.policy.monitoring``): the rule's ``stable_months``, fewer under the county's
        pressure to show exits (``pressure_exit``, a typed share) and fewer again by the
        share ``rush`` the village team skips (``VillageTeam.months_to_exit``)."""
        return max(1, int(np.ceil(mon.stable_months * (1.0 - mon.pressure_exit)
                                  * (1.0 - rush))))

    @staticmethod
    def step_all(offices: list[TownshipOffice], s: StepContext) -> None:
        """Every office's ``step``, in office order, with one pass over the county for
        what the offices' steps compute household by household: the same inclusions,
        exits, events (in the same order: each office's inclusions, then its exits) and
        counts as ``for office in offices: office.step(s)``.

        An office's step reads and writes only its own township's households, so the
        flags due, their verification, the inclusions (``Monitoring._include``, once for
        all), the at-risk test of the monitored and their stable months are worked out
        for all townships at once; the inclusion event is cut into each office's, and
        ``eliminate`` is called office by office, in order. Offices that are not the
        county's townships in order (each its own, contiguous) take their own steps."""
        hh = s.households
        town = s.county.hh_township
        n_t = len(offices)
        if (n_t == 0 or any(o.township != t for t, o in enumerate(offices))
                or town.shape != (hh.n,) or (town.size and (
                    int(town[0]) < 0 or int(town[-1]) >= n_t
                    or bool(np.any(town[1:] < town[:-1]))))):
            for office in offices:
                office.step(s)
            return
        mon = s.config.policy.monitoring
        month = s.month
        line = s.ctx.poverty_line
        floor = rules.guaranteed_floor(hh, s.ctx)
        # Each township's households are one run, in township order: the offices' parts
        # of a sorted list of households start at these positions.
        bounds = np.searchsorted(town, np.arange(n_t + 1))

        def parts(idx: np.ndarray) -> np.ndarray:
            return np.searchsorted(idx, bounds)

        due = hh.flag_due
        mine = np.flatnonzero((due != NO_MONTH) & (due <= month) & ~hh.monitored)
        mine_at = parts(mine)
        ok = np.zeros(mine.size, dtype=np.bool_)
        sudden = np.zeros(mine.size, dtype=np.bool_)
        channel = None
        if mine.size:
            measured = hh.income_pc_gross_year[mine] * np.exp(
                mon.verification_noise * s.draws.verify[mine])
            for t, office in enumerate(offices):
                a, b = mine_at[t], mine_at[t + 1]
                if a < b:
                    ok[a:b], sudden[a:b] = rules.at_risk(
                        hh, mon, line, idx=mine[a:b], income_pc=measured[a:b],
                        multiple=office.inclusion_multiple, guaranteed=floor)
            channel = hh.flag_channel[mine]
        # The monitored after the inclusions, and their stable months after the exit
        # test (an inclusion starts at 0 months).
        included = np.zeros(hh.n, dtype=np.bool_)
        included[mine[ok]] = True
        mon_idx = np.flatnonzero(hh.monitored | included)
        stable = None
        done_mask = np.zeros(mon_idx.size, dtype=np.bool_)
        if mon_idx.size:
            _, risky = rules.at_risk(hh, mon, line, idx=mon_idx)
            exit_line = np.array([o.exit_multiple * line for o in offices])
            above, tracked = TownshipOffice.above_exit_line(
                hh, mon, mon_idx, exit_line[town[mon_idx]], floor)
            above &= ~risky
            before = hh.stable_months[mon_idx]
            before = np.where(included[mon_idx], before.dtype.type(0), before)
            stable = np.where(above, before + 1, 0)
            need = TownshipOffice.months_needed(
                mon, s.monitoring.months_to_exit(mon, hh, mon_idx), tracked)
            done_mask = stable >= need
        mon_at = parts(mon_idx)
        # The inclusions of all offices at once (each household's own), their event cut
        # into each office's, appended in office order before the office's exits.
        event = None
        if mine.size:
            event = s.monitoring._include(s, mine[ok], sudden=sudden[ok], channel=channel[ok])
            ok_at = np.concatenate([[0], np.cumsum(ok)])[mine_at]
        for t, office in enumerate(offices):
            a, b = mine_at[t], mine_at[t + 1]
            if a < b:
                e, f = ok_at[t], ok_at[t + 1]
                s.monitoring.events.append(tuple(x[e:f] for x in event))
                office.included += int(f - e)
                office.rejected += int((b - a) - (f - e))
            c, d = mon_at[t], mon_at[t + 1]
            if c < d:
                s.monitoring.eliminate(s, mon_idx[c:d][done_mask[c:d]])
        if mine.size:
            hh.flag_due[mine] = NO_MONTH
            hh.flag_channel[mine] = 0
        if stable is not None:
            hh.stable_months[mon_idx] = stable


class CountyBureau(mesa.Agent):
    """The data screen, the annual assessment (whose lowest-scoring teams are recalled)
    and cadre postings (the year's budget is set by the model from the instruments'
    allocations)."""

    def __init__(self, model: mesa.Model):
        super().__init__(model)
        self.scores: list[float] = []
        self.recalled: list[VillageTeam] = []  # teams the last review recalled

    def screen(self, s: StepContext) -> None:
        """Sector departments' data (insurance, civil affairs) flag households."""
        hh = s.households
        mon = s.config.policy.monitoring
        from abm import kernels  # (not at import: the config needs no numba)

        # free = ~monitored & (flag_due == NO_MONTH); hit = free & at_risk & trace &
        # (screen < p_detect), the trace being rules.data_trace; false = free & ~at_risk
        # & (screen < false_alarm): one pass, comparing the float32 draws as numpy does.
        u = s.draws.screen
        found = kernels.screen_hits(
            hh.at_risk, hh.monitored, hh.flag_due, NO_MONTH, hh.rigid_12m, hh.net_sum,
            hh.dibao, hh.disability, float(mon.screen_trace_share), u,
            _as_compared(u, mon.screen_p_detect), _as_compared(u, mon.screen_false_alarm))
        s.monitoring.flag(s, found, channel=Channel.DATA_SCREEN, lag=mon.screen_lag_months)

    def annual_review(self, s: StepContext, teams: list[VillageTeam]) -> None:
        """Score last year's teams, then post extra cadres where caseloads are heaviest."""
        cfg = s.config
        hh = s.households
        scores = []
        for t in teams:
            paper = paper_score(t.year_paper_done, t.year_paper_required,
                                cfg.assessment.weight_traces, extra=t.year_paper_traces)
            risk = hh.at_risk[t.sl]
            outcome = float((hh.monitored[t.sl] & risk).sum() / risk.sum()) if risk.any() else 1.0
            t.score = cfg.assessment.weight_paperwork * paper + (
                cfg.assessment.weight_outcomes * outcome)
            scores.append(t.score)
            t.year_paper_done = t.year_paper_required = t.year_paper_traces = 0.0
        self.scores = scores
        # Consequence: the teams with the lowest scores are recalled and replaced.
        k = int(round(cfg.assessment.replace_share * len(teams)))
        self.recalled = [teams[i] for i in np.argsort(scores, kind="stable")[:k]] if k else []
        for t in teams:
            t.n_cadres = t.base_cadres
        extra = cfg.implementers.extra_cadres
        if extra and teams:
            load = np.array([t.caseload(hh) / max(t.n_cadres, 1.0) + t.n_households * 1e-6
                             for t in teams])
            for _ in range(extra):
                i = int(np.argmax(load))
                teams[i].n_cadres += 1
                load[i] = teams[i].caseload(hh) / teams[i].n_cadres


class Monitoring:
    """The monitoring and assistance operations the implementers share, and their
    running counts since month 0 (read by ``abm.smith``)."""

    def __init__(self) -> None:
        # (households, event codes, primary causes, secondary causes) of this month
        self.events: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.n_flags = {c: 0 for c in Channel}
        self.n_included_by = {c: 0 for c in Channel}
        self.n_included = 0
        self.n_exits = 0
        self.n_premature_returns = 0
        self.delay_to_monitor: list[int] = []  # months from risk to monitoring
        self.delay_to_help: list[int] = []  # months from risk to the first help
        self.diagnosis_by_village: np.ndarray | None = None  # this month's team skills
        # stable months each village's team asks for before an exit (this month's)
        self.exit_months_by_village: np.ndarray | None = None
        self.n_bundles = 0  # assistance bundles brought
        self.n_diagnosed = 0  # of which the team identified the cause of the risk
        self.to_help: list[np.ndarray] = []  # this month's visits that bring the bundle
        self.found: list[np.ndarray] = []  # this month's visits that found a risk
        # this month's triage visits still to make: (queues, village's index in them,
        # households to visit, the team's detection skill), in team order
        self.visits: list[tuple[VillageQueues, int, int, float]] = []

    def months_to_exit(self, mon, hh, idx: np.ndarray) -> np.ndarray | int:
        """Stable months monitored households ``idx`` need before their exit: what their
        village's team asks for this month (``VillageTeam.months_to_exit``), or the rule's
        (``TownshipOffice.months_to_exit``) when no team has stepped."""
        if self.exit_months_by_village is None:
            return TownshipOffice.months_to_exit(mon)
        return self.exit_months_by_village[hh.village[idx]]

    def mean_months_to_exit(self, mon) -> float:
        """The stable months the village teams ask for this month, on average (the rule's
        when no team has stepped)."""
        months = self.exit_months_by_village
        if months is None or months.size == 0:
            return float(TownshipOffice.months_to_exit(mon))
        return float(months.mean())

    def new_month(self) -> None:
        self.events = []
        self.to_help = []
        self.found = []
        self.visits = []

    def after_visits(self, s: StepContext) -> None:
        """Act on the village teams' visits of the month, in team order."""
        if self.visits:
            self.found.extend(self.triage_visits(s))
            self.visits = []
        if self.to_help:
            self.deliver_bundle(s, np.concatenate(self.to_help))
        if self.found:
            self.flag(s, np.concatenate(self.found), channel=Channel.CADRE_VISIT, lag=0)

    def triage_visits(self, s: StepContext) -> list[np.ndarray]:
        """The teams' triage visits (``visits``): each visits the ``k`` candidates of its
        village that look most at risk and finds those at risk whose detection draw is
        below its skill. One compiled pass for all teams (``kernels.visits_found``); a
        team whose choice ties at the k-th look is chosen by numpy's ``argpartition``,
        as before. (Only the set found matters: it is flagged.)"""
        from abm import kernels  # (not at import: the config needs no numba)

        hh = s.households
        detect = s.draws.detect
        out = []
        pending = self.visits
        while pending:
            q = pending[0][0]
            group = [p for p in pending if p[0] is q]
            pending = [p for p in pending if p[0] is not q]
            found, exact = kernels.visits_found(
                q.cand, q.cand_start, q.looks, hh.at_risk, detect,
                np.array([p[1] for p in group], np.int64),
                np.array([p[2] for p in group], np.int64),
                np.array([float(_as_compared(detect, p[3])) for p in group]))
            out.append(found)
            for (_, v, k, skill), ok in zip(group, exact, strict=True):
                if not ok:
                    a, b = q.cand_start[v], q.cand_start[v + 1]
                    cand = q.cand[a:b]
                    visited = cand[np.argpartition(-q.looks[a:b], k - 1)[:k]]
                    out.append(visited[hh.at_risk[visited] & (detect[visited] < skill)])
        return out

    def flag(self, s: StepContext, idx: np.ndarray, channel: int, lag: int) -> None:
        """A household's hardship reaches the township through a channel."""
        hh = s.households
        idx = idx[(hh.flag_due[idx] == NO_MONTH) & ~hh.monitored[idx]]
        hh.flag_due[idx] = s.month + lag
        hh.flag_channel[idx] = channel
        self.n_flags[channel] += int(idx.size)

    def include(self, s: StepContext, idx: np.ndarray, sudden: np.ndarray,
                channel: np.ndarray) -> None:
        self.events.append(self._include(s, idx, sudden, channel))

    def _include(self, s: StepContext, idx: np.ndarray, sudden: np.ndarray,
                 channel: np.ndarray) -> tuple:
        """``include`` but for its event, which is returned: (households, event codes,
        primary causes, secondary causes)."""
        hh = s.households
        month = s.month
        hh.monitored[idx] = True
        hh.monitored_since[idx] = month
        hh.helped_since[idx] = NO_MONTH
        hh.stable_months[idx] = 0
        hh.category[idx] = np.where(hh.registered[idx], Category.UNSTABLE,
                                    np.where(sudden, Category.SUDDEN, Category.MARGINAL))
        self.n_included += int(idx.size)
        for c in Channel:
            self.n_included_by[c] += int((channel == c).sum())
        recent = (hh.exited_month[idx] != NO_MONTH) & (month - hh.exited_month[idx] <= 12)
        self.n_premature_returns += int(recent.sum())
        risk = hh.risk_since[idx]
        hh.risk_start[idx] = risk
        self.delay_to_monitor.extend((month - risk[risk != NO_MONTH]).tolist())
        first, second = hh.causes_of(idx, s.ctx.line_rise_year)
        hh.risk_cause[idx] = np.array([CAUSE_CODE.get(c, NO_ID) for c in first], np.int8)
        for inst in s.instruments.hooked("on_include"):
            inst.on_include(hh, idx, s)
        return idx, np.full(idx.size, Event.MONITORED, np.int8), first, second

    def eliminate(self, s: StepContext, idx: np.ndarray) -> None:
        """Risk declared eliminated: the household leaves monitoring, and loses what the
        instruments tie to it (``on_exit`` hooks: the public-welfare post)."""
        if idx.size == 0:
            return
        hh = s.households
        hh.monitored[idx] = False
        hh.category[idx] = Category.NONE
        hh.exited_month[idx] = s.month
        for inst in s.instruments.hooked("on_exit"):
            inst.on_exit(hh, idx, s)
        self.n_exits += int(idx.size)
        none = np.full(idx.size, "", dtype=object)
        self.events.append((idx, np.full(idx.size, Event.RISK_ELIMINATED, np.int8), none,
                            none))

    def deliver_bundle(self, s: StepContext, idx: np.ndarray) -> None:
        """The assistance bundle: each instrument's ``deliver`` hook (dibao for those who
        cannot work, a public-welfare post and training for those who can), then
        referrals: a link to an enterprise, and social work for the discouraged.

        Help fitted to the cause: with its team's diagnosis skill (``diagnosis_skill``
        scaled by the team's own talent and how well it knows the village) the team
        identifies the cause measured at inclusion, and the instruments that answer it
        (``fits_causes``: temporary assistance and the dibao for illness) come too;
        otherwise the household gets only the uniform bundle."""
        hh = s.households
        hh.helped_since[idx] = s.month
        start = hh.risk_start[idx]
        self.delay_to_help.extend((s.month - start[start != NO_MONTH]).tolist())
        able = rules.labour_at_home(hh, idx) > 0
        skill = (s.config.implementers.diagnosis_skill if self.diagnosis_by_village is None
                 else self.diagnosis_by_village[hh.village[idx]])
        diagnosed = s.draws.diagnose[idx] < skill
        self.n_bundles += int(idx.size)
        self.n_diagnosed += int(diagnosed.sum())
        hh.help_fitted[idx] = diagnosed
        cause = hh.risk_cause[idx]
        for inst in s.instruments.hooked("deliver"):
            if inst.fits_causes:
                codes = [CAUSE_CODE[c] for c in inst.fits_causes]
                fit = diagnosed & np.isin(cause, codes)
                inst.deliver(hh, idx[fit], able[fit], s)
            else:
                inst.deliver(hh, idx, able, s)
        s.referrals.enterprise_link.append(idx[hh.coop[idx] < 0])
        s.referrals.social_work.append(
            idx[hh.motivation[idx] < s.config.social.referral_motivation])


def village_cadres(cfg: Config, county: County, hh) -> np.ndarray:
    """Each village's share of the county's resident cadres, in cadre-equivalents: one
    cadre for every ``registered_per_cadre`` registered households, posted where they
    live. Scale-free: a county of any size has as many cadre hours per registered
    household (a smaller run does not get roomier teams)."""
    reg = np.bincount(county.hh_village[hh.registered], minlength=county.n_villages)
    return reg / cfg.implementers.registered_per_cadre


def township_multiples(cfg: Config, n_townships: int, rng: np.random.Generator) -> np.ndarray:
    """The inclusion multiple each township office actually applies (Laoling: they
    differ); the spread is the idealized policy's, the draw is the county's."""
    mon = cfg.policy.monitoring
    sd = mon.township_criteria_spread
    z = rng.standard_normal(n_townships)
    return mon.inclusion_multiple * np.exp(sd * z - sd * sd / 2)


def self_applications(s: StepContext) -> None:
    """Households at risk decide whether to apply themselves: more likely with trust
    in cadres and motivation, less with the stigma of being labelled."""
    from abm import kernels  # (not at import: the config needs no numba)

    hh = s.households
    mon = s.config.policy.monitoring
    # p = p_self_apply * trust * (self_apply_motivation_base + motivation) * (1 - stigma);
    # at risk, not monitored, no pending flag and apply < p: one pass.
    apply = kernels.self_applications(
        hh.at_risk, hh.monitored, hh.flag_due, NO_MONTH, s.draws.apply, hh.trust,
        hh.motivation, mon.p_self_apply, mon.self_apply_motivation_base, 1.0 - mon.stigma)
    s.monitoring.flag(s, apply, channel=Channel.SELF_APPLICATION, lag=0)


def _as_compared(draws: np.ndarray, p: float) -> np.floating:
    """``p`` in the dtype numpy compares ``draws < p`` in (float32 draws against a Python
    float: float32; against a numpy float64: float64)."""
    return np.result_type(draws, p).type(p)
