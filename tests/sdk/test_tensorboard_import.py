"""`wavedb import tensorboard` on event files written by PyTorch's SummaryWriter: every
scalar, image and text read back exactly; importing again changes nothing."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from tensorboard.backend.event_processing.event_accumulator import (  # type: ignore[import-untyped]
    IMAGES,
    EventAccumulator,
)
from torch.utils.tensorboard import SummaryWriter
from typer.testing import CliRunner, Result

from tests.support.sdk import SdkEnvironment
from wavedb.cli.main import app

START = 1_700_000_000.25  # the wall-clock time the writer records for step 0
LOSSES = [0.9, 0.75, 0.5, 0.3125, 0.1]
ACCURACY = 0.123456789012345
NOTE = "lr **0.1**, batch 64\n\n- augmented: yes"


def wavedb_cli(*args: str) -> Result:
    result = CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def picture(height: int, width: int, seed: int) -> np.ndarray[Any, np.dtype[np.uint8]]:
    return np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)


def write_run(directory: Path, *, scale: float, first_step: int = 0, steps: int = 5) -> None:
    """A training run as PyTorch logs it: scalars each step, an image and a note."""
    with SummaryWriter(str(directory)) as writer:
        for step in range(first_step, first_step + steps):
            wall = START + step
            writer.add_scalar("train/loss", LOSSES[step % len(LOSSES)] * scale, step, walltime=wall)
            writer.add_scalar("lr", 0.1 * scale, step, walltime=wall)
            # The tensor form (as TF2 writes scalars), in double precision.
            writer.add_scalar(
                "val/acc",
                ACCURACY * scale + step,
                step,
                walltime=wall,
                new_style=True,
                double_precision=True,
            )
        if first_step == 0:
            writer.add_image(
                "samples/input",
                picture(6, 10, seed=int(scale * 100)),
                2,
                walltime=START + 2,
                dataformats="HWC",
            )
            writer.add_text("notes", NOTE, 3, walltime=START + 3)


@pytest.fixture
def logdir(tmp_path: Path) -> Path:
    """Two runs: `lr-0.1` and the nested `sweep/lr-0.01`."""
    root = tmp_path / "tb"
    write_run(root / "lr-0.1", scale=1.0)
    write_run(root / "sweep" / "lr-0.01", scale=0.5)
    return root


def runs_by_name(sdk_env: SdkEnvironment, project: str) -> dict[str, dict[str, Any]]:
    found = sdk_env.client.find_project(str(sdk_env.client.resolve_workspace(None)["id"]), project)
    assert found is not None
    return {run["name"]: run for run in sdk_env.client.list_runs(str(found["id"]))}


def moment(timestamp: str) -> datetime:
    return datetime.fromisoformat(timestamp)


def encoded_images(directory: Path, tag: str) -> list[bytes]:
    """The image bytes as TensorBoard itself reads them from the event files."""
    accumulator = EventAccumulator(str(directory), size_guidance={IMAGES: 0})
    accumulator.Reload()
    return [event.encoded_image_string for event in accumulator.Images(tag)]


def test_import_reads_back_every_scalar_image_and_text_exactly(
    sdk_env: SdkEnvironment, logdir: Path
) -> None:
    result = wavedb_cli("import", "tensorboard", str(logdir), "--project", "tb")
    assert result.exit_code == 0, result.output
    assert "30 new point(s), 2 new image(s)" in result.stdout

    runs = runs_by_name(sdk_env, "tb")
    assert set(runs) == {"lr-0.1", "sweep/lr-0.01"}
    for name, scale in (("lr-0.1", 1.0), ("sweep/lr-0.01", 0.5)):
        run = runs[name]
        assert run["status"] == "finished"
        assert run["tags"] == ["tensorboard"]
        assert run["id"] in result.stdout
        loss = sdk_env.wait_for_points(run["id"], "train/loss", 5)
        assert [(point["step"], point["value"]) for point in loss] == [
            (step, value * scale) for step, value in enumerate(LOSSES)
        ]
        assert [moment(point["timestamp"]) for point in loss] == [
            datetime.fromtimestamp(START + step, UTC) for step in range(5)
        ]
        assert [point["value"] for point in sdk_env.wait_for_points(run["id"], "lr", 5)] == [
            0.1 * scale
        ] * 5
        accuracy = sdk_env.wait_for_points(run["id"], "val/acc", 5)
        assert [point["value"] for point in accuracy] == [
            ACCURACY * scale + step for step in range(5)
        ]

        media = {item["kind"]: item for item in sdk_env.wait_for_media(run["id"], 2)}
        assert set(media) == {"image", "text"}
        image = media["image"]
        assert (image["name"], image["step"], image["status"]) == ("samples/input", 2, "ready")
        assert (image["width"], image["height"], image["content_type"]) == (10, 6, "image/png")
        [written] = encoded_images(logdir / name, "samples/input")
        assert httpx.get(image["url"], trust_env=False).content == written
        text = media["text"]
        assert (text["name"], text["step"], text["text"]) == ("notes", 3, NOTE)


def test_a_second_import_changes_nothing(sdk_env: SdkEnvironment, logdir: Path) -> None:
    assert wavedb_cli("import", "tensorboard", str(logdir), "-p", "tb").exit_code == 0
    before = runs_by_name(sdk_env, "tb")
    stored: dict[str, Any] = {}
    for name, run in before.items():
        points = sdk_env.wait_for_points(run["id"], "train/loss", 5)
        media = sdk_env.wait_for_media(run["id"], 2)
        stored[name] = (points, sorted(item["id"] for item in media))

    again = wavedb_cli("import", "tensorboard", str(logdir), "-p", "tb")
    # A run directory imported on its own is named after it: the same run again.
    alone = wavedb_cli("import", "tensorboard", str(logdir / "lr-0.1"), "-p", "tb")

    for answer in (again, alone):
        assert answer.exit_code == 0, answer.output
        assert "0 new point(s), 0 new image(s)" in answer.stdout
    after = runs_by_name(sdk_env, "tb")
    assert {name: run["id"] for name, run in after.items()} == {
        name: run["id"] for name, run in before.items()
    }
    for name, run in after.items():
        points, media_ids = stored[name]
        assert list(sdk_env.client.series(run["id"], "train/loss")) == points
        assert sorted(item["id"] for item in sdk_env.client.list_media(run["id"])) == media_ids
        counts = {
            item["name"]: item["count"] for item in sdk_env.client.metric_summaries(run["id"])
        }
        assert counts == {"train/loss": 5, "lr": 5, "val/acc": 5}


def test_import_after_training_went_on_adds_only_the_new_points(
    sdk_env: SdkEnvironment, logdir: Path
) -> None:
    assert wavedb_cli("import", "tensorboard", str(logdir), "-p", "tb").exit_code == 0
    run_id = runs_by_name(sdk_env, "tb")["lr-0.1"]["id"]
    sdk_env.wait_for_points(run_id, "train/loss", 5)

    write_run(logdir / "lr-0.1", scale=1.0, first_step=5, steps=3)  # a resumed run's new file
    result = wavedb_cli("import", "tensorboard", str(logdir), "-p", "tb")

    assert result.exit_code == 0, result.output
    assert "9 new point(s), 0 new image(s)" in result.stdout
    loss = sdk_env.wait_for_points(run_id, "train/loss", 8)
    assert [point["step"] for point in loss] == list(range(8))
    assert [point["value"] for point in loss] == [LOSSES[step % 5] for step in range(8)]


def test_a_directory_without_event_files_fails_with_a_message(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    (tmp_path / "empty").mkdir()
    result = wavedb_cli("import", "tensorboard", str(tmp_path / "empty"), "-p", "tb")
    assert result.exit_code == 1
    assert "no TensorBoard event files" in result.stderr

    missing = wavedb_cli("import", "tensorboard", str(tmp_path / "nowhere"), "-p", "tb")
    assert missing.exit_code == 2


def test_without_the_tensorboard_package_the_import_says_what_to_install(
    sdk_env: SdkEnvironment, logdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for module in [name for name in sys.modules if name.startswith("tensorboard")]:
        monkeypatch.delitem(sys.modules, module)
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as if it were not installed

    result = wavedb_cli("import", "tensorboard", str(logdir), "-p", "tb")

    assert result.exit_code == 1
    assert "pip install 'wavedb[tensorboard]'" in result.stderr


def test_import_brings_histograms_and_hparams_and_keeps_the_training_times(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    from tensorboard.plugins.histogram.summary_v2 import (  # type: ignore[import-untyped]
        histogram_pb,
    )

    directory = tmp_path / "tb" / "with-histograms"
    weights = np.random.default_rng(7).normal(size=1_000)
    with SummaryWriter(str(directory)) as writer:
        for step in range(3):
            writer.add_scalar("loss", 1.0 / (step + 1), step, walltime=START + 10 * step)
        # The classic form (PyTorch) and the tensor form (TF2) of a histogram.
        writer.add_histogram("weights", weights, 1, walltime=START + 10)
        writer.file_writer.add_summary(
            histogram_pb("grads", weights * 2, buckets=8), 2, walltime=START + 25
        )
        writer.add_hparams({"lr": 0.1, "optimizer": "adam"}, {}, run_name=".")

    result = wavedb_cli("import", "tensorboard", str(directory), "-p", "tb")

    assert result.exit_code == 0, result.output
    assert "histograms 2" in result.stdout
    run = runs_by_name(sdk_env, "tb")["with-histograms"]
    assert {"lr": 0.1, "optimizer": "adam"}.items() <= run["config"].items()
    assert moment(run["started_at"]) == datetime.fromtimestamp(START, UTC)
    assert moment(run["created_at"]) == datetime.fromtimestamp(START, UTC)
    assert moment(run["ended_at"]) >= datetime.fromtimestamp(START + 25, UTC)
    histograms = {
        item["name"]: item
        for item in sdk_env.wait_for_media(run["id"], 2)
        if item["kind"] == "histogram"
    }
    assert set(histograms) == {"weights", "grads"}
    assert histograms["weights"]["step"] == 1
    assert histograms["grads"]["step"] == 2
    for item in histograms.values():
        counts, bins = item["histogram"]["counts"], item["histogram"]["bins"]
        assert sum(counts) == pytest.approx(1_000)
        assert len(bins) == len(counts) + 1
        assert bins == sorted(bins)
    assert len(histograms["grads"]["histogram"]["counts"]) == 8
    assert histograms["grads"]["histogram"]["bins"][0] == pytest.approx(2 * weights.min())
