"""How the end-to-end tests and the dashboard benchmark start Chromium: Debian's browser,
headless, with no background traffic (this machine's network is closed, and nothing
measured or tested may depend on it)."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import Browser, Playwright

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch_chromium(playwright: Playwright, executable: Path = CHROMIUM) -> Browser:
    return playwright.chromium.launch(executable_path=str(executable), args=CHROMIUM_ARGS)
