"""`wavedb.Api`: projects, runs searched and paged lazily, DataFrames of runs and of metric
history equal to what was logged, streamed history, media listed and downloaded."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import wavedb
from tests.support.sdk import SdkEnvironment
from wavedb.public_api import ApiRun


def _log_run(project: str, name: str, lr: float, losses: list[float], *, tags: list[str]) -> str:
    run = wavedb.init(project=project, name=name, config={"lr": lr, "net": {"depth": 4}}, tags=tags)
    for loss in losses:
        run.log({"loss": loss})
    run.summary["acc"] = 1 - min(losses)
    run.finish()
    return run.id


@pytest.fixture
def sweep(sdk_env: SdkEnvironment) -> dict[str, str]:
    """Five finished runs of `sweep`, lr 0.001 to 0.005 (higher lr, lower loss), logged
    with the SDK."""
    ids = {}
    for index in range(5):
        lr = (index + 1) / 1000
        losses = [1.0 - index / 10, 0.5 - index / 10]
        ids[f"run-{index}"] = _log_run("sweep", f"run-{index}", lr, losses, tags=[f"t{index % 2}"])
    for run_id in ids.values():
        sdk_env.wait_for_points(run_id, "loss", 2)
    return ids


def test_api_projects_and_runs_read_what_was_logged(
    sdk_env: SdkEnvironment, sweep: dict[str, str]
) -> None:
    api = wavedb.Api()

    assert "sweep" in [project.name for project in api.projects()]
    run = api.run(sweep["run-3"])
    assert isinstance(run, ApiRun)
    assert run.name == "run-3"
    assert run.config == {"lr": 0.004, "net": {"depth": 4}}
    assert run.tags == ["t1"]
    assert run.status == "finished"
    assert run.created_at is not None
    assert run.ended_at is not None
    assert run.created_at <= run.ended_at
    assert run.results == {"acc": pytest.approx(0.8)}
    assert run.metrics["loss"]["last"] == pytest.approx(0.2)
    assert run.metrics["loss"]["min"] == pytest.approx(0.2)
    assert run.metrics["loss"]["max"] == pytest.approx(0.7)
    assert run.metrics["loss"]["count"] == 2
    assert run.summary == {"loss": pytest.approx(0.2), "acc": pytest.approx(0.8)}


def test_api_runs_filter_and_order_on_the_server_paged_lazily(
    sdk_env: SdkEnvironment, sweep: dict[str, str]
) -> None:
    api = wavedb.Api()

    searched = api.runs("sweep", filter="lr >= 0.002 and loss.min < 0.3", order="-acc", per_page=1)
    every = api.runs("sweep", order="config.lr", per_page=2)
    tagged = api.runs("sweep", filter="tags = t0", order="name")

    assert [run.name for run in searched] == ["run-4", "run-3"]
    assert [run.name for run in every] == [f"run-{index}" for index in range(5)]
    assert [run.name for run in tagged] == ["run-0", "run-2", "run-4"]
    assert [run.name for run in api.runs("sweep", order="-lr", limit=2)] == ["run-4", "run-3"]
    with pytest.raises(wavedb.ApiError, match="unknown field 'colour'"):
        list(api.runs("sweep", filter="colour = red"))


def test_api_runs_df_has_a_row_per_run_and_columns_for_config_metrics_results(
    sdk_env: SdkEnvironment, sweep: dict[str, str]
) -> None:
    frame = wavedb.Api().runs_df("sweep", order="name")

    assert frame.shape == (5, 8 + 2 + 1 + 1)
    assert list(frame.columns) == [
        "id", "name", "project_id", "status", "tags", "created_at", "started_at", "ended_at",
        "config.lr", "config.net.depth", "metrics.loss", "results.acc",
    ]  # fmt: skip
    assert list(frame["id"]) == [sweep[f"run-{index}"] for index in range(5)]
    assert list(frame["config.lr"]) == [0.001, 0.002, 0.003, 0.004, 0.005]
    assert list(frame["config.net.depth"]) == [4] * 5
    np.testing.assert_allclose(frame["metrics.loss"], [0.5, 0.4, 0.3, 0.2, 0.1])
    np.testing.assert_allclose(frame["results.acc"], [0.5, 0.6, 0.7, 0.8, 0.9])
    assert str(frame["created_at"].dtype) == "datetime64[ns, UTC]"


def test_api_runs_df_of_no_runs_is_empty_with_the_run_columns(sdk_env: SdkEnvironment) -> None:
    _log_run("other", "only", 0.1, [1.0], tags=[])

    frame = wavedb.Api().runs_df("other", filter="lr > 1")

    assert frame.shape == (0, 8)


@pytest.fixture
def logged_history(sdk_env: SdkEnvironment) -> tuple[str, list[float], list[float]]:
    """A run with `loss` at steps 0..2999 and `acc` at every third step, NaN and an
    infinity among them."""
    run = wavedb.init(project="history", name="long", config={})
    losses = [1 / (step + 1) for step in range(3000)]
    losses[10], losses[11] = math.nan, math.inf
    accs = []
    for step, loss in enumerate(losses):
        values = {"loss": loss}
        if step % 3 == 0:
            values["acc"] = step / 3000
            accs.append(step / 3000)
        run.log(values, step=step)
    run.finish()
    sdk_env.wait_for_points(run.id, "loss", 3000)
    sdk_env.wait_for_points(run.id, "acc", 1000)
    return run.id, losses, accs


def test_run_history_is_a_wide_frame_aligned_on_step_equal_to_the_logged_values(
    sdk_env: SdkEnvironment, logged_history: tuple[str, list[float], list[float]]
) -> None:
    run_id, losses, accs = logged_history
    run = wavedb.Api().run(run_id)

    frame = run.history()
    only_acc = run.history("acc")

    assert list(frame.columns) == ["step", "acc", "loss"]
    assert frame.shape == (3000, 3)
    assert list(frame["step"]) == list(range(3000))
    np.testing.assert_array_equal(frame["loss"].to_numpy(), np.array(losses))
    np.testing.assert_array_equal(frame["acc"].to_numpy()[::3], np.array(accs))
    assert frame["acc"].isna().sum() == 2000
    assert list(only_acc.columns) == ["step", "acc"]
    assert only_acc.shape == (1000, 2)
    assert list(only_acc["step"]) == list(range(0, 3000, 3))


def test_run_history_on_time_has_a_utc_time_column(
    sdk_env: SdkEnvironment, logged_history: tuple[str, list[float], list[float]]
) -> None:
    run_id, losses, _ = logged_history

    frame = wavedb.Api().run(run_id).history(["loss"], x="time")

    assert list(frame.columns) == ["time", "loss"]
    assert str(frame["time"].dtype).startswith("datetime64")
    assert frame["time"].is_monotonic_increasing
    assert frame["loss"].iloc[-1] == losses[-1]


def test_run_scan_history_streams_the_same_rows_page_by_page(
    sdk_env: SdkEnvironment, logged_history: tuple[str, list[float], list[float]]
) -> None:
    run_id, losses, accs = logged_history
    run = wavedb.Api().run(run_id)

    rows = list(run.scan_history(page_size=128))

    assert len(rows) == 3000
    assert [row["step"] for row in rows] == list(range(3000))
    assert rows[3] == {"step": 3, "loss": 0.25, "acc": 0.001}
    assert rows[4] == {"step": 4, "loss": 0.2}
    assert math.isnan(rows[10]["loss"])
    assert rows[11]["loss"] == math.inf
    assert [row["acc"] for row in rows if "acc" in row] == accs
    np.testing.assert_array_equal(np.array([row["loss"] for row in rows]), np.array(losses))


def test_run_history_of_a_run_without_metrics_is_an_empty_frame(sdk_env: SdkEnvironment) -> None:
    run = wavedb.init(project="history", name="silent", config={})
    run.finish()

    frame = wavedb.Api().run(run.id).history()

    assert isinstance(frame, pd.DataFrame)
    assert list(frame.columns) == ["step"]
    assert frame.empty


def test_run_media_and_download_save_the_logged_files(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    run = wavedb.init(project="media", name="with-media", config={})
    image = np.zeros((4, 6, 3), dtype=np.uint8)
    image[:, :, 0] = 255
    run.log_image("samples/val", image, step=2)
    run.log_text("notes", "hello from step 5", step=5)
    run.finish()
    sdk_env.wait_for_media(run.id, 2)
    stored = wavedb.Api().run(run.id)

    items = stored.media()
    texts = stored.media(kind="text")
    paths = stored.download(tmp_path)

    assert [(item["name"], item["step"], item["kind"]) for item in items] == [
        ("notes", 5, "text"),
        ("samples/val", 2, "image"),
    ]
    assert [item["name"] for item in texts] == ["notes"]
    assert len(paths) == 2
    text_path, image_path = paths
    assert text_path.parent == tmp_path / "notes"
    assert text_path.read_text() == "hello from step 5"
    assert image_path.parent == tmp_path / "samples" / "val"
    assert image_path.read_bytes().startswith(b"\x89PNG")
    assert not list(tmp_path.rglob("*.part"))
