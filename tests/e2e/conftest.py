"""The dashboard in a real headless Chromium (Debian's /usr/bin/chromium, driven by
Playwright) against the local stack, with data logged through the SDK. Every test leaves a
screenshot in test-output/e2e/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from tests.support.browser import CHROMIUM as DEBIAN_CHROMIUM
from tests.support.browser import launch_chromium
from tests.support.dashboard import SCREENSHOT_DIR, DashboardUser, new_dashboard_user
from tests.support.served import served_stack
from wavedb_local.stack import LocalStack

CHROMIUM = Path(os.environ.get("WAVEDB_CHROMIUM", str(DEBIAN_CHROMIUM)))


# Package scope, not session: while Playwright's sync API is active it keeps an event loop
# running in the main thread, and the tests of other packages that a worker runs afterwards
# call handlers that start event loops of their own.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"the end-to-end tests need Chromium at {CHROMIUM}: run `make browser`")
    chromium = launch_chromium(playwright, CHROMIUM)
    yield chromium
    chromium.close()


@pytest.fixture(scope="package")
def dashboard(served_stack: LocalStack) -> LocalStack:
    """The local stack serving the built dashboard at /."""
    if served_stack.site is None or not served_stack.site.built:
        pytest.fail("the dashboard is not built: run `make web`")
    return served_stack


@pytest.fixture
def user(
    dashboard: LocalStack, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[DashboardUser]:
    """A new account with an API key; the SDK in this process logs as this user."""
    with httpx.Client(base_url=dashboard.api_url, timeout=30, trust_env=False) as http:
        account = new_dashboard_user(http, database_url, tmp_path)
    for name, value in account.sdk.variables().items():
        monkeypatch.setenv(name, value)
    try:
        yield account
    finally:
        account.sdk.close()


@pytest.fixture
def page(browser: Browser, dashboard: LocalStack, request: pytest.FixtureRequest) -> Iterator[Page]:
    """A fresh browser profile on the dashboard; a screenshot is saved when the test ends."""
    context = browser.new_context(
        base_url=dashboard.api_url, viewport={"width": 1400, "height": 900}
    )
    context.set_default_timeout(15_000)
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    try:
        yield tab
    finally:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(SCREENSHOT_DIR / f"{request.node.name}.png"), full_page=True)
        context.close()
    assert not errors, f"uncaught errors in the page: {errors}"


__all__ = ["served_stack"]
