"""Generate the state-variable table of the households (``docs/state.md``) from the
column schema: ``python -m abm.state_docs``; a test fails when it has drifted."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
KINDS = {np.bool_: "yes/no", np.int8: "code", np.int16: "count", np.int32: "integer",
         np.float64: "number"}


def state_markdown() -> str:
    from abm.households.state import BASE_COLUMNS, COLUMNS, NO_ID, NO_MONTH

    lines = [
        "# Household state variables",
        "",
        "Generated from `abm/households/state.py` (and the columns instruments declare) by "
        "`python -m abm.state_docs`; do not edit by hand. One row per household and "
        "column. Money columns ending in `_m` are yuan in the current month; other money "
        "is yuan. Month columns hold model months (0 = January 2021, negative in the "
        f"spin-up; {NO_MONTH} means never); index columns hold {NO_ID} for none. "
        "\"Written by\" lists the only phases allowed to change the column (checked by "
        "`CountyModel(check_writes=True)` in the tests).",
        "",
        "| column | kind | written by | meaning | declared by |",
        "|---|---|---|---|---|",
    ]
    for name, (dtype, phases, doc) in COLUMNS.items():
        owner = "households" if name in BASE_COLUMNS else "instrument"
        lines.append(f"| `{name}` | {KINDS.get(dtype, str(dtype))} | {', '.join(phases)} | "
                     f"{doc} | {owner} |")
    lines += ["", "Besides the columns: the loss ledger (income lost by cause in each of the "
              "last 24 months), the 12-month income history and its running sum."]
    return "\n".join(lines) + "\n"


def main() -> int:
    (ROOT / "docs" / "state.md").write_text(state_markdown(), encoding="utf-8")
    print("wrote docs/state.md")
    return 0


if __name__ == "__main__":
    sys.exit(main())
