"""Projects, the run table, a run's page, its media, compare and live updates, in the
browser, with runs logged through the SDK."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from typing import Any

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Browser, Locator, Page, expect

import wavedb
from tests.support.dashboard import SCREENSHOT_DIR, DashboardUser, api_get, curve, log_in
from wavedb.runs import Run
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(180)

COLORS = {0: (220, 30, 30), 1: (30, 200, 60), 2: (40, 60, 230)}


def _log_run(
    user: DashboardUser,
    project: str,
    name: str,
    config: dict[str, Any],
    steps: int,
    *,
    offset: float = 0.0,
    finish: bool = True,
) -> Run:
    run = wavedb.init(project=project, name=name, config=config, tags=["e2e"])
    for step in range(steps):
        run.log({"train/loss": curve(step) + offset, "train/acc": step / steps}, step=step)
    if finish:
        run.finish()
    user.sdk.wait_for_points(run.id, "train/loss", steps)
    return run


def _chart(page: Page, metric: str, test_id: str = "metric-chart") -> Locator:
    return page.locator(f'[data-testid="{test_id}"][data-metric="{metric}"]')


def _row_names(page: Page) -> list[str]:
    return [
        name.strip() for name in page.get_by_test_id("run-link").all_inner_texts() if name.strip()
    ]


def _centre_colour(image: Locator) -> tuple[int, int, int]:
    picture = Image.open(io.BytesIO(image.screenshot())).convert("RGB")
    red, green, blue = picture.getpixel((picture.width // 2, picture.height // 2))  # type: ignore[misc]
    return red, green, blue


def _close(actual: Sequence[int], expected: Sequence[int], tolerance: int = 12) -> bool:
    return all(abs(a - e) <= tolerance for a, e in zip(actual, expected, strict=True))


def test_run_table_lists_sorts_filters_and_compares_runs(page: Page, user: DashboardUser) -> None:
    runs = {
        name: _log_run(user, "vision", name, {"lr": lr, "optimizer": opt}, 60, offset=offset)
        for name, lr, opt, offset in [
            ("fast-adam", 0.1, "adam", 0.3),
            ("mid-sgd", 0.01, "sgd", 0.1),
            ("slow-adam", 0.001, "adam", 0.2),
        ]
    }
    log_in(page, user)
    page.get_by_test_id("project-link").filter(has_text="vision").click()

    table = page.get_by_test_id("run-table")
    expect(table.get_by_test_id("run-row")).to_have_count(3)
    expect(table.locator('[data-testid="run-row"][data-status="finished"]')).to_have_count(3)

    page.get_by_test_id("filter-query").fill("lr>0.005")
    expect(table.get_by_test_id("run-row")).to_have_count(2)
    assert sorted(_row_names(page)) == ["fast-adam", "mid-sgd"]
    page.reload()  # the filter lives in the URL, so a reload (or a shared link) keeps it
    expect(page.get_by_test_id("filter-query")).to_have_value("lr>0.005")
    expect(table.get_by_test_id("run-row")).to_have_count(2)
    page.get_by_test_id("filter-query").fill("optimizer=adam lr<0.05")
    expect(table.get_by_test_id("run-row")).to_have_count(1)
    assert _row_names(page) == ["slow-adam"]
    page.get_by_test_id("filter-query").fill("")
    page.get_by_test_id("filter-name").fill("adam")
    expect(table.get_by_test_id("run-row")).to_have_count(2)
    page.get_by_test_id("filter-name").fill("")
    expect(table.get_by_test_id("run-row")).to_have_count(3)

    loss_header = page.get_by_test_id("column-header").filter(has_text="train/loss").first
    loss_header.click()
    expect(loss_header).to_have_attribute("aria-sort", "ascending")
    assert _row_names(page) == ["mid-sgd", "slow-adam", "fast-adam"]
    loss_header.click()
    expect(loss_header).to_have_attribute("aria-sort", "descending")
    assert _row_names(page) == ["fast-adam", "slow-adam", "mid-sgd"]

    for name in ("fast-adam", "mid-sgd", "slow-adam"):
        page.locator(f'[data-testid="run-row"][data-run-id="{runs[name].id}"]').get_by_test_id(
            "run-select"
        ).check()
    page.get_by_test_id("compare-button").click()

    expect(page).to_have_url(re.compile(r"#/compare\?runs="))
    chart = _chart(page, "train/loss", "compare-chart")
    expect(chart).to_be_visible()
    expect(page.get_by_test_id("compare-legend-item")).to_have_count(3)
    diff = page.get_by_test_id("config-diff")
    expect(diff).to_contain_text("lr")
    expect(diff).to_contain_text("optimizer")
    expect(page.get_by_test_id("parallel-coordinates")).to_be_visible()


def test_run_page_charts_the_logged_values_and_edits_tags_and_notes(
    page: Page, user: DashboardUser
) -> None:
    run = _log_run(user, "nlp", "bert-base", {"lr": 0.0003, "model": {"layers": 12}}, 200)
    log_in(page, user, f"/runs/{run.id}")

    expect(page.get_by_test_id("run-name")).to_contain_text("bert-base")
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", "finished")
    chart = _chart(page, "train/loss")
    expect(chart).to_have_attribute("data-count", "200")
    expect(chart).to_have_attribute("data-last-step", "199")

    plot = chart.locator(".u-over")
    box = plot.bounding_box()
    assert box is not None
    for fraction in (0.1, 0.5, 0.9):
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] / 2)
        expect(chart.get_by_test_id("hover-step")).not_to_have_text("")
        step_text = chart.get_by_test_id("hover-step").inner_text()
        value_text = chart.get_by_test_id("hover-value").inner_text()
        step = int(step_text.replace(",", ""))
        assert 0 <= step < 200
        assert float(value_text) == pytest.approx(curve(step), rel=1e-3), (step, value_text)

    page.get_by_test_id("tab-config").click()
    expect(page.get_by_test_id("config-table")).to_contain_text("model.layers")
    expect(page.get_by_test_id("summary-table")).to_contain_text("train/loss")

    page.get_by_test_id("tag-input").fill("baseline")
    page.get_by_test_id("tag-input").press("Enter")
    expect(page.get_by_test_id("tag").filter(has_text="baseline")).to_be_visible()
    page.get_by_test_id("notes-input").fill("warmup helped")
    page.get_by_test_id("notes-save").click()
    expect(page.get_by_test_id("error-message")).to_have_count(0)
    page.reload()
    expect(page.get_by_test_id("notes-input")).to_have_value("warmup helped")
    expect(page.get_by_test_id("tag").filter(has_text="baseline")).to_be_visible()
    saved = api_get(user, f"/v1/runs/{run.id}")
    assert "baseline" in saved["tags"]
    assert saved["notes"] == "warmup helped"

    page.get_by_test_id("tab-charts").click()
    with page.expect_download() as download_info:
        page.get_by_test_id("download-csv").click()
    rows = list(csv.DictReader(io.StringIO(download_info.value.path().read_text())))
    losses = {int(row["step"]): float(row["value"]) for row in rows if row["name"] == "train/loss"}
    assert losses == {step: pytest.approx(curve(step)) for step in range(200)}


def test_media_gallery_shows_the_uploaded_image_of_each_step(
    page: Page, user: DashboardUser
) -> None:
    run = wavedb.init(project="gan", name="dcgan")
    for step, colour in COLORS.items():
        pixels = np.zeros((16, 32, 3), dtype=np.uint8)
        pixels[:, :] = colour
        run.log_image("samples", pixels, step=step, caption=f"epoch {step}")
        run.log({"loss": 1.0 / (step + 1)}, step=step)
    run.log_text("notes", "converged after warmup", step=2)
    run.log_histogram("weights", np.arange(100.0), step=2, bins=10)
    tone = np.sin(np.linspace(0, 2 * np.pi * 440, 8_000)).astype(np.float32)
    run.log_audio("tone", tone, step=2, sample_rate=8_000)
    run.finish()
    ready = user.sdk.wait_for_media(run.id, 6)
    assert [item["status"] for item in ready] == ["ready"] * 6

    log_in(page, user, f"/runs/{run.id}")
    page.get_by_test_id("tab-media").click()
    group = page.locator('[data-testid="media-group"][data-name="samples"]')
    image = group.get_by_test_id("media-image")
    expect(image).to_be_visible()
    image.evaluate("img => img.decode()")
    assert image.evaluate("img => img.naturalWidth") == 32
    assert image.evaluate("img => img.naturalHeight") == 16

    slider = group.get_by_test_id("media-step-slider")
    for step, colour in COLORS.items():
        slider.fill(str(step))
        expect(group.get_by_test_id("media-step")).to_contain_text(str(step))
        expect(group).to_contain_text(f"epoch {step}")
        image.evaluate("img => img.decode()")
        assert _close(_centre_colour(image), colour), (step, _centre_colour(image))

    expect(page.get_by_test_id("media-text")).to_have_text("converged after warmup")
    expect(page.get_by_test_id("media-histogram").locator("rect")).to_have_count(10)
    audio = page.get_by_test_id("media-audio")
    expect(audio).to_have_attribute("src", re.compile(r"^https?://"))


def test_running_run_updates_its_charts_and_status_without_a_reload(
    page: Page, browser: Browser, dashboard: LocalStack, user: DashboardUser
) -> None:
    run = _log_run(user, "live", "streaming", {"lr": 0.01}, 30, finish=False)
    table_context = browser.new_context(base_url=dashboard.api_url)
    table = table_context.new_page()
    log_in(table, user, f"/projects/{run.project_id}")
    row = table.locator(f'[data-testid="run-row"][data-run-id="{run.id}"]')
    expect(row).to_have_attribute("data-status", "running")
    log_in(page, user, f"/runs/{run.id}")
    expect(page.get_by_test_id("status-badge").first).to_have_attribute("data-status", "running")
    chart = _chart(page, "train/loss")
    expect(chart).to_have_attribute("data-count", "30")
    page.evaluate("() => { window.__sameDocument = true; }")

    for step in range(30, 90):
        run.log({"train/loss": curve(step), "eval/acc": step / 100}, step=step)
    user.sdk.wait_for_points(run.id, "train/loss", 90)

    expect(chart).to_have_attribute("data-count", "90", timeout=15_000)
    expect(chart).to_have_attribute("data-last-step", "89")
    expect(_chart(page, "eval/acc")).to_be_visible(timeout=15_000)
    run.finish()
    expect(page.get_by_test_id("status-badge").first).to_have_attribute(
        "data-status", "finished", timeout=15_000
    )
    assert page.evaluate("() => window.__sameDocument") is True
    expect(row).to_have_attribute("data-status", "finished", timeout=15_000)  # table refreshes
    table_context.close()


def test_phone_sized_screen_shows_the_run_page_in_one_column(
    browser: Browser, dashboard: LocalStack, user: DashboardUser
) -> None:
    run = _log_run(user, "mobile", "on-the-go", {"lr": 0.02}, 50)
    context = browser.new_context(
        base_url=dashboard.api_url,
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    phone = context.new_page()
    try:
        log_in(phone, user, f"/runs/{run.id}")
        chart = _chart(phone, "train/loss")
        expect(chart).to_have_attribute("data-count", "50")
        box = chart.bounding_box()
        assert box is not None
        assert box["width"] <= 390
        assert phone.evaluate("() => document.documentElement.scrollWidth") <= 390
        workspace_id = api_get(user, f"/v1/runs/{run.id}")["workspace_id"]
        expect(phone.get_by_test_id("workspace-switcher")).to_have_value(workspace_id)
        expect(phone.get_by_test_id("nav-api-keys")).to_be_hidden()
        phone.get_by_role("button", name="Menu").click()
        expect(phone.get_by_test_id("nav-api-keys")).to_be_visible()
    finally:
        SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
        phone.screenshot(path=str(SCREENSHOT_DIR / "phone-run-page.png"), full_page=True)
        context.close()


def test_zooming_a_long_chart_asks_for_finer_buckets_and_double_click_resets(
    page: Page, user: DashboardUser
) -> None:
    run = _log_run(user, "long", "20k-steps", {"lr": 0.1}, 20_000)
    log_in(page, user, f"/runs/{run.id}")
    chart = _chart(page, "train/loss")
    expect(chart).to_have_attribute("data-count", "20000")
    plot = chart.locator(".u-over")
    box = plot.bounding_box()
    assert box is not None
    middle = box["y"] + box["height"] / 2

    with page.expect_request(
        lambda request: "/series" in request.url and "step_min=" in request.url
    ) as finer:
        page.mouse.move(box["x"] + box["width"] * 0.40, middle)
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] * 0.45, middle, steps=5)
        page.mouse.up()
    step_min = int(re.search(r"step_min=(\d+)", finer.value.url).group(1))  # type: ignore[union-attr]
    step_max = int(re.search(r"step_max=(\d+)", finer.value.url).group(1))  # type: ignore[union-attr]
    assert 7_000 <= step_min < step_max <= 10_000
    note = chart.locator(".zoom-note")
    expect(note).to_contain_text("(finer)")

    plot.dblclick()
    expect(note).to_have_count(0)
