"""The run page's panel grid in the browser: panels fill the width, draw several metrics
with their own settings, resize by dragging, and come back after a reload and on another
machine (the layout is kept by the API per user and project)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

import wavedb
from tests.support.dashboard import SCREENSHOT_DIR, DashboardUser, api_get, curve, log_in
from wavedb.runs import Run
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(180)

STEPS = 60


def _log_run(user: DashboardUser) -> Run:
    run = wavedb.init(project="panels", name="sweep-1", config={"lr": 0.01})
    for step in range(STEPS):
        run.log(
            {
                "train/loss": curve(step),
                "val/loss": curve(step) + 0.1,
                "train/acc": step / STEPS,
                "lr": 0.01,
                "system/cpu": 50.0,
            },
            step=step,
        )
        time.sleep(0.005)  # points logged at distinct times, for the time axes
    run.finish()
    user.sdk.wait_for_points(run.id, "lr", STEPS)
    return run


def _panel(page: Page, title: str) -> Locator:
    return page.get_by_test_id("panel").filter(has=page.locator(".chart-title", has_text=title))


def test_panels_fill_the_width_and_a_new_panel_draws_two_metrics_with_its_settings(
    browser: Browser, dashboard: LocalStack, page: Page, user: DashboardUser
) -> None:
    run = _log_run(user)
    log_in(page, user, f"/runs/{run.id}")

    grid = page.get_by_test_id("panel-grid")
    expect(grid.get_by_test_id("panel")).to_have_count(4)
    columns = int(grid.get_attribute("data-columns") or "0")
    assert columns >= 3
    tops = {
        round(box["y"])
        for box in (panel.bounding_box() for panel in grid.get_by_test_id("panel").all()[:columns])
        if box is not None
    }
    assert len(tops) == 1, "the first row holds as many panels as there are columns"

    page.get_by_test_id("add-panel").click()
    editor = page.get_by_test_id("panel-editor")
    editor.get_by_test_id("panel-title-input").fill("Losses")
    editor.get_by_test_id("panel-metrics-select").select_option(["train/loss", "val/loss"])
    editor.get_by_test_id("panel-x-axis").select_option("relative")
    editor.get_by_test_id("panel-log-scale").check()
    editor.get_by_test_id("panel-y-min").fill("0.01")
    editor.get_by_test_id("panel-y-max").fill("5")
    expect(editor.get_by_test_id("panel-drawn")).to_contain_text("Draws 2 metrics")
    editor.get_by_test_id("panel-save").click()

    losses = _panel(page, "Losses")
    chart = losses.get_by_test_id("metric-chart")
    expect(chart).to_have_attribute("data-metric", "train/loss,val/loss")
    expect(chart.locator(".u-legend")).to_contain_text("val/loss")
    expect(chart.locator(".u-legend")).to_contain_text("relative time")
    expect(page.get_by_test_id("layout-status")).to_have_attribute("data-state", "saved")

    handle = losses.get_by_test_id("panel-resize").bounding_box()
    before = losses.bounding_box()
    assert handle is not None
    assert before is not None
    page.mouse.move(handle["x"] + 5, handle["y"] + 5)
    page.mouse.down()
    page.mouse.move(handle["x"] + before["width"] + 5, handle["y"] + 105, steps=8)
    page.mouse.up()
    expect(losses).to_have_attribute("data-span", "2")
    expect(losses).to_have_attribute("data-height", "320")
    after = losses.bounding_box()
    assert after is not None
    assert after["width"] > before["width"] * 1.8
    expect(page.get_by_test_id("layout-status")).to_have_attribute("data-state", "saved")

    page.reload()
    restored = _panel(page, "Losses")
    expect(restored).to_have_attribute("data-span", "2")
    expect(restored.get_by_test_id("metric-chart")).to_have_attribute(
        "data-metric", "train/loss,val/loss"
    )
    saved = api_get(user, f"/v1/projects/{run.project_id}/layout")
    assert saved["panels"][0] == {
        "id": saved["panels"][0]["id"],
        "title": "Losses",
        "metrics": ["train/loss", "val/loss"],
        "pattern": "",
        "x_axis": "relative",
        "log_scale": True,
        "smoothing": 0.0,
        "y_min": 0.01,
        "y_max": 5.0,
        "span": 2,
        "height": 320,
    }

    # Another machine: a new browser profile, the same user, the same panels.
    other = browser.new_context(base_url=dashboard.api_url, viewport={"width": 1400, "height": 900})
    try:
        elsewhere = other.new_page()
        log_in(elsewhere, user, f"/runs/{run.id}")
        expect(_panel(elsewhere, "Losses")).to_have_attribute("data-height", "320")
        expect(elsewhere.get_by_test_id("panel")).to_have_count(5)
    finally:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        elsewhere.screenshot(
            path=str(SCREENSHOT_DIR / "panels-another-machine.png"), full_page=True
        )
        other.close()


def test_a_panel_by_pattern_draws_the_matching_metrics_and_reset_brings_back_the_defaults(
    page: Page, user: DashboardUser
) -> None:
    run = _log_run(user)
    log_in(page, user, f"/runs/{run.id}")
    expect(page.get_by_test_id("panel")).to_have_count(4)

    page.get_by_test_id("add-panel").click()
    editor = page.get_by_test_id("panel-editor")
    editor.get_by_test_id("panel-metrics-select").select_option([])
    editor.get_by_test_id("panel-pattern-input").fill("(")
    expect(editor.get_by_role("alert")).to_contain_text("not a regular expression")
    expect(editor.get_by_test_id("panel-save")).to_be_disabled()
    editor.get_by_test_id("panel-pattern-input").fill("loss$")
    expect(editor.get_by_test_id("panel-drawn")).to_contain_text("Draws 2 metrics")
    editor.get_by_test_id("panel-save").click()

    chart = page.locator('[data-testid="metric-chart"][data-metric="train/loss,val/loss"]')
    expect(chart).to_have_count(1)
    expect(chart.locator(".chart-title")).to_have_text("/loss$/")
    expect(page.get_by_test_id("panel")).to_have_count(5)

    panels = page.get_by_test_id("panel")
    new_id = panels.first.get_attribute("data-panel-id")
    expect(panels.first.get_by_test_id("panel-move-earlier")).to_have_count(0)
    panels.first.get_by_test_id("panel-move-later").click()
    expect(panels.nth(1)).to_have_attribute("data-panel-id", str(new_id))
    panels.nth(1).get_by_test_id("panel-move-earlier").click()
    expect(panels.first).to_have_attribute("data-panel-id", str(new_id))

    first = page.get_by_test_id("panel").first
    first.get_by_test_id("panel-remove").click()
    expect(page.get_by_test_id("panel")).to_have_count(4)
    expect(page.get_by_test_id("layout-status")).to_have_attribute("data-state", "saved")

    page.get_by_test_id("reset-layout").click()
    expect(page.get_by_test_id("panel")).to_have_count(4)
    expect(page.get_by_test_id("reset-layout")).to_have_count(0)
    expect(page.get_by_test_id("layout-status")).to_have_attribute("data-state", "saved")
    assert api_get(user, f"/v1/projects/{run.project_id}/layout")["panels"] == []

    # System metrics start outside the panels, one click away.
    expect(page.get_by_test_id("unplaced-metrics")).to_contain_text(
        "1 system metric is in no panel"
    )
    page.get_by_test_id("place-metrics").click()
    expect(page.locator('[data-testid="metric-chart"][data-metric="system/cpu"]')).to_have_count(1)
    expect(page.get_by_test_id("unplaced-metrics")).to_have_count(0)
