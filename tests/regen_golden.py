"""Regenerate the golden baseline on purpose: `uv run python tests/regen_golden.py`.

Run it only when a change to the model's behaviour is intended, and say so in the commit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

GOLDEN = ROOT / "tests" / "golden" / "baseline_small.json"
ARGS = dict(households=2000, months=36, seed=11)
SERIES = ("poverty_rate", "poverty_rate_registered", "income_pc", "new_returned_to_poverty",
          "mean_motivation", "share_workers_migrant", "n_at_risk", "n_monitored", "n_dibao",
          "n_in_posts", "n_coop_members", "help_m", "income_pc_public_transfers",
          "medical_oop_m", "smith_policy_coverage", "smith_org_paperwork_share",
          "smith_org_months_to_monitoring", "smith_target_transfer_reliance")


def compute() -> dict:
    from abm.config import load_config
    from abm.runner import simulate

    cfg = load_config(ROOT / "configs" / "baseline.yaml", **ARGS)
    res = simulate(cfg)
    ts = res.timeseries
    return {
        "args": ARGS,
        "headline": res.summary["headline"],
        "series": {k: [round(float(v), 6) for v in ts[k]] for k in SERIES},
        "n_events": int(len(res.events)),
    }


if __name__ == "__main__":
    GOLDEN.parent.mkdir(parents=True, exist_ok=True)
    GOLDEN.write_text(json.dumps(compute(), indent=1) + "\n")
    print(f"wrote {GOLDEN}")
