"""Building blocks of the typed configuration, shared by ``abm.config`` and the
instrument modules (each instrument declares its own config section with them).

Nothing here imports the rest of the model, so any module may use it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

ASSUMPTION = "assumption"  # the source of a behaviour constant no data backs yet
SETTING = "setting of the run or the scenario (not a claim about the county)"


def P(
    default: Any,
    *,
    unit: str,
    doc: str,
    source: str,
    ge: float | None = None,
    le: float | None = None,
    gt: float | None = None,
) -> Any:
    """A parameter: default, range, unit, one-line meaning and its source: a public figure
    or study, ``ASSUMPTION`` where no data backs it yet, or ``SETTING`` for a choice of the
    run or scenario."""
    if not source:
        raise ValueError(f"parameter {doc!r}: give its source, ASSUMPTION or SETTING")
    extra: dict[str, Any] = {"unit": unit, "source": source}
    return Field(default, ge=ge, le=le, gt=gt, description=doc, json_schema_extra=extra)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class InstrumentConfig(Section):
    """What every policy instrument's section has: a switch, a calendar and its fate
    after the transition period."""

    enabled: bool = Field(True, description="Whether the instrument runs at all",
                          json_schema_extra={"source": SETTING})
    start_year: int = P(2015, unit="year", doc="First year the instrument runs", ge=2000,
                        le=2100, source=SETTING)
    end_year: int = P(2100, unit="year", doc="Last year the instrument runs", ge=2000,
                      le=2100, source=SETTING)
    kept_after_transition: float = P(1.0, unit="share", doc="Share of the instrument kept "
                                     "once the transition period ends (1 keep, 0 withdraw), "
                                     "reached over policy.withdrawal_months", ge=0, le=1,
                                     source=SETTING)

    @model_validator(mode="after")
    def _calendar(self) -> InstrumentConfig:
        if self.start_year > self.end_year:
            raise ValueError(f"start_year ({self.start_year}) is after end_year "
                             f"({self.end_year})")
        return self
