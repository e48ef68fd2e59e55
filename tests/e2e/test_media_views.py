"""Media in the browser: a grid of one image name across steps on the run page, and the same
image name at the same step side by side across the compared runs."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

import wavedb
from tests.support.dashboard import DashboardUser, log_in
from wavedb.runs import Run

pytestmark = pytest.mark.timeout(180)

# The colour of each run's image at each step: (red, green, blue).
STEPS = (0, 1, 2)


def _colour(run_index: int, step: int) -> tuple[int, int, int]:
    return (40 + 80 * step, 200 - 150 * run_index, 60 + 150 * run_index)


def _log_images(user: DashboardUser, run_index: int, steps: tuple[int, ...] = STEPS) -> Run:
    run = wavedb.init(project="gan", name=f"dcgan-{run_index}")
    for step in steps:
        pixels = np.zeros((16, 32, 3), dtype=np.uint8)
        pixels[:, :] = _colour(run_index, step)
        run.log_image("samples", pixels, step=step, caption=f"run {run_index} step {step}")
    run.finish()
    ready = user.sdk.wait_for_media(run.id, len(steps))
    assert [item["status"] for item in ready] == ["ready"] * len(steps)
    return run


def _centre_colour(image: Locator) -> tuple[int, int, int]:
    image.evaluate("img => img.decode()")
    picture = Image.open(io.BytesIO(image.screenshot())).convert("RGB")
    red, green, blue = picture.getpixel((picture.width // 2, picture.height // 2))  # type: ignore[misc]
    return red, green, blue


def _close(actual: tuple[int, int, int], expected: tuple[int, int, int]) -> bool:
    return all(abs(a - e) <= 12 for a, e in zip(actual, expected, strict=True))


def test_media_grid_shows_an_image_of_every_step(page: Page, user: DashboardUser) -> None:
    run = _log_images(user, 0)
    log_in(page, user, f"/runs/{run.id}")
    page.get_by_test_id("tab-media").click()
    group = page.locator('[data-testid="media-group"][data-name="samples"]')

    group.get_by_test_id("media-mode-grid").click()
    cells = group.get_by_test_id("media-grid-cell")
    expect(cells).to_have_count(len(STEPS))
    for step in STEPS:
        cell = group.locator(f'[data-testid="media-grid-cell"][data-step="{step}"]')
        expect(cell).to_contain_text(f"run 0 step {step}")
        assert _close(_centre_colour(cell.get_by_test_id("media-image")), _colour(0, step))

    group.locator('[data-testid="media-grid-cell"][data-step="1"]').get_by_role(
        "button", name="step 1"
    ).click()
    expect(group.get_by_test_id("media-step")).to_have_text("1")
    expect(group.get_by_test_id("media-grid")).to_have_count(0)


def test_compare_shows_the_same_image_at_the_same_step_side_by_side(
    page: Page, user: DashboardUser
) -> None:
    runs = [_log_images(user, 0), _log_images(user, 1, steps=(0, 2))]
    log_in(page, user, f"/compare?runs={runs[0].id},{runs[1].id}")

    media = page.get_by_test_id("compare-media")
    expect(media.get_by_test_id("compare-media-name")).to_have_value("samples")
    expect(media.get_by_test_id("compare-media-step")).to_have_text("2")
    for index, run in enumerate(runs):
        cell = media.locator(f'[data-testid="compare-media-cell"][data-run-id="{run.id}"]')
        expect(cell).to_contain_text(f"run {index} step 2")
        assert _close(_centre_colour(cell.get_by_test_id("media-image")), _colour(index, 2))

    media.get_by_test_id("compare-media-slider").fill("1")
    expect(media.get_by_test_id("compare-media-step")).to_have_text("1")
    first = media.locator(f'[data-testid="compare-media-cell"][data-run-id="{runs[0].id}"]')
    second = media.locator(f'[data-testid="compare-media-cell"][data-run-id="{runs[1].id}"]')
    expect(first).to_contain_text("run 0 step 1")
    expect(second).to_have_attribute("data-has-image", "false")
    expect(second).to_contain_text("No samples at step 1")
