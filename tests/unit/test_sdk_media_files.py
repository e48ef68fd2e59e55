"""Media files (a path or bytes) the SDK uploads as they are: recognised by their first bytes
(or else their name), refused when they are not of the kind they are logged as."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.support.media import png_bytes
from wavedb.media import MediaPayload, audio_payload, image_payload
from wavedb.tensorboard_events import image_content_type

WAV_HEADER = b"RIFF\x24\x00\x00\x00WAVEfmt "


def _image(source: Path | bytes) -> MediaPayload:
    return image_payload("val/sample", 3, source, "a caption")


def _audio(source: Path | bytes) -> MediaPayload:
    return audio_payload("val/sample", 3, source, None, "a caption")


def test_media_file_of_its_kind_is_uploaded_as_it_is_with_its_name(tmp_path: Path) -> None:
    image_file = tmp_path / "confusion.png"
    image_file.write_bytes(png_bytes(4, 4))
    payload = _image(image_file)
    assert payload.data == image_file.read_bytes()
    assert payload.body == {
        "name": "val/sample",
        "step": 3,
        "kind": "image",
        "content_type": "image/png",
        "size": len(image_file.read_bytes()),
        "filename": "confusion.png",
        "caption": "a caption",
    }
    assert _audio(WAV_HEADER).body["content_type"] == "audio/wav"


@pytest.mark.parametrize(
    ("log", "source", "refusal"),
    [
        (_image, b"just some text", "not an image this SDK recognises"),
        (_image, WAV_HEADER, "not an image this SDK recognises"),
        (_audio, png_bytes(4, 4), "not an audio file this SDK recognises"),
    ],
)
def test_media_file_not_of_its_kind_is_refused_saying_what_it_takes(
    log: Callable[[bytes], MediaPayload], source: bytes, refusal: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(refusal)):
        log(source)


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (png_bytes(4, 4), "image/png"),
        (b"\xff\xd8\xff\xe0 jpeg", "image/jpeg"),
        (b"GIF89a...", "image/gif"),
        (b"RIFF\x24\x00\x00\x00WEBPVP8 ", "image/webp"),
        (WAV_HEADER, None),
        (b"ID3 an mp3", None),
        (b"just some text", None),
    ],
)
def test_tensorboard_image_content_type_names_images_only(
    data: bytes, content_type: str | None
) -> None:
    assert image_content_type(data) == content_type
