"""The registry of instruments, built from the classes in ``abm/instruments/``.

Every module of this package (but ``base`` and ``registry``) is imported and each
:class:`~abm.instruments.base.Instrument` subclass with a ``name`` is registered, in
``order``. Adding an instrument is one new module; nothing else lists them by name.
"""

from __future__ import annotations

import importlib
import pkgutil
from functools import cache
from typing import TYPE_CHECKING, Any

from abm.instruments.base import HOOKS, BudgetLine, Instrument

if TYPE_CHECKING:
    from abm.config import Config
    from abm.rng import Streams

_SKIP = {"base", "registry"}


@cache
def classes() -> tuple[type[Instrument], ...]:
    """Every instrument class, in ``order``."""
    import abm.instruments as pkg

    found: list[type[Instrument]] = []
    for info in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda i: i.name):
        if info.name in _SKIP:
            continue
        mod = importlib.import_module(f"{pkg.__name__}.{info.name}")
        for obj in vars(mod).values():
            if (isinstance(obj, type) and issubclass(obj, Instrument) and obj.name
                    and obj.__module__ == mod.__name__):
                found.append(obj)
    found.sort(key=lambda c: c.order)
    names = [c.name for c in found]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise RuntimeError(f"two instruments share the name(s) {sorted(dup)}")
    orders = [c.order for c in found]
    if len(set(orders)) != len(orders):
        raise RuntimeError("two instruments share an order; give each its own")
    return tuple(found)


def names() -> tuple[str, ...]:
    return tuple(c.name for c in classes())


def config_sections() -> dict[str, type]:
    """Section name under ``policy`` -> its pydantic class, in order."""
    return {c.name: c.Config for c in classes() if c.Config is not None}


def budget_lines() -> tuple[BudgetLine, ...]:
    return tuple(line for c in classes() for line in c.lines)


def declared_causes() -> tuple[str, ...]:
    return tuple(cause for c in classes() for cause in c.causes)


def declared_columns() -> dict[str, tuple[Any, tuple[str, ...], str]]:
    out: dict[str, tuple[Any, tuple[str, ...], str]] = {}
    for c in classes():
        out.update(c.columns)
    return out


def declared_fills() -> dict[str, Any]:
    out: dict[str, Any] = {}
    for c in classes():
        out.update(c.fills)
    return out


def ideal_policy() -> dict[str, Any]:
    """Attribution's ideal policy as dotted config overrides, from every instrument."""
    out: dict[str, Any] = {}
    for c in classes():
        for key, value in c.ideal.items():
            out[f"policy.{c.section()}.{key}"] = value
    return out


class Instruments:
    """One model's instruments: instances bound to its config and random streams."""

    def __init__(self, cfg: Config, streams: Streams | None = None):
        self.all: tuple[Instrument, ...] = tuple(c(cfg, streams) for c in classes())
        self.by_name = {i.name: i for i in self.all}
        self._hooked: dict[str, tuple[Instrument, ...]] = {}
        for hook in HOOKS:
            base = getattr(Instrument, hook)
            have = [i for i in self.all if getattr(type(i), hook) is not base]
            if hook == "income":
                have.sort(key=lambda i: i.pays_at)
            elif hook == "medical":
                have.sort(key=lambda i: i.covers_at)
            self._hooked[hook] = tuple(have)

    def __getitem__(self, name: str) -> Instrument:
        return self.by_name[name]

    def __iter__(self):
        return iter(self.all)

    def hooked(self, hook: str) -> tuple[Instrument, ...]:
        """The instruments that act in ``hook``, in the order they act."""
        return self._hooked[hook]

    def levels(self, cal, month: int) -> dict[str, float]:
        return {i.name: i.level(cal, month) for i in self.all}

    def allocations(self, hh, ctx) -> dict[str, float]:
        """The year's allocation of every bounded line the instruments own (January)."""
        out: dict[str, float] = {}
        for i in self.hooked("allocate"):
            out.update(i.allocate(hh, ctx))
        return out
