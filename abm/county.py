"""The county environment: townships, villages, the household network, prices.

Households are numbered so that each village's households are contiguous and
villages of one township are contiguous; this keeps network building and
village queries to slices.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

import numpy as np

from abm import build_kernels, kernels
from abm.config import Config

if TYPE_CHECKING:
    import networkx as nx
    import scipy.sparse as sp


@dataclass
class County:
    """Static geography and the social network of one county."""

    n_households: int
    n_townships: int
    n_villages: int
    village_township: np.ndarray  # (V,) township of each village
    village_start: np.ndarray  # (V+1,) first household of each village; last = N
    village_xy: np.ndarray  # (V, 2) map coordinates (township clusters)
    township_xy: np.ndarray  # (T, 2) township seats (where the clinic is)
    village_sector: np.ndarray  # (V,) index into sectors: the village's main product
    sectors: list[str]
    village_access: np.ndarray  # (V,) access to the township clinic, 0-1
    hh_village: np.ndarray  # (N,) village of each household
    hh_township: np.ndarray  # (N,) township of each household
    tie_ptr: np.ndarray  # (N+1,) the ties' row pointers (CSR; int32 when it fits)
    tie_to: np.ndarray  # each household's neighbours in increasing order, row by row
    has_peers: np.ndarray  # (N,) bool

    @cached_property
    def adjacency(self) -> sp.csr_matrix:
        """(N, N) 0/1 symmetric ties, a scipy CSR matrix (made when first asked for: a
        run reads the ties through ``peer_parts``)."""
        import scipy.sparse as sp

        n = self.n_households
        return sp.csr_matrix((np.ones(self.tie_to.size), self.tie_to, self.tie_ptr),
                             shape=(n, n))

    @cached_property
    def peer_weights(self) -> sp.csr_matrix:
        """The row-normalised adjacency (rows of isolates are 0): each row's ties hold 1 /
        degree, stored in decreasing order of household, as scipy's product
        ``diags(1 / degree) @ adjacency`` stores them (made when first asked for)."""
        import scipy.sparse as sp

        n = self.n_households
        indptr, indices, data, _ = self.peer_parts
        return sp.csr_matrix((data, indices.view(self.tie_to.dtype) if indices.dtype.itemsize
                              == self.tie_to.dtype.itemsize else indices.astype(
                                  self.tie_to.dtype), indptr.astype(self.tie_ptr.dtype)),
                             shape=(n, n))

    @cached_property
    def peer_parts(self) -> tuple[np.ndarray, ...]:
        """``peer_weights`` as the learning phase's kernel reads it (``kernels.
        peer_parts``: int64 row pointers, unsigned neighbours, float64 weights and the
        weight of each row), made once from the ties: the network does not change during
        a run."""
        ptr = self.tie_ptr.astype(np.int64)
        deg = np.diff(ptr)
        inv = np.divide(1.0, deg.astype(np.float64), out=np.zeros(deg.size), where=deg > 0)
        # Each row's neighbours in decreasing order (the product's order; the learning
        # pass adds each row's neighbours in stored order), each with its row's weight.
        to, data = kernels.rows_reversed(ptr, self.tie_to, inv)
        to = to.view(np.uint32) if to.dtype == np.int32 else to.astype(np.uint64)
        # Every stored value of a row is its 1 / degree, so ``kernels.csr_weights`` of
        # these parts is ``inv`` itself (0.0 for a row without ties).
        return ptr, to, data, inv

    @cached_property
    def _village_runs(self) -> np.ndarray | None:
        """Households per village when the households are the villages' runs in village
        order (as ``build_county`` numbers them), else None."""
        sizes = np.diff(self.village_start)
        if sizes.size != self.n_villages or (sizes < 0).any() or not np.array_equal(
                self.hh_village, np.repeat(np.arange(self.n_villages), sizes)):
            return None
        return sizes

    def per_household(self, by_village: np.ndarray) -> np.ndarray:
        """``by_village[hh_village]``, each household's village's value (a new array),
        made by repeating each village's value over its run of households."""
        sizes = self._village_runs
        if sizes is None:
            return by_village[self.hh_village]
        return np.repeat(by_village, sizes)

    def village_slice(self, v: int) -> slice:
        return slice(int(self.village_start[v]), int(self.village_start[v + 1]))

    def neighbours(self, i: int) -> np.ndarray:
        return self.tie_to[self.tie_ptr[i] : self.tie_ptr[i + 1]]

    def village_sizes(self) -> np.ndarray:
        return np.diff(self.village_start)


def _village_sizes(cfg: Config, n: int, rng: np.random.Generator) -> np.ndarray:
    n_v = cfg.county.n_townships * cfg.county.villages_per_township
    sigma = cfg.county.village_size_sigma
    w = rng.lognormal(0.0, sigma, n_v) if sigma > 0 else np.ones(n_v)
    return rng.multinomial(n, w / w.sum())


def _seats(n_t: int) -> np.ndarray:
    cols = int(np.ceil(np.sqrt(n_t)))
    t = np.arange(n_t)
    return np.stack([(t % cols) * 3.0, (t // cols) * 3.0], axis=1)


def _layout(n_t: int, per_t: int, rng: np.random.Generator) -> np.ndarray:
    """Townships on a grid, their villages scattered round the township seat."""
    cols = int(np.ceil(np.sqrt(n_t)))
    xy = np.empty((n_t * per_t, 2))
    for t in range(n_t):
        cx, cy = (t % cols) * 3.0, (t // cols) * 3.0
        ang = np.linspace(0, 2 * np.pi, per_t, endpoint=False) + rng.uniform(0, 2 * np.pi)
        rad = 0.35 + 0.9 * np.sqrt(rng.uniform(0.05, 1.0, per_t))
        xy[t * per_t : (t + 1) * per_t, 0] = cx + rad * np.cos(ang)
        xy[t * per_t : (t + 1) * per_t, 1] = cy + rad * np.sin(ang)
    return xy


def _complete_edges(n: int) -> np.ndarray:
    """Every pair of n nodes (networkx's ``complete_graph``)."""
    lo, hi = np.triu_indices(n, 1)
    return np.stack([lo, hi], axis=1).astype(np.int64)


def _watts_strogatz_edges(n: int, k: int, p: float, seed: int) -> np.ndarray:
    """The edges of ``networkx.watts_strogatz_graph(n, k, p, seed)`` for k < n.

    The same algorithm over the same random numbers: networkx turns ``seed`` into
    ``random.Random(seed)``, whose 32-bit outputs ``abm.build_kernels.mt_words`` makes in
    bulk; ``abm.kernels.watts_strogatz_rewire`` then makes networkx's ``random()`` and
    ``choice`` calls from them in networkx's order (a ``random()`` per lattice tie, by
    distance then node; a ``choice`` per candidate). The edge order differs from
    networkx's; the adjacency matrix does not depend on it.
    """
    ties = n * (k // 2)
    size = 2 * ties + int(4 * p * ties) + 64  # two words a tie, about two a rewiring
    while True:
        edges = kernels.watts_strogatz_rewire(n, k, float(p), build_kernels.mt_words(seed, size))
        if edges is not None:
            return edges
        size *= 2  # ran out of numbers: again from the start with more


def _gnp_edges(n: int, p: float, seed: int) -> np.ndarray:
    """The edges of ``networkx.fast_gnp_random_graph(n, p, seed)`` (Batagelj and Brandes'
    skips as networkx draws them: ``abm.build_kernels.gnp_ties``), in row order."""
    if p >= 1:
        return _complete_edges(n)
    return build_kernels.gnp_ties(n, float(p), seed)


def _village_edges(n: int, cfg: Config, seed_nb: int, seed_kin: int) -> list[np.ndarray]:
    """Neighbour (Watts-Strogatz) and kin (G(n,p)) ties inside one village of n households.

    The ties networkx's ``watts_strogatz_graph`` (``complete_graph`` when n <= k) and
    ``fast_gnp_random_graph`` would make from the same seeds (tests/test_county_edges.py
    compares them), built without graph objects.
    """
    net = cfg.county.network
    out = []
    if n < 2:
        return out
    k = net.k_neighbours
    if k > 0:
        out.append(_complete_edges(n) if n <= k
                   else _watts_strogatz_edges(n, k, net.p_rewire, seed_nb))
    if net.kin_ties_mean > 0:
        p = min(1.0, net.kin_ties_mean / (n - 1))
        e = _gnp_edges(n, p, seed_kin)
        if len(e):
            out.append(e)
    return out


def build_county(cfg: Config, rng: np.random.Generator) -> County:
    """Geography and network from the ``county`` stream."""
    n = cfg.run.households
    n_t = cfg.county.n_townships
    per_t = cfg.county.villages_per_township
    sizes = _village_sizes(cfg, n, rng)
    n_v = sizes.size
    start = np.zeros(n_v + 1, dtype=np.int64)
    np.cumsum(sizes, out=start[1:])
    v_town = np.repeat(np.arange(n_t, dtype=np.int32), per_t)
    hh_village = np.repeat(np.arange(n_v, dtype=np.int32), sizes)
    hh_town = v_town[hh_village]
    xy = _layout(n_t, per_t, rng)

    # Seeds for networkx generators come from the stream, one pair per village.
    seeds = rng.integers(0, 2**31 - 1, size=(n_v, 2))
    parts = []
    for v in range(n_v):
        for e in _village_edges(int(sizes[v]), cfg, int(seeds[v, 0]), int(seeds[v, 1])):
            parts.append(e + start[v])
    # Cross-village ties within the township.
    cross = cfg.county.network.cross_village_ties_mean
    if cross > 0 and n > 1:
        m = rng.poisson(n * cross / 2)
        src = rng.integers(0, n, m)
        t = hh_town[src]
        t_start = start[v_town.searchsorted(t)]  # first household of the township
        t_end = start[np.minimum(v_town.searchsorted(t, side="right"), n_v)]
        span = np.maximum(t_end - t_start, 1)
        dst = t_start + (rng.random(m) * span).astype(np.int64)
        keep = hh_village[src] != hh_village[np.minimum(dst, n - 1)]
        parts.append(np.stack([src[keep], dst[keep]], axis=1))
    # Main product of each village, from the county's sector mix.
    sectors = list(cfg.industry.sectors)
    shares = np.array([cfg.industry.sectors[k] for k in sectors], dtype=float)
    v_sector = rng.choice(len(sectors), size=n_v, p=shares / shares.sum()).astype(np.int32)
    seats = _seats(n_t)
    dist = np.hypot(*(xy - seats[v_town]).T)
    access = 1.0 / (1.0 + (dist / cfg.social.clinic_reach) ** 2)
    edges = np.concatenate(parts) if parts else np.empty((0, 2), dtype=np.int64)
    edges = edges.astype(np.int64, copy=False)
    # Both directions of every tie, duplicates once, each row in order (ties are 0/1).
    tie_ptr, tie_to = build_kernels.ties_csr(n, np.ascontiguousarray(edges[:, 0]),
                                             np.ascontiguousarray(edges[:, 1]))
    if max(tie_to.size, n) <= np.iinfo(np.int32).max:  # scipy's index type
        tie_ptr, tie_to = tie_ptr.astype(np.int32), tie_to.astype(np.int32)
    return County(
        n_households=n,
        n_townships=n_t,
        n_villages=n_v,
        village_township=v_town,
        village_start=start,
        village_xy=xy,
        township_xy=seats,
        village_sector=v_sector,
        sectors=sectors,
        village_access=access,
        hh_village=hh_village,
        hh_township=hh_town,
        tie_ptr=tie_ptr,
        tie_to=tie_to,
        has_peers=np.diff(tie_ptr) > 0,
    )


def to_networkx(county: County, nodes: np.ndarray) -> nx.Graph:
    """The induced subgraph on ``nodes`` (for drawing a neighbourhood)."""
    import networkx as nx  # only the browser page draws a neighbourhood

    sub = county.adjacency[nodes][:, nodes]
    g = nx.from_scipy_sparse_array(sub)
    return nx.relabel_nodes(g, {i: int(h) for i, h in enumerate(nodes)})


class Markets:
    """Sector price indices: log AR(1) around 1, random slumps of a whole sector, and
    scheduled shocks (stream ``market``).

    One standard-normal and one uniform draw per sector per month, whatever happens
    elsewhere. A slump hits every village farming that sector and every enterprise of
    it at once, so a county with one dominant industry takes correlated hits.
    """

    def __init__(self, cfg: Config, sectors: list[str], shock_months: dict[int, list],
                 rng: np.random.Generator):
        self.rho = cfg.economy.price_rho
        self.sigma = cfg.economy.price_sigma
        self.sectors = sectors
        self.rng = rng
        self.log_dev = np.zeros(len(sectors))
        self.shock_months = shock_months  # month -> [(sector index, size)]
        # Taken out of the log price so the index has mean 1 (see ``prices``).
        self.half_var = self.sigma ** 2 / (1.0 - self.rho ** 2) / 2.0
        self.p_slump = cfg.shocks.p_sector_slump_year / 12.0  # each sector, each month
        self.slump_size = cfg.shocks.sector_slump_size
        self.n_slumps = 0

    @property
    def prices(self) -> np.ndarray:
        """Price indices with mean 1 whatever the volatility (the log deviation's
        stationary variance is taken out), so volatility adds risk, not income."""
        return np.exp(self.log_dev - self.half_var)

    def step(self, month: int) -> None:
        eps = self.rng.standard_normal(len(self.sectors))
        u = self.rng.random(len(self.sectors))
        self.log_dev = self.rho * self.log_dev + self.sigma * eps
        slump = u < self.p_slump
        self.log_dev[slump] += self.slump_size
        self.n_slumps += int(slump.sum())
        for k, size in self.shock_months.get(month, []):
            self.log_dev[k] += size


class Shocks:
    """Village disasters and the county epidemic calendar (stream ``shocks``)."""

    def __init__(self, cfg: Config, county: County, epidemic_months: range,
                 rng: np.random.Generator):
        self.cfg = cfg.shocks
        self.county = county
        self.rng = rng
        self.disaster_left = np.zeros(county.n_villages, dtype=np.int16)
        self.epidemic_months = epidemic_months
        self.n_disasters = 0

    def step(self, month: int) -> tuple[np.ndarray, np.ndarray, float, float, float]:
        """(disaster farm loss share, repairs due, migrants idled, local wage and
        enterprise loss, epidemic farm loss) for this month."""
        c = self.cfg
        u = self.rng.random(self.county.n_villages)
        strike = (u < c.p_disaster_village_year / 12.0) & (self.disaster_left == 0)
        self.n_disasters += int(strike.sum())
        self.disaster_left[strike] = c.dur_disaster
        hit_v = self.disaster_left > 0
        # np.where(hit_v[hh_village], ...), made per village, then per household
        loss = self.county.per_household(np.where(hit_v, c.disaster_farm_loss, 0.0))
        damage = self.county.per_household(np.where(strike, c.disaster_damage_yuan, 0.0))
        self.disaster_left[hit_v] -= 1
        if month in self.epidemic_months:
            e = c.epidemic
            return loss, damage, e.idle_migrant_share, e.local_loss_share, e.farm_loss_share
        return loss, damage, 0.0, 0.0, 0.0
