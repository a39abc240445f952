"""The county's ties built without scipy are the matrices scipy made of them: the 0/1
adjacency (``build_kernels.ties_csr``) and the row-normalised peer weights as the
learning pass reads them (``County.peer_parts``), array for array."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from abm import kernels
from abm.build_kernels import ties_csr
from abm.config import load_config
from abm.county import build_county
from abm.rng import Streams


def scipy_lines(n: int, edges: np.ndarray):
    """The lines ``build_county`` had: the adjacency and ``diags(1 / degree) @ adj``."""
    edges = edges[edges[:, 0] != edges[:, 1]]
    rows = np.concatenate([edges[:, 0], edges[:, 1]])
    cols = np.concatenate([edges[:, 1], edges[:, 0]])
    adj = sp.csr_matrix((np.ones(rows.size, dtype=np.float64), (rows, cols)), shape=(n, n))
    adj.data[:] = 1.0
    adj.sort_indices()
    deg = np.asarray(adj.sum(axis=1)).ravel()
    inv = np.divide(1.0, deg, out=np.zeros_like(deg), where=deg > 0)
    return adj, sp.csr_matrix(sp.diags(inv) @ adj), deg > 0


@pytest.mark.parametrize("n,m,seed", [(1, 0, 0), (5, 0, 1), (50, 200, 2), (400, 900, 3),
                                      (3000, 12000, 4)])
def test_ties_are_scipys_adjacency(n, m, seed):
    rng = np.random.default_rng(seed)
    edges = rng.integers(0, n, size=(m, 2))  # duplicates, both directions, self-ties
    adj, _, _ = scipy_lines(n, edges)
    ptr, to = ties_csr(n, np.ascontiguousarray(edges[:, 0]),
                       np.ascontiguousarray(edges[:, 1]))
    assert np.array_equal(ptr, adj.indptr) and np.array_equal(to, adj.indices)


@pytest.mark.parametrize("n,seed", [(700, 1), (5000, 7)])
def test_county_peer_parts_are_scipys(n, seed):
    c = build_county(load_config(None, households=n), Streams(seed)["county"])
    rows = np.repeat(np.arange(n), np.diff(c.tie_ptr))
    adj, peer, has = scipy_lines(n, np.stack([rows, c.tie_to.astype(np.int64)], axis=1))
    # the ties are symmetric: each appears twice above, once in the adjacency
    assert np.array_equal(c.tie_ptr, adj.indptr) and np.array_equal(c.tie_to, adj.indices)
    assert c.tie_to.dtype == adj.indices.dtype and c.tie_ptr.dtype == adj.indptr.dtype
    got, ref = c.peer_parts, kernels.peer_parts(peer)
    assert all(np.array_equal(x, y) and x.dtype == y.dtype for x, y in zip(got, ref, strict=True))
    assert np.array_equal(c.has_peers, has)
    for mine, theirs in ((c.adjacency, adj), (c.peer_weights, peer)):
        assert np.array_equal(mine.indptr, theirs.indptr)
        assert np.array_equal(mine.indices, theirs.indices)
        assert np.array_equal(mine.data, theirs.data)


def test_per_household_is_each_households_village_value():
    c = build_county(load_config(None, households=2500), Streams(3)["county"])
    rng = np.random.default_rng(0)
    for values in (rng.random(c.n_villages), rng.random(c.n_villages) < 0.3,
                   rng.integers(0, 9, c.n_villages).astype(np.int16)):
        got = c.per_household(values)
        assert got.dtype == values.dtype and np.array_equal(got, values[c.hh_village])
    # households numbered otherwise: gathered by village
    c.__dict__.pop("_village_runs", None)
    c.hh_village = c.hh_village[::-1].copy()
    values = rng.random(c.n_villages)
    assert np.array_equal(c.per_household(values), values[c.hh_village])


@pytest.mark.parametrize("dtype", [np.int32, np.int64])
def test_rows_reversed_is_numpys_repeat_and_gather(dtype):
    """``kernels.rows_reversed`` (each row's ties reversed, each tie its row's weight) is
    the numpy lines ``County.peer_parts`` used, rows without ties included."""
    rng = np.random.default_rng(5)
    deg = rng.integers(0, 7, 3000) * (rng.random(3000) > 0.1)
    ptr = np.concatenate([[0], np.cumsum(deg)]).astype(np.int64)
    tie_to = rng.integers(0, 3000, int(ptr[-1])).astype(dtype)
    inv = np.divide(1.0, deg.astype(np.float64), out=np.zeros(deg.size), where=deg > 0)
    to, data = kernels.rows_reversed(ptr, tie_to, inv)
    row_end = np.repeat(ptr[1:] + ptr[:-1] - 1, deg)
    assert to.dtype == tie_to.dtype
    assert np.array_equal(to, tie_to[row_end - np.arange(tie_to.size)])
    assert np.array_equal(data.view(np.int64), np.repeat(inv, deg).view(np.int64))
    assert kernels.csr_weights(ptr, data).view(np.int64).tolist() == inv.view(
        np.int64).tolist()
