"""The compiled kernels' machine code, loaded from numba's cache on a spare core while
the county is built.

Each compiled kernel (``abm.build_kernels``, ``abm.kernels``) is kept by numba in its
cache (``cache=True``): the first process after a change compiles it, every later one
loads it from the file the first time it is called. Loading is not free: numba reads
the object code and LLVM links it into the process (4 to 10 ms a kernel, about 50 of
them in a run's build and first month: 0.2 to 0.5 s of every ``abm run``, whatever the
number of households). :func:`load_in_background` does that loading on a helper thread
started once the imports are done, in the order the run first calls the kernels
(:data:`FIRST_USE`), so it overlaps the output folder's check, the county and the
households being made on the main thread, and keeps ahead of it; a kernel the main
thread calls before the helper reached it is loaded by that call, as before (numba's
own lock keeps the two from loading the same kernel twice).

Only what is already cached is loaded: the signatures in each kernel's cache index
whose key matches this numba, this machine and this source (as numba's own lookup
requires), so the helper never compiles. The same machine code either way: the run's
numbers do not change. Anything unexpected (another numba, no cache) leaves the
loading to the calls, as before.
"""

from __future__ import annotations

import threading


def _cached_signatures(dispatcher) -> list:
    """The signatures ``dispatcher``'s cache holds for this numba, machine and source."""
    cache = dispatcher._cache
    impl = getattr(cache, "_cache_file", None)
    if impl is None:  # no cache (numba's NullCache)
        return []
    codegen = dispatcher.targetctx.codegen()
    return [key[0] for key in impl._load_index()
            if cache._index_key(key[0], codegen) == key]


# The kernels in the order a run first calls them (the build's, then the first month's
# phases): loaded in this order, the helper stays ahead of the main thread. Any other
# kernel of the modules is loaded after these, in the module's order.
FIRST_USE = (
    "build_kernels.mt_words", "kernels.watts_strogatz_rewire", "build_kernels.gnp_ties",
    "build_kernels.ties_csr", "kernels.pcg64_uniform_f32", "kernels.min_max",
    "kernels._chronic_excess_kept_ranges", "kernels._health_people_ranges",
    "kernels._acute_rel_ranges", "kernels.acute_onset", "kernels._pay_into_ranges",
    "kernels._health_costs_ranges", "kernels.book_where", "kernels.book_all",
    "kernels._migrants_pass_ranges", "kernels._workers_at_home_ranges",
    "kernels._earnings_pass_ranges", "kernels._business_income_ranges",
    "kernels._where_product_ranges", "kernels._add_into_ranges",
    "kernels._posts_wages_ranges", "kernels._per_month_ranges",
    "kernels._counted_per_month_ranges", "kernels._dibao_gap_ranges",
    "kernels._store_income_ranges", "kernels._consumption_ranges",
    "kernels._insurance_claims_ranges", "kernels._assistance_claims_ranges",
    "kernels._add_product_into_ranges", "kernels._spending_pass_ranges",
    "kernels._savings_spent_pass_ranges", "kernels._psych_counselled_pass_ranges",
    "kernels.rows_reversed", "kernels._peer_means_ranges",
    "kernels._learning_update_ranges", "kernels._migration_choices_ranges",
    "kernels._placements_wanted_ranges", "kernels._migration_moves_ranges",
    "kernels._distress_sellers_ranges", "kernels._business_starts_ranges",
    "kernels.hire_from", "kernels._discouraged_clients_ranges", "kernels._gather_runs",
    "kernels._dibao_applications_ranges", "kernels._status_roll_ranges",
    "kernels._at_risk_ranges", "kernels._status_flags_ranges", "kernels.idle_spin",
    "kernels.pcg64_uniform_f32_until", "kernels.pcg64_normal_f32",
    "kernels.pcg64_normal_f32_until", "kernels._self_applications_ranges",
    "kernels._screen_hits_ranges", "kernels._triage_looks_ranges",
    "kernels.visits_found", "kernels.loss_years", "kernels.cause_ranks",
    "kernels.livelihoods", "kernels._household_counts_ranges", "kernels.median_pair",
    "kernels.smith_pass",
)


def _dispatchers(modules: tuple) -> list:
    """The compiled kernels of ``modules``: those of :data:`FIRST_USE` in its order,
    then the others in each module's order; not the range kernels of split passes
    (``_*_part``), which only their compiled ``_*_ranges`` call (the machine code is in
    the caller's cache: loading their own would only take the other core)."""
    from numba.core.dispatcher import Dispatcher

    found = {f"{m.__name__.rsplit('.', 1)[-1]}.{name}": d for m in modules
             for name, d in vars(m).items()
             if isinstance(d, Dispatcher) and not name.endswith("_part")}
    first = [found.pop(name) for name in FIRST_USE if name in found]
    return first + list(found.values())


def _load_all(modules: tuple) -> None:
    for dispatcher in _dispatchers(modules):
        for sig in _cached_signatures(dispatcher):
            if tuple(sig) not in dispatcher.overloads:
                dispatcher.compile(sig)  # a cache hit: numba loads, never compiles


def _run(modules: tuple) -> None:
    try:
        _load_all(modules)
    except Exception:  # noqa: BLE001 - another numba's internals: the calls load them
        pass


def load_in_background() -> threading.Thread | None:
    """Start loading the cached kernels of ``abm.build_kernels`` and ``abm.kernels`` (in
    the order of :data:`FIRST_USE`) on a helper thread; the thread, or None when numba
    is not there. The thread is not a daemon: a process that ends sooner (a tiny run, an
    error) waits for it at exit (half a second at most) rather than stopping it inside
    LLVM."""
    try:
        from abm import build_kernels, kernels
    except ImportError:
        return None
    thread = threading.Thread(target=_run, args=((build_kernels, kernels),),
                              name="abm-kernel-cache")
    thread.start()
    return thread
