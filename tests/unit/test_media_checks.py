"""What the media checks decide without any network: file names, histograms, and what the
bytes of an upload are."""

from __future__ import annotations

import pytest

from tests.support.media import jpeg_bytes, png_bytes, wav_bytes
from wavedb_core.models.media import HistogramIn, filename_problem
from wavedb_core.services.histograms import HistogramProblem, build_histogram
from wavedb_core.services.media_inspection import inspect


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
