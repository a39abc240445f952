"""Browser page speed: model build time and Step + redraw time, without a browser.

Renders the real page (``viz.app.Page``) with Solara's test renderer, clicks Step
and times the model step plus the whole server-side redraw (village measures,
chart options, inspector table, widget updates). The browser's own drawing of
the ECharts canvases is not included (see tests/test_viz_browser.py for that path).

    uv run python benchmarks/viz.py [--households 20000] [--steps 24] [--late 72]

``--late`` clicks Step that many more times untimed, then times ``--steps`` more,
to show the cost does not grow with the run's length.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

# Run as a script, this file's folder comes first on sys.path and its name would
# hide the ``viz`` package; drop it.
_HERE = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _HERE]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=20_000)
    ap.add_argument("--steps", type=int, default=24)
    ap.add_argument("--late", type=int, default=72)
    ap.add_argument("--budget", type=float, default=0.3, help="seconds allowed per Step")
    args = ap.parse_args()

    from viz.server import apply_offline_env

    apply_offline_env()
    t0 = time.perf_counter()
    import ipyvuetify as v
    import solara

    from viz import app
    from viz.state import Settings, discover_presets, new_session

    print(f"import solara + viz: {time.perf_counter() - t0:.2f} s")
    preset = discover_presets()[0]
    settings = Settings.from_preset(preset.path)
    settings = Settings(settings.preset, settings.seed, args.households)
    t0 = time.perf_counter()
    new_session(settings)
    print(f"build model ({args.households:,} households, {preset.label}): "
          f"{time.perf_counter() - t0:.2f} s")

    t0 = time.perf_counter()
    _box, rc = solara.render(solara.AppLayout(children=[app.App(initial=settings)]),
                             handle_error=False)
    print(f"first render of the page (incl. build): {time.perf_counter() - t0:.2f} s")
    step = rc.find(v.Btn, children=["Step"]).widget

    def time_steps(n: int) -> list[float]:
        out = []
        for _ in range(n):
            t = time.perf_counter()
            step.click()
            out.append(time.perf_counter() - t)
        return out

    early = time_steps(args.steps)
    _report(f"step + redraw, months 1-{args.steps}", early, args.budget)
    time_steps(args.late)
    late = time_steps(args.steps)
    _report(f"step + redraw, months {args.steps + args.late + 1}-"
            f"{2 * args.steps + args.late}", late, args.budget)


def _report(what: str, times: list[float], budget: float) -> None:
    med = statistics.median(times)
    worst = max(times)
    verdict = "OK" if med <= budget else "OVER BUDGET"
    print(f"{what}: median {med:.3f} s, max {worst:.3f} s, budget {budget:.2f} s -> {verdict}")


if __name__ == "__main__":
    main()
