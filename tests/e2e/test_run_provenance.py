"""A run's page says where the run came from (git commit linked on its host, dirty flag and
the diff, host, user, OS, Python, command, packages, SDK), a finished run shows when it
ended instead of a heartbeat age, and system metrics are charted against wall-clock time."""

from __future__ import annotations

import re
import socket
import sys
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

import wavedb
from tests.support.dashboard import DashboardUser, curve, log_in
from tests.support.git_repositories import git, make_dirty_repository, run_train_script

pytestmark = pytest.mark.timeout(180)

TRAIN = """
import wavedb
run = wavedb.init(project="provenance")
for step in range(5):
    run.log({"loss": 1.0 / (step + 1)}, step=step)
print(run.id)
run.finish()
"""


def test_run_page_shows_where_a_finished_run_came_from(
    page: Page, user: DashboardUser, tmp_path: Path
) -> None:
    repository = make_dirty_repository(
        tmp_path / "models", remote="git@github.com:acme/models.git", train_script=TRAIN
    )
    run_id = run_train_script(repository, "--lr", "0.1")
    user.sdk.wait_for_media(run_id, 2)
    commit = git(repository, "rev-parse", "HEAD")

    log_in(page, user, f"/runs/{run_id}")
    provenance = page.get_by_test_id("provenance")
    expect(provenance).to_be_visible()
    link = provenance.get_by_test_id("provenance-commit")
    expect(link).to_have_attribute("href", f"https://github.com/acme/models/commit/{commit}")
    expect(link).to_have_text(commit[:10])
    expect(provenance.get_by_test_id("provenance-git")).to_contain_text("experiment")
    expect(provenance.get_by_test_id("provenance-dirty")).to_contain_text("dirty")
    expect(provenance.get_by_test_id("provenance-diff")).to_have_attribute(
        "href", re.compile(r"^https?://")
    )
    expect(provenance.get_by_test_id("provenance-host")).to_contain_text(socket.gethostname())
    expect(provenance.get_by_test_id("provenance-user")).not_to_be_empty()
    expect(provenance.get_by_test_id("provenance-os")).not_to_be_empty()
    expect(provenance.get_by_test_id("provenance-python")).to_contain_text(
        ".".join(str(part) for part in sys.version_info[:3])
    )
    expect(provenance.get_by_test_id("provenance-command")).to_contain_text("train.py --lr 0.1")
    expect(provenance.get_by_test_id("provenance-packages-file")).to_have_attribute(
        "href", re.compile(r"^https?://")
    )
    expect(provenance.get_by_test_id("provenance-sdk")).to_contain_text(wavedb.__version__)

    # A finished run has no heartbeat to age: the page says when it ended.
    expect(page.get_by_test_id("run-ended")).to_be_visible()
    expect(page.get_by_test_id("run-heartbeat")).to_have_count(0)


def test_system_metrics_are_charted_on_a_wall_clock_axis(page: Page, user: DashboardUser) -> None:
    run = wavedb.init(project="system", name="sampled")
    for step in range(20):
        run.log({"train/loss": curve(step), "system/cpu": 40.0 + step}, step=step)
    run.finish()
    user.sdk.wait_for_points(run.id, "system/cpu", 20)

    log_in(page, user, f"/runs/{run.id}")
    loss = page.locator('[data-testid="panel"][data-panel-id="metric:train/loss"]')
    expect(loss).to_have_attribute("data-x-axis", "step")
    page.get_by_test_id("place-metrics").click()
    system = page.locator('[data-testid="panel"][data-panel-id="metric:system/cpu"]')
    expect(system).to_have_attribute("data-x-axis", "time")
    expect(system.locator(".chart")).to_have_attribute("data-x-axis", "time")
    expect(loss.locator(".chart")).to_have_attribute("data-x-axis", "step")
