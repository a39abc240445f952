"""Shared fixtures: small configs and hand-built populations."""

from __future__ import annotations

import numpy as np
import pytest

from abm.config import Config, load_config
from abm.context import MonthContext
from abm.households import Households
from abm.instruments.registry import Instruments


@pytest.fixture
def small_cfg() -> Config:
    return load_config(None, households=1500, months=24)


def make_households(n: int = 4, **cols) -> Households:
    """A hand-built population: n households in one village, columns set explicitly."""
    hh = Households(n, np.zeros(n, np.int32), np.zeros(n, np.int32))
    defaults = dict(size=3, n_labour=2, n_children=1, n_elderly=0, age_head=45.0, land=6.0,
                    education=8.0, skills=0.5, motivation=0.6, trust=0.6)
    defaults.update(cols)
    for name, v in defaults.items():
        getattr(hh, name)[:] = v
    return hh


def make_ctx(n: int, month: int = 1, cfg: Config | None = None, **kw) -> MonthContext:
    """A month context for phase tests: every enabled instrument in full force, an
    unbounded budget, the instruments of ``cfg`` (defaults if None)."""
    from abm.budget import Budget

    instruments = Instruments(cfg or Config())
    levels = {i.name: float(i.p is None or i.p.enabled) for i in instruments}
    levels.update(kw.pop("levels", {}))
    budget = kw.pop("budget", None)
    if budget is None:
        budget = Budget()
        budget.new_year({k: float("inf") for k, line in budget.lines.items() if line.bounded})
    base = dict(month=month, january=(month % 12 == 0), wage_index=1.0,
                farm_price=np.ones(n), poverty_line=4000.0, dibao_line=5500.0,
                levels=levels, budget=budget, instruments=instruments)
    base.update(kw)
    if np.isscalar(base["farm_price"]):
        base["farm_price"] = np.full(n, float(base["farm_price"]))
    return MonthContext(**base)


def assert_bad_set(setting: str, tmp_path, capsys) -> None:
    """``abm run --set SETTING`` is bad input: exit 2, one ``abm: error:`` line naming
    the key, and no output folder."""
    from abm.cli import main

    key = setting.split("=", 1)[0]
    assert main(["run", "configs/baseline.yaml", "--months", "2", "--households", "100",
                 "--set", setting, "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("abm: error: "), err
    assert key in err[0]
    assert not (tmp_path / "o").exists()
