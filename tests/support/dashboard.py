"""Shortcuts for the dashboard's end-to-end tests: an account that can both log in through
the browser and log runs through the SDK."""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import httpx
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD, HttpClient, create_api_key, sign_up
from tests.support.sdk import SdkEnvironment, allow_signups

REPOSITORY = Path(__file__).resolve().parents[2]
SCREENSHOT_DIR = REPOSITORY / "test-output" / "e2e"


@dataclass
class DashboardUser:
    email: str
    password: str
    bearer: dict[str, str]
    sdk: SdkEnvironment


def new_dashboard_user(http: httpx.Client, database_url: str, directory: Path) -> DashboardUser:
    allow_signups(database_url)
    client = cast(HttpClient, http)
    account = sign_up(client, name="Grace Hopper")
    api_key = str(create_api_key(client, account)["key"])
    sdk = SdkEnvironment(str(http.base_url).rstrip("/"), api_key, directory, account.bearer)
    return DashboardUser(account.email, PASSWORD, account.bearer, sdk)


def log_in(page: Page, user: DashboardUser, path: str = "/") -> None:
    """Open `path` signed out, log in on the page the app sends us to, and land on `path`."""
    page.goto(f"/#{path}")
    page.get_by_test_id("login-email").fill(user.email)
    page.get_by_test_id("login-password").fill(user.password)
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("workspace-switcher")).to_be_visible()


def curve(step: int) -> float:
    """The loss the tests log: distinct at every step, so a value names its step."""
    return round(2.0 * math.exp(-step / 60) + 0.001 * step, 6)


def api_get(user: DashboardUser, path: str) -> Any:
    response = httpx.get(f"{user.sdk.api_url}{path}", headers=user.bearer, trust_env=False)
    assert response.status_code == 200, response.text
    return response.json()
