"""Start the Solara server for `abm viz`, offline and without telemetry.

Everything the page loads comes from this machine: Solara's front end and the
ECharts library are served from the ``solara-assets`` package installed in the
environment (``<prefix>/share/solara/cdn``). The CDN setting points at a closed
local port, so a missing asset fails on 127.0.0.1 instead of reaching the internet.

Only its user can drive the page (:class:`PageGuard`, wrapped around Solara's ASGI
app): a request whose ``Host`` is not this server (DNS rebinding) or whose
``Origin`` is another site is refused with 403; ``--allow-origin`` widens that.
At most ``--max-sessions`` pages are open at once (a further one gets a page that
says so), and when a closed page's model is dropped (``SOLARA_KERNEL_CULL_TIMEOUT``
after its connection goes) the memory is collected and handed back to the system.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import ipaddress
import json
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

APP = "viz.app:Page"

# Must be in the environment before ``solara`` is first imported.
OFFLINE_ENV: dict[str, str] = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
    "SOLARA_THEME_VARIANT_USER_SELECTABLE": "False",
    "MPLBACKEND": "Agg",
    # Reacton's tree walk that skips components whose state and arguments did not change
    # (opt-in in reacton): a Step then redraws the month's panels, not the ~900 widgets of
    # the settings sidebar; about a third off the page's Step at 20,000 households.
    "REACTON_FAST": "1",
}
# A closed tab's model is freed this long after its websocket goes (Solara: 24 h). Long
# enough to survive a reload or a network blip; a setting in the environment wins.
CULL_TIMEOUT = ("SOLARA_KERNEL_CULL_TIMEOUT", "2m")
MAX_SESSIONS = 8
STATUS_PATH = "/_abm/status"
SOLARA_ASGI = "solara.server.starlette:app"
KERNEL_WS = re.compile(r"^/jupyter/api/kernels/([^/]+)/[^/]+$")


def apply_offline_env() -> None:
    """Put the offline settings into ``os.environ`` (telemetry is always off)."""
    os.environ.update(OFFLINE_ENV)
    os.environ.setdefault(*CULL_TIMEOUT)


def cull_seconds() -> float:
    """The cull timeout in seconds, from ``SOLARA_KERNEL_CULL_TIMEOUT`` (e.g. 90s, 2m, 1h)."""
    text = os.environ.get(CULL_TIMEOUT[0], CULL_TIMEOUT[1]).strip()
    m = re.fullmatch(r"([0-9.]+)\s*([smhd]?)", text)
    if m is None:
        return 120.0
    return float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[m.group(2)]


# ------------------------------------------------------------------ the guard
def check_origins(values: Iterable[str]) -> list[str]:
    """Normalise ``--allow-origin`` values (``*`` or ``http[s]://host[:port]``); BadInput
    (exit 2) for anything else."""
    from abm.cli import BadInput

    out = []
    for value in values:
        v = value.strip().rstrip("/").lower()
        if v != "*":
            parts = urlsplit(v)
            if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
                raise BadInput(f"--allow-origin {value[:80]!r}: allowed: * or "
                               "http(s)://HOST[:PORT], e.g. https://lab.example.org")
        out.append(v)
    return out


def freeze_long_lived() -> None:
    """Move every object alive now (the imports: Solara, the model's modules,
    matplotlib, pandas) out of the garbage collector's full passes, which would
    otherwise walk them all during some Step (about 0.27 s at 20,000 households).
    Called once, when the first page's kernel connects, before it renders: no model
    is frozen, so a closed page's memory is still reclaimed."""
    gc.collect()
    gc.freeze()


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def _malloc_trim() -> None:
    """Hand freed heap memory back to the system (glibc; a no-op elsewhere)."""
    try:
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    except (OSError, AttributeError):
        pass


Send = Callable[[dict[str, Any]], Awaitable[None]]


class PageGuard:
    """ASGI middleware: Host and Origin checks, a session limit, memory reclaimed.

    Allowed ``Host``: an IP address (a DNS rebinding attack always sends a name),
    ``localhost``, the bound host, this machine's name, or the host of an allowed
    origin. Allowed ``Origin`` (when a browser sends one): the page's own origin, or
    one of ``allow_origins`` (``*`` allows any). A session is a page's kernel
    websocket; at most ``max_sessions`` are open at once.
    """

    def __init__(self, app: Any, *, host: str, allow_origins: Iterable[str] = (),
                 max_sessions: int = MAX_SESSIONS, reclaim_after: float | None = None):
        self.app = app
        self.allow_origins = set(allow_origins)
        self.hosts = {"localhost", host.lower().strip("[]"), socket.gethostname().lower()}
        self.hosts |= {urlsplit(o).hostname or "" for o in self.allow_origins if o != "*"}
        self.max_sessions = max_sessions
        self.reclaim_after = cull_seconds() + 1.0 if reclaim_after is None else reclaim_after
        self.sessions: dict[str, int] = {}  # kernel id -> open websockets
        self.reclaims = 0
        self.frozen = False  # long-lived objects moved out of full collections

    # ------------------------------------------------------------- checks
    def refusal(self, headers: dict[str, str]) -> str:
        """Why a request is refused ("" if it is not)."""
        host_header = headers.get("host", "")
        hostname = (urlsplit(f"//{host_header}").hostname or "") if host_header else ""
        if host_header and not (_is_ip(hostname) or hostname in self.hosts):
            return (f"Host {host_header[:80]!r} is not this server (a web page may be trying "
                    "to reach it through DNS rebinding); open the address abm viz printed, "
                    "or start it with --allow-origin")
        origin = headers.get("origin")
        if origin is None or "*" in self.allow_origins:
            return ""
        o = origin.strip().rstrip("/").lower()
        if o in self.allow_origins:
            return ""
        parts = urlsplit(o)
        if (parts.scheme in ("http", "https") and parts.netloc == host_header.lower()
                and (_is_ip(parts.hostname or "") or parts.hostname in self.hosts)):
            return ""
        return (f"Origin {origin[:80]!r} is another site; only this page may drive the "
                "server (start abm viz with --allow-origin to allow it)")

    def status(self) -> dict[str, Any]:
        try:
            from solara.server import kernel_context

            kernels = len(kernel_context.contexts)
        except ImportError:  # pragma: no cover - solara is a dependency
            kernels = -1
        return {"sessions": len(self.sessions), "max_sessions": self.max_sessions,
                "kernels": kernels, "reclaims": self.reclaims, "frozen": self.frozen}

    # --------------------------------------------------------------- ASGI
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1")
                   for k, v in scope.get("headers", [])}
        why = self.refusal(headers)
        if why:
            await self._refuse(scope, send, 403, why)
            return
        path = scope.get("path", "")
        if scope["type"] == "http":
            if path == STATUS_PATH:
                await self._respond(send, 200, json.dumps(self.status()), "application/json")
                return
            if (scope.get("method") == "GET" and "text/html" in headers.get("accept", "")
                    and len(self.sessions) >= self.max_sessions):
                await self._refuse(scope, send, 503, self._full())
                return
            await self.app(scope, receive, send)
            return
        m = KERNEL_WS.match(path)
        if m is None:
            await self.app(scope, receive, send)
            return
        kernel = m.group(1)
        if kernel not in self.sessions and len(self.sessions) >= self.max_sessions:
            await self._refuse(scope, send, 1013, self._full())
            return
        if not self.frozen:
            freeze_long_lived()
            self.frozen = True
        self.sessions[kernel] = self.sessions.get(kernel, 0) + 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.sessions[kernel] -= 1
            if not self.sessions[kernel]:
                del self.sessions[kernel]
                # The kernel (and its model) is culled after the timeout: then reclaim.
                asyncio.get_running_loop().call_later(self.reclaim_after, self._reclaim)

    def _full(self) -> str:
        return (f"{self.max_sessions} pages of abm viz are already open (the limit, "
                "--max-sessions); close one, wait for it to be dropped, then reload")

    def _reclaim(self) -> None:
        gc.collect()
        _malloc_trim()
        self.reclaims += 1

    async def _refuse(self, scope: dict[str, Any], send: Send, code: int, why: str) -> None:
        print(f"abm viz: refused {scope.get('path', '')[:80]}: {why}", file=sys.stderr,
              flush=True)
        if scope["type"] == "websocket":
            # Closing before accepting answers the handshake with HTTP 403.
            await send({"type": "websocket.close", "code": 1008 if code == 403 else code,
                        "reason": why[:120]})
            return
        body = (f"<!doctype html><title>abm viz</title><p>abm viz: {_escape(why)}</p>"
                if code == 503 else f"abm viz: {why}\n")
        await self._respond(send, code, body, "text/html" if code == 503 else "text/plain")

    @staticmethod
    async def _respond(send: Send, code: int, body: str, kind: str) -> None:
        data = body.encode("utf-8")
        await send({"type": "http.response.start", "status": code,
                    "headers": [(b"content-type", f"{kind}; charset=utf-8".encode()),
                                (b"content-length", str(len(data)).encode()),
                                (b"cache-control", b"no-store")]})
        await send({"type": "http.response.body", "body": data})


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def install_guard(host: str, allow_origins: Iterable[str] = (),
                  max_sessions: int = MAX_SESSIONS) -> None:
    """Have uvicorn serve Solara's ASGI app wrapped in a :class:`PageGuard`.

    ``solara run`` hands uvicorn the import string ``solara.server.starlette:app``,
    which uvicorn imports when it starts (after Solara has set itself up); the guard
    is put around the app at that moment, so Solara's start-up order is unchanged.
    """
    import uvicorn.config

    load = uvicorn.config.import_from_string

    def load_guarded(name: Any) -> Any:
        obj = load(name)
        if name == SOLARA_ASGI:
            return PageGuard(obj, host=host, allow_origins=allow_origins,
                             max_sessions=max_sessions)
        return obj

    uvicorn.config.import_from_string = load_guarded


def solara_args(host: str, port: int) -> list[str]:
    """Arguments for ``solara run``: production mode, no browser, no version check."""
    return ["run", APP, "--host", host, "--port", str(port), "--production",
            "--no-open", "--no-check-version", "--log-level", "warning"]


def check_address(host: str, port: int) -> None:
    """Fail early, as bad input (exit 2), when the address cannot be served."""
    from abm.cli import BadInput

    if not 1 <= port <= 65535:
        raise BadInput(f"--port {port}: allowed: an integer from 1 to 65535")
    try:
        with socket.socket() as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
    except OSError as exc:
        raise BadInput(f"--host {host} --port {port}: cannot serve there ({exc.strerror}); "
                       "choose another port") from None


def serve(host: str = "127.0.0.1", port: int = 8765, allow_origins: Iterable[str] = (),
          max_sessions: int = MAX_SESSIONS) -> None:
    """Serve the page until interrupted (blocks)."""
    from abm.cli import BadInput

    origins = check_origins(allow_origins)
    if max_sessions < 1:
        raise BadInput(f"--max-sessions {max_sessions}: allowed: an integer >= 1")
    check_address(host, port)
    print(f"abm viz: serving on http://{host}:{port} (Ctrl-C to stop)", flush=True)
    apply_offline_env()
    # Solara warns on every page load over plain http on 127.0.0.1 (it falls back to
    # SameSite=Lax cookies, which is right for a local page).
    warnings.filterwarnings("ignore", message="Cookies with samesite=none",
                            category=UserWarning)
    from solara.__main__ import cli

    install_guard(host, origins, max_sessions)

    cli.main(args=solara_args(host, port), prog_name="abm viz", standalone_mode=False)


# ----------------------------------------------------------------- for tests and tools
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(port: int, env: dict[str, str] | None = None, log: Path | None = None,
          args: Iterable[str] = ()) -> subprocess.Popen:
    """Start `abm viz` on 127.0.0.1:``port`` in a child process (stop it with ``stop``)."""
    out = log.open("w") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "abm.cli", "viz", "--host", "127.0.0.1", "--port", str(port),
             *args],
            env={**os.environ, **(env or {})}, stdout=out, stderr=subprocess.STDOUT)
    finally:
        if log is not None:
            out.close()


def wait_ready(url: str, proc: subprocess.Popen, seconds: float = 120) -> None:
    """Poll ``url`` until it answers; raise if the server exits or takes too long."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"abm viz exited with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"abm viz did not answer on {url} within {seconds} s")


def stop(proc: subprocess.Popen) -> None:
    """Terminate the child started by ``spawn`` (kill it if it does not exit)."""
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=15)
