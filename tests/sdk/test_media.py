"""Media through the SDK: converted, uploaded with presigned POSTs, checked by the worker and
served back."""

from __future__ import annotations

import io
import wave
from pathlib import Path

import httpx
import numpy as np
from PIL import Image

import wavedb
from tests.support.media import png_bytes
from tests.support.sdk import SdkEnvironment


def _download(item: dict[str, object]) -> bytes:
    response = httpx.get(str(item["url"]), trust_env=False, timeout=30)
    assert response.status_code == 200
    return response.content


def test_images_audio_text_and_histograms_round_trip(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    image_file = tmp_path / "confusion.png"
    image_file.write_bytes(png_bytes(40, 30))
    gradient = np.linspace(0.0, 1.0, 24 * 16 * 3).reshape(24, 16, 3)
    channels_first = np.zeros((3, 8, 12), dtype=np.uint8)
    seconds = np.linspace(0, 1, 8000, endpoint=False)
    tone = 0.5 * np.sin(2 * np.pi * 440 * seconds)
    long_text = "epoch summary\n" * 6000  # over the 64 KB kept inline: uploaded

    with wavedb.init(project="media") as run:
        run.log({"loss": 1.0})
        run.log_image("val/confusion", image_file, caption="from a file")
        run.log_image("val/gradient", gradient, step=3)
        run.log_image("val/pil", Image.new("RGB", (5, 7), "red"), step=4)
        run.log_image("val/tensor_layout", channels_first, step=5)
        run.log_audio("speech", tone, sample_rate=8000, step=6)
        run.log_text("report", long_text, step=7)
        run.log_text("note", "short and inline", step=7)
        run.log_histogram("weights", np.random.default_rng(1).normal(size=5000), step=8, bins=32)

    items = {item["name"]: item for item in sdk_env.wait_for_media(run.id, 8)}
    assert {name: item["status"] for name, item in items.items()} == dict.fromkeys(
        [
            "val/confusion",
            "val/gradient",
            "val/pil",
            "val/tensor_layout",
            "speech",
            "report",
            "note",
            "weights",
        ],
        "ready",
    )
    confusion = items["val/confusion"]
    assert (confusion["step"], confusion["caption"], confusion["width"]) == (0, "from a file", 40)
    assert _download(confusion) == image_file.read_bytes()
    assert (items["val/gradient"]["width"], items["val/gradient"]["height"]) == (16, 24)
    assert (items["val/pil"]["width"], items["val/pil"]["height"]) == (5, 7)
    assert (items["val/tensor_layout"]["width"], items["val/tensor_layout"]["height"]) == (12, 8)
    gradient_png = Image.open(io.BytesIO(_download(items["val/gradient"])))
    # Floats in [0, 1] become 0..255.
    assert gradient_png.getpixel((0, 0)) == (0, 0, 0)
    last_pixel = gradient_png.getpixel((15, 23))
    assert isinstance(last_pixel, tuple)
    assert last_pixel[2] == 255

    with wave.open(io.BytesIO(_download(items["speech"]))) as audio:
        assert (audio.getframerate(), audio.getnframes(), audio.getnchannels()) == (8000, 8000, 1)
    assert items["speech"]["content_type"] == "audio/wav"
    assert _download(items["report"]).decode() == long_text
    assert items["note"]["text"] == "short and inline"
    histogram = items["weights"]["histogram"]
    assert len(histogram["counts"]) == 32
    assert sum(histogram["counts"]) == 5000


def test_media_that_cannot_be_read_is_left_out_with_a_warning_and_the_run_goes_on(
    sdk_env: SdkEnvironment, tmp_path: Path
) -> None:
    not_an_image = tmp_path / "notes.txt"
    not_an_image.write_text("hello")
    with wavedb.init(project="media") as run:
        run.log_image("broken", not_an_image)
        run.log_image("missing", tmp_path / "nowhere.png")
        run.log_histogram("empty", [])
        run.log_image("fine", png_bytes(4, 4))
        run.log({"loss": 0.5})
    items = sdk_env.wait_for_media(run.id, 1)
    assert [(item["name"], item["status"]) for item in items] == [("fine", "ready")]
    assert len(sdk_env.wait_for_points(run.id, "loss", 1)) == 1
