"""Media in tests: real image bytes, uploads with a grant over plain HTTP, and the media
worker fed from the bucket's notification queue."""

from __future__ import annotations

import io
import random
import struct
import zlib
from typing import Any

import httpx
import psycopg

from tests.support.ingest import drain_queue, purge_queue, queue_source, stack_client
from wavedb_local.stack import LocalStack

MEDIA_WORKER = "MediaWorkerFunction"
MEDIA_QUEUE = "MediaNotificationQueue"


def png_bytes(
    width: int = 32, height: int = 24, color: tuple[int, int, int] = (200, 30, 30)
) -> bytes:
    """A real PNG image."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buffer, "PNG")
    return buffer.getvalue()


def noisy_png_bytes(width: int = 128, height: int = 128, seed: int = 7) -> bytes:
    """A real PNG of random pixels: its image data hardly compresses, so a cut through it
    leaves a header that still reads."""
    from PIL import Image

    pixels = random.Random(seed).randbytes(width * height * 3)
    buffer = io.BytesIO()
    Image.frombytes("RGB", (width, height), pixels).save(buffer, "PNG")
    return buffer.getvalue()


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_claiming_size(width: int, height: int) -> bytes:
    """A small, well-formed PNG whose header claims `width` x `height` grey pixels (its image
    data holds a few rows only)."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    rows = zlib.compress(b"\x00" * 4096)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", rows)
        + _png_chunk(b"IEND", b"")
    )


def png_of_exact_size(size: int) -> bytes:
    """A whole PNG of exactly `size` bytes: a small image padded with a text chunk."""
    image = png_bytes()
    padding = size - len(image) - 12 - len(b"padding\x00")
    if padding < 0:
        raise ValueError(f"a PNG of this kind takes at least {size - padding} bytes")
    end = len(image) - 12  # the IEND chunk
    text = _png_chunk(b"tEXt", b"padding\x00" + b"x" * padding)
    return image[:end] + text + image[end:]


def bomb_png_bytes(width: int = 10_000, height: int = 10_000) -> bytes:
    """A whole, valid 1-bit PNG of `width` x `height` blank pixels: a few kilobytes that a
    viewer decodes into hundreds of megabytes (a decompression bomb)."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("1", (width, height), 0).save(buffer, "PNG", optimize=False)
    return buffer.getvalue()


def jpeg_bytes(width: int = 40, height: int = 30) -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (width, height), (10, 120, 200)).save(buffer, "JPEG")
    return buffer.getvalue()


def wav_bytes(frames: int = 800, rate: int = 8_000) -> bytes:
    """A real WAV file: mono, 16-bit."""
    import wave

    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(2)
        writer.setframerate(rate)
        writer.writeframes(b"\x00\x01" * frames)
    return buffer.getvalue()


def media_count(database_url: str) -> int:
    """How many media rows the database holds (of any run, in any state)."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SELECT count(*) FROM media").fetchone()
    assert row is not None
    return int(row[0])


def s3_client(stack: LocalStack) -> Any:
    """An S3 client of the stack's AWS endpoint, to look into the media bucket."""
    return stack_client(stack, "s3")


def upload(
    grant: dict[str, Any], data: bytes, *, fields: dict[str, str] | None = None
) -> httpx.Response:
    """POST the file to S3 with the grant, as a browser form or the SDK does."""
    form = dict(grant["fields"]) if fields is None else fields
    return httpx.post(
        grant["url"], data=form, files={"file": ("upload", data)}, timeout=30, trust_env=False
    )


def drain_media_queue(stack: LocalStack, *, timeout: float = 30) -> None:
    """Deliver every queued upload notification to the media worker."""
    queue, source = queue_source(stack, MEDIA_QUEUE, MEDIA_WORKER)
    drain_queue(stack, queue, source, timeout=timeout)


def purge_media_queue(stack: LocalStack) -> None:
    purge_queue(stack, queue_source(stack, MEDIA_QUEUE, MEDIA_WORKER)[0])
