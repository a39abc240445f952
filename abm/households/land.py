"""Land rental (土地流转): each January a household lets the contracted land its own
labour cannot work, for the year, and the lease pays rent or, lent to kin and
neighbours, none. Rent is property income (NBS counts the rent of contracted land as
property income). The tenants (co-operatives, large farmers, kin) are outside the
model: the let land's harvest is theirs, its rent the household's. The month's earnings
(``abm.kernels.earnings_pass``) farm ``land - land_let`` and add ``rent_m`` to property
income; with ``economy.rent_follows_price`` a paying tenant pays it only as far as its
profit at the village sector's price allows (``clip(1 + industry.price_sensitivity x
(price - 1), 0, 1)`` of it), the rest a market loss."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from abm import rules

if TYPE_CHECKING:
    from abm.config import Config
    from abm.households.state import Households


def leases(hh: Households, cfg: Config, rng: np.random.Generator,
           wage_index: float) -> None:
    """The year's leases. ``land_let`` = ``land_let_share`` x the land beyond what the
    household's farm labour works (``rules.farm_capacity_mu``); the lease pays rent
    (``rent_m``, ``land_rent_per_mu`` / 12 a mu at this January's wage index, fixed for
    the year) unless the household lends its land to kin and neighbours
    (``rent_free``: chance ``rent_free_share``, drawn at its first lease, one draw per
    household, and kept: whom a household lends to does not change by the year). Land
    let stays let until the next January: members who come home during the year find it
    farmed by the tenant."""
    e = cfg.economy
    if not hh.lease_terms_drawn:
        hh.rent_free[:] = rng.random(hh.n, dtype=np.float32) < e.rent_free_share
        hh.lease_terms_drawn = True
    idle = np.maximum(hh.land - rules.farm_capacity_mu(hh, cfg), 0.0)
    hh.land_let[:] = idle * e.land_let_share
    hh.rent_m[:] = np.where(hh.rent_free, 0.0,
                            hh.land_let * (e.land_rent_per_mu / 12.0 * wage_index))

