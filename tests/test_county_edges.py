"""The village ties built without networkx are networkx's own, edge for edge.

``abm.county`` builds each village's neighbour (Watts-Strogatz) and kin (G(n,p)) ties
from the same ``random.Random`` seeds networkx's generators take, without graph objects;
these tests compare the edge sets with networkx's for many sizes, degrees and seeds.
"""

from __future__ import annotations

import networkx as nx
import numpy as np
import pytest

from abm.county import _complete_edges, _gnp_edges, _watts_strogatz_edges


def _edge_set(edges) -> set[tuple[int, int]]:
    return {(min(int(a), int(b)), max(int(a), int(b))) for a, b in edges}


@pytest.mark.parametrize("n", [5, 6, 7, 12, 40, 333, 1500])
@pytest.mark.parametrize("k,p", [(4, 0.1), (2, 0.5), (6, 0.3), (4, 1.0), (4, 0.0), (3, 0.2)])
def test_watts_strogatz_matches_networkx(n, k, p):
    for seed in (0, 1, 12345, 2**31 - 2):
        if k >= n:
            continue
        ours = _watts_strogatz_edges(n, k, p, seed)
        theirs = nx.watts_strogatz_graph(n, k, p, seed=seed)
        assert len(ours) == theirs.number_of_edges()
        assert _edge_set(ours) == _edge_set(theirs.edges())


def test_watts_strogatz_dense_rewiring_matches_networkx():
    # Small n with many ties: the "node already tied to everyone" escape is exercised.
    for seed in range(200):
        ours = _watts_strogatz_edges(6, 4, 0.9, seed)
        assert _edge_set(ours) == _edge_set(nx.watts_strogatz_graph(6, 4, 0.9, seed=seed).edges())


@pytest.mark.parametrize("n", [2, 3, 4, 10, 57, 800, 4000])
@pytest.mark.parametrize("mean", [0.5, 1.5, 3.0, 20.0])
def test_gnp_matches_networkx(n, mean):
    p = min(1.0, mean / (n - 1))
    for seed in (0, 7, 99991, 2**31 - 2):
        ours = _gnp_edges(n, p, seed)
        theirs = nx.fast_gnp_random_graph(n, p, seed=seed)
        assert len(ours) == theirs.number_of_edges()
        assert _edge_set(ours) == _edge_set(theirs.edges())


def test_complete_edges():
    assert _edge_set(_complete_edges(5)) == _edge_set(nx.complete_graph(5).edges())
    assert _complete_edges(1).shape == (0, 2)
    assert np.issubdtype(_complete_edges(3).dtype, np.integer)


def test_rewiring_asks_for_more_numbers_when_they_run_out():
    from abm.kernels import watts_strogatz_rewire

    assert watts_strogatz_rewire(50, 4, 0.5, np.zeros(10, dtype=np.uint64)) is None
