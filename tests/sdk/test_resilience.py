"""What keeps a training run safe: exit hooks, bounded memory, rate limits, heartbeats and
system metrics, against the real local stack."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

import wavedb
from tests.support.media import png_of_exact_size
from tests.support.sdk import SdkEnvironment
from wavedb import sender as sender_module
from wavedb.api import ApiClient
from wavedb.sync import sync_path

CLOSED_PORT_URL = "http://127.0.0.1:9"


def _outbox_points(run_dir: Path) -> int:
    total = 0
    for path in (run_dir / "outbox").glob("*-batch.json"):
        document = json.loads(path.read_bytes())
        if document.get("columnar"):  # series of arrays
            total += sum(len(series["steps"]) for series in document["points"])
        else:
            total += len(document["points"])
    return total


def _script(sdk_env: SdkEnvironment, tmp_path: Path, body: str) -> subprocess.CompletedProcess[str]:
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(body))
    environment = dict(os.environ, **sdk_env.variables())
    return subprocess.run(
        [sys.executable, str(script)],
        env=environment,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_a_script_that_never_calls_finish_is_finished_at_exit_with_every_point(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    done = _script(
        sdk_env,
        tmp_path,
        """
        import wavedb
        run = wavedb.init(project="scripts")
        for step in range(500):
            wavedb.log({"loss": 1 / (step + 1)})
        print(run.id)
        """,
    )
    assert done.returncode == 0, done.stderr
    run_id = done.stdout.strip()
    assert len(sdk_env.wait_for_points(run_id, "loss", 500)) == 500
    assert sdk_env.client.get_run(run_id)["status"] == "finished"


def test_a_script_that_crashes_is_marked_failed_and_keeps_its_points(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    done = _script(
        sdk_env,
        tmp_path,
        """
        import wavedb
        run = wavedb.init(project="scripts")
        print(run.id, flush=True)
        for step in range(50):
            wavedb.log({"loss": 1.0})
        raise ValueError("loss is NaN")
        """,
    )
    assert done.returncode == 1
    assert "ValueError: loss is NaN" in done.stderr
    run_id = done.stdout.strip()
    assert sdk_env.client.get_run(run_id)["status"] == "failed"
    assert len(sdk_env.wait_for_points(run_id, "loss", 50)) == 50


def test_memory_stays_bounded_when_logging_outruns_an_unreachable_api(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sdk_env.client.resolve_project("bounded")
    run_id = sdk_env.client.create_run(str(project["id"]), {"name": "bounded"})["id"]
    monkeypatch.setenv("WAVEDB_MAX_QUEUED_LOGS", "1000")
    # The API goes away after the run exists: everything logged is kept on disk.
    run = wavedb.init(project="bounded", resume=run_id, api_url=sdk_env.api_url)
    run._sender._client = ApiClient(CLOSED_PORT_URL, sdk_env.api_key)
    deepest = 0
    for step in range(30_000):
        run.log({"loss": 1.0, "acc": 0.5}, step=step)
        deepest = max(deepest, len(run._sender.entries))
    run.finish(timeout=3)  # unreachable throughout: gives up at the timeout
    assert deepest <= 1000
    assert _outbox_points(run.dir) == 60_000

    assert sync_path(run.dir, sdk_env.client).ok
    points = sdk_env.wait_for_points(run_id, "loss", 30_000, timeout=60)
    assert [point["step"] for point in points] == list(range(30_000))


def test_media_bytes_held_in_memory_are_bounded_and_nothing_is_lost(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sdk_env.client.resolve_project("media-bound")
    run_id = sdk_env.client.create_run(str(project["id"]), {"name": "media-bound"})["id"]
    monkeypatch.setattr(sender_module, "MAX_MEDIA_BYTES_IN_MEMORY", 3 << 20)
    run = wavedb.init(project="media-bound", resume=run_id)
    run._sender._client = ApiClient(CLOSED_PORT_URL, sdk_env.api_key)
    image = png_of_exact_size(1 << 20)  # a whole PNG of 1 MiB
    highest = 0
    for step in range(12):
        run.log_image("big", image, step=step)
        highest = max(highest, run._sender._media_bytes)
    run.finish(timeout=3)  # unreachable throughout: gives up at the timeout
    assert highest <= 3 << 20
    assert len(list((run.dir / "outbox").glob("*-media.bin"))) == 12

    assert sync_path(run.dir, sdk_env.client).ok
    items = sdk_env.wait_for_media(run_id, 12)
    assert [item["step"] for item in items] == list(range(12))
    assert {item["status"] for item in items} == {"ready"}


def test_a_rate_limited_key_is_honoured_and_nothing_is_lost(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = sdk_env.client.resolve_project("limited")
    run_id = sdk_env.client.create_run(str(project["id"]), {"name": "limited"})["id"]
    monkeypatch.setenv("WAVEDB_API_KEY", sdk_env.new_api_key(rate_limit_per_minute=4))
    # Rate limits count per calendar minute: start well inside one, so that the limit is
    # reached (and Retry-After is long) before the next minute begins.
    seconds_into_minute = time.time() % 60
    if seconds_into_minute > 45:
        time.sleep(60.5 - seconds_into_minute)
    run = wavedb.init(project="limited", resume=run_id)  # 2 requests: get run, summaries
    for batch in range(6):
        run.log({"loss": float(batch)}, step=batch)
        run._sender.wake.set()
        time.sleep(0.3)
    sender = run._sender
    assert sender._next_attempt - time.monotonic() > 1.0  # waiting out Retry-After
    failures_while_limited = sender._failures
    time.sleep(1.0)
    assert sender._failures == failures_while_limited  # no hammering before Retry-After
    run.finish(timeout=2)
    assert sync_path(run.dir, sdk_env.client).ok
    points = sdk_env.wait_for_points(run_id, "loss", 6)
    assert [point["step"] for point in points] == list(range(6))


def test_heartbeats_and_system_metrics_are_sent_in_the_background(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("WAVEDB_HEARTBEAT_INTERVAL", "0.2")
    monkeypatch.setenv("WAVEDB_SYSTEM_METRICS_INTERVAL", "0.2")
    run = wavedb.init(project="system", system_metrics=True)
    for step in range(6):  # system samples go at the training step current then
        run.log({"loss": 1.0}, step=step)
        time.sleep(0.25)
    assert sdk_env.client.get_run(run.id)["heartbeat_at"] is not None
    run.finish()
    cpu = sdk_env.wait_for_points(run.id, "system/cpu_percent", 3)
    assert len(cpu) >= 3
    assert all(0 <= point["value"] <= 100 * (os.cpu_count() or 1) for point in cpu)
    memory = sdk_env.wait_for_points(run.id, "system/memory_percent", 3)
    assert all(0 < point["value"] <= 100 for point in memory)
    names = {item["name"] for item in sdk_env.client.metric_summaries(run.id)}
    assert {"system/process_memory_gb", "system/memory_used_gb"} <= names
