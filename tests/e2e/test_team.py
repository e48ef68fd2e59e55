"""Sharing in the browser: a new workspace, a project, an invitation accepted by a colleague
(from the link of its e-mail, which the local stack prints) who then sees the project as a
viewer, and switching between workspaces."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.dashboard import SCREENSHOT_DIR, DashboardUser, log_in, new_dashboard_user
from tests.support.mail import printed_mail
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(180)


def test_invited_colleague_accepts_and_sees_the_teams_project_read_only(
    page: Page,
    browser: Browser,
    dashboard: LocalStack,
    user: DashboardUser,
    database_url: str,
    tmp_path: Path,
) -> None:
    with httpx.Client(base_url=dashboard.api_url, timeout=30, trust_env=False) as http:
        colleague = new_dashboard_user(http, database_url, tmp_path / "colleague")
    colleague.sdk.close()

    log_in(page, user)
    expect(page).to_have_url(re.compile(r"#/workspaces/[0-9a-f-]{36}$"))
    personal = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("workspace-switcher")).to_have_value(personal)
    page.get_by_test_id("new-workspace-button").click()
    page.get_by_test_id("new-workspace-name").fill("Vision team")
    page.get_by_test_id("new-workspace-submit").click()
    expect(page.locator("h1")).to_contain_text("Vision team")
    # The new workspace's page (not the personal one), and the switcher following it.
    expect(page).to_have_url(re.compile(f"#/workspaces/(?!{personal})[0-9a-f-]{{36}}$"))
    team = page.url.rsplit("/", 1)[1]
    expect(page.get_by_test_id("workspace-switcher")).to_have_value(team)
    page.get_by_test_id("new-project-name").fill("shared-detector")
    page.get_by_test_id("new-project-submit").click()
    expect(page.get_by_test_id("project-link").filter(has_text="shared-detector")).to_be_visible()

    page.get_by_test_id("workspace-settings-link").click()
    page.get_by_test_id("invite-email").fill(colleague.email)
    page.get_by_test_id("invite-role").select_option("viewer")
    with printed_mail() as mail:
        page.get_by_test_id("invite-submit").click()
        expect(
            page.get_by_test_id("invitation-row").filter(has_text=colleague.email)
        ).to_be_visible()
    token = mail.invitation_token()

    context = browser.new_context(
        base_url=dashboard.api_url, viewport={"width": 1280, "height": 800}
    )
    other = context.new_page()
    try:
        log_in(other, colleague, f"/invitations?token={token}")
        invitation = other.get_by_test_id("invitation-row").filter(has_text="Vision team")
        invitation.get_by_test_id("invitation-accept").click()
        expect(other).to_have_url(re.compile(f"#/workspaces/{team}$"))
        expect(other.get_by_test_id("workspace-switcher")).to_have_value(team)
        expect(
            other.get_by_test_id("project-link").filter(has_text="shared-detector")
        ).to_be_visible()
        expect(other.get_by_test_id("new-project-name")).to_have_count(0)  # a viewer
    finally:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        other.screenshot(path=str(SCREENSHOT_DIR / "colleague-after-accepting.png"), full_page=True)
        context.close()

    page.reload()
    expect(page.get_by_test_id("member-row").filter(has_text=colleague.email)).to_be_visible()
    page.get_by_test_id("workspace-switcher").select_option(personal)
    expect(page).to_have_url(re.compile(f"#/workspaces/{personal}$"))
    expect(page.get_by_test_id("project-link").filter(has_text="shared-detector")).to_have_count(0)
