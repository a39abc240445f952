"""Compiled, fused passes over all households for the hottest household phases.

Each kernel does in one loop what its phase wrote as a chain of numpy expressions, and
gives the same numbers bit for bit: every expression keeps its operands' order and its
dtype (float64 throughout; float32 draws are made and transformed by numpy before they
reach a kernel), comparisons and clips follow numpy's rules for NaN, sums keep their
order (a sparse row is added in stored order from 0.0, as scipy's ``csr_matvec``), and no
fast-math is used, so no multiply-add is fused. ``tests/test_kernels.py`` checks each
kernel against the numpy expressions it replaces.

The kernels are compiled by numba on first use and cached next to this file
(``cache=True``), so only the first process after a change pays the compile.

The heaviest per-household passes are written as range kernels (``_*_part``: households
``lo`` to ``hi``, into arrays their wrapper allocated), each called by its ``_*_ranges``
kernel over the ranges a thread claims, which ``abm.parallel.split`` runs on one thread
or on two (see "ranges of households claimed by two threads" below); their loops run
over ``np.uint64`` bounds (with signed bounds numba checks every index for wraparound
and the loops stop vectorising: 1.5 to 3 times slower). ``benchmarks/split.py`` times
each split pass both ways: a pass that only streams memory, or takes under about 0.1
ms, saves nothing split and stays on one thread.
"""

from __future__ import annotations

import math
import platform

import numba
import numpy as np
from llvmlite import ir as llvm_ir
from numba.core import cgutils, types
from numba.extending import intrinsic

from abm import parallel


@numba.njit(cache=True, inline="always")
def _maximum(a: float, b: float) -> float:
    """``np.maximum`` of two floats (NaN wins). Selects, not branches (so loops that use
    it vectorise): the same as ``a if a is NaN, else b if b is NaN, else a if a >= b
    else b``."""
    r = a if a >= b else b
    r = b if b != b else r
    return a if a != a else r


@numba.njit(cache=True, inline="always")
def _minimum(a: float, b: float) -> float:
    """``np.minimum`` of two floats (NaN wins), by selects as ``_maximum``."""
    r = a if a <= b else b
    r = b if b != b else r
    return a if a != a else r


@numba.njit(cache=True, inline="always")
def _clip(x: float, lo: float, hi: float) -> float:
    """``np.clip(x, lo, hi)`` of a float: numpy's ``min(max(x, lo), hi)``, NaN kept (by
    selects as ``_maximum``)."""
    y = x if x > lo else lo
    y = y if y < hi else hi
    return x if x != x else y


@numba.njit(cache=True, inline="always")
def _health_drive(motivation: float, slope: float, reference: float) -> float:
    """``abm.rules.health_drive`` of one household: ``clip(1 + slope * (motivation -
    reference), 0, 1)``, numpy's order."""
    return _clip(1.0 + slope * (motivation - reference), 0.0, 1.0)


# -- ranges of households claimed by two threads (abm.parallel.split)
#
# A split pass's ranges are an int64 array: the next range to claim, the ranges done, the
# number of ranges, the owner's "all done" mark, then the range bounds. Each thread runs
# the pass's ``_*_ranges`` kernel, which claims ranges one by one with an atomic add and
# computes them, all without the GIL: the ranges are never handed out by Python, and the
# helper thread, spinning while idle (``idle_spin``), starts on a pass the moment its
# owner's kernel says so (``signal``), not after a sleeping thread's wake-up and the GIL.
# Whichever thread computes a range, it computes it the same way: the same numbers.
# Each pass has its own eight-line ``_*_ranges`` wrapper, the same but for the range
# kernel it calls: numba caches neither a wrapper made by a factory (a closure: every
# one shares one cache entry, and misses) nor one taking the range kernel as an
# argument (its type is the dispatcher itself, which differs in each process), and an
# uncached wrapper would be compiled again by every run.
RANGES_HEAD = 4  # next, done, count, all-done; then the count + 1 bounds
# How long each thread waits for the other, spinning, is read from the signal word
# (``abm.parallel.SIGNAL``: set there, and lowered while the cores are busy). The helper,
# once it has seen the owner's mark, waits a few more pauses, so that the owner takes
# the GIL back before the helper asks for it (two threads asking at once cost the loser
# a sleep and a wake-up).
HELPER_GRACE = 64


def _element_pointer(context, builder, arrty, arr, idx):
    ary = context.make_array(arrty)(context, builder, arr)
    return cgutils.get_item_pointer(context, builder, arrty, ary, [idx])


@intrinsic
def _atomic_add(typingctx, arr, idx, val):
    """``arr[idx] += val`` at once for every thread (an int64 array); returns the value
    before."""
    sig = types.int64(arr, idx, val)

    def codegen(context, builder, signature, args):
        ptr = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.atomic_rmw("add", ptr, args[2], "seq_cst")

    return sig, codegen


@intrinsic
def _atomic_load(typingctx, arr, idx):
    """``arr[idx]`` as another thread last stored it (an int64 array; never hoisted out
    of a loop)."""
    sig = types.int64(arr, idx)

    def codegen(context, builder, signature, args):
        ptr = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        return builder.load_atomic(ptr, "acquire", 8)

    return sig, codegen


@intrinsic
def _atomic_store(typingctx, arr, idx, val):
    """``arr[idx] = val``, seen by another thread's ``_atomic_load`` (an int64 array)."""
    sig = types.void(arr, idx, val)

    def codegen(context, builder, signature, args):
        ptr = _element_pointer(context, builder, signature.args[0], args[0], args[1])
        builder.store_atomic(args[2], ptr, "release", 8)
        return context.get_dummy_value()

    return sig, codegen


_X86 = platform.machine().lower() in ("x86_64", "amd64", "i386", "i686")


@intrinsic
def _pause(typingctx):
    """A spin-wait's pause (x86's ``pause``: the core idles a few dozen cycles and the
    other hyperthread runs; nothing elsewhere)."""
    sig = types.void()

    def codegen(context, builder, signature, args):
        if _X86:
            fn = cgutils.get_or_insert_function(
                builder.module, llvm_ir.FunctionType(llvm_ir.VoidType(), []),
                "llvm.x86.sse2.pause")
            builder.call(fn, [])
        return context.get_dummy_value()

    return sig, codegen


@numba.njit(cache=True, nogil=True)
def idle_spin(signal, spins):
    """Wait without the GIL until ``signal[0]`` is set, at most ``spins`` pauses (the
    helper thread while it has nothing to do); whether it was set."""
    for _ in range(spins):
        if _atomic_load(signal, 0) != 0:
            return True
        _pause()
    return _atomic_load(signal, 0) != 0


@numba.njit(cache=True, nogil=True, inline="always")
def _claim(ranges):
    """The next range not yet claimed by either thread, or -1."""
    j = _atomic_add(ranges, 0, 1)
    return j if j < ranges[2] else -1


@numba.njit(cache=True, nogil=True, inline="always")
def _begin(signal, owner):
    """The owner (the thread whose pass it is) wakes the spinning helper."""
    if owner:
        _atomic_store(signal, 0, 1)


@numba.njit(cache=True, nogil=True, inline="always")
def _done_one(ranges):
    _atomic_add(ranges, 1, 1)


@numba.njit(cache=True, nogil=True, inline="always")
def _end(signal, ranges, owner):
    """After the last claim: the owner waits for the other thread's last range (at most
    ``signal[2]`` pauses; then ``abm.parallel.split`` waits asleep) and marks all done;
    the helper waits for that mark (at most ``signal[3]``), ``HELPER_GRACE`` more, then
    until the owner's next pass starts or other work is handed to it (``signal[0]``
    set), at most ``signal[1]`` pauses: back in Python, it would take the GIL while the
    owner runs Python, and the owner wait for it."""
    if owner:
        for _ in range(_atomic_load(signal, 2)):
            if _atomic_load(ranges, 1) >= ranges[2]:
                break
            _pause()
        _atomic_store(ranges, 3, 1)
    else:
        for _ in range(_atomic_load(signal, 3)):
            if _atomic_load(ranges, 3) != 0:
                break
            _pause()
        for _ in range(HELPER_GRACE):
            _pause()
        for _ in range(_atomic_load(signal, 1)):
            if _atomic_load(signal, 0) != 0:
                break
            _pause()


def csr_parts(a) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(indptr, indices, data) of a CSR matrix as the kernels take them: int64 row
    pointers, unsigned column indices (no negative-index wraparound in the inner loop),
    float64 values."""
    idx = a.indices
    idx = idx.view(np.uint32) if idx.dtype == np.int32 else idx.astype(np.uint64)
    return a.indptr.astype(np.int64), idx, np.asarray(a.data, dtype=np.float64)


def peer_parts(a) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """A CSR matrix as ``learning_pass_into`` reads it: ``csr_parts`` and ``csr_weights``."""
    indptr, indices, data = csr_parts(a)
    return indptr, indices, data, csr_weights(indptr, data)


@numba.njit(cache=True)
def rows_reversed(ptr, tie_to, inv):
    """The ties of each row ``i`` (``tie_to[ptr[i]:ptr[i + 1]]``) in reverse order, and
    each tie's row weight ``inv[i]``: numpy's ``tie_to[np.repeat(ptr[1:] + ptr[:-1] - 1,
    deg) - np.arange(tie_to.size)]`` and ``np.repeat(inv, deg)`` in one pass."""
    to = np.empty_like(tie_to)
    data = np.empty(tie_to.size)
    for i in range(ptr.size - 1):
        a = ptr[i]
        b = ptr[i + 1]
        w = inv[i]
        for j in range(a, b):
            to[j] = tie_to[a + b - 1 - j]
            data[j] = w
    return to, data


def csr_weights(indptr: np.ndarray, data: np.ndarray) -> np.ndarray:
    """Each row's stored value when every stored value of the row has the same bits
    (as in a row-normalised adjacency matrix: 1 / degree; 0.0 for an empty row), else
    an empty array (the kernels then read the values one by one)."""
    n = indptr.size - 1
    deg = np.diff(indptr)
    w = np.zeros(n)
    if data.size:
        w[deg > 0] = data[indptr[:-1][deg > 0]]
    if not np.array_equal(np.repeat(w, deg).view(np.int64), data.view(np.int64)):
        return np.zeros(0)
    return w


@numba.njit(cache=True, inline="always")
def _reliant(n_labour, help_m, income, share) -> bool:
    """``abm.rules.reliant_on_transfers`` of one household: ``(n_labour > 0) & (help_m >
    share * max(income, 1))``."""
    return (n_labour > 0) & (help_m > share * _maximum(income, 1.0))


def learning_pass_into(motivation, skills, net_sum, income, sp_medical, sick_now,
                       lost_job_now, n_labour, help_m, reliance_share, disposition,
                       support_gain, n_migrants, inc_wage_m, training_gain, has_peers,
                       indptr, indices, data, row_weight,
                       m_exp, m_peer, m_shock, m_recovery, m_dependence,
                       s_learning, s_decay, s_peer):
    """The learning phase's motivation and skills of every household, in place on
    ``motivation`` and ``skills``; the month's ``support_gain`` and ``training_gain``
    are used up (set to 0).

    Hit: ``sick_now | lost_job_now``; reliant on transfers (``abm.rules.
    reliant_on_transfers``): ``(n_labour > 0) & (help_m > reliance_share * max(income,
    1))``; working: ``(n_migrants > 0) | (inc_wage_m > 0)``. ``has_peers`` is boolean;
    the neighbours' averages use the values before this month's update (``peers @ m``):
    they are all taken first (``_peer_means_part``), then every household is updated
    (``_learning_update_part``), each in ranges (``abm.parallel.split``). ``row_weight``,
    when not empty, is every stored value of each row (``csr_weights``: a
    row-normalised network's 1 / degree), read once a row instead of once a tie."""
    n = motivation.size
    peer_m = np.empty(n)
    peer_s = np.empty(n)
    gain = np.empty(n)
    parallel.split(_peer_means_ranges, n, motivation, skills, has_peers, indptr, indices,
                   data, row_weight, peer_m, peer_s)
    parallel.split(_learning_update_ranges, n, motivation, skills, net_sum, income,
                   sp_medical, sick_now, lost_job_now, n_labour, help_m, reliance_share,
                   disposition, support_gain, n_migrants, inc_wage_m, training_gain,
                   m_exp, m_peer, m_shock, m_recovery, m_dependence, s_learning, s_decay,
                   s_peer, peer_m, peer_s, gain)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _peer_means_part(lo, hi, motivation, skills, has_peers, indptr, indices, data,
                     row_weight, peer_m, peer_s):
    """The neighbours' averages of households ``lo .. hi`` (both in one walk over each
    row; a household without neighbours keeps its own values), into ``peer_m`` and
    ``peer_s``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    per_row = row_weight.size > 0  # (loop-invariant: the compiler splits the loop on it)
    for i in range(ulo, uhi):
        if has_peers[i]:
            pm = 0.0
            ps = 0.0
            for jj in range(indptr[i], indptr[i + np.uint64(1)]):
                d = row_weight[i] if per_row else data[jj]
                k = indices[jj]
                pm += d * motivation[k]
                ps += d * skills[k]
            peer_m[i] = pm
            peer_s[i] = ps
        else:
            peer_m[i] = motivation[i]
            peer_s[i] = skills[i]


@numba.njit(cache=True, nogil=True)
def _peer_means_ranges(signal, ranges, owner, *args):
    """``_peer_means_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _peer_means_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _learning_update_part(lo, hi, motivation, skills, net_sum, income, sp_medical,
                          sick_now, lost_job_now, n_labour, help_m, reliance_share,
                          disposition, support_gain, n_migrants, inc_wage_m,
                          training_gain, m_exp, m_peer, m_shock, m_recovery, m_dependence,
                          s_learning, s_decay, s_peer, peer_m, peer_s, gain):
    """The updates of households ``lo .. hi``, in place, from the neighbours' averages;
    in short loops over few arrays, which the compiler vectorises (one long loop over
    every column does not)."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        usual = _maximum(net_sum[i] / 12.0, 1.0)
        gain[i] = _clip((income[i] - sp_medical[i] - usual) / usual, -1.0, 1.0)
    for i in range(ulo, uhi):
        m0 = motivation[i]
        g = gain[i]
        hit = sick_now[i] | lost_job_now[i]
        reliant = _reliant(n_labour[i], help_m[i], income[i], reliance_share)
        m = m0 + m_exp * g * ((1.0 - m0) if g > 0 else m0)
        m = m + m_peer * (peer_m[i] - m) - m_shock * (1.0 if hit else 0.0) * m
        m = m + m_recovery * (disposition[i] - m)
        m = m - m_dependence * (1.0 if reliant else 0.0) * m
        m = m + support_gain[i] * (1.0 - m)
        motivation[i] = _clip(m, 0.0, 1.0)
        support_gain[i] = 0.0
    for i in range(ulo, uhi):
        s0 = skills[i]
        w = 1.0 if (n_migrants[i] > 0) | (inc_wage_m[i] > 0) else 0.0
        sk = s0 + s_learning * w * (1.0 - s0) - s_decay * (1.0 - w) * s0
        sk = sk + s_peer * _maximum(peer_s[i] - sk, 0.0)
        sk = sk + training_gain[i] * (1.0 - sk)
        skills[i] = _clip(sk, 0.0, 1.0)
        training_gain[i] = 0.0


@numba.njit(cache=True, nogil=True)
def _learning_update_ranges(signal, ranges, owner, *args):
    """``_learning_update_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _learning_update_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def migrants_pass(u, n_migrants, n_jobless, lost_job_now, p_job_loss, remit_per, idle):
    """Job loss among migrants (``u`` float32 draws), in place on ``n_migrants``,
    ``n_jobless`` and ``lost_job_now``; returns (the jobless' lost remittances, the
    remittances of those still away, the part of them not idled).
    Households in ranges (``_migrants_pass_part``; ``abm.parallel.split``)."""
    n = u.size
    job_loss = np.empty(n)
    remit_full = np.empty(n)
    remit = np.empty(n)
    parallel.split(_migrants_pass_ranges, n, u, n_migrants, n_jobless, lost_job_now,
                   p_job_loss, remit_per, idle, job_loss, remit_full, remit)
    return job_loss, remit_full, remit


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _migrants_pass_part(lo, hi, u, n_migrants, n_jobless, lost_job_now, p_job_loss,
                        remit_per, idle, job_loss, remit_full, remit):
    """``migrants_pass`` of households ``lo .. hi``."""
    keep = 1.0 - idle
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        nm = n_migrants[i]
        lose = (nm > 0) & (np.float64(u[i]) < _minimum(1.0, np.float64(nm) * p_job_loss))
        one = n_migrants.dtype.type(lose)
        nm = nm - one
        nj = n_jobless[i] + n_jobless.dtype.type(lose)
        n_migrants[i] = nm
        n_jobless[i] = nj
        lost_job_now[i] = lose
        job_loss[i] = remit_per * np.float64(nj)
        rf = np.float64(nm) * remit_per
        remit_full[i] = rf
        remit[i] = rf * keep


@numba.njit(cache=True, nogil=True)
def _migrants_pass_ranges(signal, ranges, owner, *args):
    """``_migrants_pass_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _migrants_pass_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def earnings_pass(home, land, land_let, rent_m, n_elderly, skills, motivation, farm_price,
                  disaster_loss, employer, in_post, business, size, noise, noise2,
                  local_workers, mu_per_worker, elderly_labour, skill_base, skill_slope,
                  income_per_mu, wi, epidemic_farm, wage_month, epidemic_local, farm_time_share,
                  p_local_work, work_skill_base, work_skill_slope, work_mot_base,
                  work_mot_slope, local_wage_month, property_month, farm_mot_slope,
                  mot_ref, rent_lev):
    """Farm, wage and property income of every household, the farm's market and
    disaster losses, and the members in local work (into ``local_workers``, float32).
    The household farms ``land - land_let`` (land let for the year, abm.households.land)
    and earns ``rent_m`` as property income, times the tenant's ability to pay ``clip(1 +
    rent_lev x (price - 1), 0, 1)`` at its village sector's price (the rent not paid is
    a market loss; ``rent_lev`` 0: all of it).

    ``noise`` and ``noise2`` are the float32 lognormal factors; ``home`` the members
    working at home. Returns (farm, wage, property, farm before losses at this month's
    price, market loss, disaster loss, local wages before an epidemic, has an enterprise
    job). A member running the household's business (``business``) does no wage work.
    Households in ranges (``_earnings_pass_part``; ``abm.parallel.split``)."""
    n = home.size
    farm = np.empty(n)
    wage = np.empty(n)
    prop = np.empty(n)
    priced = np.empty(n)
    market = np.empty(n)
    disaster = np.empty(n)
    local_all = np.empty(n)
    has_job_all = np.empty(n, dtype=np.bool_)
    parallel.split(_earnings_pass_ranges, n, home, land, land_let, rent_m, n_elderly, skills,
                   motivation, farm_price, disaster_loss, employer, in_post, business, size, noise,
                   noise2, local_workers, mu_per_worker, elderly_labour, skill_base,
                   skill_slope, income_per_mu, wi, epidemic_farm, wage_month,
                   epidemic_local, farm_time_share, p_local_work, work_skill_base,
                   work_skill_slope, work_mot_base, work_mot_slope, local_wage_month,
                   property_month, farm_mot_slope, mot_ref, rent_lev, farm, wage, prop,
                   priced, market, disaster, local_all, has_job_all)
    return farm, wage, prop, priced, market, disaster, local_all, has_job_all


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _earnings_pass_part(lo, hi, home, land, land_let, rent_m, n_elderly, skills,
                        motivation, farm_price, disaster_loss, employer, in_post,
                        business, size, noise, noise2, local_workers, mu_per_worker, elderly_labour,
                        skill_base, skill_slope, income_per_mu, wi, epidemic_farm,
                        wage_month, epidemic_local, farm_time_share, p_local_work,
                        work_skill_base, work_skill_slope, work_mot_base,
                        work_mot_slope, local_wage_month, property_month,
                        farm_mot_slope, mot_ref, rent_lev, farm, wage, prop, priced, market,
                        disaster, local_all, has_job_all):
    """``earnings_pass`` of households ``lo .. hi``, into the arrays after the inputs."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    keep_epi = 1.0 - epidemic_farm
    # In short loops over few arrays, which the compiler vectorises (one long loop over
    # every column does not); each value is computed as in one loop.
    for i in range(ulo, uhi):  # the farm, on the land not let
        farmed = land[i] - land_let[i]
        need = farmed / mu_per_worker
        farm_labour = home[i] + elderly_labour * np.float64(n_elderly[i])
        factor = _minimum(1.0, farm_labour / _maximum(need, 1e-9))
        skill_f = skill_base + skill_slope * skills[i]
        effort = _maximum(0.0, 1.0 + farm_mot_slope * (motivation[i] - mot_ref))
        trend = farmed * income_per_mu / 12.0 * wi * factor * skill_f * effort
        fp = trend * farm_price[i]
        priced[i] = fp
        market[i] = trend * _maximum(0.0, 1.0 - farm_price[i])
    for i in range(ulo, uhi):  # its losses and noise
        fp = priced[i]
        dl = disaster_loss[i]
        nz = np.float64(noise[i])
        farm[i] = fp * ((1.0 - dl) * keep_epi) * nz
        disaster[i] = fp * dl * nz
    for i in range(ulo, uhi):  # an enterprise job, a post, local wage work
        h = home[i]
        need = (land[i] - land_let[i]) / mu_per_worker
        has_job = (employer[i] >= 0) & (h >= 1)  # (not `and`: no branch)
        has_job_all[i] = has_job
        hj = np.float64(has_job)
        pu = np.float64(in_post[i] & (h >= 1))
        bz = np.float64(business[i] & (h >= 1))
        units = _maximum(h - farm_time_share * _minimum(need, h) - hj - pu - bz, 0.0)
        p_work = _clip(p_local_work * (work_skill_base + work_skill_slope * skills[i])
                       * (work_mot_base + work_mot_slope * motivation[i]), 0.0, 1.0)
        local = units * p_work * local_wage_month * wi * np.float64(noise2[i])
        local_all[i] = local
        local_workers[i] = np.float32(units * p_work + hj + pu)
    for i in range(ulo, uhi):  # wages and property income
        enterprise = np.float64(has_job_all[i]) * wage_month * wi * (1.0 - epidemic_local)
        wage[i] = local_all[i] * (1.0 - epidemic_local) + enterprise
        rent = rent_m[i]
        if rent_lev > 0.0:  # the tenant pays as far as its profit allows
            paid = rent * _clip(1.0 + rent_lev * (farm_price[i] - 1.0), 0.0, 1.0)
            market[i] += rent - paid
            rent = paid
        prop[i] = property_month * np.float64(size[i]) * wi + rent


@numba.njit(cache=True, nogil=True)
def _earnings_pass_ranges(signal, ranges, owner, *args):
    """``_earnings_pass_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _earnings_pass_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _choice(words, at, shift, n):
    """``random.choice`` of n nodes from ``words`` at ``at``: one word per try, its top
    bits, tried again while >= n. Returns (node, next position), node -1 when ``words``
    ran out."""
    while at < words.size:
        w = np.int64(words[at] >> shift)
        at += 1
        if w < n:
            return w, at
    return np.int64(-1), at


@numba.njit(cache=True, nogil=True, error_model="numpy")
def watts_strogatz_rewire(n, k, p, words):
    """networkx's ``watts_strogatz_graph(n, k, p)`` ties (k < n) from the 32-bit outputs
    ``words`` of the Mersenne Twister that ``random.Random(seed)`` holds: ``random()``
    takes two words (CPython's 53-bit recipe), ``choice`` of n nodes takes a word per try
    (``getrandbits(n.bit_length())``, tried again while >= n). Returns (lo, hi) of each
    tie, or None when ``words`` ran out (the caller gives more and calls again)."""
    half = k // 2
    keys = set()
    for j in range(1, half + 1):
        for u in range(n):
            v = (u + j) % n
            keys.add(min(u, v) * n + max(u, v))
    deg = np.full(n, 2 * half, dtype=np.int64)
    bits = 0
    while (1 << bits) <= n:
        bits += 1
    shift = 32 - bits
    at = 0
    end = words.size
    for j in range(1, half + 1):
        for u in range(n):
            if at + 2 > end:
                return None
            a = words[at] >> 5
            b = words[at + 1] >> 6
            at += 2
            if (a * 67108864.0 + b) * (1.0 / 9007199254740992.0) < p:
                v = (u + j) % n
                w, at = _choice(words, at, shift, n)
                if w < 0:
                    return None
                rewire = True
                while w == u or (min(u, w) * n + max(u, w)) in keys:
                    w, at = _choice(words, at, shift, n)
                    if w < 0:
                        return None
                    if deg[u] >= n - 1:
                        rewire = False
                        break
                if rewire:
                    keys.remove(min(u, v) * n + max(u, v))
                    deg[v] -= 1
                    keys.add(min(u, w) * n + max(u, w))
                    deg[w] += 1
    out = np.empty((len(keys), 2), dtype=np.int64)
    i = 0
    for key in keys:
        out[i, 0] = key // n
        out[i, 1] = key % n
        i += 1
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def savings_pass(savings, debt, income, spending, repay_share):
    """This month's income less spending into savings; a shortfall is borrowed; a share
    of savings repays debt. In place on ``savings`` and ``debt``."""
    for i in range(savings.size):
        _save(savings, debt, i, income[i] - spending[i], repay_share)


@numba.njit(cache=True, inline="always")
def _save(savings, debt, i, net, repay_share):
    """Household ``i``'s month: ``net`` (income less spending) into savings, a shortfall
    borrowed, a share of savings repaying debt."""
    sav = savings[i] + net
    borrow = _maximum(-sav, 0.0)
    sav = _maximum(sav, 0.0)
    d = debt[i] + borrow
    repay = _minimum(d, sav * repay_share)
    savings[i] = sav - repay
    debt[i] = d - repay


def status_roll(income, sp_medical, sp_schooling, net_row, oop_row, net_sum, oop_sum,
                size, scale, rigid_decay, rigid_12m, income_recent_m, income_pc_year,
                income_pc_gross_year):
    """The status phase's roll of the 12-month incomes, in place: this month's disposable
    income (income less out-of-pocket medical spending) replaces the month a year ago in
    ``net_row`` (and the medical spending in ``oop_row``), the running sums follow, then
    the year's income per person (``scale`` annualises a history shorter than a year),
    before and after medical bills, the rigid spending (decaying) and the 3-month income
    before medical bills.
    Households in ranges (``_status_roll_part``; ``abm.parallel.split``)."""
    n = income.size
    parallel.split(_status_roll_ranges, n, income, sp_medical, sp_schooling, net_row, oop_row,
                   net_sum, oop_sum, size, scale, rigid_decay, rigid_12m, income_recent_m,
                   income_pc_year, income_pc_gross_year)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _status_roll_part(lo, hi, income, sp_medical, sp_schooling, net_row, oop_row, net_sum, oop_sum,
                      size, scale, rigid_decay, rigid_12m, income_recent_m, income_pc_year,
                      income_pc_gross_year):
    """``status_roll`` of households ``lo .. hi``, in place."""
    for i in range(np.uint64(lo), np.uint64(hi)):
        med = sp_medical[i]
        net = income[i] - med
        ns = net_sum[i] + (net - net_row[i])
        net_sum[i] = ns
        net_row[i] = net
        os_ = oop_sum[i] + (med - oop_row[i])
        oop_sum[i] = os_
        oop_row[i] = med
        sz = size[i]
        members = np.float64(sz if sz > 1 else 1)
        income_pc_year[i] = ns * scale / members
        income_pc_gross_year[i] = (ns + os_) * scale / members
        rigid_12m[i] = rigid_12m[i] * rigid_decay + med + sp_schooling[i]
        r = income_recent_m[i]
        income_recent_m[i] = r + (net + med - r) / 3.0


@numba.njit(cache=True, nogil=True)
def _status_roll_ranges(signal, ranges, owner, *args):
    """``_status_roll_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _status_roll_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def status_flags(risk, at_risk, risk_since, month, no_month, income_pc_year,
                 poverty_line, poor):
    """The status phase's flags, in place: when each household became at risk
    (``risk_since``: this month if newly at risk, kept while at risk, ``no_month`` when
    not), ``at_risk``, and ``poor`` (income per person below the line). Returns the
    households that fell into poverty and those that left it, each in ascending order.
    Households in ranges (``_status_flags_part``; ``abm.parallel.split``), each range's
    lists gathered in order after (``_gather_runs``)."""
    n = risk.size
    into = np.empty(n, dtype=np.int64)
    out = np.empty(n, dtype=np.int64)
    parallel.split(_status_flags_ranges, n, risk, at_risk, risk_since, np.int32(month),
                   np.int32(no_month), income_pc_year, poverty_line, poor, into, out)
    return _gather_runs(into), _gather_runs(out)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _status_flags_part(lo, hi, risk, at_risk, risk_since, month, no_month,
                       income_pc_year, poverty_line, poor, into, out):
    """``status_flags`` of households ``lo .. hi``: those falling into poverty in
    ``into[lo:]``, those leaving it in ``out[lo:]``, each list then, unless it fills the
    range, ``-1 - hi`` (``_gather_runs``). (Selects, not branches, on the flags.)"""
    a = lo
    b = lo
    for i in range(lo, hi):
        r = risk[i]
        since = risk_since[i]
        risk_since[i] = (month if not at_risk[i] else since) if r else no_month
        at_risk[i] = r
        now = income_pc_year[i] < poverty_line
        was = poor[i]
        into[a] = i
        a += np.int64(now and not was)
        out[b] = i
        b += np.int64(was and not now)
        poor[i] = now
    if a < hi:
        into[a] = -1 - hi
    if b < hi:
        out[b] = -1 - hi


@numba.njit(cache=True, nogil=True)
def _status_flags_ranges(signal, ranges, owner, *args):
    """``_status_flags_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _status_flags_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True)
def min_max(a):
    """``(a.min(), a.max())`` of a non-empty integer array in one pass (numpy makes two,
    and its int16 reductions are not vectorised)."""
    lo = a[0]
    hi = a[0]
    for i in range(a.size):
        v = a[i]
        lo = v if v < lo else lo
        hi = v if v > hi else hi
    return lo, hi


# What ``household_counts`` counts, in its order (whole numbers: any order gives the same
# sums): member totals (persons; in poor and in registered households; workers;
# migrants; of them in registered households; jobless migrants), then households
# (poor; registered; both; chronic; disability; a sick worker; in debt; letting land; at
# risk; monitored; monitored of each category 0 to 3; in a public-welfare post; on the
# dibao; in a cooperative; with an enterprise job; with a business), then the school
# leavers and all who ever left school.
COUNTS = ("persons", "persons_poor", "persons_registered", "labour", "migrants",
          "migrants_registered", "jobless", "poor", "registered", "poor_registered",
          "chronic", "disability", "sick_now", "in_debt", "letting_land", "at_risk",
          "monitored", "monitored_0", "monitored_1", "monitored_2", "monitored_3",
          "in_post", "dibao", "coop", "employer", "business", "school_leavers",
          "left_school")


def household_counts(size, poor, registered, n_migrants, n_labour, n_jobless, chronic,
                     disability, sick_now, debt, land_let, at_risk, monitored, category,
                     in_post, dibao, coop, employer, business, n_school_leavers,
                     n_left_school):
    """The monthly measures' whole-number totals and counts (``COUNTS``, in its order) in
    one pass, as an int64 array. Households in ranges (``_household_counts_part``;
    ``abm.parallel.split``), each range's totals added to the shared ones at once."""
    counts = np.zeros(len(COUNTS), dtype=np.int64)
    parallel.split(_household_counts_ranges, size.size, size, poor, registered,
                   n_migrants, n_labour, n_jobless, chronic, disability, sick_now, debt,
                   land_let, at_risk, monitored, category, in_post, dibao, coop, employer,
                   business, n_school_leavers, n_left_school, counts)
    return counts


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _household_counts_part(lo, hi, size, poor, registered, n_migrants, n_labour,
                           n_jobless, chronic, disability, sick_now, debt, land_let,
                           at_risk, monitored, category, in_post, dibao, coop, employer,
                           business, n_school_leavers, n_left_school, counts):
    """``household_counts`` of households ``lo .. hi``, added to ``counts``. (Each total
    in a local variable, no branches: the loop is vectorised; 28 totals kept in an
    array instead took five times as long as numpy's 20 counts.)"""
    c0 = c1 = c2 = c3 = c4 = c5 = c6 = c7 = c8 = c9 = np.int64(0)
    c10 = c11 = c12 = c13 = c14 = c15 = c16 = c17 = c18 = c19 = np.int64(0)
    c20 = c21 = c22 = c23 = c24 = c25 = c26 = c27 = np.int64(0)
    for i in range(np.uint64(lo), np.uint64(hi)):
        s = np.int64(size[i])
        g = np.int64(registered[i])
        p = np.int64(poor[i])
        nm = np.int64(n_migrants[i])
        m = np.int64(monitored[i])
        k = np.int64(category[i])
        c0 += s
        c1 += s * p
        c2 += s * g
        c3 += np.int64(n_labour[i])
        c4 += nm
        c5 += nm * g
        c6 += np.int64(n_jobless[i])
        c7 += p
        c8 += g
        c9 += p * g
        c10 += np.int64(chronic[i])
        c11 += np.int64(disability[i])
        c12 += np.int64(sick_now[i])
        c13 += np.int64(debt[i] > 0)
        c14 += np.int64(land_let[i] > 0)
        c15 += np.int64(at_risk[i])
        c16 += m
        c17 += m * np.int64(k == 0)
        c18 += m * np.int64(k == 1)
        c19 += m * np.int64(k == 2)
        c20 += m * np.int64(k == 3)
        c21 += np.int64(in_post[i])
        c22 += np.int64(dibao[i])
        c23 += np.int64(coop[i] >= 0)
        c24 += np.int64(employer[i] >= 0)
        c25 += np.int64(business[i])
        c26 += np.int64(n_school_leavers[i])
        c27 += np.int64(n_left_school[i])
    for j, v in enumerate((c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12, c13,
                           c14, c15, c16, c17, c18, c19, c20, c21, c22, c23, c24, c25,
                           c26, c27)):
        _atomic_add(counts, j, v)


@numba.njit(cache=True, nogil=True)
def _household_counts_ranges(signal, ranges, owner, *args):
    """``_household_counts_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _household_counts_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def venture_returns(loan, venture_ok, failed, skills, price, return_year, skill_base):
    """``abm.instruments.microcredit.Microcredit.venture_return_m`` in one pass: for each
    household with a loan whose venture is going (or, ``failed``, has failed) ``loan *
    return_year / 12.0 * (skill_base + skills) * price``, else 0.0 (numpy's order).
    Households in ranges (``_venture_returns_part``; ``abm.parallel.split``)."""
    out = np.empty(loan.size)
    parallel.split(_venture_returns_ranges, loan.size, loan, venture_ok, bool(failed),
                   skills, price, float(return_year), float(skill_base), out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _venture_returns_part(lo, hi, loan, venture_ok, failed, skills, price, return_year,
                          skill_base, out):
    """``venture_returns`` of households ``lo .. hi``."""
    for i in range(np.uint64(lo), np.uint64(hi)):
        active = (loan[i] > 0) & (venture_ok[i] != failed)
        r = loan[i] * return_year / 12.0 * (skill_base + skills[i]) * price[i]
        out[i] = r if active else 0.0


@numba.njit(cache=True, nogil=True)
def _venture_returns_ranges(signal, ranges, owner, *args):
    """``_venture_returns_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _venture_returns_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def posts_wages(in_post, home, wage):
    """The public-welfare posts' wages: ``(in_post & (home >= 1)) * wage`` (a post held
    by a household with someone at home; numpy's boolean times the wage) in one pass.
    Households in ranges (``_posts_wages_part``; ``abm.parallel.split``)."""
    out = np.empty(in_post.size)
    parallel.split(_posts_wages_ranges, in_post.size, in_post, home, float(wage), out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _posts_wages_part(lo, hi, in_post, home, wage, out):
    """``posts_wages`` of households ``lo .. hi``."""
    for i in range(np.uint64(lo), np.uint64(hi)):
        out[i] = (1.0 if in_post[i] & (home[i] >= 1) else 0.0) * wage


@numba.njit(cache=True, nogil=True)
def _posts_wages_ranges(signal, ranges, owner, *args):
    """``_posts_wages_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _posts_wages_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def where_product(mask, x, c):
    """``np.where(mask, x * c, 0.0)`` in one pass (``c`` a float).
    Households in ranges (``_where_product_part``; ``abm.parallel.split``)."""
    out = np.empty(x.size)
    parallel.split(_where_product_ranges, x.size, mask, x, c, out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _where_product_part(lo, hi, mask, x, c, out):
    """``where_product`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        out[i] = x[i] * c if mask[i] else 0.0


@numba.njit(cache=True, nogil=True)
def _where_product_ranges(signal, ranges, owner, *args):
    """``_where_product_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _where_product_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def counted_per_month(mask_a, mask_b, count, per_year):
    """A yearly amount per member counted, paid a month at a time to households in
    either mask (a new array): numpy's ``(mask_a | mask_b) * count * per_year / 12.0``
    (the boolean times the integer count in the count's type, then float64), in one
    pass instead of three or four.
    Households in ranges (``_counted_per_month_part``; ``abm.parallel.split``)."""
    n = count.size
    out = np.empty(n)
    parallel.split(_counted_per_month_ranges, n, mask_a, mask_b, count, per_year, out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _counted_per_month_part(lo, hi, mask_a, mask_b, count, per_year, out):
    """``counted_per_month`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        c = count[i] if mask_a[i] | mask_b[i] else count.dtype.type(0)
        out[i] = np.float64(c) * per_year / 12.0


@numba.njit(cache=True, nogil=True)
def _counted_per_month_ranges(signal, ranges, owner, *args):
    """``_counted_per_month_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _counted_per_month_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def per_month(x, per_year):
    """``x * per_year / 12.0`` in numpy's order, one pass (a new array).
    Households in ranges (``_per_month_part``; ``abm.parallel.split``)."""
    n = x.size
    out = np.empty(n)
    parallel.split(_per_month_ranges, n, x, per_year, out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _per_month_part(lo, hi, x, per_year, out):
    """``per_month`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        out[i] = x[i] * per_year / 12.0


@numba.njit(cache=True, nogil=True)
def _per_month_ranges(signal, ranges, owner, *args):
    """``_per_month_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _per_month_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def acute_rel(rel, health_literate, doctor_contract, chronic, motivation,
              adherence_illiterate, fall, drive_slope, motivation_reference):
    """Health management's acute risk: ``rel * np.where(covered, 1.0 - cut, 1.0)`` with
    ``covered = doctor_contract & chronic`` and ``cut = fall * (np.where(health_literate,
    1.0, adherence_illiterate) * drive)``, ``drive`` being ``abm.rules.health_drive``:
    ``clip(1.0 + drive_slope * (motivation - motivation_reference), 0.0, 1.0)``.
    Households in ranges (``_acute_rel_part``; ``abm.parallel.split``)."""
    out = np.empty(rel.size)
    parallel.split(_acute_rel_ranges, rel.size, rel, health_literate, doctor_contract,
                   chronic, motivation, adherence_illiterate, fall, drive_slope,
                   motivation_reference, out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _acute_rel_part(lo, hi, rel, health_literate, doctor_contract, chronic, motivation,
                    adherence_illiterate, fall, drive_slope, motivation_reference, out):
    """``acute_rel`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        drive = _health_drive(motivation[i], drive_slope, motivation_reference)
        cut = fall * ((1.0 if health_literate[i] else adherence_illiterate) * drive)
        covered = doctor_contract[i] & chronic[i]
        out[i] = rel[i] * ((1.0 - cut) if covered else 1.0)


@numba.njit(cache=True, nogil=True)
def _acute_rel_ranges(signal, ranges, owner, *args):
    """``_acute_rel_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _acute_rel_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def dibao_gap(enrolled, size, line_pc_month, farm, wage, remit, prop, public, oop_sum,
              deduct_medical):
    """The minimum living guarantee's gap: for enrolled households the line
    (``line_pc_month`` x members) less own income (farm + wage + remittances + property
    + public transfers, less a twelfth of the year's out-of-pocket medical spending when
    deducted, else less 0.0), at least 0; 0 for the others.
    Households in ranges (``_dibao_gap_part``; ``abm.parallel.split``)."""
    out = np.empty(farm.size)
    parallel.split(_dibao_gap_ranges, farm.size, enrolled, size, line_pc_month, farm,
                   wage, remit, prop, public, oop_sum, deduct_medical, out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _dibao_gap_part(lo, hi, enrolled, size, line_pc_month, farm, wage, remit, prop,
                    public, oop_sum, deduct_medical, out):
    """``dibao_gap`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        if enrolled[i]:
            total = farm[i] + wage[i] + remit[i] + prop[i] + public[i]
            own = total - (oop_sum[i] / 12.0 if deduct_medical else 0.0)
            out[i] = _maximum(line_pc_month * np.float64(size[i]) - own, 0.0)
        else:
            out[i] = 0.0


@numba.njit(cache=True, nogil=True)
def _dibao_gap_ranges(signal, ranges, owner, *args):
    """``_dibao_gap_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _dibao_gap_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def dibao_applications(u, found, trust, motivation, p_self, base, not_stigma, income_test,
                       dibao_12m, size, n_labour, disability, line, dibao, applied, month,
                       decision_months, no_month):
    """The dibao's applications of one month, household by household (``Dibao.
    applications_month``): a household *qualifies* when its income per person without
    the top-up (``income_test - dibao_12m / max(size, 1)``) is below ``line`` and no one
    is able to work or a member is disabled; one that qualifies, is not enrolled and has
    no application pending applies (``applied = month``) if its draw is below ``p_self *
    trust * (base + motivation) * not_stigma`` (numpy's order; the float32 draw compared
    as float64) or the cadres ``found`` it; then an application made ``decision_months``
    ago or earlier is decided: enrolled if it still qualifies and is not enrolled (the
    application closes either way). In place; returns the number enrolled.
    Households in ranges (``_dibao_applications_part``; ``abm.parallel.split``), each
    range's enrolments added to the count at once."""
    entered = np.zeros(1, dtype=np.int64)
    parallel.split(_dibao_applications_ranges, u.size, u, found, trust, motivation, p_self,
                   base, not_stigma, income_test, dibao_12m, size, n_labour, disability,
                   line, dibao, applied, month, decision_months, no_month, entered)
    return int(entered[0])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _dibao_applications_part(lo, hi, u, found, trust, motivation, p_self, base, not_stigma,
                             income_test, dibao_12m, size, n_labour, disability, line, dibao,
                             applied, month, decision_months, no_month, count):
    """``dibao_applications`` of households ``lo .. hi``; adds their enrolments to
    ``count[0]``."""
    entered = 0
    for i in range(np.uint64(lo), np.uint64(hi)):
        own = income_test[i] - dibao_12m[i] / np.float64(max(size[i], 1))
        q = (own < line) & ((n_labour[i] == 0) | disability[i])
        if q and not dibao[i] and applied[i] == no_month:
            p = _apply_chance(p_self, trust[i], base, motivation[i], not_stigma)
            if found[i] or np.float64(u[i]) < p:
                applied[i] = month
        if applied[i] != no_month and applied[i] <= month - decision_months:
            if q and not dibao[i]:
                dibao[i] = True
                entered += 1
            applied[i] = no_month
    _atomic_add(count, 0, entered)


@numba.njit(cache=True, nogil=True)
def _dibao_applications_ranges(signal, ranges, owner, *args):
    """``_dibao_applications_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _dibao_applications_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


NONE = np.zeros(0)  # an absent column for ``add_into``


def add_into(a, x, b=NONE, keep=NONE, clear=False, scale=1.0, fresh_a=False,
             fresh_b=False):
    """``a += x``, in place, in one pass; also ``b += x`` unless ``b`` is empty, ``keep[:]
    = x`` unless ``keep`` is empty, and, read and used, ``x[:] = 0.0`` when ``clear``
    (numpy's ``a + x`` and ``b + x``, bit for bit; ``x`` may be ``a`` or ``b`` itself:
    each element is read before it is written). ``scale`` != 1: ``a = a * scale + x``
    instead (numpy's two operations, in that order). ``fresh_a``, ``fresh_b``: that
    array is taken as zeros (not read: ``0.0 + x``, as numpy's ``zeros + x``; only with
    ``scale`` 1).
    Households in ranges (``_add_into_part``; ``abm.parallel.split``)."""
    if fresh_a and scale != 1.0:
        raise ValueError("add_into: a fresh array takes no scale")
    parallel.split(_add_into_ranges, x.size, a, x, b, keep, bool(clear), float(scale),
                   bool(fresh_a), bool(fresh_b))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _add_into_part(lo, hi, a, x, b, keep, clear, scale, fresh_a, fresh_b):
    """``add_into`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    has_b = b.size > 0  # (loop-invariant: the compiler splits the loop on these)
    has_keep = keep.size > 0
    scaled = scale != 1.0
    for i in range(ulo, uhi):
        xi = x[i]
        a[i] = (0.0 if fresh_a else (a[i] * scale if scaled else a[i])) + xi
        if has_b:
            b[i] = (0.0 if fresh_b else b[i]) + xi
        if has_keep:
            keep[i] = xi
        if clear:
            x[i] = 0.0


@numba.njit(cache=True, nogil=True)
def _add_into_ranges(signal, ranges, owner, *args):
    """``_add_into_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _add_into_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def health_people(ud, farm, wage, remit, age_head, chronic, disability, n_labour,
                  n_elderly, n_children, size, n_migrants, lost_aging_m, lost_disability_m,
                  p_chronic, p_disability, p_retire, retire_from, retire_span, retire_min,
                  retire_max, child_table, child_lo, elderly_table, elderly_lo,
                  chronic_extra, kept, per_elderly):
    """The health phase's people, in place: ageing, chronic onset, disability, retiring,
    children coming of age, elderly deaths (``ud``: the five rows of uniform draws), the
    earnings lost with workers. Returns last month's earnings per worker and the acute
    risk before the instruments' hooks (new arrays); ``kept`` is the share of a chronic
    patient's extra risk its household's self-care leaves.

    Thresholds compare as numpy's (``p_chronic`` and ``p_disability`` are the float64
    scalars ``monthly`` gives); a member count ``c``'s monthly chance is
    ``table[c - lo]`` (``monthly_from_rate`` of the counts ``lo``, ``lo + 1``, ...).
    Households in ranges (``_health_people_part``; ``abm.parallel.split``)."""
    n = farm.size
    per_worker = np.empty(n)
    rel = np.empty(n)
    parallel.split(_health_people_ranges, n, ud, farm, wage, remit, age_head, chronic,
                   disability, n_labour, n_elderly, n_children, size, n_migrants,
                   lost_aging_m, lost_disability_m, p_chronic, p_disability, p_retire,
                   retire_from, retire_span, retire_min, retire_max, child_table,
                   child_lo, elderly_table, elderly_lo, chronic_extra, kept,
                   per_elderly, per_worker, rel)
    return per_worker, rel


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _health_people_part(lo, hi, ud, farm, wage, remit, age_head, chronic, disability,
                        n_labour, n_elderly, n_children, size, n_migrants,
                        lost_aging_m, lost_disability_m, p_chronic, p_disability,
                        p_retire, retire_from, retire_span, retire_min, retire_max,
                        child_table, child_lo, elderly_table, elderly_lo,
                        chronic_extra, kept, per_elderly, per_worker, rel):
    """``health_people`` of households ``lo .. hi``, into the arrays after the inputs."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    # Short loops (the first vectorises); ``rel`` holds the rate and then the chance to
    # retire until the last loop.
    for i in range(ulo, uhi):
        nl = n_labour[i]
        per_worker[i] = (farm[i] + wage[i] + remit[i]) / np.float64(nl if nl > 1 else 1)
        age = age_head[i] + 1.0 / 12.0
        age_head[i] = age
        rel[i] = np.float64(nl) * (p_retire * _clip((age - retire_from) / retire_span,
                                                    retire_min, retire_max))
    # The chance to retire, -expm1(-rate / 12), is at most rate / 12: a draw above that
    # (most of them) is not below the chance, whatever its last bits, so its expm1 (a
    # library call) is skipped and 0.0 stands in (no draw is below it either).
    for i in range(ulo, uhi):
        y = -rel[i] / 12.0
        rel[i] = 0.0 if np.float64(ud[2, i]) >= -y * 1.000001 else -np.expm1(y)
    for i in range(ulo, uhi):
        pw = per_worker[i]
        nl = n_labour[i]
        c = chronic[i] | (np.float64(ud[0, i]) < p_chronic)
        chronic[i] = c
        dis = disability[i]
        new_dis = (np.float64(ud[1, i]) < p_disability) & (not dis)
        retire = (nl > 0) & (np.float64(ud[2, i]) < rel[i])
        nc = n_children[i]
        grow = (nc > 0) & (np.float64(ud[3, i]) < child_table[nc - child_lo])
        ne = n_elderly[i]
        sz = size[i]
        die = (ne > 0) & (sz > 1) & (np.float64(ud[4, i]) < elderly_table[ne - elderly_lo])
        lost_aging_m[i] = lost_aging_m[i] + (pw if retire else 0.0)
        nl = nl - np.int16(retire) + np.int16(grow)
        ne = ne + np.int16(retire) - np.int16(die)
        n_children[i] = nc - np.int16(grow)
        n_elderly[i] = ne
        size[i] = sz - np.int16(die)
        # As disable(): the household loses a worker, and a migrant it cannot send.
        disability[i] = dis | new_dis
        lose = new_dis & (nl > 0)
        lost_disability_m[i] = lost_disability_m[i] + (pw if lose else 0.0)
        nl = nl - np.int16(lose)
        n_labour[i] = nl
        nm = n_migrants[i]
        n_migrants[i] = nm if nm <= nl else nl
        rel[i] = (1.0 + chronic_extra * np.float64(c) * kept[i]) * (
            1.0 + per_elderly * np.float64(ne))


@numba.njit(cache=True, nogil=True)
def _health_people_ranges(signal, ranges, owner, *args):
    """``_health_people_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _health_people_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def acute_onset(acute_left, u, p_acute, rel):
    """``(acute_left == 0) & (u < p_acute * rel)``: the acute episodes that start. (On
    one thread: a pass this short saves nothing split; ``benchmarks/split.py``.)"""
    out = np.empty(acute_left.size, dtype=np.bool_)
    for i in range(acute_left.size):
        out[i] = (acute_left[i] == 0) & (np.float64(u[i]) < p_acute * rel[i])
    return out


def health_costs(onset, u, p_to_disability, per_worker, disability, n_labour, n_migrants,
                 lost_disability_m, acute_left, acute_cost_m, sick_worker, size, n_elderly,
                 chronic, outpatient_person_month, outpatient_elderly_extra,
                 cost_chronic_month, outpatient_cost_m, medical_cost_m, sick_now):
    """The health phase after the episodes start, in place: disabilities some episodes
    leave (``u < p_to_disability`` in ``p_to_disability``'s dtype, as numpy compares a
    float32 draw with a Python float), this month's outpatient and medical costs, who is
    too sick to work (``sick_now``), and one month less of each episode.
    Households in ranges (``_health_costs_part``; ``abm.parallel.split``)."""
    n = onset.size
    parallel.split(_health_costs_ranges, n, onset, u, p_to_disability, per_worker, disability,
                   n_labour, n_migrants, lost_disability_m, acute_left, acute_cost_m, sick_worker,
                   size, n_elderly, chronic, outpatient_person_month, outpatient_elderly_extra,
                   cost_chronic_month, outpatient_cost_m, medical_cost_m, sick_now)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _health_costs_part(lo, hi, onset, u, p_to_disability, per_worker, disability, n_labour,
                       n_migrants, lost_disability_m, acute_left, acute_cost_m, sick_worker, size,
                       n_elderly, chronic, outpatient_person_month, outpatient_elderly_extra,
                       cost_chronic_month, outpatient_cost_m, medical_cost_m, sick_now):
    """``health_costs`` of households ``lo .. hi``, in place."""
    for i in range(np.uint64(lo), np.uint64(hi)):
        dis = disability[i]
        leaves = onset[i] & (u[i] < p_to_disability) & (not dis)
        disability[i] = dis | leaves
        nl = n_labour[i]
        lose = leaves & (nl > 0)
        lost_disability_m[i] = lost_disability_m[i] + (per_worker[i] if lose else 0.0)
        nl = nl - np.int16(lose)
        n_labour[i] = nl
        nm = n_migrants[i]
        n_migrants[i] = nm if nm <= nl else nl
        left = acute_left[i]
        episode = left > 0
        out = outpatient_person_month * (np.float64(size[i]) + outpatient_elderly_extra
                                         * np.float64(n_elderly[i]))
        outpatient_cost_m[i] = out
        medical_cost_m[i] = ((acute_cost_m[i] if episode else 0.0)
                             + cost_chronic_month * np.float64(chronic[i])) + out
        sick_now[i] = episode & sick_worker[i]
        acute_left[i] = left - 1 if left > 1 else 0


@numba.njit(cache=True, nogil=True)
def _health_costs_ranges(signal, ranges, owner, *args):
    """``_health_costs_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _health_costs_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def triage_looks(cand, registered, chronic, disability, n_elderly, size, income_pc_year,
                 triage, w_registered, w_chronic, w_disability, w_elderly_share,
                 w_low_income, line):
    """How much at risk households ``cand`` look to the cadres, in numpy's order:
    registered, chronic and disability weights, the elderly share of members, low income
    against the line, then the draw ``triage``. Computed for every household (a loop
    that vectorises), then gathered: cheaper than gathering each column.
    Every household's look in ranges (``_triage_looks_part``; ``abm.parallel.split``),
    then the candidates'."""
    looks = np.empty(size.size)
    parallel.split(_triage_looks_ranges, size.size, registered, chronic, disability,
                   n_elderly, size, income_pc_year, triage, w_registered, w_chronic,
                   w_disability, w_elderly_share, w_low_income, line, looks)
    return looks[cand]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _triage_looks_part(lo, hi, registered, chronic, disability, n_elderly, size,
                       income_pc_year, triage, w_registered, w_chronic, w_disability,
                       w_elderly_share, w_low_income, line, looks):
    """The looks of households ``lo .. hi`` (``triage_looks``), into ``looks``."""
    for i in range(np.uint64(lo), np.uint64(hi)):
        sz = size[i]
        looks[i] = (np.float64(registered[i]) * w_registered
                    + np.float64(chronic[i]) * w_chronic
                    + np.float64(disability[i]) * w_disability
                    + np.float64(n_elderly[i]) / np.float64(sz if sz > 1 else 1)
                    * w_elderly_share
                    + w_low_income / (1.0 + income_pc_year[i] / line)
                    + np.float64(triage[i]))


@numba.njit(cache=True, nogil=True)
def _triage_looks_ranges(signal, ranges, owner, *args):
    """``_triage_looks_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _triage_looks_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def loss_years(losses, idx, order):
    """The ledger's losses by cause over the months ``order[:12]`` and ``order[12:24]``
    for households ``idx`` (causes x len(idx), float64): each added in ``order``'s
    order from its first month, as numpy's sum over that axis of the gathered rows.
    Month by month over all of ``idx`` (each household's sum still in month order): the
    reads of one month's row are independent of each other and in address order (each
    is a cache miss): 0.79 -> 0.68 ms for 300 of 200,000 households against each
    household's 24 months in turn."""
    n_causes = losses.shape[0]
    now = np.empty((n_causes, idx.size))
    before = np.empty((n_causes, idx.size))
    n = idx.size
    for c in range(n_causes):
        for half in range(2):  # the last 12 months, then the 12 before
            out = now if half == 0 else before
            first = 12 * half
            row = losses[c, order[first]]
            for k in range(n):
                out[c, k] = np.float64(row[idx[k]])
            for m in range(first + 1, first + 12):
                row = losses[c, order[m]]
                for k in range(n):
                    out[c, k] += np.float64(row[idx[k]])
    return now, before


@numba.njit(cache=True, nogil=True, error_model="numpy")
def book_all(row, amount, fresh=False):
    """``row += amount``: float64 amounts added to the float32 ledger row and rounded to
    float32, as numpy does, in place (numpy's own line makes a float64 copy of the row
    first). ``fresh``: the row is taken as zeros (not read), as when it was just cleared
    (``0.0 + amount``, so a -0.0 amount still books +0.0). (On one thread: it only
    streams memory, and splitting it saves nothing; ``benchmarks/split.py``.)"""
    for i in range(np.uint64(row.size)):
        old = np.float32(0.0) if fresh else row[i]  # (loop-invariant: the loop is split)
        row[i] = np.float32(np.float64(old) + amount[i])


@numba.njit(cache=True, nogil=True, error_model="numpy")
def book_where(row, amount, where, fresh=False):
    """``add = amount[where]; row[where] += add`` in one pass; returns ``add``.
    ``fresh``: the row is taken as zeros (not read) and the other households' entries
    are set to zero, as when it was just cleared."""
    count = 0
    for i in range(where.size):
        count += np.int64(where[i])
    add = np.empty(count)
    k = 0
    for i in range(where.size):
        if where[i]:
            a = amount[i]
            add[k] = a
            old = np.float32(0.0) if fresh else row[i]
            row[i] = np.float32(np.float64(old) + a)
            k += 1
        elif fresh:
            row[i] = np.float32(0.0)
    return add


def at_risk_pass(idx, every, income, given, net_sum, oop_sum, rigid_12m, income_recent_m,
                 size, low_line, rigid_share, drop_factor, line_pc, guaranteed):
    """``abm.rules.at_risk`` in one pass: for all households (``every``) or those in
    ``idx``, with the income per person of the rule's test read from ``income`` (by
    household, or by position when ``given``); low income does not count for a household
    flagged in ``guaranteed`` (by household; empty: none). Returns (at risk, sudden
    hardship). Households in ranges (``_at_risk_part``; ``abm.parallel.split``)."""
    n = net_sum.size if every else idx.size
    risk = np.empty(n, dtype=np.bool_)
    sudden = np.empty(n, dtype=np.bool_)
    parallel.split(_at_risk_ranges, n, idx, every, income, given, net_sum, oop_sum,
                   rigid_12m, income_recent_m, size, low_line, rigid_share, drop_factor,
                   line_pc, guaranteed, risk, sudden)
    return risk, sudden


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _at_risk_part(lo, hi, idx, every, income, given, net_sum, oop_sum, rigid_12m,
                  income_recent_m, size, low_line, rigid_share, drop_factor, line_pc,
                  guaranteed, risk, sudden):
    """``at_risk_pass`` of positions ``lo .. hi``, into the arrays after the inputs."""
    floors = guaranteed.size > 0
    for k in range(np.uint64(lo), np.uint64(hi)):
        j = k if every else np.uint64(idx[k])
        low = (income[k] if given else income[j]) < low_line
        if floors:
            low = low & (not guaranteed[j])
        sz = size[j]
        members = np.float64(sz if sz > 1 else 1)
        rigid = rigid_12m[j]
        total = net_sum[j] + oop_sum[j]
        income_12 = _maximum(total, 1.0)
        high = (rigid > rigid_share * income_12) & (income_12 - rigid < line_pc * members)
        recent = income_recent_m[j]
        drop = (recent < drop_factor * _maximum(total / 12.0, 0.0)) & (
            recent * 12.0 < line_pc * members)
        s = high | drop
        risk[k] = low | s
        sudden[k] = s


@numba.njit(cache=True, nogil=True)
def _at_risk_ranges(signal, ranges, owner, *args):
    """``_at_risk_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _at_risk_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def smith_pass(at_risk, monitored, registered, coop, health_literate, n_labour,
               reliance_share, income_m, sp_medical, help_m, size, line_month,
               psych_distress):
    """The household counts and selections of Smith's indicators in one pass.

    Returns (counts, help, gap, psych): counts are households at risk, monitored, both,
    at risk not monitored, monitored not at risk, in the target group (registered or
    monitored), of which in a cooperative, health literate, able to work, reliant on
    transfers (``rules.reliant_on_transfers``: ``(n_labour > 0) & (help_m >
    reliance_share * max(income_m, 1))``), and the lengths of the arrays: for monitored
    households whose income without help and medical bills (``income_m``, this month's
    ``Households.income_m()``, less ``sp_medical``, less ``help_m``) leaves a gap below
    the line, ``min(help, gap)`` and the gap; the target group's distress. Each array
    lists households in order (numpy's masked selections), for numpy to add up."""
    n = size.size
    help_sel = np.empty(n)
    gap_sel = np.empty(n)
    psych = np.empty(n)
    n_risk = 0
    n_mon = 0
    n_both = 0
    n_risk_only = 0
    n_mon_only = 0
    n_elig = 0
    n_coop = 0
    n_literate = 0
    n_able = 0
    n_reliant = 0
    k = 0
    for i in range(n):
        r = at_risk[i]
        m = monitored[i]
        n_risk += np.int64(r)
        n_mon += np.int64(m)
        n_both += np.int64(r & m)
        n_risk_only += np.int64(r & (not m))
        n_mon_only += np.int64(m & (not r))
        income = income_m[i]
        without = income - sp_medical[i] - help_m[i]
        gap = _maximum(line_month * np.float64(size[i]) - without, 0.0)
        if m & (gap > 0):
            help_sel[k] = _minimum(help_m[i], gap)
            gap_sel[k] = gap
            k += 1
        e = registered[i] | m
        if e:
            psych[n_elig] = psych_distress[i]
            n_elig += 1
            n_coop += np.int64(coop[i] >= 0)
            n_literate += np.int64(health_literate[i])
            n_able += np.int64(n_labour[i] > 0)
            n_reliant += np.int64(_reliant(n_labour[i], help_m[i], income, reliance_share))
    counts = np.array([n_risk, n_mon, n_both, n_risk_only, n_mon_only, n_elig, n_coop,
                       n_literate, n_able, n_reliant, k])
    return counts, help_sel, gap_sel, psych


@numba.njit(cache=True, inline="always")
def _apply_chance(p_self: float, trust: float, base: float, motivation: float,
                  not_stigma: float) -> float:
    """A household's chance this month to apply itself (to monitoring, or for the
    dibao): ``p_self * trust * (base + motivation) * not_stigma``, in numpy's order."""
    return p_self * trust * (base + motivation) * not_stigma


def self_applications(at_risk, monitored, flag_due, no_month, draw, trust, motivation,
                      p_self, base, not_stigma):
    """Households at risk, not monitored, with no pending flag, whose draw is below their
    chance to apply, ``p_self * trust * (base + motivation) * not_stigma`` (in numpy's
    order), in ascending order. Households in ranges (``_self_applications_part``;
    ``abm.parallel.split``), each range's finds written from its own first position and
    gathered in order after (``_gather_runs``)."""
    n = at_risk.size
    out = np.empty(n, dtype=np.int64)
    parallel.split(_self_applications_ranges, n, at_risk, monitored, flag_due, no_month,
                   draw, trust, motivation, p_self, base, not_stigma, out)
    return _gather_runs(out)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _self_applications_part(lo, hi, at_risk, monitored, flag_due, no_month, draw, trust,
                            motivation, p_self, base, not_stigma, out):
    """``self_applications`` of households ``lo .. hi``: their finds in ``out[lo:]``,
    then, unless they fill the range, ``-1 - hi`` (``_gather_runs``)."""
    k = lo
    for i in range(np.uint64(lo), np.uint64(hi)):
        # (nested branches, not selects: few are at risk, so the other columns are read
        # for those only; in a run at 200,000 households 0.33 -> 0.25 ms, the reads of
        # those few being cache misses)
        if at_risk[i]:
            if not monitored[i]:
                if flag_due[i] == no_month:
                    p = _apply_chance(p_self, trust[i], base, motivation[i], not_stigma)
                    if np.float64(draw[i]) < p:
                        out[k] = i
                        k += 1
    if k < hi:
        out[k] = -1 - hi


@numba.njit(cache=True, nogil=True)
def _self_applications_ranges(signal, ranges, owner, *args):
    """``_self_applications_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _self_applications_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1],
                                *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True)
def _gather_runs(out):
    """The households a ranged pass listed in ``out`` (each range's from its first
    position, ended by ``-1 - next position`` unless it fills the range), in order."""
    n = out.size
    found = np.empty(n, dtype=np.int64)
    m = 0
    p = 0
    while p < n:
        v = out[p]
        if v < 0:
            p = -1 - v
        else:
            found[m] = v
            m += 1
            p += 1
    return found[:m].copy()


def discouraged_clients(monitored, registered, dibao, motivation, line):
    """The social-work stations' discouraged clients: households monitored, registered
    or on the dibao whose motivation is below ``line`` (``np.flatnonzero((monitored |
    registered | dibao) & (motivation < line))``), in ascending order. Households in
    ranges (``_discouraged_clients_part``; ``abm.parallel.split``), gathered after
    (``_gather_runs``)."""
    n = motivation.size
    out = np.empty(n, dtype=np.int64)
    parallel.split(_discouraged_clients_ranges, n, monitored, registered, dibao,
                   motivation, line, out)
    return _gather_runs(out)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _discouraged_clients_part(lo, hi, monitored, registered, dibao, motivation, line, out):
    """``discouraged_clients`` of households ``lo .. hi``: their finds in ``out[lo:]``,
    then, unless they fill the range, ``-1 - hi`` (``_gather_runs``)."""
    k = lo
    for i in range(lo, hi):
        out[k] = i
        k += np.int64((monitored[i] | registered[i] | dibao[i]) & (motivation[i] < line))
    if k < hi:
        out[k] = -1 - hi


@numba.njit(cache=True, nogil=True)
def _discouraged_clients_ranges(signal, ranges, owner, *args):
    """``_discouraged_clients_part`` over the ranges this thread claims
    (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _discouraged_clients_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1],
                                  *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def screen_hits(at_risk, monitored, flag_due, no_month, rigid_12m, net_sum, dibao,
                disability, trace_share, draw, p_detect, p_false_alarm):
    """The data screen's flags: households not monitored and with no pending flag, at
    risk with a trace in the data (``abm.rules.data_trace``: ``(rigid_12m > trace_share
    * max(net_sum, 1)) | dibao | disability``) and ``draw < p_detect``, or not at risk
    and ``draw < p_false_alarm`` (the thresholds in the dtype numpy compares in), in
    ascending order. Households in ranges (``_screen_hits_part``; ``abm.parallel.
    split``), gathered after (``_gather_runs``)."""
    n = at_risk.size
    out = np.empty(n, dtype=np.int64)
    parallel.split(_screen_hits_ranges, n, at_risk, monitored, flag_due, no_month,
                   rigid_12m, net_sum, dibao, disability, trace_share, draw, p_detect,
                   p_false_alarm, out)
    return _gather_runs(out)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _screen_hits_part(lo, hi, at_risk, monitored, flag_due, no_month, rigid_12m, net_sum,
                      dibao, disability, trace_share, draw, p_detect, p_false_alarm, out):
    """``screen_hits`` of households ``lo .. hi``: their finds in ``out[lo:]``, then,
    unless they fill the range, ``-1 - hi`` (``_gather_runs``)."""
    k = lo
    for i in range(np.uint64(lo), np.uint64(hi)):
        # (nested branches, not selects: the trace's columns are read for the few at
        # risk only; in a run at 200,000 households 0.54 -> 0.30 ms)
        if monitored[i]:
            continue
        if flag_due[i] != no_month:
            continue
        u = draw[i]
        if at_risk[i]:
            if u < p_detect:
                if (rigid_12m[i] > trace_share * _maximum(net_sum[i], 1.0)) | dibao[i] | (
                        disability[i]):
                    out[k] = i
                    k += 1
        elif u < p_false_alarm:
            out[k] = i
            k += 1
    if k < hi:
        out[k] = -1 - hi


@numba.njit(cache=True, nogil=True)
def _screen_hits_ranges(signal, ranges, owner, *args):
    """``_screen_hits_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _screen_hits_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _kth_smallest(x, k):
    """The ``k``-th smallest value (``k`` from 1 to ``x.size``) of ``x``, which has no
    NaN: ``np.partition(x, k - 1)[k - 1]``, by a selection over fewer values. A
    threshold ``t`` is read from a sorted sample of ``x``, above where the ``k``-th
    value should be; when at least ``k`` values are ``<= t``, the ``k`` smallest are
    all among them (any other value is above ``t``), so the ``k``-th smallest of those
    is the answer; otherwise (a sample far off) all of ``x`` is partitioned. Either way
    the same value (equal values can differ only in the sign of a zero, and the callers
    only compare with it)."""
    n = x.size
    if n <= 256:
        return np.partition(x, k - 1)[k - 1]
    step = n // 128
    sample = x[::step].copy()
    s = sample.size
    # where the k-th value falls in the sample, plus about three standard deviations
    q = k / n
    at = int(q * s + 3.0 * np.sqrt(s * q * (1.0 - q)) + 2.0)
    if at >= s:
        return np.partition(x, k - 1)[k - 1]
    t = np.partition(sample, at)[at]  # (the sample sorted, its value at ``at``)
    below = np.empty(n)
    m = 0
    for i in range(n):
        v = x[i]
        below[m] = v
        m += np.int64(v <= t)
    if m < k:
        return np.partition(x, k - 1)[k - 1]
    return np.partition(below[:m], k - 1)[k - 1]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def median_pair(x):
    """The two middle values of ``x`` (1-D float64) for its median, by a selection over
    fewer values: ``(lo, hi, state)``. With ``k = x.size // 2``, ``hi`` is the ``k``-th
    smallest value counted from 0 (``np.partition(x, k)[k]``) and ``lo`` the one before
    it (``hi`` itself when the size is odd); ``state`` is 0 then (3 if ``x`` holds a
    negative zero), 1 when ``x`` holds a NaN (the median is NaN), and 2 when the sample
    misled or ``x`` is short (the caller partitions all of ``x``). Two thresholds are
    read from a sorted sample of ``x`` (about 2,048 values), about three standard
    deviations either side of its middle; one pass counts the
    values below the lower one, keeps those between the two and looks for NaN; when the
    middle positions fall among the kept values, they are selected there (without a
    selection when the two thresholds are equal: every kept value is then theirs). Equal
    values differ at most in the sign of a zero: when a middle value is zero and ``x``
    holds a negative zero, the caller leaves the sign to ``np.median``."""
    n = x.size
    k = n // 2
    if n <= 512:
        return 0.0, 0.0, 2
    step = n // 2048 if n >= 4096 else 2
    sample = np.sort(x[::step])  # (NaN sorts last)
    s = sample.size
    half = 3.0 * np.sqrt(s * 0.25) + 2.0
    a = int(0.5 * s - half)
    b = int(0.5 * s + half)
    if a < 0 or b >= s:
        return 0.0, 0.0, 2
    lo_t = sample[a]
    hi_t = sample[b]
    if hi_t != hi_t:  # a NaN in the sample
        return 0.0, 0.0, 1
    kept = np.empty(n)
    m = 0
    below = 0
    nan = False
    negative_zero = False
    for i in range(n):  # (stores every value, keeps the count of those kept: no branch)
        v = x[i]
        nan |= v != v
        negative_zero |= (v == 0.0) & (math.copysign(1.0, v) < 0.0)
        below += np.int64(v < lo_t)
        kept[m] = v
        m += np.int64((v >= lo_t) & (v <= hi_t))
    if nan:
        return 0.0, 0.0, 1
    j = k - below
    first = j if n % 2 else j - 1
    if first < 0 or j >= m:
        return 0.0, 0.0, 2
    state = 3 if negative_zero else 0
    if lo_t == hi_t:  # every kept value equals the thresholds (a clump, as of zeros)
        return lo_t, lo_t, state
    part = np.partition(kept[:m], j)
    hi = part[j]
    lo = hi if n % 2 else part[:j].max()
    return lo, hi, state


@numba.njit(cache=True, nogil=True, error_model="numpy")
def visits_found(cand, cand_start, looks, at_risk, detect, team_v, team_k, team_skill):
    """The village teams' triage visits and what they find, all teams in one call.

    Team ``t`` visits the ``team_k[t]`` households of its village's candidates
    ``cand[cand_start[v]:cand_start[v + 1]]`` (``v = team_v[t]``) that look most at
    risk (numpy's ``argpartition(-looks, k - 1)[:k]``; all of them when ``k`` covers
    the list) and finds those at risk whose ``detect`` draw is below ``team_skill[t]``
    (float64; a float32 threshold given exactly compares as float32). Returns the
    households found (by team, then in household order) and, per team, whether its
    visits were determined: False when ties at the k-th look (or NaN looks) leave the
    choice to ``argpartition``'s algorithm; such a team's finds are left out, for numpy
    to make."""
    found = np.empty(cand.size, dtype=np.int64)
    exact = np.ones(team_v.size, dtype=np.bool_)
    m = 0
    for t in range(team_v.size):
        v = team_v[t]
        a = cand_start[v]
        size = cand_start[v + 1] - a
        k = team_k[t]
        skill = team_skill[t]
        if k < size:
            neg = np.empty(size)
            bad = False
            for j in range(size):
                x = -looks[a + j]
                neg[j] = x
                bad |= x != x
            if bad:
                exact[t] = False
                continue
            p = _kth_smallest(neg, k)  # the k-th smallest of -looks
            below = 0
            at = 0
            for j in range(size):
                below += np.int64(neg[j] < p)
                at += np.int64(neg[j] == p)
            if below + at != k:
                exact[t] = False
                continue
            for j in range(size):
                if neg[j] <= p:
                    i = cand[a + j]
                    found[m] = i
                    m += np.int64(at_risk[i] & (np.float64(detect[i]) < skill))
        else:
            for j in range(size):
                i = cand[a + j]
                found[m] = i
                m += np.int64(at_risk[i] & (np.float64(detect[i]) < skill))
    return found[:m].copy(), exact


@numba.njit(cache=True, inline="always")
def _np_maximum(a: float, b: float) -> float:
    """``np.maximum`` of two floats to the sign of zero: NaN wins (``a``'s first), and
    of two equal values numpy's loops give the second (``np.maximum(-0.0, 0.0)`` is
    ``0.0``; ``_maximum`` gives ``-0.0``)."""
    r = a if a > b else b
    r = b if b != b else r
    return a if a != a else r


@numba.njit(cache=True, inline="always")
def _np_minimum(a: float, b: float) -> float:
    """``np.minimum`` of two floats to the sign of zero (see ``_np_maximum``)."""
    r = a if a < b else b
    r = b if b != b else r
    return a if a != a else r


def migration_choices(u0, u1, u2, n_labour, n_migrants, n_jobless, sick_now, employer,
                      in_post, business, motivation, skills, drive_scale, skill_base,
                      p_start, epidemic, p_return, p_again_scale):
    """The decisions phase's draws against its chances (``u*`` float32, compared in
    float64 as numpy does): who sends a member away (``go``), who has one come home
    (``back``), the jobless' chance to leave again (``p_again``) and who does without
    help (``again_plain``). The numpy expressions' operation order:
    ``(p_start * ((drive_scale * motivation) * (skill_base + skills))) * epidemic`` and
    ``(p_again_scale * motivation) * epidemic``.
    Households in ranges (``_migration_choices_part``; ``abm.parallel.split``)."""
    n = u0.size
    go = np.empty(n, np.bool_)
    back = np.empty(n, np.bool_)
    p_again = np.empty(n)
    again_plain = np.empty(n, np.bool_)
    parallel.split(_migration_choices_ranges, n, u0, u1, u2, n_labour, n_migrants,
                   n_jobless, sick_now, employer, in_post, business, motivation, skills,
                   drive_scale, skill_base, p_start, epidemic, p_return, p_again_scale,
                   go, back, p_again, again_plain)
    return go, back, p_again, again_plain


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _migration_choices_part(lo, hi, u0, u1, u2, n_labour, n_migrants, n_jobless, sick_now,
                            employer, in_post, business, motivation, skills, drive_scale,
                            skill_base, p_start, epidemic, p_return, p_again_scale, go,
                            back, p_again, again_plain):
    """``migration_choices`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        nm = np.int64(n_migrants[i])
        free = (np.int64(n_labour[i]) - nm - np.int64(n_jobless[i]) - np.int64(sick_now[i])
                - np.int64(employer[i] >= 0) - np.int64(in_post[i]) - np.int64(business[i]))
        drive = drive_scale * motivation[i] * (skill_base + skills[i])
        go[i] = (free > 0) & (np.float64(u0[i]) < _np_minimum(1.0, p_start * drive * epidemic))
        back[i] = (nm > 0) & (np.float64(u1[i]) < _np_minimum(1.0, np.float64(nm) * p_return))
        pa = p_again_scale * motivation[i] * epidemic
        p_again[i] = pa
        again_plain[i] = np.float64(u2[i]) < _np_minimum(1.0, pa)


@numba.njit(cache=True, nogil=True)
def _migration_choices_ranges(signal, ranges, owner, *args):
    """``_migration_choices_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _migration_choices_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def migration_moves(go, back, again_plain, extra, u3, p_give_up, n_migrants, n_jobless,
                    n_labour):
    """Apply the decisions phase's choices: ``n_migrants += go - back + again`` and
    ``n_jobless -= again + give_up`` in place (``give_up``: jobless, not leaving again,
    ``u3 < p_give_up`` compared in ``p_give_up``'s dtype); returns the new ``n_jobless``
    (at most the able members at home) and ``n_migrants`` (at most the able members).
    Households in ranges (``_migration_moves_part``; ``abm.parallel.split``)."""
    n = go.size
    new_j = np.empty(n, n_jobless.dtype)
    new_m = np.empty(n, n_migrants.dtype)
    parallel.split(_migration_moves_ranges, n, go, back, again_plain, extra, u3,
                   p_give_up, n_migrants, n_jobless, n_labour, new_j, new_m)
    return new_j, new_m


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _migration_moves_part(lo, hi, go, back, again_plain, extra, u3, p_give_up, n_migrants,
                          n_jobless, n_labour, new_j, new_m):
    """``migration_moves`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        jobless = n_jobless[i] > 0
        again = jobless & (again_plain[i] | extra[i])
        give_up = jobless & (not again) & (u3[i] < p_give_up)
        nm = n_migrants.dtype.type(n_migrants[i] + (np.int64(go[i]) - np.int64(back[i])
                                                    + np.int64(again)))
        nj = n_jobless.dtype.type(n_jobless[i] - (np.int64(again) + np.int64(give_up)))
        n_migrants[i] = nm
        n_jobless[i] = nj
        nl = n_labour[i]
        room = n_labour.dtype.type(np.int64(nl) - np.int64(nm))  # int16 - int16 in numpy
        room = room if room > 0 else n_labour.dtype.type(0)
        new_j[i] = min(np.int64(nj), room)
        new_m[i] = min(np.int64(nm), np.int64(nl))


@numba.njit(cache=True, nogil=True)
def _migration_moves_ranges(signal, ranges, owner, *args):
    """``_migration_moves_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _migration_moves_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def consumption(size, net_sum, subsist_per_member, mpc):
    """The spending phase's consumption, in the numpy expressions' order: ``subsist =
    subsist_per_member * size``, ``usual = net_sum / 12``, ``subsist + mpc *
    max(usual - subsist, 0)``.
    Households in ranges (``_consumption_part``; ``abm.parallel.split``)."""
    n = size.size
    cons = np.empty(n)
    parallel.split(_consumption_ranges, n, size, net_sum, subsist_per_member, mpc, cons)
    return cons


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _consumption_part(lo, hi, size, net_sum, subsist_per_member, mpc, cons):
    """``consumption`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        subsist = subsist_per_member * np.float64(size[i])
        usual = net_sum[i] / 12.0
        cons[i] = subsist + mpc * _np_maximum(usual - subsist, 0.0)


@numba.njit(cache=True, nogil=True)
def _consumption_ranges(signal, ranges, owner, *args):
    """``_consumption_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _consumption_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def spending_pass(insured, assisted, oop, withheld, outpatient, outpatient_insured, cons,
                  n_children, schooling_per_child, debt, interest_year, loan_interest_m,
                  reimbursed_m, sp_medical_m, oop_year, help_m, sp_consumption_m,
                  sp_schooling_m, sp_interest_m):
    """The spending phase after the medical bills are paid, in place on the columns
    (numpy's order: ``reimbursed = insured + assisted``, ``oop_year += oop``, ``help_m +=
    assisted``, ``schooling = n_children * per_child / 12``, ``interest = debt * rate /
    12 + loan_interest``); returns (what a withdrawn policy left to pay: ``min(withheld,
    oop)``, the illness loss: ``max(oop - that - (outpatient - outpatient_insured),
    0)``). ``withheld`` empty (``NONE``): nothing withheld, zeros.
    Households in ranges (``_spending_pass_part``; ``abm.parallel.split``)."""
    n = oop.size
    left = np.empty(n)
    illness = np.empty(n)
    parallel.split(_spending_pass_ranges, n, insured, assisted, oop, withheld, outpatient,
                   outpatient_insured, cons, n_children, schooling_per_child, debt, interest_year,
                   loan_interest_m, reimbursed_m, sp_medical_m, oop_year, help_m, sp_consumption_m,
                   sp_schooling_m, sp_interest_m, left, illness)
    return left, illness


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _spending_pass_part(lo, hi, insured, assisted, oop, withheld, outpatient, outpatient_insured,
                        cons, n_children, schooling_per_child, debt, interest_year, loan_interest_m,
                        reimbursed_m, sp_medical_m, oop_year, help_m, sp_consumption_m,
                        sp_schooling_m, sp_interest_m, left, illness):
    """``spending_pass`` of households ``lo .. hi``, into the arrays after the inputs."""
    has_withheld = withheld.size > 0  # (loop-invariant: the compiler splits the loop)
    for i in range(np.uint64(lo), np.uint64(hi)):
        o = oop[i]
        a = assisted[i]
        reimbursed_m[i] = insured[i] + a
        sp_medical_m[i] = o
        oop_year[i] = oop_year[i] + o
        help_m[i] = help_m[i] + a
        w = _np_minimum(withheld[i] if has_withheld else 0.0, o)
        left[i] = w
        routine = outpatient[i] - outpatient_insured[i]
        illness[i] = _np_maximum(o - w - routine, 0.0)
        sp_consumption_m[i] = cons[i]
        sp_schooling_m[i] = np.float64(n_children[i]) * schooling_per_child / 12.0
        sp_interest_m[i] = debt[i] * interest_year / 12.0 + loan_interest_m[i]


@numba.njit(cache=True, nogil=True)
def _spending_pass_ranges(signal, ranges, owner, *args):
    """``_spending_pass_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _spending_pass_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _heavy_debt(debt, size, debt_months, subsist_per_member):
    """``abm.rules.heavy_debt`` of one household: ``debt > debt_months *
    (subsist_per_member * max(size, 1))`` (numpy's order; ``subsist_per_member`` is the
    rule's ``subsistence_per_capita / 12.0``)."""
    members = np.float64(size if size > 1 else 1)
    return debt > debt_months * (subsist_per_member * members)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def psych_pass(acute_left, sick_now, lost_job_now, debt, size, treated, distress,
               motivation, debt_months, subsist_per_member, onset, recovery,
               treatment_gain, psych_motivation):
    """The learning phase's distress, in place on ``distress`` and ``motivation``; the
    numpy lines of ``abm.households.learning.psych`` in their order, the same bits:
    ``stress = (acute_left > 0) | sick_now | lost_job_now | heavy_debt``, ``d = d +
    onset * stress * (1 - d)``, ``d = d - recovery * (1 + treatment_gain * treated) *
    d``, ``distress = clip(d, 0, 1)``, ``motivation *= 1 - psych_motivation *
    distress`` (``treated``: one chance per household, float64). The same bits, but for
    the sign of a NaN that only NaN inputs give."""
    for i in range(distress.size):
        stress = (acute_left[i] > 0) | sick_now[i] | lost_job_now[i] | _heavy_debt(
            debt[i], size[i], debt_months, subsist_per_member)
        d = distress[i]
        d = d + onset * (1.0 if stress else 0.0) * (1.0 - d)
        d = d - recovery * (1.0 + treatment_gain * treated[i]) * d
        d = _clip(d, 0.0, 1.0)
        distress[i] = d
        motivation[i] = motivation[i] * (1.0 - psych_motivation * d)


def distress_sellers(income_pc_year, hard_line, debt, size, debt_months,
                     subsist_per_member, land, u, p_sale):
    """Who sells assets in distress this month, as ``abm.households.decisions.
    distress_sales`` wrote it: ``(income_pc_year < hard_line) & heavy_debt & (land > 0)
    & (u < p_sale)``, ``u`` compared in ``p_sale``'s dtype (numpy compares a float32
    draw with a Python float in float32). The same booleans.
    Households in ranges (``_distress_sellers_part``; ``abm.parallel.split``)."""
    n = debt.size
    sell = np.empty(n, np.bool_)
    parallel.split(_distress_sellers_ranges, n, income_pc_year, hard_line, debt, size,
                   debt_months, subsist_per_member, land, u, p_sale, sell)
    return sell


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _distress_sellers_part(lo, hi, income_pc_year, hard_line, debt, size, debt_months,
                           subsist_per_member, land, u, p_sale, sell):
    """``distress_sellers`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        sell[i] = ((income_pc_year[i] < hard_line)
                   & _heavy_debt(debt[i], size[i], debt_months, subsist_per_member)
                   & (land[i] > 0) & (u[i] < p_sale))


@numba.njit(cache=True, nogil=True)
def _distress_sellers_ranges(signal, ranges, owner, *args):
    """``_distress_sellers_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _distress_sellers_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def business_starts(business, fail, u, p_start, motivation, motivation_reference, skills,
                    n_labour, n_migrants, n_jobless, sick_now, employer, in_post, savings,
                    start_cost):
    """Who starts a business this month, as ``abm.households.business.businesses`` wrote
    it: ``~business & ~fail & (free_to_leave >= 1) & (savings >= start_cost) & (u <
    p_start * drive)`` with ``drive = min(motivation / motivation_reference, 1.5) * (0.5 +
    skills)``; ``u`` (float32) compared in float64 as numpy does with a float64 chance,
    and ``abm.rules.free_to_leave`` in ``n_labour``'s integer type (numpy's int16
    arithmetic). The same booleans.
    Households in ranges (``_business_starts_part``; ``abm.parallel.split``)."""
    n = business.size
    start = np.empty(n, np.bool_)
    parallel.split(_business_starts_ranges, n, business, fail, u, p_start, motivation,
                   motivation_reference, skills, n_labour, n_migrants, n_jobless,
                   sick_now, employer, in_post, savings, start_cost, start)
    return start


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _business_starts_part(lo, hi, business, fail, u, p_start, motivation,
                          motivation_reference, skills, n_labour, n_migrants, n_jobless,
                          sick_now, employer, in_post, savings, start_cost, start):
    """``business_starts`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        free = n_labour.dtype.type(
            np.int64(n_labour[i]) - np.int64(n_migrants[i]) - np.int64(n_jobless[i])
            - np.int64(sick_now[i]) - np.int64(employer[i] >= 0) - np.int64(in_post[i])
            - np.int64(business[i]))
        drive = _np_minimum(motivation[i] / motivation_reference, 1.5) * (0.5 + skills[i])
        start[i] = ((not business[i]) & (not fail[i]) & (free >= 1)
                    & (savings[i] >= start_cost) & (np.float64(u[i]) < p_start * drive))


@numba.njit(cache=True, nogil=True)
def _business_starts_ranges(signal, ranges, owner, *args):
    """``_business_starts_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _business_starts_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def chronic_excess_kept(health_literate, motivation, adherence_illiterate, drive_slope,
                        motivation_reference, self_care):
    """``abm.rules.chronic_excess_kept`` for every household, the numpy lines' order:
    ``drive = clip(1 + drive_slope * (motivation - motivation_reference), 0, 1)``,
    ``adherence = where(health_literate, 1, adherence_illiterate) * drive``, ``1 -
    self_care * adherence``. The same bits.
    Households in ranges (``_chronic_excess_kept_part``; ``abm.parallel.split``)."""
    n = motivation.size
    kept = np.empty(n)
    parallel.split(_chronic_excess_kept_ranges, n, health_literate, motivation,
                   adherence_illiterate, drive_slope, motivation_reference, self_care,
                   kept)
    return kept


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _chronic_excess_kept_part(lo, hi, health_literate, motivation, adherence_illiterate,
                              drive_slope, motivation_reference, self_care, kept):
    """``chronic_excess_kept`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        drive = _health_drive(motivation[i], drive_slope, motivation_reference)
        adherence = (1.0 if health_literate[i] else adherence_illiterate) * drive
        kept[i] = 1.0 - self_care * adherence


@numba.njit(cache=True, nogil=True)
def _chronic_excess_kept_ranges(signal, ranges, owner, *args):
    """``_chronic_excess_kept_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _chronic_excess_kept_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def store_income(farm, wage, remit, prop, public, help_, inc_farm_m, inc_wage_m,
                 inc_remit_m, inc_property_m, inc_public_m, help_m):
    """The work-and-income phase's last lines in one pass: the month's income by source
    and its help into the household columns (``inc_farm_m[:] = farm``, ...), and their
    sum as ``Households.income_m()`` adds them (``farm + 0.0``, then the wage,
    remittances, property and public transfers, in that order; a new array). The same
    bits.
    Households in ranges (``_store_income_part``; ``abm.parallel.split``)."""
    n = farm.size
    total = np.empty(n)
    parallel.split(_store_income_ranges, n, farm, wage, remit, prop, public, help_, inc_farm_m,
                   inc_wage_m, inc_remit_m, inc_property_m, inc_public_m, help_m, total)
    return total


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _store_income_part(lo, hi, farm, wage, remit, prop, public, help_, inc_farm_m, inc_wage_m,
                       inc_remit_m, inc_property_m, inc_public_m, help_m, total):
    """``store_income`` of households ``lo .. hi``, into the arrays after the inputs."""
    for i in range(np.uint64(lo), np.uint64(hi)):
        f = farm[i]
        w = wage[i]
        r = remit[i]
        p = prop[i]
        pub = public[i]
        inc_farm_m[i] = f
        inc_wage_m[i] = w
        inc_remit_m[i] = r
        inc_property_m[i] = p
        inc_public_m[i] = pub
        help_m[i] = help_[i]
        total[i] = ((((f + 0.0) + w) + r) + p) + pub


@numba.njit(cache=True, nogil=True)
def _store_income_ranges(signal, ranges, owner, *args):
    """``_store_income_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _store_income_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def business_income(business, home, motivation, noise, price, usual_scale, effort_slope,
                    motivation_reference, demand_share, epidemic_local):
    """``abm.households.business.income`` for every household in one pass (new arrays;
    0.0 where no one at home runs a business): ``usual = usual_scale * max(0, 1 +
    effort_slope * (motivation - motivation_reference)) * noise`` (``usual_scale`` is
    ``net_month * wage_index``; ``noise`` float32), ``demand = max(0, 1 + demand_share *
    (price - 1))``, income ``full - full * epidemic_local`` with ``full = usual *
    demand``, the market's part ``usual * max(0, 1 - demand)``, the epidemic's ``full *
    epidemic_local``. numpy's order and its ``maximum`` (to the sign of zero): the same
    bits.
    Households in ranges (``_business_income_part``; ``abm.parallel.split``)."""
    n = business.size
    income = np.empty(n)  # (every entry written by the pass: no columns of zeros first)
    market = np.empty(n)
    epidemic = np.empty(n)
    parallel.split(_business_income_ranges, n, business, home, motivation, noise, price,
                   usual_scale, effort_slope, motivation_reference, demand_share,
                   epidemic_local, income, market, epidemic)
    return income, market, epidemic


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _business_income_part(lo, hi, business, home, motivation, noise, price,
                          usual_scale, effort_slope, motivation_reference,
                          demand_share, epidemic_local, income, market, epidemic):
    """``business_income`` of households ``lo .. hi``, into the arrays after the inputs."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        if business[i] & (home[i] >= 1):
            effort = _np_maximum(0.0, 1.0 + effort_slope * (motivation[i]
                                                             - motivation_reference))
            usual = usual_scale * effort * np.float64(noise[i])
            demand = _np_maximum(0.0, 1.0 + demand_share * (price[i] - 1.0))
            full = usual * demand
            market[i] = usual * _np_maximum(0.0, 1.0 - demand)
            lost = full * epidemic_local
            epidemic[i] = lost
            income[i] = full - lost
        else:
            market[i] = 0.0
            epidemic[i] = 0.0
            income[i] = 0.0


@numba.njit(cache=True, nogil=True)
def _business_income_ranges(signal, ranges, owner, *args):
    """``_business_income_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _business_income_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def psych_counselled_pass(acute_left, sick_now, lost_job_now, debt, size, clinic_access,
                          reach, support_gain, distress, motivation, debt_months,
                          subsist_per_member, onset, recovery, treatment_gain,
                          psych_motivation):
    """``psych_pass`` with the treatment chance made household by household as the model
    makes it: ``treated = min(clinic_access * reach + (support_gain > 0), 1)`` (the
    clinics' counselling, ``reach`` being its reach x this month's level, and social work
    served this month), instead of in two numpy passes and a new array first. In place on
    ``distress`` and ``motivation``; the same bits as ``psych_pass`` of that array.
    Households in ranges (``_psych_counselled_pass_part``; ``abm.parallel.split``)."""
    parallel.split(_psych_counselled_pass_ranges, distress.size, acute_left, sick_now,
                   lost_job_now, debt, size, clinic_access, reach, support_gain, distress,
                   motivation, debt_months, subsist_per_member, onset, recovery,
                   treatment_gain, psych_motivation)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _psych_counselled_pass_part(lo, hi, acute_left, sick_now, lost_job_now, debt, size,
                                clinic_access, reach, support_gain, distress, motivation,
                                debt_months, subsist_per_member, onset, recovery,
                                treatment_gain, psych_motivation):
    """``psych_counselled_pass`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        served = 1.0 if support_gain[i] > 0 else 0.0
        treated = _minimum(clinic_access[i] * reach + served, 1.0)
        stress = (acute_left[i] > 0) | sick_now[i] | lost_job_now[i] | _heavy_debt(
            debt[i], size[i], debt_months, subsist_per_member)
        d = distress[i]
        d = d + onset * (1.0 if stress else 0.0) * (1.0 - d)
        d = d - recovery * (1.0 + treatment_gain * treated) * d
        d = _clip(d, 0.0, 1.0)
        distress[i] = d
        motivation[i] = motivation[i] * (1.0 - psych_motivation * d)


@numba.njit(cache=True, nogil=True)
def _psych_counselled_pass_ranges(signal, ranges, owner, *args):
    """``_psych_counselled_pass_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _psych_counselled_pass_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def livelihoods(idx, inc_farm_m, inc_business_m, inc_wage_m, inc_remit_m, inc_public_m,
                transfers):
    """``abm.rules.livelihood`` of households ``idx`` (int8 codes, a new array) in one
    pass instead of a stack of four gathered rows: earned = (farm - business, business,
    local wages, remittances); total = the earned values floored at 0, added in that
    order (numpy's sum down the stack's first axis); the code is ``transfers`` where
    public transfers are at least the total or the total is not above 0, else the
    largest earned source (the first of equals; the first NaN, as ``argmax``)."""
    k = idx.size
    out = np.empty(k, dtype=np.int8)
    for j in range(k):
        i = idx[j]
        biz = inc_business_m[i]
        e0 = inc_farm_m[i] - biz
        e1 = biz
        e2 = inc_wage_m[i]
        e3 = inc_remit_m[i]
        total = ((_maximum(e0, 0.0) + _maximum(e1, 0.0)) + _maximum(e2, 0.0)) + _maximum(
            e3, 0.0)
        kind = 0
        best = e0
        if best == best:  # argmax: a NaN wins and stays
            if (e1 > best) | (e1 != e1):
                kind, best = 1, e1
            if (best == best) & ((e2 > best) | (e2 != e2)):
                kind, best = 2, e2
            if (best == best) & ((e3 > best) | (e3 != e3)):
                kind = 3
        out[j] = transfers if (inc_public_m[i] >= total) | (total <= 0.0) else kind
    return out


def savings_spent_pass(savings, debt, income, consumption, medical, schooling, interest,
                       repairs, repay_share):
    """``savings_pass`` with the month's spending added household by household as
    ``Households.spending_m()`` adds its columns (``consumption + 0.0``, then medical,
    schooling, interest and repairs, in that order) instead of into a new array first.
    In place on ``savings`` and ``debt``; the same bits.
    Households in ranges (``_savings_spent_pass_part``; ``abm.parallel.split``)."""
    n = savings.size
    parallel.split(_savings_spent_pass_ranges, n, savings, debt, income, consumption, medical,
                   schooling, interest, repairs, repay_share)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _savings_spent_pass_part(lo, hi, savings, debt, income, consumption, medical, schooling,
                             interest, repairs, repay_share):
    """``savings_spent_pass`` of households ``lo .. hi``, in place."""
    for i in range(np.uint64(lo), np.uint64(hi)):
        spent = ((((consumption[i] + 0.0) + medical[i]) + schooling[i]) + interest[i]
                 ) + repairs[i]
        _save(savings, debt, i, income[i] - spent, repay_share)


@numba.njit(cache=True, nogil=True)
def _savings_spent_pass_ranges(signal, ranges, owner, *args):
    """``_savings_spent_pass_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _savings_spent_pass_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def workers_at_home(n_labour, n_migrants, sick_now):
    """``abm.rules.workers_at_home(hh).astype(np.float64)`` in one pass (a new array):
    ``max(n_labour - n_migrants - sick_now, 0)`` in the counts' own integer type (int16
    in the model, wrapping as numpy's does), as float64.
    Households in ranges (``_workers_at_home_part``; ``abm.parallel.split``)."""
    n = n_labour.size
    out = np.empty(n)
    parallel.split(_workers_at_home_ranges, n, n_labour, n_migrants, sick_now, out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _workers_at_home_part(lo, hi, n_labour, n_migrants, sick_now, out):
    """``workers_at_home`` of households ``lo .. hi``."""
    t = n_labour.dtype.type
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        d = t(t(n_labour[i] - n_migrants[i]) - t(sick_now[i]))
        out[i] = np.float64(d if d > 0 else 0)


@numba.njit(cache=True, nogil=True)
def _workers_at_home_ranges(signal, ranges, owner, *args):
    """``_workers_at_home_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _workers_at_home_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def pay_into(paid_so_far, oop, oop_out, paid, fresh=False):
    """``MedicalBill.pay`` in one pass: ``paid_so_far += paid`` in place and ``oop_out =
    oop - paid`` (``oop_out`` may be ``oop`` itself, or a new array when ``oop`` is not
    the bill's own); numpy's ``a + x`` and ``a - x``, bit for bit. ``fresh``:
    ``paid_so_far`` is taken as zeros (not read: ``0.0 + x``, as numpy's ``zeros + x``).
    Households in ranges (``_pay_into_part``; ``abm.parallel.split``)."""
    parallel.split(_pay_into_ranges, paid.size, paid_so_far, oop, oop_out, paid, bool(fresh))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _pay_into_part(lo, hi, paid_so_far, oop, oop_out, paid, fresh):
    """``pay_into`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        x = paid[i]
        paid_so_far[i] = (0.0 if fresh else paid_so_far[i]) + x
        oop_out[i] = oop[i] - x


@numba.njit(cache=True, nogil=True)
def _pay_into_ranges(signal, ranges, owner, *args):
    """``_pay_into_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _pay_into_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def insurance_claims(inpatient, outpatient, inpatient_share, outpatient_share):
    """Basic insurance's claims on a month's medical bills (new arrays): routine care
    ``outpatient * outpatient_share`` and the whole claim ``inpatient * inpatient_share +
    routine``, in numpy's order, the same bits.
    Households in ranges (``_insurance_claims_part``; ``abm.parallel.split``)."""
    n = inpatient.size
    claim = np.empty(n)
    routine = np.empty(n)
    parallel.split(_insurance_claims_ranges, n, inpatient, outpatient, inpatient_share,
                   outpatient_share, claim, routine)
    return claim, routine


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _insurance_claims_part(lo, hi, inpatient, outpatient, inpatient_share,
                           outpatient_share, claim, routine):
    """``insurance_claims`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        r = outpatient[i] * outpatient_share
        routine[i] = r
        claim[i] = inpatient[i] * inpatient_share + r


@numba.njit(cache=True, nogil=True)
def _insurance_claims_ranges(signal, ranges, owner, *args):
    """``_insurance_claims_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _insurance_claims_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def assistance_claims(registered, monitored, dibao, inpatient, extra):
    """Medical assistance's claims at full level (a new array): ``np.where(registered |
    monitored | dibao, inpatient * extra, 0.0)``, the same bits.
    Households in ranges (``_assistance_claims_part``; ``abm.parallel.split``)."""
    out = np.empty(inpatient.size)
    parallel.split(_assistance_claims_ranges, inpatient.size, registered, monitored,
                   dibao, inpatient, extra, out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _assistance_claims_part(lo, hi, registered, monitored, dibao, inpatient, extra, out):
    """``assistance_claims`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        out[i] = inpatient[i] * extra if registered[i] | monitored[i] | dibao[i] else 0.0


@numba.njit(cache=True, nogil=True)
def _assistance_claims_ranges(signal, ranges, owner, *args):
    """``_assistance_claims_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _assistance_claims_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def add_product_into(a, x, c):
    """``a = a + x * c`` in place (``c`` a float), numpy's order, the same bits but for
    the sign of a NaN that only NaN or infinite inputs give.
    Households in ranges (``_add_product_into_part``; ``abm.parallel.split``)."""
    parallel.split(_add_product_into_ranges, x.size, a, x, c)


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _add_product_into_part(lo, hi, a, x, c):
    """``add_product_into`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        a[i] = a[i] + x[i] * c


@numba.njit(cache=True, nogil=True)
def _add_product_into_ranges(signal, ranges, owner, *args):
    """``_add_product_into_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _add_product_into_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


def placements_wanted(n_jobless, monitored, on, u, p_again, rel, again_plain):
    """Employment help's candidates for a bought placement (a new boolean array), in one
    pass: ``(n_jobless > 0) & monitored & on & (u < min(1, p_again * rel)) &
    ~again_plain``, ``u`` compared in float64 as numpy compares a float32 draw with a
    float64 chance (``on``: the instrument in force this month).
    Households in ranges (``_placements_wanted_part``; ``abm.parallel.split``)."""
    n = u.size
    out = np.empty(n, dtype=np.bool_)
    parallel.split(_placements_wanted_ranges, n, n_jobless, monitored, on, u, p_again,
                   rel, again_plain, out)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def _placements_wanted_part(lo, hi, n_jobless, monitored, on, u, p_again, rel,
                            again_plain, out):
    """``placements_wanted`` of households ``lo .. hi``."""
    ulo, uhi = np.uint64(lo), np.uint64(hi)  # (unsigned: no negative-index wraparound)
    for i in range(ulo, uhi):
        chance = _minimum(1.0, p_again[i] * rel)
        out[i] = (n_jobless[i] > 0) & monitored[i] & on & (np.float64(u[i]) < chance) & (
            not again_plain[i])


@numba.njit(cache=True, nogil=True)
def _placements_wanted_ranges(signal, ranges, owner, *args):
    """``_placements_wanted_part`` over the ranges this thread claims (``RANGES_HEAD``)."""
    _begin(signal, owner)
    j = _claim(ranges)
    while j >= 0:
        _placements_wanted_part(ranges[RANGES_HEAD + j], ranges[RANGES_HEAD + j + 1], *args)
        _done_one(ranges)
        j = _claim(ranges)
    _end(signal, ranges, owner)


@numba.njit(cache=True, nogil=True, error_model="numpy", inline="always")
def _sorts_before(a: float, b: float) -> bool:
    """Whether ``a`` comes before ``b`` in numpy's ascending sort (NaN last; equal
    values, zeros of either sign included, keep their order)."""
    return (a < b) | ((b != b) & (a == a))


@numba.njit(cache=True, nogil=True, error_model="numpy")
def cause_ranks(now, before, policy, line_rise, size, idx):
    """``Households.causes_of``'s ranking of the causes of each listed household's fall
    (rows of ``now`` and ``before``: the causes, columns: the households ``idx``), in one
    pass: score = now - before (``now`` alone for a row flagged in ``policy``), and
    ``line_rise * size`` as a last row (low income); the first and second rows of
    ``np.argsort(-score, axis=0, kind="stable")`` (largest score first, equal scores in
    row order, NaN last), then the primary cause the first row where its score is above
    0, else the number of rows less one, and the secondary the second row where its score
    and the first's are above 0, else the number of rows. Returns (primary, secondary)
    row numbers (int64)."""
    c, k = now.shape
    primary = np.empty(k, np.int64)
    secondary = np.empty(k, np.int64)
    for j in range(k):
        best = -1
        nxt = -1
        best_key = 0.0
        nxt_key = 0.0
        best_score = 0.0
        nxt_score = 0.0
        for r in range(c + 1):
            if r < c:
                s = now[r, j] if policy[r] else now[r, j] - before[r, j]
            else:
                s = line_rise * np.float64(size[idx[j]])
            key = -s
            if best < 0 or _sorts_before(key, best_key):
                nxt, nxt_key, nxt_score = best, best_key, best_score
                best, best_key, best_score = r, key, s
            elif nxt < 0 or _sorts_before(key, nxt_key):
                nxt, nxt_key, nxt_score = r, key, s
        top = best_score > 0
        primary[j] = best if top else c
        secondary[j] = nxt if (nxt_score > 0) & top else c + 1
    return primary, secondary


@numba.njit(cache=True, nogil=True, error_model="numpy")
def hire_from(pool, need, employer, in_post, n_labour, n_migrants, sick_now, monitored):
    """The households of ``pool`` (in its order) an enterprise with ``need`` vacancies
    hires: free ones (no enterprise job, no public-welfare post, a member working at
    home: ``abm.rules.workers_at_home`` > 0), the monitored first, as ``Enterprise.
    take_numpy``: ``pool[free & mon][:need]``, then ``pool[free & ~mon][:need - that]``.
    Each pass stops once the vacancies are filled."""
    take = np.empty(max(need, 0), dtype=np.int64)
    m = 0
    for first in (True, False):  # the monitored, then the others
        for j in range(pool.size):
            if m >= need:
                break
            i = pool[j]
            if (monitored[i] == first) and (employer[i] < 0) and (not in_post[i]) and (
                    np.int64(n_labour[i]) - np.int64(n_migrants[i])
                    - np.int64(sick_now[i]) > 0):
                take[m] = i
                m += 1
    return take[:m].copy()


# -- numpy's PCG64, compiled: the same numbers, faster (abm.rng.Generator)

# PCG64's 128-bit multiplier (numpy's PCG64: the XSL-RR output of a 128-bit LCG).
_PCG64_MULT = (2549297995355413924 << 64) | 4865540595714422341


@intrinsic
def _pcg64_step(typingctx, s_hi, s_lo, i_hi, i_lo):
    """The LCG's next state, ``state * multiplier + increment`` mod 2**128, as (high,
    low) 64-bit halves: one 128-bit multiply in LLVM (numba has no 128-bit integers;
    four 64-bit multiplies instead made this slower than numpy's C)."""
    sig = types.UniTuple(types.uint64, 2)(types.uint64, types.uint64, types.uint64,
                                          types.uint64)

    def codegen(context, builder, signature, args):
        sh, sl, ih, il = args
        i128 = llvm_ir.IntType(128)
        i64 = llvm_ir.IntType(64)
        shift = llvm_ir.Constant(i128, 64)

        def joined(hi, lo):
            return builder.or_(builder.shl(builder.zext(hi, i128), shift),
                               builder.zext(lo, i128))

        state = builder.add(builder.mul(joined(sh, sl), llvm_ir.Constant(i128, _PCG64_MULT)),
                            joined(ih, il))
        return context.make_tuple(builder, signature.return_type, [
            builder.trunc(builder.lshr(state, shift), i64), builder.trunc(state, i64)])

    return sig, codegen


@numba.njit(cache=True, inline="always")
def _pcg64_output(s_hi, s_lo):
    """PCG64's 64-bit output of a state: its halves xor-ed, rotated right by the top six
    bits."""
    x = s_hi ^ s_lo
    rot = s_hi >> np.uint64(58)
    return (x >> rot) | (x << ((np.uint64(64) - rot) & np.uint64(63)))


@numba.njit(cache=True, nogil=True)
def pcg64_uniform_f32(s_hi, s_lo, i_hi, i_lo, has, uinteger, out):
    """``out`` filled as numpy's ``Generator.random(dtype=np.float32, out=out)`` on a PCG64
    in the state (``s_hi``, ``s_lo``: the LCG's state; ``i_hi``, ``i_lo``: its
    increment; ``has``, ``uinteger``: the 32-bit half kept from the last 64-bit output):
    each number is ``(next 32 bits >> 8) * 2**-24``, the 32-bit halves taken low first.
    Returns the state after (``s_hi``, ``s_lo``, ``has``, ``uinteger``), as numpy leaves
    it: a kept half is the high half of the last output, and stays there once used."""
    n = out.size
    k = 0
    scale = np.float32(1.0 / 16777216.0)
    if has and n > 0:
        out[0] = np.float32(uinteger >> np.uint64(8)) * scale
        k = 1
        has = False
    v = np.uint64(0)
    stepped = False
    while k + 1 < n:
        s_hi, s_lo = _pcg64_step(s_hi, s_lo, i_hi, i_lo)
        v = _pcg64_output(s_hi, s_lo)
        out[k] = np.float32((v & np.uint64(0xFFFFFFFF)) >> np.uint64(8)) * scale
        out[k + 1] = np.float32(v >> np.uint64(40)) * scale
        k += 2
        stepped = True
    if k < n:
        s_hi, s_lo = _pcg64_step(s_hi, s_lo, i_hi, i_lo)
        v = _pcg64_output(s_hi, s_lo)
        out[k] = np.float32((v & np.uint64(0xFFFFFFFF)) >> np.uint64(8)) * scale
        has = True
        stepped = True
    if stepped:
        uinteger = v >> np.uint64(32)
    return s_hi, s_lo, has, uinteger


@numba.njit(cache=True, nogil=True)
def pcg64_uniform_f32_until(s_hi, s_lo, i_hi, i_lo, has, uinteger, out, signal, block):
    """``pcg64_uniform_f32`` in slices of ``block`` numbers, stopping after a slice once
    ``signal[0]`` is set (``abm.parallel.SIGNAL``: the model's thread has work for the
    helper); the same numbers as one call, as far as it got. Returns the state after
    and how many numbers it made."""
    n = out.size
    k = 0
    while k < n:
        hi = min(k + block, n)
        s_hi, s_lo, has, uinteger = pcg64_uniform_f32(s_hi, s_lo, i_hi, i_lo, has,
                                                      uinteger, out[k:hi])
        k = hi
        if _atomic_load(signal, 0) != 0:
            break
    return s_hi, s_lo, has, uinteger, k


@numba.njit(cache=True, inline="always")
def _pcg64_next32(s_hi, s_lo, i_hi, i_lo, has, uinteger):
    """numpy's ``next_uint32`` of a PCG64: the kept high half if there is one, else the
    low half of the next 64-bit output (keeping its high half). Returns (the number,
    the state after)."""
    if has:
        return np.uint32(uinteger), s_hi, s_lo, False, uinteger
    s_hi, s_lo = _pcg64_step(s_hi, s_lo, i_hi, i_lo)
    v = _pcg64_output(s_hi, s_lo)
    return np.uint32(v & np.uint64(0xFFFFFFFF)), s_hi, s_lo, True, v >> np.uint64(32)


@numba.njit(cache=True, inline="always")
def _next_float(u):
    """numpy's ``next_float`` of a 32-bit number: its top 24 bits times 2**-24
    (float32)."""
    return np.float32(u >> np.uint32(8)) * np.float32(1.0 / 16777216.0)


@numba.njit(cache=True, nogil=True)
def pcg64_normal_f32(s_hi, s_lo, i_hi, i_lo, has, uinteger, out, wi, ki, fi, r_f, inv_r_f):
    """``out`` filled as numpy's ``Generator.standard_normal(dtype=np.float32, out=out)``
    on a PCG64 in the state given (as ``pcg64_uniform_f32``): numpy's float32 ziggurat,
    number by number, with its tables ``wi``, ``ki``, ``fi`` and the tail's start
    ``r_f`` and ``inv_r_f`` (float32; ``abm.rng`` reads them from numpy itself). Each
    normal takes a 32-bit number: its low 8 bits the layer, the next the sign, the top
    23 the value ``rabs``; ``x = rabs * wi[layer]`` (float32), signed, is the normal
    when ``rabs < ki[layer]`` (about 99%). Otherwise, in the base layer, the tail: ``xx
    = -inv_r_f * log1p(-u1)``, ``yy = -log1p(-u2)`` (float32, ``u`` the next uniforms)
    until ``yy + yy > xx * xx``, giving ``r_f + xx`` signed by bit 8 of ``rabs``; in
    another layer, ``x`` when ``(fi[layer - 1] - fi[layer]) * u + fi[layer]`` (float32)
    is below ``exp(-0.5 * x * x)`` (float64, as C promotes it), else a new 32-bit
    number. Returns the state after."""
    for k in range(out.size):
        while True:
            r, s_hi, s_lo, has, uinteger = _pcg64_next32(s_hi, s_lo, i_hi, i_lo, has,
                                                          uinteger)
            idx = r & np.uint32(0xFF)
            rabs = (r >> np.uint32(9)) & np.uint32(0x7FFFFF)
            x = np.float32(rabs) * wi[idx]
            if (r >> np.uint32(8)) & np.uint32(1):
                x = -x
            if rabs < ki[idx]:
                break
            if idx == 0:
                while True:
                    u1, s_hi, s_lo, has, uinteger = _pcg64_next32(s_hi, s_lo, i_hi, i_lo,
                                                                   has, uinteger)
                    xx = -inv_r_f * np.float32(math.log1p(-_next_float(u1)))
                    u2, s_hi, s_lo, has, uinteger = _pcg64_next32(s_hi, s_lo, i_hi, i_lo,
                                                                   has, uinteger)
                    yy = -np.float32(math.log1p(-_next_float(u2)))
                    if yy + yy > xx * xx:
                        break
                x = -(r_f + xx) if (rabs >> np.uint32(8)) & np.uint32(1) else r_f + xx
                break
            u, s_hi, s_lo, has, uinteger = _pcg64_next32(s_hi, s_lo, i_hi, i_lo, has,
                                                          uinteger)
            f = (fi[idx - 1] - fi[idx]) * _next_float(u) + fi[idx]
            if np.float64(f) < math.exp(-0.5 * np.float64(x) * np.float64(x)):
                break
        out[k] = x
    return s_hi, s_lo, has, uinteger


@numba.njit(cache=True, nogil=True)
def pcg64_normal_f32_until(s_hi, s_lo, i_hi, i_lo, has, uinteger, out, signal, block, wi,
                           ki, fi, r_f, inv_r_f):
    """``pcg64_normal_f32`` in slices, stopping as ``pcg64_uniform_f32_until`` does."""
    n = out.size
    k = 0
    while k < n:
        hi = min(k + block, n)
        s_hi, s_lo, has, uinteger = pcg64_normal_f32(s_hi, s_lo, i_hi, i_lo, has, uinteger,
                                                     out[k:hi], wi, ki, fi, r_f, inv_r_f)
        k = hi
        if _atomic_load(signal, 0) != 0:
            break
    return s_hi, s_lo, has, uinteger, k
