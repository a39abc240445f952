"""docs/extending.md's example instrument, dropped in as one new module, just works."""

from __future__ import annotations

import re
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_documented_instrument_is_one_module(tmp_path):
    doc = (ROOT / "docs" / "extending.md").read_text(encoding="utf-8")
    block = re.search(r"```python\n(.*?)```", doc, re.S).group(1)
    (tmp_path / "elderly_allowance.py").write_text(block, encoding="utf-8")
    script = textwrap.dedent(f"""
        import abm.instruments
        abm.instruments.__path__.append({str(tmp_path)!r})
        from abm.attribution import IDEAL
        from abm.config import load_config
        from abm.runner import simulate

        cfg = load_config(None, ["policy.elderly_allowance.per_person_month=80"],
                          households=600, months=3, seed=2)
        assert cfg.policy.elderly_allowance.per_person_month == 80
        res = simulate(cfg)
        ts = res.timeseries
        assert (ts["spent_elderly_allowance_m"] > 0).all()
        assert IDEAL["policy"]["policy.elderly_allowance.per_person_month"] == 100.0
        print("ok", round(float(ts["spent_elderly_allowance_m"].sum())))
    """)
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.startswith("ok ")
