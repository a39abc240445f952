"""CountyModel: builds the county and runs the monthly step as a list of phases."""

from __future__ import annotations

import ctypes
import mmap
import sys
import threading
from copy import deepcopy

import mesa
import numpy as np
import pandas as pd

from abm import households as H
from abm import parallel, policy, rules
from abm.agents import implementer
from abm.agents import social as social_mod
from abm.agents.implementer import (
    CountyBureau,
    Draws,
    Monitoring,
    TownshipOffice,
    VillageTeam,
    village_cadres,
)
from abm.agents.industry import Industry
from abm.agents.social import SocialSector
from abm.budget import Budget
from abm.config import Config
from abm.context import MonthContext, Referrals, StepContext
from abm.county import County, Markets, Shocks, build_county
from abm.households.status import changes as status_changes
from abm.households.status import fall_causes
from abm.instruments.registry import Instruments
from abm.metrics import start_medians
from abm.results import RESULTS, Tally, measure
from abm.rng import Streams

SPIN_UP_MONTHS = 18
# January 2020: the monitoring mechanism was set up in early 2020 (national guidelines),
# here on the half year of incomes known, annualised; starting it later leaves a transient
# in the first months of 2021 as its help reaches incomes.
MONITORING_STARTS = -12
ROSTER_MONTH = -12  # the 2020 rosters, a year before month 0 (on half a year's income,
# annualised), so that a year of their payments is in every income by month 0


_MALLOC_TUNED = False


def keep_freed_memory() -> None:
    """Let the C allocator reuse freed household-sized arrays instead of returning them to
    the system (glibc only; elsewhere nothing happens).

    By default glibc serves every block over 128 KB (a column of 16,000+ households) with
    a fresh ``mmap`` and unmaps it on free, so each numpy temporary of a month pays for
    page faults on first touch; about 15% of a month at 100,000 households. With a high
    mmap threshold and no trimming, freed blocks stay in the heap and are reused. Peak
    memory is unchanged (it is set by what is alive at once). Process-wide, idempotent.
    """
    global _MALLOC_TUNED
    if _MALLOC_TUNED or not sys.platform.startswith("linux"):
        return
    _MALLOC_TUNED = True
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # not glibc (e.g. musl): leave the allocator as it is
        return
    m_trim_threshold, m_top_pad, m_mmap_threshold = -1, -2, -3
    libc.mallopt(m_mmap_threshold, 32 * 1024 * 1024)  # glibc's largest allowed value
    libc.mallopt(m_trim_threshold, 1024 * 1024 * 1024)
    libc.mallopt(m_top_pad, 64 * 1024 * 1024)


def populate_in_background(*arrays: np.ndarray) -> threading.Thread | None:
    """Have the kernel map the memory of ``arrays`` now, on a helper thread, instead of
    page by page when the month that first writes there comes (Linux 5.14+'s
    ``madvise(MADV_POPULATE_WRITE)``: the pages are made present and writable, their
    contents, zeros or whatever was written meanwhile, untouched; elsewhere, or on an
    older kernel, nothing happens).

    For the arrays that are filled a slice a month: the loss ledger (24 months of
    every cause for every household, 210 MB at 200,000 households) and the 12-month
    histories. On a virtual machine whose fresh memory is slow to fault in (up to about
    10 ms per MB here, with huge pages), those first writes held up the spin-up and the
    first months by one to two seconds at 200,000 households; on the helper thread the
    wait overlaps the build (``ctypes`` releases the GIL during the call). Returns the
    helper thread (None when there is nothing to do)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6", use_errno=True)
    except OSError:
        return None
    madvise = libc.madvise
    madvise.argtypes = (ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int)
    madvise.restype = ctypes.c_int
    madv_populate_write = 23
    page = mmap.PAGESIZE
    ranges = []
    for a in arrays:
        start = -(-a.ctypes.data // page) * page  # whole pages inside the array
        end = (a.ctypes.data + a.nbytes) // page * page
        if end > start:
            ranges.append((start, end - start))

    def populate(keep=arrays) -> None:  # (keep: the arrays stay alive meanwhile)
        # In pieces of 8 MB, so that the model's own allocations (which need the
        # process's memory map) are not held up behind one long call.
        piece = 8 * 1024 * 1024
        for start, length in ranges:
            for at in range(start, start + length, piece):
                if madvise(at, min(piece, start + length - at), madv_populate_write):
                    return  # not supported here: the pages come when written, as before

    if not ranges:
        return None
    thread = threading.Thread(target=populate, name="abm-populate", daemon=True)
    thread.start()
    return thread


class CountyModel(mesa.Model):
    """A county after 2020, month by month.

    The step runs these phases in order (docs/model.md, "Process overview"):

    1. environment   county: sector prices, disasters, epidemic, wage level, poverty and
                     dibao lines, instrument levels, this month's implementer draws; each
                     January the year's budget (every instrument allocates its lines),
                     industrial-support funds, clinic contracts and paired purchases
    2. health        all households: aging, chronic onset, disability, acute episodes, costs
    3. work_income   all households: job loss, farming, jobs, remittances, then what every
                     instrument pays (every public yuan through a budget line)
    4. spending      all households: consumption, medical costs after insurance, assistance
                     and the cap, schooling, interest, repairs; savings and debt
    5. learning      all households: motivation and skills from own experience, neighbours,
                     training and social work
    6. decisions     all households: migrate, come home, go back after a job loss; the
                     instruments' own choices (taking a loan); small businesses fail and
                     start (own ``business`` stream)
    7. implementers  agents: households apply, the data screen flags, village teams split
                     their hours, visit, detect and help; township offices include and exit
    8. industry      agents: enterprises link referred households, earn, pay dividends,
                     hire, fail
    9. social        agents: charity grants, social work; the epidemic emergency response
    10. county_review  each December the bureau scores the teams and posts cadres
    11. status       all households: 12-month disposable income, poverty status, the
                     monitoring rule, events with their measured causes; the running tallies
                     and this month's declared results are recorded

    Before month 0 the same phases run for ``SPIN_UP_MONTHS`` (mid-2019 to 2020) so that
    incomes, savings, the income history and the monitoring rosters settle; a year before
    January 2020 the instruments enrol their 2020 rosters (``roster_2020``: the dibao, on
    the half year of incomes known, annualised) and monitoring begins.
    Nothing is recorded during the spin-up.

    Each phase that draws uses its own stream (``abm.rng``), named after the phase.
    With ``check_writes=True`` every phase is checked against the columns it is declared
    to write (slow; for tests). With ``prefetch_draws=True`` a helper thread makes each
    stream's next month of fixed-size draws while the month runs (``abm.rng.Streams``;
    same numbers; worth it when a core is free, as for one ``abm run``, not in batches).
    """

    def __init__(self, config: Config | None = None, *, seed: int | None = None,
                 check_writes: bool = False, prefetch_draws: bool = False):
        keep_freed_memory()
        cfg = config or Config()
        if seed is not None:
            cfg = cfg.model_copy(update={"run": cfg.run.model_copy(update={"seed": int(seed)})})
        super().__init__(rng=cfg.run.seed)
        self.config = cfg
        self.check_writes = check_writes
        self.streams = Streams(cfg.run.seed, prefetch=prefetch_draws)
        # Threads the household passes may use (``abm.parallel``; the same numbers either
        # way): a spare core's worth when there is one to spare, as for the draws.
        self.threads = parallel.spare_threads() if prefetch_draws else 1
        if self.threads > 1:
            parallel.assume_free_cores()  # (this run judges its own months)
        self.calendar = cal = policy.Calendar(cfg.run.start_year)
        self.county: County = build_county(cfg, self.streams["county"])
        self.households = hh = H.generate(cfg, self.county.hh_village,
                                          self.county.hh_township, self.streams["population"])
        hh.clinic_access[:] = self.county.village_access[self.county.hh_village]
        if prefetch_draws:  # a core to spare (one ``abm run``): the ledger's memory now
            populate_in_background(hh.losses, hh.net_hist, hh.oop_hist)
        shock_months: dict[int, list] = {}
        for ps in cfg.shocks.price_shocks:
            k = self.county.sectors.index(ps.sector)
            shock_months.setdefault(cal.month_of(ps.year), []).append((k, ps.size))
        self.markets = Markets(cfg, self.county.sectors, shock_months, self.streams["market"])
        epi = cfg.shocks.epidemic
        e0 = cal.month_of(epi.start_year, epi.start_month_of_year)
        self.shocks = Shocks(cfg, self.county, range(e0, e0 + epi.dur_months),
                             self.streams["shocks"])
        self.instruments = Instruments(cfg, self.streams)
        self.budget = Budget()
        self.referrals = Referrals()
        self.income_now: np.ndarray | None = None  # this month's income (work_income)
        # Implementing organisation, industry and the social sector (Mesa agents).
        self.bureau = CountyBureau(self)
        mult = implementer.township_multiples(cfg, self.county.n_townships,
                                              self.streams["township_criteria"])
        self.township_offices = [TownshipOffice(self, self.county, cfg, t, float(mult[t]))
                                 for t in range(self.county.n_townships)]
        cadres = village_cadres(cfg, self.county, hh)
        self.village_teams = [VillageTeam(self, self.county, cfg, v, float(cadres[v]))
                              for v in range(self.county.n_villages)]
        self.teams = implementer.TeamStore.gather(self.village_teams)  # their numbers
        self._teams_arrive(self.village_teams, staggered=True)
        self.implementation = Monitoring()
        self.industry = Industry(self, cfg, self.county, self.streams["industry_setup"],
                                 self.streams["industry"])
        self.social = SocialSector(self, cfg, self.county)

        self.month = -SPIN_UP_MONTHS
        self.tally = Tally()
        self.metrics: dict[str, float] = {}
        # (month, households, event codes, causes, second causes, livelihood codes)
        self._events: list[tuple] = []
        # (events converted, their primary and secondary cause codes): _cause_codes
        self._cause_parts = (0, np.zeros(0, np.int8), np.zeros(0, np.int8))
        self.datacollector: mesa.DataCollector | None = None
        for _ in range(SPIN_UP_MONTHS):
            if self.month == ROSTER_MONTH:
                for inst in self.instruments.hooked("roster_2020"):
                    inst.roster_2020(self.households)
            self._advance(record=False)
        self.month = 0
        H.start_of_run(self.households)
        self.implementation = Monitoring()  # count from month 0
        self.tally = Tally()
        # December 2020 (the last spin-up month's line): the first census compares to it
        self.tally.census(self.households, self.ctx.poverty_line)
        for inst in self.instruments:  # instruments' running counts restart too
            inst.start_of_run()

    # ------------------------------------------------------------------ the step
    def step(self) -> None:
        """One month (the phases are listed in the class docstring)."""
        self._advance(record=True)

    def _advance(self, record: bool) -> None:
        self.streams.new_month()
        phases = (
            ("environment", self.environment),
            ("health", self.health),
            ("work_income", self.work_income),
            ("spending", self.spending),
            ("learning", self.learning),
            ("decisions", self.decisions),
            ("implementers", self.implementers),
            ("industry", self.industry_phase),
            ("social", self.social_phase),
            ("county_review", self.county_review),
        )
        with parallel.threads(self.threads):
            for name, phase in phases:
                self._run(name, phase)
            self._run("status", lambda: self.status(record))
        if self.threads > 1:
            parallel.adapt_to_load()  # (the helper spins only while the cores are free)
        self.month += 1

    def _run(self, name: str, phase) -> None:
        if not self.check_writes:
            phase()
            return
        before = self.households.snapshot()
        phase()
        self.households.check_writes(name, before)

    def step_context(self) -> StepContext:
        """What organisations receive this month."""
        return StepContext(config=self.config, county=self.county, households=self.households,
                           ctx=self.ctx, draws=self.draws, budget=self.budget,
                           instruments=self.instruments, monitoring=self.implementation,
                           referrals=self.referrals, markets=self.markets)

    # ------------------------------------------------------------------ phases
    def environment(self) -> None:
        """County level: prices, shocks, the calendar, this month's implementer draws and,
        each January, the budget."""
        cfg, cal, m = self.config, self.calendar, self.month
        self.markets.step(m)
        loss, damage, idle, local, farm = self.shocks.step(m)
        lv = self.instruments.levels(cal, m)
        self.budget.new_month()
        self.households.new_ledger_month(m)
        line = policy.poverty_line(cfg, cal, m)
        prices = self.county.per_household(self.markets.prices[self.county.village_sector])
        self.ctx = MonthContext(
            month=m,
            january=(m % 12 == 0),
            wage_index=policy.wage_index(cfg, cal, m),
            farm_price=prices,
            poverty_line=line,
            dibao_line=policy.dibao_line(cfg, cal, m),
            levels=lv,
            budget=self.budget,
            instruments=self.instruments,
            disaster_loss=loss,
            damage_m=damage,
            epidemic_idle=idle,
            epidemic_local=local,
            epidemic_farm=farm,
            delay_cost=cfg.social.delay_cost,
            withdrawn={i.name: i.withdrawn(cal, m) for i in self.instruments},
            year=cal.year(m),
            cpi=(1.0 + cfg.economy.cpi_growth_year) ** cal.years_since(m, 2021),
            line_rise_year=line - policy.poverty_line(cfg, cal, m - 12),
        )
        self.draws = Draws.draw(self.streams["implementers"], self.households.n)
        if m % 12 == 0 or m == -SPIN_UP_MONTHS:
            self._new_year()

    def _new_year(self) -> None:
        """The year's budget from every instrument's allocation and the social sector's,
        then the organisations' yearly decisions."""
        hh = self.households
        alloc = self.instruments.allocations(hh, self.ctx)
        alloc.update(social_mod.allocations(self.config, hh.n))
        self.budget.new_year(alloc)
        s = self.step_context()
        self.industry.new_year(s)
        self.social.new_year(s)

    def health(self) -> None:
        H.health(self.households, self.config, self.streams["health"], self.ctx)

    def work_income(self) -> None:
        # This month's income by every source, summed once (work_income returns
        # hh.income_m()): only this phase writes the income columns, so spending,
        # learning and status read the same sum.
        self.income_now = H.work_income(self.households, self.config,
                                        self.streams["work"], self.ctx)

    def spending(self) -> None:
        H.spending(self.households, self.config, self.ctx, self.income_now)

    def learning(self) -> None:
        hh = self.households
        # Distress first: social work served this month (support_gain, reset by
        # learning) and the clinics' counselling treat it: the chance min(counselling +
        # (support_gain > 0), 1), made household by household in psych's compiled pass.
        H.psych_counselled(hh, self.config, self.instruments["prevention"], self.ctx)
        H.learning(self.households, self.config, self.county.peer_parts,
                   self.county.has_peers, self.income_now)

    def decisions(self) -> None:
        H.decisions(self.households, self.config, self.streams["decisions"], self.ctx)
        H.businesses(self.households, self.config, self.streams["business"], self.ctx)

    def implementers(self) -> None:
        """Applications, data screen, village teams, then township decisions."""
        self.implementation.new_month()
        if self.month < MONITORING_STARTS:
            return
        s = self.step_context()
        imp = self.config.implementers
        # The teams' arithmetic runs for all of them at once (``TeamStore``), in their
        # order, as each team's own step would.
        teams = self.teams
        ended = np.flatnonzero(teams.new_month(imp))
        self._teams_arrive([self.village_teams[i] for i in ended])  # new teams arrive
        teams.learn(imp)
        self.implementation.diagnosis_by_village = teams.diagnosis_skill.copy()
        implementer.self_applications(s)
        self.bureau.screen(s)
        queues = implementer.VillageQueues.build(s, slice(0, self.households.n),
                                                 self.village_teams)
        teams.step(s, queues)
        self.implementation.exit_months_by_village = teams.months_to_exit(self.config)
        self.implementation.after_visits(s)
        TownshipOffice.step_all(self.township_offices, s)

    def industry_phase(self) -> None:
        self.industry.step(self.step_context())

    def social_phase(self) -> None:
        s = self.step_context()
        self.social.step(s)
        for inst in self.instruments.hooked("monthly"):
            inst.monthly(s)

    def county_review(self) -> None:
        if self.month % 12 == 11:
            self.bureau.annual_review(self.step_context(), self.village_teams)
            self._teams_arrive(self.bureau.recalled)  # every December, even if none

    def _teams_arrive(self, teams: list, staggered: bool = False) -> None:
        """New teams take over these villages, each with its own talent. The ``cadres``
        stream draws one number per village every time (fixed size, whoever arrives), and
        a village's new team takes its village's number. At the start the teams' terms
        are staggered (evenly spread over a term, in a fixed scrambled order)."""
        imp = self.config.implementers
        sd = imp.team_skill_spread
        z_all = self.streams["cadres"].standard_normal(len(self.village_teams))
        z = [z_all[t.village] for t in teams]
        for t, zi in zip(teams, z, strict=True):
            tenure = (float(t.village) * 0.6180339887) % 1.0 * imp.team_term_months \
                if staggered else 0.0
            t.arrive(float(np.exp(sd * zi - sd * sd / 2)), tenure)
            t.n_arrivals += 0 if staggered else 1

    def status(self, record: bool) -> None:
        income = self.income_now  # read by the status phase and the measures
        hh = self.households
        who, codes, into = status_changes(hh, self.config, self.ctx, income=income)
        if not record:  # (the spin-up keeps no events: their causes are not measured)
            return
        # The medians of the measures, then the falls' causes, on the other thread
        # meanwhile, when the run has two and many households: they only read the ledger
        # and the households, which nothing below changes; the measures take them last
        # (``abm.metrics.measure``). The medians first: the measures need them before
        # the causes.
        medians = start_medians(hh)
        caused = parallel.later(lambda: fall_causes(hh, self.ctx, into, who.size), hh.n)
        kinds = _livelihoods(hh, [*(ev[0] for ev in self.implementation.events), who])
        self.tally.update(self, codes)
        self.metrics = measure(self, codes, lambda: caused()[0], income=income,
                               medians=medians)
        events = [*self.implementation.events, (who, codes, *caused())]
        self._events.extend((self.month, *ev, kind)
                            for ev, kind in zip(events, kinds, strict=True))
        if self.datacollector is None:
            self.datacollector = _Collector(
                model_reporters={k: _reporter(k) for k in self.metrics})
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ outputs
    def timeseries(self) -> pd.DataFrame:
        if self.datacollector is None:
            return pd.DataFrame()
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        for r in RESULTS():
            if r.name in df and r.dtype == "int64":
                df[r.name] = df[r.name].astype("int64")
        return df

    def events(self) -> pd.DataFrame:
        """One row per household event: month, household, township, village, event, its
        primary cause and its secondary cause (both measured; "" when none), and the
        household's livelihood that month (``abm.rules.livelihood``)."""
        ev = self._events
        if ev:
            month = np.concatenate([np.full(e[1].size, e[0], np.int32) for e in ev])
            who = np.concatenate([e[1] for e in ev]).astype(np.int64)
            codes = np.concatenate([e[2] for e in ev])
            causes, causes2 = self._cause_codes()
            kinds = np.concatenate([e[5] for e in ev])
        else:
            month = np.zeros(0, np.int32)
            who = np.zeros(0, np.int64)
            codes = np.zeros(0, np.int8)
            causes = causes2 = kinds = np.zeros(0, np.int8)
        events = pd.Categorical.from_codes(codes, categories=list(H.EVENTS))
        cause_cats = [*H.RETURN_CAUSES, ""]
        return pd.DataFrame({
            "month": month,
            "household": who,
            "township": self.county.hh_township[who].astype(np.int32),
            "village": self.county.hh_village[who].astype(np.int32),
            "event": events,
            "cause": pd.Categorical.from_codes(causes, categories=cause_cats),
            "cause2": pd.Categorical.from_codes(causes2, categories=cause_cats),
            "livelihood": pd.Categorical.from_codes(kinds, categories=list(rules.LIVELIHOODS)),
        })

    def _cause_codes(self) -> tuple[np.ndarray, np.ndarray]:
        """Category codes of every listed event's primary and secondary cause (-1 for a
        value that is no cause, as ``pd.Categorical`` gives), each event's converted
        once: the browser page asks for the events every month. The events not yet
        converted are looked up together (one hash lookup of their concatenated causes)."""
        n_done, primary, secondary = self._cause_parts
        if n_done > len(self._events):  # the list was replaced: start again
            n_done, primary, secondary = 0, np.zeros(0, np.int8), np.zeros(0, np.int8)
        new = self._events[n_done:]
        if new:
            cats = pd.Index([*H.RETURN_CAUSES, ""])
            primary, secondary = (np.concatenate([done, cats.get_indexer(np.concatenate(
                [np.asarray(e[j], dtype=object) for e in new])).astype(np.int8)])
                for done, j in ((primary, 3), (secondary, 4)))
        self._cause_parts = (len(self._events), primary, secondary)
        return primary, secondary


def _livelihoods(hh, parts: list[np.ndarray]) -> list[np.ndarray]:
    """``rules.livelihood`` of each list of households in ``parts`` (one call for all
    when they are integer arrays: a household's livelihood is its own)."""
    if len(parts) > 1 and all(isinstance(p, np.ndarray) and p.ndim == 1
                              and p.dtype.kind in "iu" for p in parts):
        kinds = rules.livelihood(hh, np.concatenate(parts))
        return np.split(kinds, np.cumsum([p.size for p in parts])[:-1])
    return [rules.livelihood(hh, p) for p in parts]


def _reporter(key: str):
    return lambda model: model.metrics[key]


class _Collector(mesa.DataCollector):
    """Mesa's DataCollector of the month's measures (one ``_reporter`` per result). After
    the first collection, which checks the reporters, a month's values are appended as
    the reporters would give them, without calling ~250 lambdas and deep-copying each
    number (numbers cannot change; anything else is still copied)."""

    def collect(self, model) -> None:
        if not self._validated or self.agent_reporters or self.agenttype_reporters:
            super().collect(model)
            return
        if hasattr(self, "_collection_steps"):
            self._collection_steps.append(model.time)
        values = model.metrics
        for var, column in self.model_vars.items():
            v = values[var]
            column.append(v if type(v) in (int, float, bool, str) else deepcopy(v))
