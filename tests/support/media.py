"""Media in tests: real image bytes, uploads with a grant over plain HTTP, and the media
worker fed from the bucket's notification queue."""

from __future__ import annotations

import io
from typing import Any

import httpx

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
