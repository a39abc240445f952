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

from abm import parallel, rules
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


def paper_score(paper, required, w_traces: float, extra=None):
    """The assessment's score for ``paper`` hours of required forms done against
    ``required`` hours: the required forms completed, and, with weight ``w_traces``, the
    traces left beyond them (records, photos, meeting minutes the inspections count:
    ``1 - exp(-extra / required)``, rising with every extra hour, ever more slowly).
    ``extra`` is ``max(paper - required, 0)`` unless given (the December review adds up
    a year's months, each split into forms done and traces). Numbers or arrays (one
    entry per team: the same operations on each entry)."""
    one = np.ndim(paper) == 0 and np.ndim(required) == 0 and np.ndim(extra) == 0
    paper, required = np.broadcast_arrays(np.asarray(paper, np.float64),
                                          np.asarray(required, np.float64))
    if extra is None:
        extra = np.maximum(paper - required, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        score = ((1.0 - w_traces) * np.minimum(1.0, paper / required)
                 + w_traces * (1.0 - np.exp(-extra / required)))
    score = np.where(required <= 0, 1.0, score)
    return float(score) if one else score


def optimal_paperwork(hours, required, n_households, w_paper: float, w_outcome: float,
                      hours_per_visit: float, k: float, w_traces: float = 0.0):
    """Paperwork hours that maximise the team's expected assessment score.

    Score = w_paper * paper_score(P) + w_outcome * (1 - exp(-k * visits / n)), visits =
    (hours - P) / hours_per_visit. On [0, required] the paper score is linear, on
    [required, hours] concave (the traces), so each piece has its optimum in closed form
    (where the marginal values are equal, clipped to the piece); the better one is taken.
    With ``w_traces`` = 0 nothing is gained beyond the required forms. ``hours``,
    ``required`` and ``n_households`` are numbers (a float is returned) or arrays, one
    entry per team (each entry gets the number one team's call would).
    """
    one = np.ndim(hours) == 0 and np.ndim(required) == 0 and np.ndim(n_households) == 0
    hours, required, n = np.broadcast_arrays(np.asarray(hours, np.float64),
                                             np.asarray(required, np.float64),
                                             np.asarray(n_households, np.int64))
    cap = np.minimum(hours, required)
    none = (hours <= 0) | (required <= 0) | (w_paper <= 0)  # nothing worth a form
    blind = (w_outcome <= 0) | (n <= 0)  # visits count for nothing: all on paper
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        b = k / (hours_per_visit * n)  # outcome's rate per hour of visits
        # Piece 1, P <= required: w_paper (1 - w_traces) / required = w_outcome b
        # exp(-b (hours - P)).
        lin = w_paper * (1.0 - w_traces) / required
        c = lin / (w_outcome * b)
        p1 = np.where(lin <= 0, 0.0, np.where(
            c >= 1.0, cap, np.minimum(np.maximum(hours + np.log(c) / b, 0.0), cap)))
        best = p1
        if w_traces > 0:
            # Piece 2, P >= required: w_paper w_traces / R exp(-(P - R) / R) = w_outcome
            # b exp(-b (hours - P))  =>  P = (ln(w_paper w_traces / (R w_outcome b)) + 1
            # + b hours) / (1 / R + b).
            a = 1.0 / required
            p2 = (np.log(w_paper * w_traces * a / (w_outcome * b)) + 1.0 + b * hours) / (a + b)
            p2 = np.minimum(np.maximum(p2, required), hours)

            def score(p):
                return w_paper * paper_score(p, required, w_traces) + w_outcome * (
                    1.0 - np.exp(-b * (hours - p)))
            best = np.where((hours > required) & (score(p2) > score(p1)), p2, p1)
    out = np.where(none, 0.0, np.where(blind, hours if w_traces > 0 else cap, best))
    return float(out) if one else out


# The village teams' state (``TeamStore``): each name is a float64 entry per team,
# except ``visits`` (int64).
TEAM_FIELDS = ("base_cadres", "n_cadres", "detection_skill", "diagnosis_skill", "talent",
               "tenure", "fatigue", "paperwork_share", "hours", "paper_hours",
               "required_hours", "year_paper_done", "year_paper_required",
               "year_paper_traces", "visits")


class TeamStore:
    """The village teams' state as arrays, one entry per team: each ``VillageTeam``'s
    attributes of ``TEAM_FIELDS`` read and write its own entry. A month's arithmetic then
    runs for all teams at once (``new_month``, ``learn``, ``step``, ``months_to_exit``,
    over the teams ``idx``, all by default): the same operations, in the same order, on
    each team's numbers as one team's own would be (numpy's exp and log give an entry of
    an array the bits they give that number alone)."""

    def __init__(self, n: int):
        for name in TEAM_FIELDS:
            setattr(self, name, np.zeros(n, np.int64 if name == "visits" else np.float64))
        self.village = np.zeros(n, np.int64)
        self.n_households = np.zeros(n, np.int64)

    @classmethod
    def gather(cls, teams: list[VillageTeam]) -> TeamStore:
        """One store for ``teams`` (in this order), their state carried over; each team
        reads and writes its entry from now on."""
        store = cls(len(teams))
        for i, t in enumerate(teams):
            for name in (*TEAM_FIELDS, "village", "n_households"):
                getattr(store, name)[i] = getattr(t._store, name)[t._i]
        for i, t in enumerate(teams):
            t._store, t._i = store, i
        return store

    def _all(self, idx):
        return slice(None) if idx is None else idx

    def new_month(self, imp, idx=None) -> np.ndarray:
        """A month more in the village for each team; True where its term has ended
        (the model then sends a new team)."""
        i = self._all(idx)
        self.tenure[i] += 1.0
        return self.tenure[i] >= imp.team_term_months

    def learn(self, imp, idx=None) -> None:
        """Skills follow the team's talent and how well it knows the village:
        ``new_team_knowledge`` on arrival, rising towards 1 over
        ``months_to_know_village``. Paperwork tires: last month's paperwork share s
        raises the team's fatigue f by ``fatigue_per_paperwork`` x s x (1 - f) and
        ``fatigue_recovery`` x f fades; a tired team recognises less of the risk it sees
        (detection x (1 - f))."""
        i = self._all(idx)
        f = self.fatigue[i]
        f = f + (imp.fatigue_per_paperwork * self.paperwork_share[i] * (1.0 - f)
                 - imp.fatigue_recovery * f)
        self.fatigue[i] = f
        know = imp.new_team_knowledge + (1.0 - imp.new_team_knowledge) * (
            1.0 - np.exp(-self.tenure[i] / imp.months_to_know_village))
        talent = self.talent[i]
        self.detection_skill[i] = np.minimum(
            1.0, imp.detection_skill * talent * know * (1.0 - f))
        self.diagnosis_skill[i] = np.minimum(1.0, imp.diagnosis_skill * talent * know)

    def months_to_exit(self, cfg: Config, idx=None) -> np.ndarray:
        """Stable months after which each team proposes a monitored household's exit.
        Pressure to show exits comes with the paperwork: the assessment that has the team
        fill its hours with forms also counts what the forms show, and a team that sees
        its households mostly on paper proposes their exits on the paper figures, before
        the observation ends. It skips ``exit_rush`` x its paperwork share of the
        observation months (the township signs the proposal off)."""
        return TownshipOffice.months_to_exit(
            cfg.policy.monitoring,
            cfg.implementers.exit_rush * self.paperwork_share[self._all(idx)])

    def step(self, s: StepContext, q: VillageQueues, idx=None) -> None:
        """Each team splits its month's hours, brings the bundle and triages its visits
        (``VillageTeam.step``), in team order: what they hand on (the households to help,
        the visits) is added to ``s.monitoring`` as their steps would add it."""
        imp, ass = s.config.implementers, s.config.assessment
        i = np.arange(self.tenure.size) if idx is None else np.asarray(idx, np.int64)
        v = np.fromiter((q.index[x] for x in self.village[i].tolist()), np.int64, i.size)
        n_cadres = self.n_cadres[i]
        hours = n_cadres * imp.hours_per_cadre_month
        required = (imp.forms_hours_base * n_cadres
                    + imp.forms_hours_per_case * q.caseload[v])
        target = optimal_paperwork(hours, required, self.n_households[i],
                                   ass.weight_paperwork, ass.weight_outcomes,
                                   imp.hours_per_visit, ass.visit_returns, ass.weight_traces)
        with np.errstate(divide="ignore", invalid="ignore"):
            share_target = np.where(hours > 0, target / hours, 0.0)
        share = self.paperwork_share[i]
        share = share + imp.paperwork_inertia * (share_target - share)
        paper = share * hours
        self.hours[i], self.required_hours[i] = hours, required
        self.paperwork_share[i], self.paper_hours[i] = share, paper
        self.year_paper_done[i] += np.minimum(paper, required)
        self.year_paper_traces[i] += np.maximum(paper - required, 0.0)
        self.year_paper_required[i] += required
        visits = ((hours - paper) / imp.hours_per_visit).astype(np.int64)
        self.visits[i] = visits
        active = (visits > 0) & (self.n_households[i] != 0)
        # 1. Bring the assistance bundle to monitored households still waiting for it
        # (longest monitored first).
        w0 = q.waiting_start[v]
        n_help = np.where(active, np.minimum(q.waiting_start[v + 1] - w0, (
            visits * imp.help_per_visit).astype(np.int64)), 0)
        if n_help.any():
            ends = np.cumsum(n_help)
            at = np.arange(int(ends[-1])) + np.repeat(w0 - (ends - n_help), n_help)
            s.monitoring.to_help.append(q.waiting[at])
        left = visits - np.ceil(n_help / max(imp.help_per_visit, 1e-9)).astype(np.int64)
        # 2. Triage: visit the households that look most at risk to the cadres. What the
        # visits find is worked out for all teams at once after their steps
        # (``Monitoring.after_visits``): nothing else reads it before.
        n_cand = q.cand_start[v + 1] - q.cand_start[v]
        go = active & (left > 0) & (n_cand > 0)
        if go.any():
            s.monitoring.visits.append((q, v[go], np.minimum(left, n_cand)[go],
                                        self.detection_skill[i][go]))


def _stored(name: str) -> property:
    """A ``VillageTeam`` attribute kept in its entry of the teams' ``TeamStore``."""
    def get(self):
        return getattr(self._store, name)[self._i].item()

    def put(self, value) -> None:
        getattr(self._store, name)[self._i] = value
    return property(get, put)


class VillageTeam(mesa.Agent):
    """A village's resident work team: visits, triage, detection, help, forms. Its
    numbers (``TEAM_FIELDS``) live in the county's ``TeamStore``, where the month's
    arithmetic runs for all teams at once; this agent's methods run it for itself."""

    def __init__(self, model: mesa.Model, county: County, cfg: Config, village: int,
                 cadres: float):
        super().__init__(model)
        self._store, self._i = TeamStore(1), 0  # its own until the county gathers them
        self.village = village
        self.township = int(county.village_township[village])
        self.sl = county.village_slice(village)
        self.n_households = self.sl.stop - self.sl.start
        self._store.village[0], self._store.n_households[0] = village, self.n_households
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
        self.score = np.nan

    def _idx(self) -> np.ndarray:
        return np.array([self._i], np.int64)

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
        return bool(self._store.new_month(imp, self._idx())[0])

    def learn(self, imp) -> None:
        """``TeamStore.learn`` for this team."""
        self._store.learn(imp, self._idx())

    def months_to_exit(self, cfg: Config) -> int:
        """``TeamStore.months_to_exit`` for this team."""
        return int(self._store.months_to_exit(cfg, self._idx())[0])

    def step(self, s: StepContext, queues: VillageQueues | None = None) -> None:
        """Split the month's hours, bring the bundle, triage and visit
        (``TeamStore.step`` for this team). ``queues`` is the month's households grouped
        by village (built once for all teams); without it the team builds its own."""
        q = queues if queues is not None else VillageQueues.build(s, self.sl, [self])
        self._store.step(s, q, self._idx())


for _name in TEAM_FIELDS:
    setattr(VillageTeam, _name, _stored(_name))
del _name


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
    def months_to_exit(mon, rush=0.0):
        """Stable months before a risk is declared eliminated (``mon`` is
        ``cfg.policy.monitoring``): the rule's ``stable_months``, fewer under the county's
        pressure to show exits (``pressure_exit``, a typed share) and fewer again by the
        share ``rush`` the village team skips (``VillageTeam.months_to_exit``)."""
        months = np.maximum(1, np.ceil(mon.stable_months * (1.0 - mon.pressure_exit)
                                       * (1.0 - np.asarray(rush, np.float64))
                                       ).astype(np.int64))
        return int(months) if months.ndim == 0 else months

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
        # Each team's paperwork score and the share of its village's households at risk
        # that are monitored (1 when none is at risk), for all teams at once: the same
        # operations on each team's numbers as one team's at a time (150 teams' numpy
        # calls took about 4 ms each December at 200,000 households).
        paper = paper_score(np.array([t.year_paper_done for t in teams], np.float64),
                            np.array([t.year_paper_required for t in teams], np.float64),
                            cfg.assessment.weight_traces,
                            extra=np.array([t.year_paper_traces for t in teams], np.float64))
        bounds = np.array([(t.sl.start, t.sl.stop) for t in teams], np.int64).reshape(-1, 2)
        at_risk = np.flatnonzero(hh.at_risk)
        watched = np.flatnonzero(hh.at_risk & hh.monitored)
        risk = np.searchsorted(at_risk, bounds[:, 1]) - np.searchsorted(at_risk, bounds[:, 0])
        both = np.searchsorted(watched, bounds[:, 1]) - np.searchsorted(watched, bounds[:, 0])
        outcome = np.where(risk > 0, both / np.maximum(risk, 1), 1.0)
        scores = (cfg.assessment.weight_paperwork * paper
                  + cfg.assessment.weight_outcomes * outcome).tolist()
        for t, score in zip(teams, scores, strict=True):
            t.score = score
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
        """The teams' triage visits (``visits``: entries ``(queues, v, k, skill)`` of one
        team, or of several with ``v``, ``k`` and ``skill`` arrays, as ``TeamStore.step``
        adds them): each team visits the ``k`` candidates of its village ``v`` that look
        most at risk and finds those at risk whose detection draw is below its skill
        (compared as numpy compares the draws with that skill). One compiled pass for
        all teams (``kernels.visits_found``); a team whose choice ties at the k-th look
        is chosen by numpy's ``argpartition``, as before. (Only the set found matters:
        it is flagged.)"""
        from abm import kernels  # (not at import: the config needs no numba)

        hh = s.households
        detect = s.draws.detect
        out = []
        pending = self.visits
        while pending:
            q = pending[0][0]
            group = [p for p in pending if p[0] is q]
            pending = [p for p in pending if p[0] is not q]
            team_v = np.concatenate([np.atleast_1d(np.asarray(p[1], np.int64))
                                     for p in group])
            team_k = np.concatenate([np.atleast_1d(np.asarray(p[2], np.int64))
                                     for p in group])
            skill = np.concatenate([
                p[3] if isinstance(p[3], np.ndarray) else
                np.array([float(_as_compared(detect, p[3]))]) for p in group])
            common = (q.cand, q.cand_start, q.looks, hh.at_risk, detect)
            h = team_v.size // 2
            if h and parallel.worth_splitting(hh.n):
                # The later half of the teams on the other thread meanwhile (each team's
                # visits are its own; their finds are put back in team order).
                upper = parallel.later(lambda: kernels.visits_found(
                    *common, team_v[h:], team_k[h:], skill[h:]))  # noqa: B023 (used now)
                lower = kernels.visits_found(*common, team_v[:h], team_k[:h], skill[:h])
                parts = (lower, upper())
                found = np.concatenate([p[0] for p in parts])
                exact = np.concatenate([p[1] for p in parts])
            else:
                found, exact = kernels.visits_found(*common, team_v, team_k, skill)
            out.append(found)
            for t in np.flatnonzero(~exact).tolist():
                v, k = int(team_v[t]), int(team_k[t])
                a, b = q.cand_start[v], q.cand_start[v + 1]
                cand = q.cand[a:b]
                visited = cand[np.argpartition(-q.looks[a:b], k - 1)[:k]]
                out.append(visited[hh.at_risk[visited] & (detect[visited] < skill[t])])
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
