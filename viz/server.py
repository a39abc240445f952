"""Start the Solara server for `abm viz`, offline and without telemetry.

Everything the page loads comes from this machine: Solara's front end and the
ECharts library are served from the ``solara-assets`` package installed in the
environment (``<prefix>/share/solara/cdn``). The CDN setting points at a closed
local port, so a missing asset fails on 127.0.0.1 instead of reaching the internet.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
import warnings
from pathlib import Path

APP = "viz.app:Page"

# Must be in the environment before ``solara`` is first imported.
OFFLINE_ENV: dict[str, str] = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
    "SOLARA_THEME_VARIANT_USER_SELECTABLE": "False",
    "MPLBACKEND": "Agg",
    # A closed tab's model is freed this long after its websocket goes (default 24 h).
    "SOLARA_KERNEL_CULL_TIMEOUT": "10m",
}


def apply_offline_env() -> None:
    """Put the offline settings into ``os.environ`` (telemetry is always off)."""
    os.environ.update(OFFLINE_ENV)


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


def serve(host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the page until interrupted (blocks)."""
    check_address(host, port)
    print(f"abm viz: serving on http://{host}:{port} (Ctrl-C to stop)", flush=True)
    apply_offline_env()
    # Solara warns on every page load over plain http on 127.0.0.1 (it falls back to
    # SameSite=Lax cookies, which is right for a local page).
    warnings.filterwarnings("ignore", message="Cookies with samesite=none",
                            category=UserWarning)
    from solara.__main__ import cli

    cli.main(args=solara_args(host, port), prog_name="abm viz", standalone_mode=False)


# ----------------------------------------------------------------- for tests and tools
def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def spawn(port: int, env: dict[str, str] | None = None, log: Path | None = None
          ) -> subprocess.Popen:
    """Start `abm viz` on 127.0.0.1:``port`` in a child process (stop it with ``stop``)."""
    out = log.open("w") if log is not None else subprocess.DEVNULL
    try:
        return subprocess.Popen(
            [sys.executable, "-m", "abm.cli", "viz", "--host", "127.0.0.1", "--port", str(port)],
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
