"""Parallel coordinates start with a metric most of the compared runs have and keep their
labels legible; the run page names a run's summary in the words the API uses."""

from __future__ import annotations

from itertools import combinations

import pytest
from playwright.sync_api import Page, expect

import wavedb
from tests.support.dashboard import DashboardUser, curve, log_in
from wavedb.runs import Run

pytestmark = pytest.mark.timeout(180)

STEPS = 10
LONG_KEYS = ("optimizer.schedule.warmup_steps_before_decay", "optimizer.schedule.decay_factor")


def _log(user: DashboardUser, index: int, *, with_loss: bool) -> Run:
    config = {
        "optimizer": {"schedule": {"warmup_steps_before_decay": 100 * index, "decay_factor": index}}
    }
    run = wavedb.init(project="parallel", name=f"run-{index}", config=config)
    for step in range(STEPS):
        values = {"train/acc": step / STEPS + index * 0.01}
        if with_loss:
            values["train/loss"] = curve(step)
        run.log(values, step=step)
    run.summary["accuracy"] = 0.9 + index * 0.01
    run.finish()
    user.sdk.wait_for_points(run.id, "train/acc", STEPS)
    return run


def test_parallel_coordinates_start_with_a_common_metric_and_legible_labels(
    page: Page, user: DashboardUser
) -> None:
    runs = [_log(user, 0, with_loss=True), _log(user, 1, with_loss=False)]
    runs.append(_log(user, 2, with_loss=False))
    log_in(page, user, f"/compare?runs={','.join(run.id for run in runs)}")

    expect(page.get_by_test_id("parallel-coordinates")).to_be_visible()
    expect(page.get_by_test_id("parallel-metric")).to_have_value("metric:train/acc")

    titles = page.get_by_test_id("parallel-axis-title")
    expect(titles).to_have_count(len(LONG_KEYS) + 1)
    chart = page.get_by_test_id("parallel-coordinates").bounding_box()
    assert chart is not None
    boxes = []
    for title in titles.all():
        shown = title.evaluate("text => text.childNodes[0].textContent")
        assert len(shown) <= 30, shown
        box = title.bounding_box()
        assert box is not None
        assert chart["x"] <= box["x"]
        assert box["x"] + box["width"] <= chart["x"] + chart["width"]
        boxes.append(box)
    for left, right in combinations(boxes, 2):
        apart = left["x"] + left["width"] <= right["x"]
        stacked = (
            left["y"] + left["height"] <= right["y"] or right["y"] + right["height"] <= left["y"]
        )
        assert apart or stacked, (left, right)
    full = titles.first.locator("title").text_content()
    assert full in LONG_KEYS


def test_run_page_names_metrics_results_and_summary_apart(page: Page, user: DashboardUser) -> None:
    run = _log(user, 0, with_loss=True)
    log_in(page, user, f"/runs/{run.id}")
    page.get_by_test_id("tab-config").click()

    expect(page.get_by_role("heading", name="Metrics")).to_be_visible()
    expect(page.get_by_role("heading", name="Results")).to_be_visible()
    expect(page.get_by_test_id("summary-table")).to_contain_text("train/loss")
    expect(page.get_by_test_id("results-table")).to_contain_text("accuracy")
    expect(page.get_by_test_id("summary-vocabulary")).to_contain_text(
        "metrics' last, min and max values and its results"
    )
