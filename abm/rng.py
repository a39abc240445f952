"""Named random streams derived from one run seed (DESIGN §7).

Each phase owns a ``numpy.random.Generator`` derived from the run seed and the
phase's fixed name through ``SeedSequence``; adding a phase, or switching a
policy on, never changes another phase's draws. Names are hashed with blake2b,
never Python's ``hash()`` (which changes with PYTHONHASHSEED).
"""

from __future__ import annotations

import hashlib

import numpy as np


def name_key(name: str) -> int:
    """A stable 64-bit integer for a stream name."""
    return int.from_bytes(hashlib.blake2b(name.encode("utf-8"), digest_size=8).digest(), "big")


def stream(seed: int, name: str) -> np.random.Generator:
    """The generator for stream ``name`` of a run with root ``seed``."""
    ss = np.random.SeedSequence(entropy=int(seed), spawn_key=(name_key(name),))
    return np.random.Generator(np.random.PCG64(ss))


class Streams:
    """Lazily created named generators for one run."""

    def __init__(self, seed: int):
        self.seed = int(seed)
        self._gens: dict[str, np.random.Generator] = {}

    def __getitem__(self, name: str) -> np.random.Generator:
        gen = self._gens.get(name)
        if gen is None:
            gen = self._gens[name] = stream(self.seed, name)
        return gen

    def names(self) -> list[str]:
        return sorted(self._gens)
