"""What the media checks decide without any network: file names, histograms, and what the
bytes of an upload are."""

from __future__ import annotations

import io
from functools import partial

import pytest

from tests.support.media import (
    bomb_png_bytes,
    jpeg_bytes,
    noisy_png_bytes,
    png_bytes,
    png_claiming_size,
    wav_bytes,
)
from wavedb_core.models.media import (
    ACCEPTED_CONTENT_TYPES,
    HistogramIn,
    filename_problem,
    served_filename,
)
from wavedb_core.services.histograms import HistogramProblem, build_histogram
from wavedb_core.services.media_inspection import inspect as inspect_with_limit

MAX_PIXELS = 8_192 * 8_192  # the setting's default
inspect = partial(inspect_with_limit, max_image_pixels=MAX_PIXELS)


@pytest.mark.parametrize(
    "name",
    [
        "sample.png",
        "confusion matrix (epoch 3).png",
        "weights.v2.npy",
        "数据.csv",
        ".hidden",
        "x..y",
    ],
)
def test_filename_plain_names_are_accepted(name: str) -> None:
    assert filename_problem(name) is None


@pytest.mark.parametrize(
    "name",
    ["", ".", "..", "../x.png", "a/b.png", "a\\b.png", "tab\tname", "nul\x00", "a" * 256],
)
def test_filename_paths_and_control_characters_are_refused(name: str) -> None:
    assert filename_problem(name) is not None


def test_histogram_values_on_the_top_edge_fall_in_the_last_bin() -> None:
    built = build_histogram(HistogramIn(values=[0.0, 1.0, 2.0, 3.0, 4.0], num_bins=4))

    assert isinstance(built, dict)
    assert built["bins"] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert built["counts"] == [1.0, 1.0, 1.0, 2.0]


def test_histogram_of_equal_values_is_one_bin_around_them() -> None:
    built = build_histogram(HistogramIn(values=[2.5, 2.5, 2.5], num_bins=64))

    assert built == {"bins": [2.0, 3.0], "counts": [3.0]}


def test_histogram_of_non_finite_values_is_refused() -> None:
    built = build_histogram(HistogramIn(values=[1.0, float("nan")]))

    assert isinstance(built, HistogramProblem)
    assert built.field == "histogram.values"


def test_inspect_png_reads_its_width_and_height() -> None:
    found = inspect("image", "image/png", png_bytes(123, 45))

    assert (found.problem, found.width, found.height) == (None, 123, 45)


def test_inspect_jpeg_declared_as_png_names_both_types() -> None:
    found = inspect("image", "image/png", jpeg_bytes())

    assert found.problem == "the bytes are not image/png (they look like image/jpeg)"


def test_inspect_text_declared_as_an_image_is_refused() -> None:
    found = inspect("image", "image/jpeg", b"<html><script>alert(1)</script></html>")

    assert found.problem is not None
    assert "no known format" in found.problem


def test_inspect_truncated_png_header_has_no_size() -> None:
    found = inspect("image", "image/png", png_bytes()[:12])

    assert found.problem is not None


def test_inspect_wav_audio_is_accepted_under_either_name() -> None:
    audio = wav_bytes(frames=160, rate=16_000)

    assert inspect("audio", "audio/wav", audio).problem is None
    assert inspect("audio", "audio/x-wav", audio).problem is None
    assert inspect("audio", "audio/mpeg", audio).problem is not None


def test_inspect_files_and_text_are_taken_as_declared() -> None:
    assert inspect("file", "application/octet-stream", b"\x00\x01").problem is None
    assert inspect("text", "text/plain", jpeg_bytes()).problem is None


def _saved(image_format: str, *, frames: int = 1, size: tuple[int, int] = (64, 48)) -> bytes:
    """An image of `frames` frames of noise, saved by Pillow in `image_format`."""
    from PIL import Image

    images = [Image.effect_noise(size, 40 + 10 * index).convert("RGB") for index in range(frames)]
    buffer = io.BytesIO()
    options = {"save_all": True, "append_images": images[1:]} if frames > 1 else {}
    images[0].save(buffer, image_format, **options)
    return buffer.getvalue()


IMAGE_FORMATS = [
    ("image/png", "PNG", 1),
    ("image/png", "PNG", 3),  # APNG
    ("image/jpeg", "JPEG", 1),
    ("image/gif", "GIF", 1),
    ("image/gif", "GIF", 4),
    ("image/webp", "WEBP", 1),
    ("image/webp", "WEBP", 3),
    ("image/bmp", "BMP", 1),
    ("image/avif", "AVIF", 1),
]


@pytest.mark.parametrize(("content_type", "image_format", "frames"), IMAGE_FORMATS)
def test_inspect_whole_image_of_every_accepted_type_is_read_with_its_size(
    content_type: str, image_format: str, frames: int
) -> None:
    found = inspect("image", content_type, _saved(image_format, frames=frames))

    assert (found.problem, found.width, found.height) == (None, 64, 48)


@pytest.mark.parametrize(("content_type", "image_format", "frames"), IMAGE_FORMATS)
def test_inspect_image_cut_anywhere_is_refused_never_raised(
    content_type: str, image_format: str, frames: int
) -> None:
    data = _saved(image_format, frames=frames)
    cuts = sorted({*range(1, 64), *range(64, len(data), max(1, len(data) // 97)), len(data) - 1})

    accepted = [cut for cut in cuts if inspect("image", content_type, data[:cut]).problem is None]

    assert accepted == []


def test_inspect_png_header_only_is_truncated() -> None:
    found = inspect("image", "image/png", png_bytes(64, 48)[:30])

    assert found.problem == (
        "the image/png image is truncated or damaged: it does not decode to its end"
    )
    assert found.width is None


def test_inspect_png_without_its_end_chunk_is_truncated() -> None:
    found = inspect("image", "image/png", noisy_png_bytes()[:-12])

    assert found.problem is not None
    assert "truncated" in found.problem


def test_inspect_png_with_a_damaged_chunk_is_refused() -> None:
    data = bytearray(noisy_png_bytes())
    data[len(data) // 2] ^= 0xFF

    found = inspect("image", "image/png", bytes(data))

    assert found.problem is not None
    assert "damaged" in found.problem


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(png_claiming_size(100_000, 100_000), id="claims-100000x100000"),
        pytest.param(png_claiming_size(8_193, 8_192), id="claims-one-row-over"),
        pytest.param(bomb_png_bytes(10_000, 10_000), id="whole-1-bit-bomb"),
    ],
)
def test_inspect_image_over_the_pixel_limit_is_refused(data: bytes) -> None:
    found = inspect("image", "image/png", data)

    assert found.problem is not None
    assert f"at most {MAX_PIXELS} pixels are accepted" in found.problem
    assert found.width is None


def test_inspect_image_over_a_lower_limit_names_its_size() -> None:
    data = png_bytes(1_500, 1_000)

    found = inspect_with_limit("image", "image/png", data, max_image_pixels=10**6)

    assert found.problem == (
        "the image has 1500000 pixels (1500 x 1000); at most 1000000 pixels are accepted"
    )


def test_inspect_animation_counts_the_pixels_of_every_frame() -> None:
    data = _saved("GIF", frames=4, size=(1_000, 300))  # 300,000 pixels a frame

    found = inspect_with_limit("image", "image/gif", data, max_image_pixels=10**6)

    assert found.problem is not None
    assert "1000 x 300 x 4 frames" in found.problem


def test_inspect_png_with_bytes_after_its_end_is_refused() -> None:
    found = inspect("image", "image/png", png_bytes() + b"<html><script>alert(1)</script>")

    assert found.problem is not None
    assert "damaged" in found.problem


@pytest.mark.parametrize(
    ("filename", "content_type", "served"),
    [
        ("x.html", "image/png", "x.html.png"),
        ("x.svg", "image/png", "x.svg.png"),
        ("plot", "image/png", "plot.png"),
        ("plot.PNG", "image/png", "plot.PNG"),
        ("photo.jpeg", "image/jpeg", "photo.jpeg"),
        ("photo.png", "image/jpeg", "photo.png.jpg"),
        ("notes.html", "text/plain", "notes.html.txt"),
        ("table.csv", "text/csv", "table.csv"),
        ("clip.wav", "audio/x-wav", "clip.wav"),
        ("model.pt", "application/octet-stream", "model.pt"),
        ("weights.npy", "application/octet-stream", "weights.npy"),
        ("index.html", "application/octet-stream", "index.html.bin"),
        ("drawing.SVG", "application/octet-stream", "drawing.SVG.bin"),
        ("run.tar.gz", "application/gzip", "run.tar.gz"),
        (None, "image/png", None),
    ],
)
def test_served_filename_ends_in_an_extension_of_the_served_type(
    filename: str | None, content_type: str, served: str | None
) -> None:
    assert served_filename(filename, content_type) == served


@pytest.mark.parametrize(
    "content_type", sorted(set().union(*ACCEPTED_CONTENT_TYPES.values()) | {"text/plain"})
)
def test_served_filename_every_accepted_type_has_its_own_extension(content_type: str) -> None:
    served = served_filename("upload.html", content_type)

    assert served is not None
    assert served != "upload.html"
    assert served_filename(served, content_type) == served
