"""Runs keep the times of their training: an offline run synced later shows its own start
and duration; a killed run is marked `crashed`, ended at its last heartbeat; a resumed run
that logs again at a step it had warns; system metrics keep every sample, with its time and
the training step current then."""

from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import wavedb
from tests.conftest import REPOSITORY, reset_cached_settings
from tests.support.sdk import SdkEnvironment
from wavedb.operations import Operation, perform
from wavedb.sync import sync_path
from wavedb_local.stack import LocalStack

SCHEDULED_EVENT = json.loads((REPOSITORY / "events" / "run_monitor_schedule.json").read_text())


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def test_offline_run_synced_later_shows_its_own_start_and_duration(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVEDB_API_URL", "http://127.0.0.1:9")  # offline needs no API
    before = datetime.now().astimezone()
    run = wavedb.init(project="offline-times", mode="offline")
    for step in range(3):
        run.log({"loss": 1.0 / (step + 1)})
        time.sleep(1.0)
    run.finish()
    time.sleep(2.0)  # the sync comes later

    synced_at = datetime.now().astimezone()
    assert sync_path(run.dir, sdk_env.client).ok

    stored = sdk_env.client.get_run(run.id)
    started, ended = _moment(stored["started_at"]), _moment(stored["ended_at"])
    assert before <= started < before + timedelta(seconds=1)
    assert _moment(stored["created_at"]) == started
    assert timedelta(seconds=3) <= ended - started < timedelta(seconds=4.5)
    assert ended < synced_at


def test_resumed_run_logging_before_where_it_went_on_warns_once(
    sdk_env: SdkEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    first = wavedb.init(project="p", id="resumed-repeats")
    for _ in range(5):
        first.log({"loss": 1.0})
    first.finish()
    sdk_env.wait_for_points(first.id, "loss", 5)

    second = wavedb.init(project="p", id="resumed-repeats", resume="must")
    with caplog.at_level(logging.WARNING, logger="wavedb"):
        second.log({"loss": 0.5})  # step 5: new
        assert not [record for record in caplog.records if "logged last wins" in record.message]
        second.log({"loss": 0.4}, step=2)
        second.log({"acc": 0.4}, step=3)
    second.finish()

    warnings = [record for record in caplog.records if "logged last wins" in record.message]
    assert len(warnings) == 1


def test_system_metrics_keep_every_sample_with_its_time_and_the_training_step_current_then(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVEDB_SYSTEM_METRICS_INTERVAL", "0.2")
    run = wavedb.init(project="system-steps", system_metrics=True)
    logged: list[tuple[int, float]] = []
    for index in range(8):
        logged.append((index * 100, time.time()))  # no sample at this step before this
        run.log({"loss": 1.0}, step=index * 100)
        time.sleep(0.25)
    run.finish()

    # Numbered by sample: several samples during one training step are all kept. Batches
    # travel through SQS in any order, so wait until what arrived has no gap (a gap that
    # never closes fails here).
    cpu = _wait_for_samples_without_gaps(sdk_env, run.id, "system/cpu_percent", 4)
    training = _wait_for_samples_without_gaps(sdk_env, run.id, "system/training_step", len(cpu))
    assert [point["step"] for point in cpu] == list(range(len(cpu)))
    assert [point["step"] for point in training] == list(range(len(training)))
    steps_logged = dict(logged)
    for sample in training:
        step = int(sample["value"])
        assert step in steps_logged
        # Sampled while that step was the current one: after it was logged.
        assert _moment(sample["timestamp"]).timestamp() >= steps_logged[step] - 0.001
    assert max(int(sample["value"]) for sample in training) >= 300


def _wait_for_samples_without_gaps(
    sdk_env: SdkEnvironment, run_id: str, name: str, minimum: int, *, timeout: float = 30
) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        points = sdk_env.wait_for_points(run_id, name, minimum, timeout=timeout)
        numbered_in_order = [point["step"] for point in points] == list(range(len(points)))
        if numbered_in_order or time.monotonic() > deadline:
            return points
        time.sleep(0.2)


KILLED = """
import sys, time, wavedb
run = wavedb.init(project="killed")
run.log({"loss": 1.0})
print(run.id, flush=True)
while True:
    time.sleep(0.1)
"""


def test_killed_run_is_crashed_at_its_last_heartbeat(
    sdk_env: SdkEnvironment,
    served_stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    script = tmp_path / "train.py"
    script.write_text(KILLED)
    environment = {**os.environ, "WAVEDB_HEARTBEAT_INTERVAL": "0.5"}
    process = subprocess.Popen(
        [sys.executable, str(script)], env=environment, stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        run_id = process.stdout.readline().strip()
        time.sleep(2.0)
        monkeypatch.setenv("RUN_HEARTBEAT_TIMEOUT_SECONDS", "10")
        reset_cached_settings()
        alive = sdk_env.client.get_run(run_id)
        assert alive["status"] == "running"
        assert alive["heartbeat_at"] is not None
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    try:
        last_heartbeat = _moment(sdk_env.client.get_run(run_id)["heartbeat_at"])
        served_stack.invoke("RunMonitorFunction", SCHEDULED_EVENT)
        assert sdk_env.client.get_run(run_id)["status"] == "running"  # 10 s not yet over
        time.sleep(11)

        served_stack.invoke("RunMonitorFunction", SCHEDULED_EVENT)

        crashed = sdk_env.client.get_run(run_id)
        assert crashed["status"] == "crashed"
        assert _moment(crashed["ended_at"]) == last_heartbeat
        assert _moment(crashed["ended_at"]) - _moment(crashed["started_at"]) >= timedelta(
            seconds=1.5
        )
    finally:
        monkeypatch.delenv("RUN_HEARTBEAT_TIMEOUT_SECONDS")
        reset_cached_settings()


def test_run_whose_optional_fields_the_api_refuses_is_still_created_and_ended(
    sdk_env: SdkEnvironment, caplog: pytest.LogCaptureFixture
) -> None:
    run_id = str(uuid.uuid4())
    never_set = "1970-01-01T00:00:05+00:00"
    before = datetime.now().astimezone()
    create = Operation(
        "create_run",
        run_id,
        {
            "project": "clockless",
            "workspace": None,
            "run": {"config": {}, "tags": [], "started_at": never_set},
            "resume": False,
        },
    )

    with caplog.at_level(logging.WARNING, logger="wavedb"):
        perform(sdk_env.client, create)
        perform(sdk_env.client, Operation("update", run_id, {"provenance": {"x": "y" * 70_000}}))
        perform(
            sdk_env.client,
            Operation("finish", run_id, {"status": "finished", "ended_at": never_set}),
        )

    stored = sdk_env.client.get_run(run_id)
    assert stored["status"] == "finished"
    assert _moment(stored["started_at"]) >= before - timedelta(seconds=1)
    assert _moment(stored["ended_at"]) >= _moment(stored["started_at"])
    assert stored["provenance"] is None
    assert "the API refused provenance" in caplog.text
