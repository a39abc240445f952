"""Policy controls generated from the config schema (labels, ranges, help).

``abm.config.parameter_table()`` is the one source of parameters, ranges and units:
a parameter added to the schema's ``policy``, ``implementers`` or ``assessment``
section shows up here. Labels and meanings in both languages come from
``abm/locales/params.yaml`` (``abm.i18n``). A value out of range is refused with a
field error naming the allowed range, never silently changed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from abm import i18n
from abm.config import parameter_table

# The idealized policy, and the rules the implementing organisation works under.
CONTROL_SECTIONS = ("policy.", "implementers.", "assessment.")


@dataclass(frozen=True)
class ControlSpec:
    key: str
    kind: str  # "switch", "slider", "int", "float"
    minimum: float | None
    maximum: float | None
    unit: str  # as in the schema

    def label(self, lang: str = "en") -> str:
        """``Medical expense cap: cap [yuan/household/year]`` in ``lang``."""
        text = i18n.param_label(self.key, lang)
        section = self.group
        if section.count(".") >= 1:  # an instrument's own parameter: say which instrument
            sep = ": " if lang == "en" else "："
            lowered = text[0].lower() + text[1:] if lang == "en" else text
            text = f"{i18n.section_title(section, lang)}{sep}{lowered}"
        unit = i18n.param_unit(self.unit, lang)
        return f"{text} [{unit}]" if unit else text

    def meaning(self, lang: str = "en") -> str:
        return i18n.param_meaning(self.key, lang)

    @property
    def group(self) -> str:
        """The schema section the control belongs to, e.g. ``policy.medical_cap``."""
        return self.key.rsplit(".", 1)[0]

    def allowed(self, lang: str = "en") -> str:
        unit = i18n.param_unit(self.unit, lang)
        return i18n.t("field.range", lang, low=_num(self.minimum), high=_num(self.maximum),
                      unit=unit).strip()

    def help(self, lang: str = "en") -> str:
        rng = ""
        if self.minimum is not None or self.maximum is not None:
            rng = " " + self.allowed(lang)
        end = "." if lang == "en" else "。"
        return f"{self.meaning(lang)}{end}{rng}"

    def check(self, value: float, lang: str = "en") -> str | None:
        """None if ``value`` is allowed, else a field error naming the range."""
        low = self.minimum is not None and value < self.minimum
        high = self.maximum is not None and value > self.maximum
        if low or high:
            return i18n.t("field.out_of_range", lang, value=_num(value),
                          allowed=self.allowed(lang))
        return None


def _num(x: float | None) -> str:
    if x is None:
        return "-"
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
        specs.append(ControlSpec(row["key"], _kind(row), row["min"], row["max"],
                                 row["unit"] or ""))
    return specs


def group_title(section: str, lang: str = "en") -> str:
    """``policy.medical_cap`` -> ``Medical expense cap`` / ``个人医疗费用封顶``."""
    return i18n.section_title(section, lang)


def grouped(specs: list[ControlSpec]) -> dict[str, list[ControlSpec]]:
    """Controls by schema section, in schema order."""
    out: dict[str, list[ControlSpec]] = {}
    for spec in specs:
        out.setdefault(spec.group, []).append(spec)
    return out
