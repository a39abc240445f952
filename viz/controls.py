"""Policy controls generated from the config schema (labels, ranges, help).

``abm.config.parameter_table()`` is the one source: a parameter added to the
schema's ``policy`` section shows up here with its range, unit and meaning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from abm.config import parameter_table

# The idealized policy, and the rules the implementing organisation works under.
CONTROL_SECTIONS = ("policy.", "implementers.", "assessment.")


@dataclass(frozen=True)
class ControlSpec:
    key: str
    label: str
    kind: str  # "switch", "slider", "int", "float"
    minimum: float | None
    maximum: float | None
    unit: str
    meaning: str

    @property
    def group(self) -> str:
        """The schema section the control belongs to, e.g. ``policy.medical_cap``."""
        return self.key.rsplit(".", 1)[0]

    @property
    def help(self) -> str:
        rng = ""
        if self.minimum is not None or self.maximum is not None:
            rng = f" Range {_num(self.minimum)} to {_num(self.maximum)}"
            rng += f" {self.unit}." if self.unit and self.unit != "-" else "."
        return f"{self.meaning}.{rng}"

    def clamp(self, value: float) -> float:
        if self.minimum is not None:
            value = max(value, self.minimum)
        if self.maximum is not None:
            value = min(value, self.maximum)
        return value


def _num(x: float | None) -> str:
    if x is None:
        return "any"
    if float(x).is_integer():
        return f"{int(x)}" if abs(x) < 10_000 else f"{int(x):,}"
    return f"{x:g}"


def _kind(row: dict[str, Any]) -> str:
    if row["type"] == "bool":
        return "switch"
    lo, hi = row["min"], row["max"]
    if row["type"] == "float" and lo is not None and hi is not None and hi - lo <= 1:
        return "slider"
    return "int" if row["type"] == "int" else "float"


def control_specs(sections: tuple[str, ...] = CONTROL_SECTIONS) -> list[ControlSpec]:
    """One control per numeric or boolean parameter of the given schema sections."""
    specs = []
    for row in parameter_table():
        if not row["key"].startswith(sections) or row["type"] not in ("bool", "int", "float"):
            continue
        parts = row["key"].split(".")
        unit = row["unit"] if row["unit"] not in ("", "-") else ""
        label = parts[-1].replace("_", " ").capitalize() + (f" [{unit}]" if unit else "")
        if len(parts) > 2:  # an instrument's own parameter: say which instrument
            label = f"{group_title(parts[-2])}: {label[0].lower()}{label[1:]}"
        specs.append(ControlSpec(row["key"], label, _kind(row), row["min"], row["max"],
                                 row["unit"], row["meaning"]))
    return specs


def group_title(section: str) -> str:
    """``policy.medical_cap`` or ``medical_cap`` -> ``Medical cap``."""
    return section.rsplit(".", 1)[-1].replace("_", " ").capitalize()


def grouped(specs: list[ControlSpec]) -> dict[str, list[ControlSpec]]:
    """Controls by schema section, in schema order."""
    out: dict[str, list[ControlSpec]] = {}
    for spec in specs:
        out.setdefault(spec.group, []).append(spec)
    return out
