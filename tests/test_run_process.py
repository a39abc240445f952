"""How ``abm run`` treats the garbage collector around its imports and at exit (each in
a fresh interpreter: the settings are process-wide)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str) -> list[str]:
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                       text=True, check=True)
    return r.stdout.split()


def test_run_imports_are_frozen_and_the_collector_is_on_again():
    out = _python("import gc; from abm import cli; n = gc.get_freeze_count(); "
                  "cli._import_for_run(); import abm.runner, mesa; "
                  "print(gc.get_freeze_count() - n > 10_000, gc.isenabled())")
    assert out == ["True", "True"]


def test_a_process_with_mesa_already_is_left_as_it_is():
    out = _python("import gc, mesa; from abm import cli; n = gc.get_freeze_count(); "
                  "cli._import_for_run(); print(gc.get_freeze_count() - n, gc.isenabled())")
    assert out == ["0", "True"]


def test_exit_freezes_what_is_alive_before_the_last_collections():
    # atexit runs the last registered first: the probe, registered before, runs after.
    out = _python("import atexit, gc; from abm import cli; n = gc.get_freeze_count(); "
                  "atexit.register(lambda: print('at exit', gc.get_freeze_count() > n)); "
                  "cli._skip_collections_at_exit(); "
                  "print('before', gc.get_freeze_count() - n)")
    assert out == ["before", "0", "at", "exit", "True"]


def test_mesa_spaces_are_deferred_and_load_when_used():
    # `abm run` does not use Mesa's grids and networks (scipy.spatial, networkx): they
    # are imported the first time they are used, as the same module objects.
    out = _python(
        "import sys; from abm import cli; cli._import_for_run(); import mesa; "
        "print(all(m not in sys.modules for m in ('networkx', 'scipy.spatial'))); "
        "ds = sys.modules['mesa.discrete_space']; "
        "from mesa.discrete_space import OrthogonalMooreGrid; "
        "from mesa.space import MultiGrid; "
        "from mesa.experimental.continuous_space import ContinuousSpace; "
        "import mesa.discrete_space.grid as g; "
        "print(ds is mesa.discrete_space, g.OrthogonalMooreGrid is OrthogonalMooreGrid, "
        "type(ds) is type(sys), 'networkx' in sys.modules)")
    assert out == ["True", "True", "True", "True", "True"]


def test_numba_is_ready_with_scipy_linalg_deferred():
    # numba's registries are loaded with the imports (its BLAS check finds
    # scipy.linalg.cython_blas); scipy.linalg itself runs when first used.
    out = _python(
        "import sys; from abm import cli; cli._import_for_run(); "
        "la = sys.modules['scipy.linalg']; print(type(la) is not type(sys)); "
        "import numba.np.arraymath as am; print(am._HAVE_BLAS); "
        "from scipy.linalg import solve; import numpy as np; "
        "print(type(la) is type(sys), float(solve(np.eye(2), np.ones(2))[0]))")
    assert out == ["True", "True", "True", "1.0"]
