"""One browser tab's simulation: presets, settings, the model and its history.

Nothing here is created at import time: every tab makes its own :class:`Session`
from :class:`Settings`, through :func:`abm.runner.build_model`.
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
import yaml

import abm
from abm.config import Config, load_config
from abm.model import CountyModel
from abm.runner import build_model

REPO_ROOT = Path(abm.__file__).resolve().parent.parent
# Extra preset files or folders (os.pathsep-separated), e.g. for a user's own scenarios.
PRESETS_ENV = "ABM_VIZ_PRESETS"
EVENT_RETURNED = "returned_to_poverty"
SPENT_PREFIX = "spent_"


@dataclass(frozen=True)
class Preset:
    label: str
    path: Path


def _preset_label(path: Path) -> str:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        name = data.get("county", {}).get("name")
    except (OSError, yaml.YAMLError, AttributeError):
        name = None
    return f"{name} ({path.stem})" if name else path.stem


def preset_intro(path: str | Path, lang: str) -> str:
    """A line or two on the preset: the catalog's (``presets.<file stem>``) for the
    shipped presets, else the comment block at the top of a user's file."""
    from abm import i18n

    key = f"presets.{Path(path).stem}"
    if key in i18n.messages(lang):
        return i18n.t(key, lang)
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    head = []
    for line in lines:
        if not line.startswith("#"):
            break
        head.append(line.lstrip("# ").strip())
    return " ".join(x for x in head if x)


def preset_display(p: Preset, lang: str) -> str:
    """``基准县 (baseline)``: a shipped preset's name in ``lang``; others as labelled."""
    from abm import i18n

    key = f"county_names.{p.path.stem}"
    if key in i18n.messages(lang) and p.label == f"{i18n.t(key, 'en')} ({p.path.stem})":
        return f"{i18n.t(key, lang)} ({p.path.stem})"
    return p.label


def county_name(s: Session, lang: str) -> str:
    """The county's name in ``lang`` for the shipped presets (``county_names.<stem>``);
    a user's own preset keeps the name its file gives."""
    from abm import i18n

    key = f"county_names.{Path(s.settings.preset).stem}"
    name = s.config.county.name
    if key in i18n.messages(lang) and name == i18n.t(key, "en"):
        return i18n.t(key, lang)
    return name


def _yaml_files(where: Path) -> list[Path]:
    if where.is_dir():
        return sorted(p for p in where.glob("*.y*ml") if p.suffix in (".yaml", ".yml"))
    return [where] if where.is_file() else []


def discover_presets(root: Path = REPO_ROOT, extra: str | None = None) -> list[Preset]:
    """configs/baseline.yaml, configs/counties/*.yaml, then any in ``$ABM_VIZ_PRESETS``."""
    extra = os.environ.get(PRESETS_ENV, "") if extra is None else extra
    paths = [root / "configs" / "baseline.yaml", *_yaml_files(root / "configs" / "counties")]
    for item in filter(None, extra.split(os.pathsep)):
        paths.extend(_yaml_files(Path(item)))
    seen: set[Path] = set()
    out = []
    for p in paths:
        if p.is_file() and p.resolve() not in seen:
            seen.add(p.resolve())
            out.append(Preset(_preset_label(p), p))
    return out


@lru_cache(maxsize=32)
def preset_config(path: str) -> Config:
    """The preset as written (cached: presets do not change while the server runs)."""
    return load_config(path)


@dataclass(frozen=True)
class Settings:
    """What Reset builds a model from: a preset plus the user's changes."""

    preset: str  # path of the preset YAML
    seed: int
    households: int
    overrides: tuple[tuple[str, Any], ...] = ()  # (dotted.key, value), policy controls

    @classmethod
    def from_preset(cls, path: str | Path) -> Settings:
        cfg = preset_config(str(path))
        return cls(str(path), cfg.run.seed, cfg.run.households)

    def with_override(self, key: str, value: Any) -> Settings:
        rest = tuple((k, v) for k, v in self.overrides if k != key)
        return replace(self, overrides=(*rest, (key, value)))

    def value_of(self, key: str) -> Any:
        """The value a control shows: the user's change, else the preset's."""
        for k, v in self.overrides:
            if k == key:
                return v
        node: Any = preset_config(self.preset)
        for part in key.split("."):
            node = getattr(node, part)
        return node

    def config(self) -> Config:
        """Validate everything once; raises ``ConfigError`` naming the bad key."""
        sets = [f"{k}={v}" for k, v in self.overrides]
        return load_config(self.preset, sets, seed=self.seed, households=self.households)


@dataclass(eq=False)
class Session:
    """A model and what the page needs from it, month by month."""

    settings: Settings
    config: Config
    model: CountyModel
    history: dict[str, list[float]] = field(default_factory=dict)
    village_returns: np.ndarray = field(default_factory=lambda: np.zeros(0))
    last_village_returns: np.ndarray = field(default_factory=lambda: np.zeros(0))
    # Step clicks (kernel thread) and Play (event loop) must not step the model at once.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def month(self) -> int:
        return int(self.model.month)

    @property
    def months(self) -> int:
        return int(self.config.run.months)

    def can_step(self) -> bool:
        return self.month < self.months

    def step(self) -> None:
        """One month, then record its metrics and where returns to poverty happened."""
        with self._lock:
            if not self.can_step():
                return
            self.model.step()
            for key, value in self.model.metrics.items():
                self.history.setdefault(key, []).append(float(value))
            self.last_village_returns = _returns_by_village(self.model)
            self.village_returns = self.village_returns + self.last_village_returns
            self._record_running_totals()

    def _record_running_totals(self) -> None:
        """Exits and money spent since month 0 (the model keeps only monthly flows)."""
        h = self.history
        exits = h.get("new_exited_poverty", [0.0])[-1]
        spent = sum(v[-1] for k, v in h.items()
                    if k.startswith(SPENT_PREFIX) and k.endswith("_m"))
        for key, add in (("cum_exited_poverty", exits), ("spent_total", spent)):
            before = h[key][-1] if h.get(key) else 0.0
            h.setdefault(key, []).append(before + float(add))


@dataclass(eq=False)
class Lab:
    """The comparison on one page: the preset as is, and the same county (same seed,
    households and so the same random draws: common random numbers) with the user's
    changes. ``changed`` is None while nothing is changed."""

    base: Session
    changed: Session | None

    @property
    def sessions(self) -> list[Session]:
        return [self.base] + ([self.changed] if self.changed is not None else [])

    @property
    def month(self) -> int:
        return self.base.month

    @property
    def months(self) -> int:
        return self.base.months

    def can_step(self) -> bool:
        return self.base.can_step()

    def step(self) -> None:
        for s in self.sessions:
            s.step()

    def shown(self, which: str) -> Session:
        """The scenario the map and the inspector show: ``base`` or ``changed``."""
        return self.changed if which == "changed" and self.changed is not None else self.base


def new_lab(settings: Settings) -> Lab:
    """Both scenarios, each through ``abm.runner.build_model``; ConfigError if invalid."""
    changed = new_session(settings) if settings.overrides else None
    base = new_session(replace(settings, overrides=()))
    return Lab(base, changed)


def _returns_by_village(model: CountyModel) -> np.ndarray:
    """Households that returned to poverty in the month just run, per village."""
    n_v = model.county.n_villages
    ev = model.events()
    ev = ev[(ev["month"] == model.month - 1) & (ev["event"] == EVENT_RETURNED)]
    return np.bincount(ev["village"].to_numpy(), minlength=n_v).astype(float)


def new_session(settings: Settings) -> Session:
    """Build a model through the one factory (``abm.runner.build_model``)."""
    cfg = settings.config()
    model = build_model(cfg)
    n_v = model.county.n_villages
    return Session(settings, cfg, model, village_returns=np.zeros(n_v),
                   last_village_returns=np.zeros(n_v))
