"""The page in a real browser: Playwright drives Chromium against `abm viz`.

A module fixture starts the server on a free port (killed at the end); every
test opens fresh tabs and fails on a page error, a failed request, a console
error, or any request to a host other than 127.0.0.1. Chromium comes from
Debian (`.ci/run` installs it); the test fails, not skips, when it is missing.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

from viz.server import free_port, spawn, stop, wait_ready

CULL_SECONDS = 20  # the test server's SOLARA_KERNEL_CULL_TIMEOUT
CULL = f"{CULL_SECONDS}s"

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
def server_tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("viz")


@pytest.fixture(scope="module")
def server(server_tmp: Path) -> Iterator[str]:
    tmp = server_tmp
    presets = tmp / "presets"
    presets.mkdir()
    (presets / "tiny.yaml").write_text(TINY, encoding="utf-8")
    port = free_port()
    log = tmp / "server.log"
    seeds_tmp = tmp / "seeds-tmp"
    seeds_tmp.mkdir()
    # English by default (the tests read English texts); TMPDIR shows the seeds runs' folders;
    # a closed tab's kernel (and so its seeds run) ends CULL after its websocket goes.
    proc = spawn(port, env={"ABM_VIZ_PRESETS": str(presets), "ABM_LANG": "en",
                            "TMPDIR": str(seeds_tmp), "SOLARA_KERNEL_CULL_TIMEOUT": CULL},
                 log=log)
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
    expect(page.locator(".abm-preset-intro")).to_contain_text("Baseline county: a composite")
    # Solara's "This website runs on Solara" banner no longer covers the charts.
    expect(page.get_by_text("This website runs on")).to_be_hidden()
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
    expect(page.locator(".abm-pending")).to_contain_text("Transition end year = 2022")
    page.locator(".abm-reset").click()
    # Reset builds the default county twice (as is and changed): allow for a loaded machine.
    expect(page.locator(".abm-applied")).to_contain_text("Transition end year = 2022",
                                                         timeout=30_000)
    step_to(page, 1)


def choose_tiny(page: Page) -> None:
    page.locator(".abm-preset").click()
    page.locator(".menuable__content__active .v-list-item", has_text="Tiny test county").click()
    expect(page.locator(".abm-households input")).to_have_value("1500")


def test_comparison_flow_field_errors_and_downloads(server, context, tmp_path):
    """Out-of-range years are refused; the change runs beside the preset on the same
    draws; the headline, the summary and the downloads carry both scenarios."""
    ctx, _ = context
    page = open_page(ctx, server)
    choose_tiny(page)
    page.get_by_text("Policy", exact=True).click()
    box = page.get_by_label("Transition end year [year]")
    box.fill("2019")
    box.press("Enter")
    expect(page.get_by_text("2019 is out of range. Allowed: 2020 to 2050 year")).to_be_visible()
    expect(page.locator(".abm-reset")).to_be_disabled()
    expect(page.locator(".abm-pending")).to_contain_text("Your changes: nothing")
    box.fill("2022")
    box.press("Enter")
    expect(page.locator(".abm-reset")).to_be_enabled()
    page.locator(".abm-reset").click()
    expect(page.locator(".abm-applied")).to_contain_text("Comparing the preset as is")
    headline = page.locator(".abm-headline")
    expect(headline).to_contain_text("Your changes")
    expect(headline).to_contain_text("Difference (changes − preset)")
    for k in (1, 2, 3):
        step_to(page, k)
    expect(headline).to_contain_text("households")
    expect(page.locator(".abm-summary")).to_contain_text("with your changes (Transition end")
    expect(page.locator(".abm-summary")).to_contain_text("returned to poverty")
    with page.expect_download() as info:
        page.locator(".abm-download-csv button").click()
    csv = Path(info.value.path()).read_text(encoding="utf-8")
    header = csv.splitlines()[0].split(",")
    assert header[:2] == ["scenario", "date"] and "cum_returned_to_poverty" in header
    assert sum(line.startswith("changes,") for line in csv.splitlines()) == 3
    assert sum(line.startswith("preset,") for line in csv.splitlines()) == 3
    with page.expect_download() as info:
        page.locator(".abm-download-configs button").click()
    import zipfile

    with zipfile.ZipFile(info.value.path()) as z:
        assert "transition_end_year: 2022" in z.read("changes.yaml").decode()
        assert "seed: 7" in z.read("preset.yaml").decode()
    with page.expect_download() as info:
        page.locator(".abm-download-png button").click()
    assert Path(info.value.path()).read_bytes()[:4] == b"\x89PNG"


# Two different Chinese strings drawn in the page's font: boxes (tofu) would look alike.
GLYPHS_JS = """() => {
  const draw = (text) => {
    const c = document.createElement('canvas'); c.width = 200; c.height = 40;
    const g = c.getContext('2d'); g.font = '28px AbmCJK'; g.fillText(text, 4, 32);
    return c.toDataURL();
  };
  return [document.fonts.check('28px AbmCJK', '防止返贫动态监测'), draw('防止返贫'),
          draw('监测帮扶'), draw('□□□□')];
}"""


def test_language_switch_renders_chinese(server, context, tmp_path):
    ctx, _ = context
    page = open_page(ctx, server)
    step_to(page, 1)
    page.locator(".abm-lang button", has_text="中文").click()
    expect(page.locator(".abm-month")).to_contain_text("第 1 月，共 120 月")
    expect(page.locator(".abm-step")).to_contain_text("单步")
    expect(page.locator(".abm-smith")).to_contain_text("执行机构")
    expect(page.locator(".abm-headline")).to_contain_text("脱贫户贫困发生率")
    page.get_by_text("政策", exact=True).click()
    expect(page.get_by_label("过渡期结束年份 [年]")).to_be_visible()
    # The font the page serves covers the text, and distinct characters look distinct.
    page.evaluate("document.fonts.load('28px AbmCJK', '防止返贫')")
    loaded, a, b, boxes = page.evaluate(GLYPHS_JS)
    assert loaded and a != b and a != boxes
    shot = page.locator(".abm-smith").screenshot(path=str(tmp_path / "smith-zh.png"))
    assert len(shot) > 5000
    page.locator(".abm-lang button", has_text="English").click()
    expect(page.locator(".abm-month")).to_contain_text("Month 1 of 120")


def test_inspector_rows_are_clickable_and_selection_survives_reset(server, context):
    ctx, _ = context
    page = open_page(ctx, server)
    village = page.locator(".abm-village input")
    rows = page.locator(".abm-households-table tbody tr")
    first_id = rows.first.locator("td").first
    before = first_id.inner_text().strip()
    village.fill("4")
    village.press("Enter")
    expect(first_id).not_to_have_text(before)  # the table shows village 4 now
    target = rows.nth(3)
    household = target.locator("td").first.inner_text().strip()
    target.click()
    details = page.locator(".abm-household-details")
    expect(details).to_contain_text(f"Household {household}")
    page.locator(".abm-reset").click()
    expect(page.locator(".abm-month")).to_contain_text("Month 0 of")
    expect(village).to_have_value("4")
    expect(details).to_contain_text(f"Household {household}")


def test_seeds_run_single_flight_progress_and_cancel_on_close(server, server_tmp, context):
    """Run with N seeds through the batch engine: a second click starts nothing, the
    result has 95% intervals; closing a tab stops its run (its folder goes away)."""
    ctx, _ = context
    page = open_page(ctx, server)
    choose_tiny(page)
    page.get_by_text("Transfers to lifted-out households", exact=True).click()
    box = page.get_by_label("Transfers to lifted-out households: transfers per person "
                            "[yuan/person/year]")
    box.fill("0")
    box.press("Enter")
    page.locator(".abm-reset").click()
    expect(page.locator(".abm-applied")).to_contain_text("Comparing")
    n = page.locator(".abm-seeds-n input")
    n.fill("2")
    n.press("Enter")
    run = page.locator(".abm-seeds-run")
    expect(run).to_contain_text("Run with 2 seeds")
    run.click()
    run.click(force=True)  # a second click while it runs does nothing
    expect(page.locator(".abm-seeds-progress")).to_contain_text("of 4 runs done")
    expect(run).to_be_disabled()
    expect(page.locator(".abm-seeds-result")).to_contain_text("95% interval",
                                                              timeout=240_000)
    expect(page.locator(".abm-seeds-result")).to_contain_text("only 2 seeds")
    expect(run).to_be_enabled()
    # Start again, then close the tab: the run is cancelled and its folder removed.
    folders = server_tmp / "seeds-tmp"
    assert not list(folders.glob("abm-page-seeds-*"))  # the finished run cleaned up
    n.fill("50")
    n.press("Enter")
    run.click()
    expect(page.locator(".abm-seeds-progress")).to_contain_text("of 100 runs done")
    for _ in range(120):  # the run's folder appears once its thread starts
        if list(folders.glob("abm-page-seeds-*")):
            break
        page.wait_for_timeout(500)
    assert list(folders.glob("abm-page-seeds-*"))
    page.close()
    other = open_page(ctx, server)  # the server goes on serving
    # The tab's kernel closes CULL after its websocket goes (that stops the run); wait
    # for it with a minute to spare (the wait equalled the server's 2-minute default
    # before, and lost the race on a slow machine).
    deadline = time.monotonic() + CULL_SECONDS + 60
    while time.monotonic() < deadline:
        if not list(folders.glob("abm-page-seeds-*")):
            break
        other.wait_for_timeout(500)
    assert not list(folders.glob("abm-page-seeds-*")), "the closed tab's run went on"
