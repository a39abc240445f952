"""Texts in two languages: simplified Chinese (``zh``) and English (``en``).

Every user-facing text lives in the catalogs under ``abm/locales/``:

- ``en.yaml`` / ``zh.yaml``: messages by dotted key, with ``{name}`` placeholders;
- ``glossary.yaml``: the field's vocabulary (防止返贫动态监测, 低保, Smith's factors, ...);
  any catalog text names a term as ``[[key]]`` and gets it in its own language;
- ``params.yaml``: labels and meanings of the config parameters by dotted path;
- ``metrics.yaml``: output series (labels, units, which direction is better), causes
  of returns to poverty and the payers of budget lines.

The language: ``--lang`` (CLI) or the page's switch; else ``$ABM_LANG``; else the
locale (``LC_ALL``, ``LC_MESSAGES``, ``LANG`` starting with ``zh``); else English.
``tests/test_i18n.py`` fails when a text exists in one language only.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import yaml

LANGS = ("en", "zh")
LANG_NAMES = {"en": "English", "zh": "中文"}
ENV = "ABM_LANG"
LOCALES = Path(__file__).resolve().parent / "locales"
TERM = re.compile(r"\[\[([a-z_]+)\]\]")
INSTRUMENT_FIELDS = ("enabled", "start_year", "end_year", "kept_after_transition")


_chosen: str | None = None


def set_lang(lang: str | None) -> None:
    """The language chosen for this process (``abm --lang``); None: the default."""
    global _chosen
    _chosen = None if lang is None else check_lang(lang)


def current_lang() -> str:
    """``--lang`` if given, else :func:`default_lang`."""
    return _chosen or default_lang()


def check_lang(lang: str) -> str:
    """``lang`` if it is one we have, else ValueError naming the choices."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; allowed: {', '.join(LANGS)}")
    return lang


def default_lang(environ: Mapping[str, str] | None = None) -> str:
    """``$ABM_LANG`` if set (en or zh), else from the locale, else English."""
    env = os.environ if environ is None else environ
    chosen = env.get(ENV, "").strip().lower()
    if chosen:
        chosen = chosen.split("_")[0].split("-")[0]
        return chosen if chosen in LANGS else "en"
    for var in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(var, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def _read(name: str) -> Any:
    return yaml.safe_load((LOCALES / name).read_text(encoding="utf-8"))


@cache
def glossary() -> dict[str, dict[str, str]]:
    """term key -> {"en": ..., "zh": ..., "note": English one-line meaning}."""
    return {k: {"en": v[0], "zh": v[1], "note": v[2]} for k, v in _read("glossary.yaml").items()}


def expand(text: str, lang: str) -> str:
    """Replace ``[[term]]`` by the glossary's term in ``lang`` (KeyError if unknown)."""
    terms = glossary()
    return TERM.sub(lambda m: terms[m.group(1)][lang], text)


def _flatten(tree: dict[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in tree.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, path + "."))
        else:
            out[path] = str(value)
    return out


@cache
def messages(lang: str) -> dict[str, str]:
    """All messages of one language, flat by dotted key, glossary terms expanded."""
    raw = _flatten(_read(f"{check_lang(lang)}.yaml"))
    return {k: expand(v, lang) for k, v in raw.items()}


def t(key: str, lang: str = "en", **values: Any) -> str:
    """The message ``key`` in ``lang`` with ``{placeholders}`` filled in."""
    text = messages(lang)[key]
    return text.format(**values) if values else text


def term(key: str, lang: str) -> str:
    return glossary()[key][lang]


# ------------------------------------------------------------------ parameters
@cache
def _params() -> dict[str, Any]:
    return _read("params.yaml")


def _schema_meanings() -> dict[str, str]:
    from abm.config import parameter_table

    return {r["key"]: r["meaning"] for r in parameter_table()}


@cache
def _meanings_en() -> dict[str, str]:
    return _schema_meanings()


def _param_entry(path: str) -> tuple[str, str, str] | None:
    """(en label, zh label, zh meaning) of a parameter, instrument fields composed."""
    data = _params()
    if path in data["params"]:
        return tuple(data["params"][path])  # type: ignore[return-value]
    section, _, field = path.rpartition(".")
    if field in INSTRUMENT_FIELDS and section in data["sections"]:
        en, zh, meaning = data["instrument_fields"][field]
        return en[0].upper() + en[1:], zh, meaning
    return None


def param_label(path: str, lang: str) -> str:
    """A parameter's short human label, e.g. ``Transition end year`` / ``过渡期结束年份``."""
    entry = _param_entry(path)
    if entry is None:
        raise KeyError(f"no label for parameter {path!r} in abm/locales/params.yaml")
    return expand(entry[0] if lang == "en" else entry[1], lang)


def param_full_label(path: str, lang: str) -> str:
    """The label with its instrument or section when nested: ``Medical expense cap:
    enabled`` / ``个人医疗费用封顶：启用``; the dotted path if the catalog lacks it."""
    try:
        label = param_label(path, lang)
    except KeyError:
        return path
    section = path.rsplit(".", 1)[0]
    if section.count(".") >= 1 and section in _params()["sections"]:
        sep = ": " if lang == "en" else "："
        label = label[0].lower() + label[1:] if lang == "en" else label
        return f"{section_title(section, lang)}{sep}{label}"
    return label


def param_meaning(path: str, lang: str) -> str:
    """The one-line meaning: the schema's (English) or the catalog's (Chinese)."""
    if lang == "en":
        return _meanings_en()[path]
    entry = _param_entry(path)
    if entry is None:
        raise KeyError(f"no meaning for parameter {path!r} in abm/locales/params.yaml")
    return expand(entry[2], lang)


def section_title(section: str, lang: str) -> str:
    """``policy.medical_cap`` -> ``Medical expense cap`` / ``个人医疗费用封顶``."""
    en, zh = _params()["sections"][section]
    return expand(en if lang == "en" else zh, lang)


def param_unit(unit: str, lang: str) -> str:
    """A schema unit in ``lang`` ("" for dimensionless)."""
    en, zh = _params()["units"][unit or ""]
    return en if lang == "en" else zh


# --------------------------------------------------------------------- metrics
@dataclass(frozen=True)
class MetricText:
    column: str
    label: str
    unit_key: str
    unit: str
    better: str  # "up", "down" or "none"
    meaning: str

    @property
    def percent(self) -> bool:
        return self.unit_key == "share"


@cache
def _metrics() -> dict[str, Any]:
    return _read("metrics.yaml")


def has_metric(column: str) -> bool:
    return column in _metrics()["metrics"]


def metric(column: str, lang: str) -> MetricText:
    """Label, unit, better direction and meaning of an output series."""
    entry = _metrics()["metrics"][column]
    en, zh, unit, better, meaning_en, meaning_zh = entry
    units = _metrics()["units"][unit]
    i = LANGS.index(lang)
    return MetricText(column, expand((en, zh)[i], lang), unit, units[i], better,
                      expand((meaning_en, meaning_zh)[i], lang))


def cause(name: str, lang: str) -> str:
    """A measured cause of a return to poverty (``illness`` -> ``疾病``)."""
    return _metrics()["causes"][name][LANGS.index(lang)]


def payer(name: str, lang: str) -> str:
    """Who pays a budget line (``civil_affairs`` -> ``民政（低保）``)."""
    return _metrics()["payers"][name][LANGS.index(lang)]


def better_text(better: str, lang: str) -> str:
    return t(f"better.{better}", lang)


def format_metric(m: MetricText, value: float, lang: str, signed: bool = False) -> str:
    """A value with its unit: ``0.83%``, ``219 households``, ``1.2 million yuan``."""
    sign = "+" if signed and value > 0 else ""
    if m.percent:
        return f"{sign}{100 * value:.1f}{'pp' if signed else '%'}" if lang == "en" else (
            f"{sign}{100 * value:.1f}{'个百分点' if signed else '%'}")
    amount = format_amount(value, lang)
    glue = "" if lang == "zh" and amount.endswith(("万", "亿")) else " "
    return f"{sign}{amount}{glue}{m.unit}".strip()


def format_interval(m: MetricText, value: float, low: float, high: float, lang: str,
                    signed: bool = False) -> str:
    """``39.0 [34.6, 43.4] households``, ``+0.6 [0.1, 1.1] pp``: the unit once. Shares
    get one decimal, more when the largest of the three is under 1 point (``-0.068
    [-0.086, -0.051] pp``), so a small difference does not print as ``-0.0``."""
    finite = [abs(100 * x) for x in (value, low, high) if x == x]
    top = max(finite) if finite else 1.0
    places = 1 if top >= 1 else 2 if top >= 0.1 else 3

    def num(x: float, sign: bool) -> str:
        if x != x:  # NaN: no interval from one value
            return "-"
        s = "+" if sign and x > 0 else ""
        if m.percent:
            return f"{s}{100 * x:.{places}f}"
        return s + (f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.3g}")
    unit = m.unit
    if m.percent:
        unit = ("pp" if lang == "en" else "个百分点") if signed else "%"
    glue = "" if unit == "%" else " "
    return f"{num(value, signed)} [{num(low, False)}, {num(high, False)}]{glue}{unit}"


def format_amount(value: float, lang: str) -> str:
    """Large numbers the way readers of each language count: 1.2 million / 120 万."""
    a = abs(value)
    if lang == "zh":
        if a >= 1e8:
            return f"{value / 1e8:.2f} 亿"
        if a >= 1e6:
            return f"{value / 1e4:,.1f} 万"
    elif a >= 1e6:
        return f"{value / 1e6:,.2f} million"
    if a >= 100 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}"


# ----------------------------------------------------------------- zh reference
def parameters_markdown_zh() -> str:
    """``docs/parameters.zh.md``: every schema parameter with its Chinese label, unit
    and meaning (the English reference is ``docs/parameters.md``)."""
    from abm.config import parameter_table

    def fmt(v: Any) -> str:
        if v is None:
            return ""
        return f"{v:g}" if isinstance(v, float) else str(v)

    lines = ["# 参数（中文）", "",
             "由 `uv run python -m abm.i18n` 根据 `abm/config.py` 的配置模式和 "
             "`abm/locales/params.yaml` 生成，请勿手工编辑。英文版见 `docs/parameters.md`。",
             "除单位另有说明外，金额为每年的元数。", ""]
    section = None
    for row in parameter_table():
        key = row["key"]
        top = key.split(".")[0]
        if top != section:
            section = top
            lines += ["", f"## {section_title(section, 'zh')}（`{section}`）", "",
                      "| 参数 | 名称 | 默认值 | 范围 | 单位 | 含义 |", "|---|---|---|---|---|---|"]
        rng = f"{fmt(row['min'])} .. {fmt(row['max'])}" if (
            row["min"] is not None or row["max"] is not None) else ""
        lines.append(f"| `{key}` | {param_full_label(key, 'zh')} | {fmt(row['default'])} | "
                     f"{rng} | {param_unit(row['unit'] or '', 'zh')} | "
                     f"{param_meaning(key, 'zh')} |")
    return "\n".join(lines) + "\n"


PARAMETERS_ZH = Path(__file__).resolve().parent.parent / "docs" / "parameters.zh.md"

if __name__ == "__main__":
    PARAMETERS_ZH.write_text(parameters_markdown_zh(), encoding="utf-8")
    print(f"wrote {PARAMETERS_ZH}")
