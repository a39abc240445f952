"""Decisions phase: migration choices, and households' own choices about instruments
(``decide`` hooks, e.g. taking a loan). All households at once."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import rules

if TYPE_CHECKING:
    from abm.config import Config
    from abm.context import MonthContext
    from abm.households.state import Households


def decisions(hh: Households, cfg: Config, rng: np.random.Generator,
              ctx: MonthContext) -> None:
    """Leave to work, come home for good, go back after a job loss (one draw per
    household and choice); placements bought by instruments (employment help) make going
    back more likely. Then each instrument's ``decide`` hook."""
    e = cfg.economy
    u = rng.random((4, hh.n), dtype=np.float32)
    free = rules.free_to_leave(hh)
    drive = e.migration_drive * hh.motivation * (e.migration_skill_base + hh.skills)
    epidemic = 1.0 - ctx.epidemic_idle
    go = (free > 0) & (u[0] < np.minimum(1.0, e.p_start_migrating * drive * epidemic))
    back = (hh.n_migrants > 0) & (u[1] < np.minimum(1.0, hh.n_migrants * e.p_return_migrant))
    p_again = e.p_remigrate * e.remigrate_drive * hh.motivation * epidemic
    again_plain = u[2] < np.minimum(1.0, p_again)
    extra = np.zeros(hh.n, bool)
    for inst in ctx.instruments.hooked("job_placements"):
        got = inst.job_placements(hh, ctx, p_again, u[2], again_plain)
        if got is not None:
            extra |= got
    again = (hh.n_jobless > 0) & (again_plain | extra)
    give_up = (hh.n_jobless > 0) & ~again & (u[3] < e.p_give_up)
    hh.n_migrants += go.astype(np.int16) - back + again
    hh.n_jobless -= again.astype(np.int16) + give_up
    # Members who became unable to work leave the migrant pool.
    hh.n_jobless = np.minimum(hh.n_jobless, np.maximum(hh.n_labour - hh.n_migrants, 0)
                              ).astype(np.int16)
    hh.n_migrants = np.minimum(hh.n_migrants, hh.n_labour).astype(np.int16)
    for inst in ctx.instruments.hooked("decide"):
        inst.decide(hh, ctx)
