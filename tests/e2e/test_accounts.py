"""Signing up, logging in and out, an expired session, and API keys, in the browser."""

from __future__ import annotations

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.support.accounts import PASSWORD
from tests.support.dashboard import DashboardUser, log_in
from tests.support.sdk import allow_signups

pytestmark = pytest.mark.timeout(180)


def test_login_wrong_password_shows_an_error_then_the_right_one_opens_the_projects(
    page: Page, user: DashboardUser
) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"#/login"))
    page.get_by_test_id("login-email").fill(user.email)
    page.get_by_test_id("login-password").fill("not the password")
    page.get_by_test_id("login-submit").click()
    expect(page.get_by_test_id("error-message")).to_be_visible()

    page.get_by_test_id("login-password").fill(user.password)
    page.get_by_test_id("login-submit").click()

    expect(page).to_have_url(re.compile(r"#/workspaces/[0-9a-f-]{36}$"))
    expect(page.get_by_test_id("workspace-switcher")).to_be_visible()
    page.get_by_test_id("logout").click()
    expect(page).to_have_url(re.compile(r"#/login"))
    page.goto("/#/api-keys")
    expect(page).to_have_url(re.compile(r"#/login"))


def test_signup_in_the_browser_signs_the_new_user_in(
    page: Page, dashboard: object, database_url: str
) -> None:
    allow_signups(database_url)
    page.goto("/#/signup")
    page.get_by_test_id("signup-name").fill("Katherine Johnson")
    page.get_by_test_id("signup-email").fill(f"katherine-{uuid.uuid4().hex[:8]}@example.com")
    page.get_by_test_id("signup-password").fill(PASSWORD)
    page.get_by_test_id("signup-submit").click()

    expect(page.get_by_test_id("logout")).to_be_visible()
    expect(page.get_by_text("Katherine Johnson", exact=True)).to_be_visible()
    expect(page.get_by_test_id("workspace-switcher")).to_contain_text("Katherine Johnson")


def test_expired_session_goes_to_login_and_then_back_to_the_page(
    page: Page, user: DashboardUser
) -> None:
    log_in(page, user, "/api-keys")
    expect(page).to_have_url(re.compile(r"#/api-keys$"))
    # Both tokens stop working (as after a long weekend): the next request must lead to
    # the login page, and logging in must return to where the user was.
    page.evaluate(
        """() => {
            const session = JSON.parse(localStorage.getItem("wavedb.session"));
            session.accessToken = "expired." + session.accessToken;
            session.refreshToken = "revoked-refresh-token-0000000000000000";
            localStorage.setItem("wavedb.session", JSON.stringify(session));
        }"""
    )
    page.reload()

    expect(page).to_have_url(re.compile(r"#/login\?next=%2Fapi-keys"))
    page.get_by_test_id("login-email").fill(user.email)
    page.get_by_test_id("login-password").fill(user.password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(re.compile(r"#/api-keys$"))


def test_api_key_created_in_the_browser_is_shown_once_and_works(
    page: Page, user: DashboardUser
) -> None:
    log_in(page, user, "/api-keys")
    page.get_by_test_id("api-key-name").fill("laptop")
    page.get_by_test_id("api-key-create").click()

    secret = page.get_by_test_id("api-key-secret")
    expect(secret).to_be_visible()
    key = secret.inner_text().strip()
    expect(page.get_by_test_id("copy-button").first).to_be_visible()
    me = httpx.get(f"{user.sdk.api_url}/v1/me", headers={"x-api-key": key}, trust_env=False)
    assert me.status_code == 200
    assert me.json()["email"] == user.email
    expect(page.get_by_test_id("api-key-row").filter(has_text="laptop")).to_have_count(1)

    page.reload()
    expect(page.get_by_test_id("api-key-row").filter(has_text="laptop")).to_have_count(1)
    expect(page.get_by_test_id("api-key-secret")).to_have_count(0)
    assert key not in page.content()

    row = page.get_by_test_id("api-key-row").filter(has_text="laptop")
    row.get_by_test_id("api-key-revoke").click()
    row.get_by_test_id("api-key-revoke-confirm").click()
    expect(page.get_by_test_id("api-key-row").filter(has_text="laptop")).to_have_count(0)
    refused = httpx.get(f"{user.sdk.api_url}/v1/me", headers={"x-api-key": key}, trust_env=False)
    assert refused.status_code in {401, 403}


def test_a_run_that_does_not_exist_shows_a_message_not_a_blank_page(
    page: Page, user: DashboardUser
) -> None:
    log_in(page, user, "/runs/00000000-0000-4000-8000-000000000000")

    expect(page.get_by_test_id("error-message")).to_contain_text(
        "does not exist or is not visible to you"
    )
