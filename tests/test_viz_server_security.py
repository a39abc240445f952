"""Only its user can drive the page: Host and Origin checks, a session limit, and the
memory of closed pages handed back.

The guard is tested on its own (ASGI messages), then against a real `abm viz`
(raw HTTP and websocket handshakes, and Chromium tabs for the limit and memory).
"""

from __future__ import annotations

import asyncio
import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import sync_playwright

from abm.cli import main
from viz.server import STATUS_PATH, PageGuard, free_port, spawn, stop, wait_ready

CHROMIUM = os.environ.get("ABM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
TIMEOUT_MS = 120_000

pytestmark = pytest.mark.timeout(600)


# ------------------------------------------------------------ the guard alone
def guard(**kw: Any) -> PageGuard:
    async def app(scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] == "websocket":
            await send({"type": "websocket.accept"})
            await asyncio.sleep(0)
            return
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"page"})

    return PageGuard(app, host="127.0.0.1", reclaim_after=0, **kw)


@pytest.mark.parametrize("host, origin, refused", [
    ("127.0.0.1:8765", None, ""),
    ("localhost:8765", "http://localhost:8765", ""),
    ("[::1]:8765", "http://[::1]:8765", ""),
    ("evil.example:8765", None, "is not this server"),             # DNS rebinding
    ("evil.example:8765", "http://evil.example:8765", "is not this server"),
    ("127.0.0.1:8765", "http://evil.example", "is another site"),  # cross-site page
    ("127.0.0.1:8765", "http://127.0.0.1:9999", "is another site"),  # another local port
    ("127.0.0.1:8765", "null", "is another site"),
])
def test_host_and_origin_rules(host: str, origin: str | None, refused: str):
    headers = {"host": host} | ({"origin": origin} if origin else {})
    why = guard().refusal(headers)
    assert (refused in why) if refused else why == ""


def test_allow_origin_widens_both_checks():
    g = guard(allow_origins=["https://lab.example.org"])
    assert g.refusal({"host": "lab.example.org", "origin": "https://lab.example.org"}) == ""
    assert "is another site" in g.refusal({"host": "lab.example.org",
                                           "origin": "https://other.example.org"})
    g = guard(allow_origins=["*"])
    assert g.refusal({"host": "127.0.0.1:1", "origin": "https://anything.example"}) == ""
    assert "is not this server" in g.refusal({"host": "evil.example"})


def run_asgi(g: PageGuard, scope: dict) -> list[dict]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "websocket.connect"}

    async def send(message: dict) -> None:
        sent.append(message)

    asyncio.run(g(scope, receive, send))
    return sent


def ws_scope(kernel: str, origin: str = "http://127.0.0.1:8765") -> dict:
    return {"type": "websocket", "path": f"/jupyter/api/kernels/{kernel}/channels",
            "headers": [(b"host", b"127.0.0.1:8765"), (b"origin", origin.encode())]}


def test_refused_websocket_is_closed_before_it_is_accepted():
    sent = run_asgi(guard(), ws_scope("k1", origin="http://evil.example"))
    assert sent == [{"type": "websocket.close", "code": 1008, "reason": sent[0]["reason"]}]
    sent = run_asgi(guard(), {"type": "http", "method": "GET", "path": "/",
                              "headers": [(b"host", b"evil.example:8765")]})
    assert sent[0]["status"] == 403 and b"DNS rebinding" in sent[1]["body"]


def test_session_limit_refuses_new_pages_with_a_message():
    g = guard(max_sessions=1)
    g.sessions["k-open"] = 1  # one page connected
    sent = run_asgi(g, ws_scope("k-new"))
    assert sent[0]["type"] == "websocket.close" and sent[0]["code"] == 1013
    page = {"type": "http", "method": "GET", "path": "/",
            "headers": [(b"host", b"127.0.0.1:8765"), (b"accept", b"text/html")]}
    sent = run_asgi(g, page)
    assert sent[0]["status"] == 503
    assert b"1 pages of abm viz are already open" in sent[1]["body"]
    assert run_asgi(g, ws_scope("k-open"))[0]["type"] == "websocket.accept"  # a reconnect
    del g.sessions["k-open"]
    assert run_asgi(g, page)[0]["status"] == 200
    assert run_asgi(g, ws_scope("k-new"))[0]["type"] == "websocket.accept"
    assert g.sessions == {}  # the websocket ended: its slot is free


def test_the_first_page_to_connect_freezes_what_was_imported_once():
    """Long-lived objects (the imports) leave the collector's full passes when the first
    kernel connects, before it renders; later pages freeze nothing more."""
    import gc

    g = guard()
    assert not g.frozen and g.status()["frozen"] is False
    before = gc.get_freeze_count()
    try:
        assert run_asgi(g, ws_scope("k-1"))[0]["type"] == "websocket.accept"
        assert g.frozen and g.status()["frozen"] is True
        frozen = gc.get_freeze_count()
        assert frozen > before
        run_asgi(g, ws_scope("k-2"))
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()


@pytest.mark.parametrize("argv, words", [
    (["--allow-origin", "evil.example"], "--allow-origin 'evil.example': allowed: *"),
    (["--allow-origin", "ftp://x.example"], "allowed: * or http(s)://HOST[:PORT]"),
    (["--max-sessions", "0"], "--max-sessions 0: allowed: an integer >= 1"),
])
def test_bad_viz_options_exit_2(capsys, argv: list[str], words: str):
    assert main(["viz", "--port", str(free_port()), *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and words in err[0]


# ------------------------------------------------------------- a real server
@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    tmp = tmp_path_factory.mktemp("viz-sec")
    port = free_port()
    log = tmp / "server.log"
    proc = spawn(port, env={"SOLARA_KERNEL_CULL_TIMEOUT": "1s"}, log=log,
                 args=["--max-sessions", "3"])
    url = f"http://127.0.0.1:{port}/"
    try:
        try:
            wait_ready(url, proc)
        except RuntimeError as exc:
            raise RuntimeError(f"{exc}\n{log.read_text()}") from None
        yield url, proc.pid
    finally:
        stop(proc)


def http_status(url: str, **headers: str) -> int:
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def ws_status(url: str, origin: str) -> int:
    """HTTP status of a kernel websocket handshake (101 when accepted)."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    ws_url = url.replace("http://", "ws://") + "jupyter/api/kernels/k-test/channels?session_id=s"
    try:
        with connect(ws_url, origin=origin, open_timeout=30):  # type: ignore[arg-type]
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


def test_real_server_refuses_other_hosts_and_origins(server: tuple[str, int]):
    url, _ = server
    port = url.rsplit(":", 1)[1].rstrip("/")
    assert http_status(url) == 200
    assert http_status(url, Host=f"evil.example:{port}") == 403
    assert http_status(url, Host=f"localhost:{port}") == 200
    assert ws_status(url, "http://evil.example") == 403
    assert ws_status(url, f"http://localhost:{port}") == 403  # another origin than the page's


def status(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(url.rstrip("/") + STATUS_PATH, timeout=30) as response:
        return json.loads(response.read())


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def wait_for(predicate: Any, what: str, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while not predicate():
        assert time.monotonic() < deadline, f"no {what} within {limit} s"
        time.sleep(0.25)


def test_session_limit_and_memory_returned_when_pages_close(server: tuple[str, int]):
    url, pid = server
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)

        def open_pages(n: int) -> Any:
            ctx = browser.new_context()
            for _ in range(n):
                page = ctx.new_page()
                page.goto(url)
                page.locator(".abm-month").wait_for(timeout=TIMEOUT_MS)
            return ctx

        def closed_and_reclaimed(before: int) -> None:
            wait_for(lambda: status(url)["sessions"] == 0 and status(url)["kernels"] == 0
                     and status(url)["reclaims"] > before, "kernel culled and reclaimed")

        # Warm up (imports, caches), so that what is measured next is the pages' models.
        ctx = open_pages(1)
        ctx.close()
        closed_and_reclaimed(0)
        base = rss_mb(pid)

        ctx = open_pages(3)  # the limit
        assert status(url)["sessions"] == 3
        full = rss_mb(pid)
        extra = ctx.new_page()
        response = extra.goto(url)
        assert response is not None and response.status == 503
        assert "3 pages of abm viz are already open" in extra.content()
        grown = full - base
        assert grown > 30, f"three pages took only {grown:.0f} MB; nothing to measure"
        reclaims = status(url)["reclaims"]
        ctx.close()
        closed_and_reclaimed(reclaims)
        # The models are dropped and the heap handed back: most of the growth is gone.
        wait_for(lambda: rss_mb(pid) < base + 0.4 * grown,
                 f"memory back under {base + 0.4 * grown:.0f} MB (base {base:.0f}, "
                 f"with 3 pages {full:.0f}, now {rss_mb(pid):.0f})")
        ctx = open_pages(1)  # a slot is free again
        ctx.close()
        browser.close()
