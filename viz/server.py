"""Start the Solara server for `abm viz`, offline and without telemetry.

Everything the page loads comes from this machine: Solara's front end and the
ECharts library are served from the ``solara-assets`` package installed in the
environment (``<prefix>/share/solara/cdn``). The CDN setting points at a closed
local port, so a missing asset fails on 127.0.0.1 instead of reaching the internet.
"""

from __future__ import annotations

import os

APP = "viz.app:Page"

# Must be in the environment before ``solara`` is first imported.
OFFLINE_ENV: dict[str, str] = {
    "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
    "SOLARA_ASSETS_PROXY": "True",
    "SOLARA_ASSETS_CDN": "http://127.0.0.1:9/",
    "SOLARA_THEME_VARIANT_USER_SELECTABLE": "False",
    "MPLBACKEND": "Agg",
}


def apply_offline_env() -> None:
    """Put the offline settings into ``os.environ`` (telemetry is always off)."""
    os.environ.update(OFFLINE_ENV)


def solara_args(host: str, port: int) -> list[str]:
    """Arguments for ``solara run``: production mode, no browser, no version check."""
    return ["run", APP, "--host", host, "--port", str(port), "--production",
            "--no-open", "--no-check-version", "--log-level", "warning"]


def serve(host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve the page until interrupted (blocks)."""
    apply_offline_env()
    from solara.__main__ import cli

    cli.main(args=solara_args(host, port), prog_name="abm viz", standalone_mode=False)
