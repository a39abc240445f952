"""Compiled helpers of building a county's network (``abm.county``).

networkx's graph generators draw from ``random.Random(seed)``: CPython's Mersenne Twister
seeded by ``init_by_array`` with the seed's 32-bit words. :func:`mt_words` makes the same
32-bit outputs without a ``random.Random`` (whose state took longer to copy out than the
ties took to build), and :func:`gnp_ties` walks networkx's G(n, p) skips over them.
Integers stay below 2**63 in int64 arithmetic (masked to 32 bits), so no step depends on
numba's rules for mixing signed and unsigned types.
"""

from __future__ import annotations

import math

import numba
import numpy as np

_N, _M = 624, 397
_MASK = 0xFFFFFFFF


@numba.njit(cache=True)
def _seeded(seed):
    """The twister's state after ``random.Random(seed)`` (0 <= seed < 2**32: one key
    word): ``init_genrand(19650218)``, then ``init_by_array`` with ``[seed]``."""
    mt = np.empty(_N, dtype=np.int64)
    mt[0] = 19650218
    for i in range(1, _N):
        mt[i] = (1812433253 * (mt[i - 1] ^ (mt[i - 1] >> 30)) + i) & _MASK
    i = 1
    for _ in range(_N):  # max(N, key length) steps, the key's one word each time
        mt[i] = ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525)) + seed) & _MASK
        i += 1
        if i >= _N:
            mt[0] = mt[_N - 1]
            i = 1
    for _ in range(_N - 1):
        mt[i] = ((mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941)) - i) & _MASK
        i += 1
        if i >= _N:
            mt[0] = mt[_N - 1]
            i = 1
    mt[0] = 0x80000000
    return mt


@numba.njit(cache=True)
def _twist(mt):
    for k in range(_N):
        y = (mt[k] & 0x80000000) | (mt[(k + 1) % _N] & 0x7FFFFFFF)
        mt[k] = mt[(k + _M) % _N] ^ (y >> 1) ^ (0x9908B0DF if y & 1 else 0)


@numba.njit(cache=True, inline="always")
def _next(mt, at):
    """The output at position ``at`` of the state ``mt`` (twisted first when all 624 are
    used) and the next position."""
    if at >= _N:
        _twist(mt)
        at = 0
    y = mt[at]
    y ^= y >> 11
    y ^= (y << 7) & 0x9D2C5680
    y ^= (y << 15) & 0xEFC60000
    return y ^ (y >> 18), at + 1


@numba.njit(cache=True)
def mt_words(seed, count):
    """The first ``count`` 32-bit outputs of ``random.Random(seed)`` (``getrandbits(32)``
    each), as ``numpy.random.MT19937.random_raw`` gives them (uint64)."""
    mt = _seeded(seed)
    out = np.empty(count, dtype=np.uint64)
    at = _N
    for c in range(count):
        out[c], at = _next(mt, at)
    return out


@numba.njit(cache=True)
def gnp_ties(n, p, seed):
    """The ties of ``networkx.fast_gnp_random_graph(n, p, seed)`` for 0 < p < 1, as
    (v, w), w < v, in row order: Batagelj and Brandes' skips, one ``random()`` each
    (CPython's 53-bit recipe from two words) and ``log(1 - random()) / log(1 - p)``."""
    lp = math.log(1.0 - p)
    total = n * (n - 1) // 2
    mt = _seeded(seed)
    at = _N
    ties = []
    pos = -1
    while True:
        a, at = _next(mt, at)
        b, at = _next(mt, at)
        u = ((a >> 5) * 67108864.0 + (b >> 6)) * (1.0 / 9007199254740992.0)
        pos += 1 + np.int64(math.trunc(math.log(1.0 - u) / lp))
        if pos >= total:
            break
        ties.append(pos)
    out = np.empty((len(ties), 2), dtype=np.int64)
    v = 1
    for i, tie in enumerate(ties):
        while v * (v + 1) // 2 <= tie:  # row v holds ties v (v - 1) / 2 to v (v + 1) / 2 - 1
            v += 1
        out[i, 0] = v
        out[i, 1] = tie - v * (v - 1) // 2
    return out


@numba.njit(cache=True)
def ties_csr(n, a, b):
    """The symmetric 0/1 adjacency of the ties ``a[k] -- b[k]`` (households < ``n``; a
    tie of a household to itself is left out) in canonical CSR form: row pointers and,
    row by row, each household's distinct neighbours in increasing order (int64). The
    arrays scipy makes of ``csr_matrix((ones, (rows, cols)))`` with both directions of
    every tie (duplicates added, then sorted), once its values are set to 1."""
    count = np.zeros(n + 1, dtype=np.int64)
    for k in range(a.size):
        if a[k] != b[k]:
            count[a[k] + 1] += 1
            count[b[k] + 1] += 1
    for i in range(n):
        count[i + 1] += count[i]
    fill = count[:n].copy()
    cols = np.empty(count[n], dtype=np.int64)
    for k in range(a.size):
        i, j = a[k], b[k]
        if i != j:
            cols[fill[i]] = j
            fill[i] += 1
            cols[fill[j]] = i
            fill[j] += 1
    ptr = np.empty(n + 1, dtype=np.int64)
    out = np.empty(cols.size, dtype=np.int64)
    m = 0
    ptr[0] = 0
    for i in range(n):
        lo = count[i]
        hi = count[i + 1]
        for p in range(lo + 1, hi):  # insertion sort: a row holds a few ties
            v = cols[p]
            q = p - 1
            while q >= lo and cols[q] > v:
                cols[q + 1] = cols[q]
                q -= 1
            cols[q + 1] = v
        for p in range(lo, hi):
            if p == lo or cols[p] != cols[p - 1]:
                out[m] = cols[p]
                m += 1
        ptr[i + 1] = m
    return ptr, out[:m].copy()
