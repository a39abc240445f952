"""The baseline still gives the recorded results (regenerate with tests/regen_golden.py)."""

from __future__ import annotations

import json

from tests.regen_golden import GOLDEN, compute


def test_matches_golden_baseline():
    want = json.loads(GOLDEN.read_text())
    got = json.loads(json.dumps(compute()))
    assert got["n_events"] == want["n_events"]
    assert got["headline"] == want["headline"]
    assert got["series"] == want["series"]
