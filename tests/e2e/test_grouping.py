"""Grouping runs by config keys and charting a project's runs, in the browser: one line per
group with a band around its mean, in the project view (kept in the user's layout) and in
compare; the project's charts follow the run table's filters."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Locator, Page, expect

import wavedb
from tests.support.dashboard import DashboardUser, api_get, curve, log_in

pytestmark = pytest.mark.timeout(180)

STEPS = 30
SWEEP = [(0.1, 1), (0.1, 2), (0.01, 1), (0.01, 2)]


def _log_sweep(user: DashboardUser) -> str:
    """Four runs: two learning rates, two seeds each. Returns the project's id."""
    project_id = ""
    for lr, seed in SWEEP:
        run = wavedb.init(project="sweep", name=f"lr{lr}-s{seed}", config={"lr": lr, "seed": seed})
        for step in range(STEPS):
            run.log({"train/loss": curve(step) + lr * 10 + seed * 0.05}, step=step)
        run.finish()
        user.sdk.wait_for_points(run.id, "train/loss", STEPS)
        project_id = str(run.project_id)
    time.sleep(0.2)
    return project_id


def _loss_chart(page: Page, test_id: str) -> Locator:
    return page.locator(f'[data-testid="{test_id}"][data-metric="train/loss"]')


def test_project_charts_follow_the_table_and_group_runs_with_a_band(
    page: Page, user: DashboardUser
) -> None:
    project_id = _log_sweep(user)
    log_in(page, user, f"/projects/{project_id}")
    expect(page.get_by_test_id("run-row")).to_have_count(4)

    page.get_by_test_id("project-charts-toggle").click()
    chart = _loss_chart(page, "project-chart")
    expect(chart).to_have_attribute("data-series", "4")
    expect(chart.locator(".chart")).to_have_attribute("data-lines", "4")

    page.get_by_test_id("filter-query").fill("lr>0.05")
    expect(page.get_by_test_id("run-row")).to_have_count(2)
    expect(chart).to_have_attribute("data-series", "2")
    page.get_by_test_id("filter-query").fill("")
    expect(chart).to_have_attribute("data-series", "4")

    page.get_by_test_id("log-scale-toggle").check()
    expect(page).to_have_url(re.compile(r"log=1"))
    expect(chart.locator(".u-legend")).to_be_visible()

    page.get_by_test_id("group-by-select").select_option("lr")
    expect(chart).to_have_attribute("data-groups", "2")
    expect(chart.locator(".chart")).to_have_attribute("data-lines", "2")
    expect(chart.locator(".chart")).to_have_attribute("data-bands", "2")
    expect(chart.locator(".u-legend")).to_contain_text("lr=0.1 (2)")

    page.get_by_test_id("group-band-select").select_option("none")
    expect(chart.locator(".chart")).to_have_attribute("data-bands", "0")
    page.get_by_test_id("group-band-select").select_option("std")
    expect(chart.locator(".chart")).to_have_attribute("data-bands", "2")

    page.get_by_test_id("group-by-select").select_option("seed")
    expect(chart).to_have_attribute("data-groups", "4")
    page.locator('[data-testid="group-key"][data-key="seed"] button').click()
    expect(chart).to_have_attribute("data-groups", "2")

    def saved_grouping() -> tuple[list[str], str]:
        layout = api_get(user, f"/v1/projects/{project_id}/layout")
        return layout["group_by"], layout["group_band"]

    deadline = time.monotonic() + 10
    while saved_grouping() != (["lr"], "std") and time.monotonic() < deadline:
        time.sleep(0.2)
    assert saved_grouping() == (["lr"], "std")
    page.reload()
    expect(chart).to_have_attribute("data-groups", "2")
    expect(page.get_by_test_id("group-band-select")).to_have_value("std")


def test_compare_groups_runs_by_a_config_key_with_a_band(page: Page, user: DashboardUser) -> None:
    project_id = _log_sweep(user)
    log_in(page, user, f"/projects/{project_id}")
    page.get_by_test_id("run-select-all").check()
    page.get_by_test_id("compare-button").click()
    chart = _loss_chart(page, "compare-chart")
    expect(chart).to_have_attribute("data-series", "4")

    page.get_by_test_id("group-by-select").select_option("lr")
    expect(chart).to_have_attribute("data-groups", "2")
    expect(page.get_by_test_id("group-legend-item")).to_have_count(2)
    expect(chart.locator(".chart")).to_have_attribute("data-bands", "2")
    expect(page).to_have_url(re.compile(r"group=lr"))

    page.reload()
    expect(chart).to_have_attribute("data-groups", "2")
