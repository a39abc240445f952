"""Households: state as a structure of arrays (``state``), the initial population
(``population``) and one module per monthly phase (``health``, ``work``, ``spending``,
``learning``, ``decisions``, ``status``), and small household businesses (``business``)."""

from abm.households.business import businesses
from abm.households.decisions import decisions
from abm.households.health import health
from abm.households.learning import learning, psych, psych_counselled
from abm.households.population import generate, start_of_run
from abm.households.spending import spending
from abm.households.state import (
    CAUSE_INDEX,
    CAUSES,
    COLUMNS,
    EVENTS,
    INCOME_COLUMNS,
    NO_CAUSE,
    NO_ID,
    NO_MONTH,
    RETURN_CAUSES,
    Event,
    Household,
    Households,
)
from abm.households.status import status
from abm.households.work import work_income

__all__ = [
    "CAUSES", "CAUSE_INDEX", "COLUMNS", "EVENTS", "INCOME_COLUMNS", "NO_CAUSE", "NO_ID",
    "NO_MONTH", "RETURN_CAUSES", "Event", "Household", "Households", "businesses", "decisions",
    "generate",
    "health", "learning", "psych", "psych_counselled", "spending", "start_of_run", "status",
    "work_income",
]
