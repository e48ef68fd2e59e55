"""A run logged through the SDK is read back exactly through the API."""

from __future__ import annotations

import logging
import math
from datetime import UTC, datetime, timedelta

import pytest

import wavedb
from tests.support.sdk import SdkEnvironment


def test_logged_values_are_read_back_exactly_with_auto_steps(sdk_env: SdkEnvironment) -> None:
    run = wavedb.init(
        project="mnist", name="baseline", config={"lr": 3e-4, "layers": [64, 64]}, tags=["cpu"]
    )
    for step in range(250):
        run.log({"train/loss": 1.0 / (step + 1), "train/acc": step / 250})
    run.log({"val/loss": math.nan})
    run.summary["best_acc"] = 0.996
    run.finish()

    loss = sdk_env.wait_for_points(run.id, "train/loss", 250)
    assert [point["step"] for point in loss] == list(range(250))
    assert [point["value"] for point in loss] == [1.0 / (step + 1) for step in range(250)]
    assert sdk_env.wait_for_points(run.id, "val/loss", 1)[0]["value"] == "NaN"
    stored = sdk_env.client.get_run(run.id)
    assert stored["name"] == "baseline"
    assert stored["status"] == "finished"
    assert stored["config"] == {"lr": 3e-4, "layers": [64, 64]}
    assert stored["tags"] == ["cpu"]
    assert {item["name"]: item["value"] for item in sdk_env.client.results(run.id)} == {
        "best_acc": 0.996
    }
    assert list(sdk_env.runs_dir.glob("*/outbox/*")) == []  # nothing was left behind


def test_init_prints_where_the_run_can_be_watched(
    sdk_env: SdkEnvironment, capsys: pytest.CaptureFixture[str]
) -> None:
    run = wavedb.init(project="mnist", name="watched")
    run.finish()

    printed = capsys.readouterr().err
    assert f"wavedb: run watched: {sdk_env.api_url}/#/runs/{run.id}" in printed
    assert run.url == f"{sdk_env.api_url}/#/runs/{run.id}"


def test_explicit_steps_and_module_level_functions(sdk_env: SdkEnvironment) -> None:
    wavedb.init(project="mnist")
    wavedb.log({"loss": 0.5}, step=10)
    wavedb.log({"loss": 0.4})  # the step after the last one
    wavedb.log({"loss": 0.3}, step=100)
    run = wavedb.run
    assert run is not None
    wavedb.finish()
    assert wavedb.run is None
    points = sdk_env.wait_for_points(run.id, "loss", 3)
    assert [(point["step"], point["value"]) for point in points] == [
        (10, 0.5),
        (11, 0.4),
        (100, 0.3),
    ]


def test_bad_names_and_values_are_left_out_with_a_warning_and_the_rest_kept(
    sdk_env: SdkEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="wavedb"), wavedb.init(project="p") as run:
        run.log({"good": 1.0, "bad<name>": 2.0, "text": "hello", "flag": True, "count": 3})
        run.log({"good": 2.0}, step=-1)
    points = sdk_env.wait_for_points(run.id, "good", 1)
    assert [(point["step"], point["value"]) for point in points] == [(0, 1.0)]
    assert sdk_env.wait_for_points(run.id, "count", 1)[0]["value"] == 3.0
    assert {item["name"] for item in sdk_env.client.metric_summaries(run.id)} == {"good", "count"}
    warnings = caplog.text
    assert "'bad<name>' is not logged" in warnings
    assert "'text' is not a number" in warnings
    assert "'flag' is not a number" in warnings
    assert "step=-1" in warnings


def _train_until_it_diverges() -> str:
    with wavedb.init(project="p") as run:
        run.log({"loss": 1.0})
        raise RuntimeError(run.id)


def test_a_run_whose_block_raises_is_finished_as_failed(sdk_env: SdkEnvironment) -> None:
    with pytest.raises(RuntimeError) as raised:
        _train_until_it_diverges()
    run_id = str(raised.value)
    assert sdk_env.client.get_run(run_id)["status"] == "failed"
    assert len(sdk_env.wait_for_points(run_id, "loss", 1)) == 1


def test_resume_continues_the_same_run_after_its_last_step(sdk_env: SdkEnvironment) -> None:
    first = wavedb.init(project="p", id="experiment-42", config={"lr": 0.1, "seed": 1})
    for _ in range(5):
        first.log({"loss": 1.0})
    first.finish("failed")
    sdk_env.wait_for_points(first.id, "loss", 5)

    second = wavedb.init(project="p", id="experiment-42", resume="must", config={"lr": 0.05})
    assert second.id == first.id
    assert second.config == {"lr": 0.05, "seed": 1}
    assert sdk_env.client.get_run(second.id)["status"] == "running"
    assert sdk_env.client.get_run(second.id)["config"] == {"lr": 0.05, "seed": 1}
    second.log({"loss": 0.5})
    second.finish()
    points = sdk_env.wait_for_points(first.id, "loss", 6)
    assert [point["step"] for point in points] == [0, 1, 2, 3, 4, 5]
    assert sdk_env.client.get_run(first.id)["status"] == "finished"


def test_resume_loads_the_summary_the_server_has(sdk_env: SdkEnvironment) -> None:
    first = wavedb.init(project="p", id="experiment-summary")
    first.summary.update({"best_acc": 0.9, "epochs": 3})
    first.finish()

    second = wavedb.init(project="p", id="experiment-summary", resume="allow")
    assert second.summary == {"best_acc": 0.9, "epochs": 3.0}
    second.summary["best_acc"] = 0.95
    second.finish()
    results = {item["name"]: item["value"] for item in sdk_env.client.results(second.id)}
    assert results == {"best_acc": 0.95, "epochs": 3.0}


def test_restarted_job_with_run_id_and_resume_in_the_environment_continues_its_run(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVEDB_RUN_ID", "cluster-job-77")
    monkeypatch.setenv("WAVEDB_RESUME", "allow")
    monkeypatch.setenv("WAVEDB_TAGS", "cluster")
    first = wavedb.init(project="p")
    for _ in range(3):
        first.log({"loss": 1.0})
    first.finish("failed")  # preempted
    sdk_env.wait_for_points(first.id, "loss", 3)

    second = wavedb.init(project="p")  # the same job, started again
    assert second.id == first.id
    second.log({"loss": 0.5})
    second.finish()
    points = sdk_env.wait_for_points(first.id, "loss", 4)
    assert [point["step"] for point in points] == [0, 1, 2, 3]
    stored = sdk_env.client.get_run(first.id)
    assert stored["status"] == "finished"
    assert stored["tags"] == ["cluster"]


def test_wrong_setup_is_a_clear_error_at_init(sdk_env: SdkEnvironment) -> None:
    with pytest.raises(wavedb.ConfigError, match="refused the API key"):
        wavedb.init(project="p", api_key="wdb_not-a-real-key")
    with pytest.raises(wavedb.ConfigError, match="needs a project"):
        wavedb.init(project=" ")
    with pytest.raises(wavedb.ConfigError, match=r"no run .* to resume"):
        wavedb.init(project="p", resume="00000000-0000-4000-8000-000000000000")
    with pytest.raises(wavedb.ConfigError, match="mode must be one of"):
        wavedb.init(project="p", mode="sometimes")
    assert wavedb.run is None


def test_client_reads_history_as_columns_and_as_points_alike(sdk_env: SdkEnvironment) -> None:
    run = wavedb.init(project="columns")
    for step in range(300):
        run.log({"loss": math.inf if step == 7 else 1.0 / (step + 1)}, step=step * 2)
    run.finish()
    points = sdk_env.wait_for_points(run.id, "loss", 300)

    pages = list(sdk_env.client.series_columns(run.id, "loss"))

    assert len(pages) == 1
    assert pages[0]["steps"] == [step * 2 for step in range(300)]
    assert pages[0]["values"][7] == "Infinity"
    assert pages[0]["values"] == [point["value"] for point in points]
    assert [point["step"] for point in points] == pages[0]["steps"]
    first = datetime.fromisoformat(points[0]["timestamp"])
    epoch = datetime(1970, 1, 1, tzinfo=UTC)
    assert first == epoch + timedelta(microseconds=pages[0]["timestamps_us"][0])
