"""The baseline still gives the recorded results (regenerate with tests/regen_golden.py).

On a mismatch the message says which series moved, from which month and by how much,
and which headline numbers changed (in the spirit of Starsim's ``diff_sims``).
"""

from __future__ import annotations

import json

from tests.regen_golden import GOLDEN, compute


def diff_report(want: dict, got: dict) -> list[str]:
    """Human-readable differences between two golden records (empty when equal)."""
    lines: list[str] = []
    if got["n_events"] != want["n_events"]:
        lines.append(f"n_events: {want['n_events']} -> {got['n_events']}")

    def walk(a, b, path):
        if isinstance(a, dict) and isinstance(b, dict):
            for k in sorted(set(a) | set(b)):
                if k not in b:
                    lines.append(f"headline {path}{k}: gone (was {a[k]!r})")
                elif k not in a:
                    lines.append(f"headline {path}{k}: new ({b[k]!r})")
                else:
                    walk(a[k], b[k], f"{path}{k}.")
        elif a != b:
            lines.append(f"headline {path.rstrip('.')}: {a!r} -> {b!r}")

    walk(want["headline"], got["headline"], "")
    for name in sorted(set(want["series"]) | set(got["series"])):
        a, b = want["series"].get(name), got["series"].get(name)
        if a is None or b is None:
            lines.append(f"series {name}: {'new' if a is None else 'gone'}")
            continue
        if a == b:
            continue
        if len(a) != len(b):
            lines.append(f"series {name}: {len(a)} -> {len(b)} months")
            continue
        moved = [i for i, (x, y) in enumerate(zip(a, b, strict=True)) if x != y]
        worst = max(moved, key=lambda i: abs(b[i] - a[i]))
        lines.append(f"series {name}: {len(moved)} of {len(a)} months differ from month "
                     f"{moved[0]}; largest at month {worst}: {a[worst]} -> {b[worst]} "
                     f"({b[worst] - a[worst]:+.6g})")
    return lines


def test_matches_golden_baseline():
    want = json.loads(GOLDEN.read_text())
    got = json.loads(json.dumps(compute()))
    report = diff_report(want, got)
    assert not report, ("the baseline moved (if intended, run tests/regen_golden.py and "
                        "say why in the commit):\n  " + "\n  ".join(report))


def test_diff_report_names_what_moved():
    want = {"n_events": 3, "headline": {"a": 1, "by": {"x": 2}},
            "series": {"s": [0.1, 0.2, 0.3], "t": [1.0]}}
    got = {"n_events": 4, "headline": {"a": 1, "by": {"x": 5, "y": 0}},
           "series": {"s": [0.1, 0.25, 0.4], "t": [1.0]}}
    report = diff_report(want, got)
    assert report[0] == "n_events: 3 -> 4"
    assert "headline by.x: 2 -> 5" in report
    assert "headline by.y: new (0)" in report
    assert any(r.startswith("series s: 2 of 3 months differ from month 1; largest at "
                            "month 2: 0.3 -> 0.4") for r in report)
    assert not any("series t" in r for r in report)
    assert diff_report(want, want) == []
