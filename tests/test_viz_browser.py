"""The page in a real browser: Playwright drives Chromium against `abm viz`.

A module fixture starts the server on a free port (killed at the end); every
test opens fresh tabs and fails on a page error, a failed request, a console
error, or any request to a host other than 127.0.0.1. Chromium comes from
Debian (`.ci/run` installs it); the test fails, not skips, when it is missing.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from viz.server import free_port, spawn, stop, wait_ready

CHROMIUM = os.environ.get("ABM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TINY = """\
run:
  households: 1500
  seed: 7
county:
  name: Tiny test county
  n_townships: 3
  villages_per_township: 4
"""
MONTH = re.compile(r"Month (\d+) of")
TIMEOUT_MS = 60_000

pytestmark = pytest.mark.timeout(300)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    tmp = tmp_path_factory.mktemp("viz")
    presets = tmp / "presets"
    presets.mkdir()
    (presets / "tiny.yaml").write_text(TINY, encoding="utf-8")
    port = free_port()
    log = tmp / "server.log"
    proc = spawn(port, env={"ABM_VIZ_PRESETS": str(presets)}, log=log)
    url = f"http://127.0.0.1:{port}/"
    try:
        try:
            wait_ready(url, proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log.read_text()}") from None
        yield url
    finally:
        stop(proc)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watch:
    """Everything that went wrong in a browser context, plus every host it asked."""

    def __init__(self, context: BrowserContext):
        self.problems: list[str] = []
        self.hosts: set[str] = set()
        context.on("request", self._request)
        context.on("requestfailed",
                   lambda r: self.problems.append(f"failed {r.url}: {r.failure}"))
        context.on("response", lambda r: r.status >= 400 and self.problems.append(
            f"HTTP {r.status} {r.url}"))
        context.on("page", self._page)

    def _request(self, request) -> None:
        host = urlsplit(request.url).hostname
        if host:
            self.hosts.add(host)

    def _page(self, page: Page) -> None:
        page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        page.on("console", lambda m: m.type == "error" and self.problems.append(
            f"console error: {m.text}"))

    def check(self) -> None:
        assert self.problems == []
        assert self.hosts <= {"127.0.0.1"}, f"requests left the machine: {self.hosts}"


@pytest.fixture
def context(browser: Browser) -> Iterator[tuple[BrowserContext, Watch]]:
    ctx = browser.new_context(viewport={"width": 1500, "height": 1100})
    watch = Watch(ctx)
    yield ctx, watch
    watch.check()  # before closing: closing aborts the page's websocket
    ctx.close()


def open_page(ctx: BrowserContext, url: str) -> Page:
    page = ctx.new_page()
    page.set_default_timeout(TIMEOUT_MS)
    page.goto(url)
    expect(page.locator(".abm-month")).to_contain_text("Month 0 of", timeout=TIMEOUT_MS)
    page.locator(".abm-map canvas").first.wait_for()
    page.locator(".abm-chart-series canvas").first.wait_for()
    return page


def month(page: Page) -> int:
    m = MONTH.search(page.locator(".abm-month").inner_text())
    assert m, page.locator(".abm-month").inner_text()
    return int(m.group(1))


def step_to(page: Page, target: int) -> None:
    page.locator(".abm-step").click()
    expect(page.locator(".abm-month")).to_contain_text(f"Month {target} of")


def settle(page: Page) -> None:
    page.wait_for_timeout(600)  # let ECharts draw the new option


def test_page_loads_offline_without_errors(server, context):
    ctx, watch = context
    page = open_page(ctx, server)
    expect(page.get_by_text("Baseline county").first).to_be_visible()
    expect(page.locator(".abm-smith")).to_contain_text("not yet measured")
    settle(page)
    watch.check()


def test_three_steps_change_map_and_charts(server, context):
    ctx, _ = context
    page = open_page(ctx, server)
    settle(page)
    charts = (("map", ".abm-map"), ("series", ".abm-chart-series"))
    before = {name: page.locator(sel).screenshot() for name, sel in charts}
    for k in (1, 2, 3):
        step_to(page, k)
    settle(page)
    for name, sel in charts:
        assert page.locator(sel).screenshot() != before[name], f"{name} did not change"


def test_play_then_pause(server, context):
    ctx, _ = context
    page = open_page(ctx, server)
    page.locator(".abm-play").click()
    expect(page.locator(".abm-month")).to_contain_text(re.compile(r"Month ([2-9]|\d\d+) of"))
    page.locator(".abm-pause").click()
    expect(page.locator(".abm-play")).to_be_enabled()
    page.wait_for_timeout(800)
    paused_at = month(page)
    page.wait_for_timeout(1500)
    assert month(page) == paused_at
    page.locator(".abm-play").click()  # Reset while playing stops and rebuilds
    expect(page.locator(".abm-month")).not_to_contain_text(f"Month {paused_at} of")
    page.locator(".abm-reset").click()
    expect(page.locator(".abm-month")).to_contain_text("Month 0 of")
    expect(page.locator(".abm-play")).to_be_enabled()
    page.wait_for_timeout(1200)
    assert month(page) == 0


def test_reset_returns_to_month_zero_with_a_typed_seed(server, context):
    ctx, _ = context
    page = open_page(ctx, server)
    step_to(page, 1)
    step_to(page, 2)
    seed = page.locator(".abm-seed input")
    seed.fill("42")
    seed.press("Enter")
    page.locator(".abm-reset").click()
    expect(page.locator(".abm-month")).to_contain_text("Month 0 of")
    expect(page.locator(".abm-county-info")).to_contain_text("seed 42")
    step_to(page, 1)


def test_switching_preset_and_reset_rebuilds(server, context):
    ctx, _ = context
    page = open_page(ctx, server)
    step_to(page, 1)
    page.locator(".abm-preset").click()
    page.locator(".menuable__content__active .v-list-item",
                 has_text="Tiny test county").click()
    expect(page.locator(".abm-households input")).to_have_value("1500")
    page.locator(".abm-reset").click()
    expect(page.locator(".abm-county-info")).to_contain_text("1,500 households, seed 7")
    expect(page.locator(".abm-county-info")).to_contain_text("12 villages")
    expect(page.locator(".abm-month")).to_contain_text("Month 0 of")
    expect(page.get_by_text("Tiny test county").first).to_be_visible()


# Pixel position of one village, asked from the page's own ECharts instance.
VILLAGE_XY_JS = """(div, v) => {
  const defined = window.requirejs.s.contexts._.defined;
  const ec = Object.values(defined).find(m => m && typeof m.getInstanceByDom === 'function');
  const chart = ec.getInstanceByDom(div);
  const row = chart.getOption().series[0].data[v];
  const p = chart.convertToPixel({seriesIndex: 0}, [row[0], row[1]]);
  const r = div.getBoundingClientRect();
  return [r.left + p[0], r.top + p[1]];
}"""


def test_hover_and_click_a_village(server, context):
    ctx, _ = context
    page = open_page(ctx, server)
    step_to(page, 1)
    settle(page)
    chart = page.locator(".abm-map .solara-echarts")
    x, y = chart.evaluate(VILLAGE_XY_JS, 7)
    page.mouse.move(x, y)
    expect(page.locator(".abm-map")).to_contain_text("Poverty rate")  # the tooltip
    expect(page.locator(".abm-map")).to_contain_text("Mean income per person")
    page.mouse.click(x, y)
    expect(page.locator(".abm-village-summary")).to_contain_text("Village 7 (township 1)")
    expect(page.locator(".abm-village input")).to_have_value("7")


def test_inspector_shows_a_household(server, context):
    ctx, _ = context
    page = open_page(ctx, server)
    step_to(page, 1)
    village = page.locator(".abm-village input")
    village.fill("5")
    village.press("Enter")
    expect(page.locator(".abm-village-summary")).to_contain_text("Village 5 (township 1)")
    details = page.locator(".abm-household-details")
    expect(details).to_contain_text("Household")
    expect(details.locator("tr", has_text="village")).to_contain_text("5")
    expect(page.locator(".abm-households-table")).to_contain_text("motivation")
    page.locator(".abm-network canvas").first.wait_for()


def test_two_tabs_do_not_share_a_model(server, context):
    ctx, _ = context
    first = open_page(ctx, server)
    step_to(first, 1)
    step_to(first, 2)
    second = open_page(ctx, server)
    assert month(second) == 0
    step_to(second, 1)
    first.bring_to_front()
    assert month(first) == 2


def test_policy_control_applies_on_reset(server, context):
    ctx, _ = context
    page = open_page(ctx, server)
    page.get_by_text("Policy", exact=True).click()  # the general policy section
    box = page.get_by_label("Transition end year [year]")
    box.fill("2022")
    box.press("Enter")
    expect(page.locator(".abm-pending")).to_contain_text("transition_end_year=2022")
    page.locator(".abm-reset").click()
    expect(page.locator(".abm-applied")).to_contain_text("policy.transition_end_year=2022")
    step_to(page, 1)
