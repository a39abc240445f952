"""Capture the README's screenshot of the page with Playwright and Chromium.

    uv run python -m viz.screenshot [docs/img/viz.png] [--months 36] [--lang en|zh]
        [--change policy.transition_end_year=2022]

Starts `abm viz` on a free local port, makes one policy change (so the page compares
it with the preset), runs the first preset for some months, selects a village for
the inspector, saves a PNG of the top of the page and stops the server.
Needs the dev dependencies (Playwright) and Debian's ``chromium``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from viz.server import free_port, spawn, stop, wait_ready

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def capture(out: Path, months: int, village: int, chromium: str, lang: str = "en",
            change: str | None = None) -> None:
    from playwright.sync_api import expect, sync_playwright

    from abm import i18n
    from viz.controls import control_specs, group_title

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    proc = spawn(port, env={"ABM_LANG": lang})
    expect.set_options(timeout=120_000)  # the first load builds the county
    month_text = i18n.t("page.month", lang, month="{k}", months="", when="").split("{k}")[0]
    try:
        wait_ready(url, proc)
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1000})
            page.set_default_timeout(60_000)
            page.goto(url)
            expect(page.locator(".abm-month")).to_contain_text(f"{month_text}0")
            if change:
                key, value = change.split("=", 1)
                spec = next(c for c in control_specs() if c.key == key)
                page.get_by_text(group_title(spec.group, lang), exact=True).click()
                box = page.get_by_label(spec.label(lang))
                box.fill(value)
                box.press("Enter")
                page.locator(".abm-reset").click()
                expect(page.locator(".abm-headline")).to_contain_text(
                    i18n.t("scenario.changed", lang))
            for k in range(1, months + 1):
                page.locator(".abm-step").click()
                expect(page.locator(".abm-month")).to_contain_text(f"{month_text}{k} ")
            box = page.locator(".abm-village input")
            box.fill(str(village))
            box.press("Enter")
            page.wait_for_timeout(1000)
            page.locator(".abm-month").evaluate("e => e.scrollIntoView({block: 'center'})")
            page.wait_for_timeout(800)
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
            browser.close()
    finally:
        stop(proc)
    print(f"wrote {out}")


def main() -> None:
    ap = argparse.ArgumentParser(description="Screenshot of the `abm viz` page")
    ap.add_argument("out", nargs="?", default="docs/img/viz.png", type=Path)
    ap.add_argument("--months", type=int, default=36)
    ap.add_argument("--village", type=int, default=12)
    ap.add_argument("--chromium", default="/usr/bin/chromium")
    ap.add_argument("--lang", default="en", choices=["en", "zh"])
    ap.add_argument("--change", default="policy.transition_end_year=2022",
                    help="one policy change to compare, dotted.key=VALUE ('' for none)")
    args = ap.parse_args()
    capture(args.out, args.months, args.village, args.chromium, args.lang, args.change or None)


if __name__ == "__main__":
    main()
