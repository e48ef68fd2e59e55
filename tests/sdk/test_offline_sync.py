"""Offline runs write everything to disk; `wavedb sync` uploads it later, exactly once."""

from __future__ import annotations

import json
import logging
import time
from pathlib import Path

import pytest

import wavedb
from tests.support.media import png_bytes
from tests.support.sdk import SdkEnvironment
from wavedb.sync import sync_path


def _offline_run(tmp_path: Path) -> wavedb.Run:
    run = wavedb.init(
        project="offline-project",
        name="on-a-plane",
        config={"lr": 0.01},
        tags=["offline"],
        mode="offline",
    )
    for step in range(120):
        run.log({"loss": 1.0 / (step + 1)})
    image = tmp_path / "sample.png"
    image.write_bytes(png_bytes(32, 16))
    run.log_image("samples", image, step=119, caption="epoch 1")
    run.log_text("notes/epoch", "converged nicely", step=119)
    run.log_histogram("weights", [0.1, 0.2, 0.2, 0.3], step=119, bins=3)
    run.summary["final_loss"] = 1.0 / 120
    run.finish()
    return run


def test_an_offline_run_touches_no_network_and_syncs_later_exactly_once(
    sdk_env: SdkEnvironment, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Offline needs no reachable API at all.
    monkeypatch.setenv("WAVEDB_API_URL", "http://127.0.0.1:9")
    run = _offline_run(tmp_path)
    assert json.loads((run.dir / "run.json").read_text())["id"] == run.id
    assert list((run.dir / "outbox").glob("*.json"))

    report = sync_path(sdk_env.runs_dir, sdk_env.client)
    assert report.ok, report
    assert [synced.run_id for synced in report.runs] == [run.id]
    assert report.points_sent == 120

    stored = sdk_env.client.get_run(run.id)
    assert (stored["name"], stored["status"], stored["config"], stored["tags"]) == (
        "on-a-plane",
        "finished",
        {"lr": 0.01},
        ["offline"],
    )
    points = sdk_env.wait_for_points(run.id, "loss", 120)
    assert [point["value"] for point in points] == [1.0 / (step + 1) for step in range(120)]
    media = {item["name"]: item for item in sdk_env.wait_for_media(run.id, 3)}
    assert media["samples"]["status"] == "ready"
    assert (media["samples"]["width"], media["samples"]["height"]) == (32, 16)
    assert media["samples"]["caption"] == "epoch 1"
    assert media["notes/epoch"]["text"] == "converged nicely"
    assert sum(media["weights"]["histogram"]["counts"]) == 4
    assert [item["value"] for item in sdk_env.client.results(run.id)] == [1.0 / 120]

    again = sync_path(run.dir, sdk_env.client)
    assert again.ok
    assert again.operations_sent == 0
    assert len(list(sdk_env.client.series(run.id, "loss"))) == 120
    assert len(list(sdk_env.client.list_media(run.id))) == 3


def test_an_interrupted_sync_resumes_without_duplicates(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    run = _offline_run(tmp_path)
    files = sorted((run.dir / "outbox").iterdir())
    # Replay the first half twice: as if a sync died after sending but before deleting.
    kept = {path: path.read_bytes() for path in files[: len(files) // 2]}
    assert any(path.suffix == ".bin" for path in kept), "the image's bytes are replayed too"
    assert sync_path(run.dir, sdk_env.client).ok
    for path, content in kept.items():
        path.write_bytes(content)
    assert sync_path(run.dir, sdk_env.client).ok
    assert len(sdk_env.wait_for_points(run.id, "loss", 120)) == 120
    assert len(list(sdk_env.client.list_media(run.id))) == 3
    project_id = sdk_env.client.get_run(run.id)["project_id"]
    assert [item["id"] for item in sdk_env.client.list_runs(project_id)] == [run.id]


def test_sync_of_a_folder_that_is_not_a_run_is_a_clear_error(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    with pytest.raises(wavedb.ConfigError, match="not a run directory"):
        sync_path(tmp_path / "missing", sdk_env.client)


def _interrupted_training() -> str:
    with wavedb.init(project="offline-project", mode="offline") as run:
        run.log({"loss": 1.0})
        raise KeyboardInterrupt(run.id)


def test_a_run_stopped_with_ctrl_c_is_canceled(sdk_env: SdkEnvironment) -> None:
    with pytest.raises(KeyboardInterrupt) as interrupted:
        _interrupted_training()
    run_id = str(interrupted.value)
    assert sync_path(sdk_env.runs_dir, sdk_env.client).ok
    assert sdk_env.client.get_run(run_id)["status"] == "canceled"


def test_a_full_outbox_warns_and_stays_within_its_bound(
    sdk_env: SdkEnvironment, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("WAVEDB_SPOOL_MAX_BYTES", "60000")
    monkeypatch.setenv("WAVEDB_FLUSH_INTERVAL", "0.05")
    with caplog.at_level(logging.WARNING, logger="wavedb"):
        run = wavedb.init(project="offline-project", mode="offline")
        for step in range(20):
            run.log({f"metric/{index}": float(index) for index in range(100)}, step=step)
            time.sleep(0.06)  # one batch a step
        run.finish()
    outbox = run.dir / "outbox"
    assert sum(path.stat().st_size for path in outbox.iterdir()) <= 60_000
    assert "is full" in caplog.text
    assert "WAVEDB_SPOOL_MAX_BYTES" in caplog.text
    batches = outbox.glob("*-batch.json")
    stored = sum(len(json.loads(path.read_bytes())["points"]) for path in batches)
    assert 0 < stored < 2_000
