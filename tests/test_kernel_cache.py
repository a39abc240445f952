"""Loading the compiled kernels from numba's cache on a helper thread
(``abm.kernel_cache``): in the order a run first calls them, and never compiling.
Each check runs in a fresh interpreter (what a process has loaded is process-wide)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from abm import kernel_cache

ROOT = Path(__file__).resolve().parent.parent

# A run (as `abm run` makes it: the draws a month ahead, the split passes) records the
# kernels in the order it first asks numba for them. It also leaves them in the cache.
RECORD = r"""
import json
from numba.core.dispatcher import Dispatcher
order = []
compile_ = Dispatcher.compile
def compile(self, sig):
    name = f"{self.py_func.__module__.rsplit('.', 1)[-1]}.{self.py_func.__name__}"
    if name not in order:
        order.append(name)
    return compile_(self, sig)
Dispatcher.compile = compile
from abm.config import load_config
from abm.runner import build_model
model = build_model(load_config("configs/baseline.yaml", households=2000, months=13),
                    prefetch_draws=True)
for _ in range(13):
    model.step()
print(json.dumps(order))
"""

# A fresh process loads the cached kernels on the helper thread and reports, per kernel
# of FIRST_USE, its overloads and numba's cache misses (compilations).
LOAD = r"""
import json
from abm import build_kernels, kernel_cache, kernels
kernel_cache.load_in_background().join()
mods = {"build_kernels": build_kernels, "kernels": kernels}
out = {}
for name in kernel_cache.FIRST_USE:
    m, f = name.split(".")
    d = getattr(mods[m], f)
    out[name] = [len(d.overloads), sum(d._cache_misses.values())]
print(json.dumps(out))
"""


def _python(code: str) -> str:
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                       text=True, check=True)
    return r.stdout.strip().splitlines()[-1]


@pytest.fixture(scope="module")
def first_use() -> list[str]:
    return json.loads(_python(RECORD))


def test_first_use_is_the_order_a_run_first_calls_the_kernels(first_use):
    # Kept true: a kernel added to (or dropped from) the run, or moved in it, shows here.
    assert first_use == list(kernel_cache.FIRST_USE), (
        "update abm.kernel_cache.FIRST_USE to: " + json.dumps(first_use))


def test_the_helper_loads_every_kernel_from_the_cache_and_compiles_none(first_use):
    loaded = json.loads(_python(LOAD))  # the run of the fixture left them cached
    assert set(loaded) == set(kernel_cache.FIRST_USE)
    for name, (overloads, compiled) in loaded.items():
        assert overloads >= 1, f"{name} was not loaded"
        assert compiled == 0, f"{name} was compiled, not loaded"


def test_no_cache_means_nothing_to_load(tmp_path, monkeypatch):
    # A kernel whose cache index is empty (a fresh clone) gives no signature to load.
    from abm import kernels

    cache = kernels.median_pair._cache
    monkeypatch.setattr(cache._cache_file, "_index_path", str(tmp_path / "none.nbi"))
    assert kernel_cache._cached_signatures(kernels.median_pair) == []
