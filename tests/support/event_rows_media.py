"""Rows and objects the media events refer to (see tests/integration/test_events.py).

The events follow one image of the events' run: `media_create.json` asks for its upload
grant, `media_worker_notification.json` announces its upload, the others read and delete it.
"""

from __future__ import annotations

import io
import struct
import zlib
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.support import event_rows_runs
from tests.support.event_files import http_body
from tests.support.media import png_bytes, purge_media_queue, s3_client
from wavedb_local.stack import LocalStack

RUN_ID = event_rows_runs.RUN_ID
MEDIA_ID = "7e3a1c5b-9d2f-4b6e-8a0c-1f2e3d4c5b6a"
OBJECT_KEY = f"runs/{RUN_ID}/media/{MEDIA_ID}"
IMAGE_WIDTH, IMAGE_HEIGHT = 32, 24
IMAGE_SIZE = 2048  # the size media_create.json declares and the notification announces


def sample_png() -> bytes:
    """The uploaded image: a real 32 x 24 PNG, padded with a comment chunk to the size the
    events declare."""
    image = png_bytes(IMAGE_WIDTH, IMAGE_HEIGHT)
    ihdr_end = 8 + 4 + 4 + 13 + 4  # signature, then IHDR's length, type, data and CRC
    chunk_overhead = 12  # length, type, CRC
    keyword = b"Comment\x00"
    padding = IMAGE_SIZE - len(image) - chunk_overhead - len(keyword)
    assert padding >= 0, "the sample image outgrew the declared size"
    data = keyword + b" " * padding
    chunk = (
        struct.pack(">I", len(data))
        + b"tEXt"
        + data
        + struct.pack(">I", zlib.crc32(b"tEXt" + data) & 0xFFFFFFFF)
    )
    padded = image[:ihdr_end] + chunk + image[ihdr_end:]
    assert len(padded) == IMAGE_SIZE
    return padded


def _insert(database_url: str, *, status: str, grant_expires_at: datetime | None) -> None:
    ready = status == "ready"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO media (id, run_id, name, step, kind, status, caption, content_type,"
            " filename, declared_size, object_key, size_bytes, width, height,"
            " grant_expires_at, created_by, ready_at)"
            " SELECT %s, id, 'samples', 10, 'image', %s, 'Validation samples after epoch 1',"
            " 'image/png', 'sample.png', %s, %s, %s, %s, %s, %s, created_by, %s"
            " FROM runs WHERE id = %s",
            (
                MEDIA_ID,
                status,
                IMAGE_SIZE,
                OBJECT_KEY,
                IMAGE_SIZE if ready else None,
                IMAGE_WIDTH if ready else None,
                IMAGE_HEIGHT if ready else None,
                grant_expires_at,
                datetime.now(UTC) if ready else None,
                RUN_ID,
            ),
        )


def ready_image(database_url: str) -> None:
    """The events' run with its image uploaded and accepted (a download URL needs no
    object: it is only signed)."""
    event_rows_runs.project_with_run(database_url)
    _insert(database_url, status="ready", grant_expires_at=None)


def pending_image(database_url: str) -> None:
    """The events' run with the image's upload granted, not yet arrived."""
    event_rows_runs.project_with_run(database_url)
    expires = datetime.now(UTC) + timedelta(minutes=10)
    _insert(database_url, status="pending", grant_expires_at=expires)


def abandoned_image(database_url: str) -> None:
    """The events' run with an upload grant that ran out a day ago, never used."""
    event_rows_runs.project_with_run(database_url)
    expired = datetime.now(UTC) - timedelta(days=1)
    _insert(database_url, status="pending", grant_expires_at=expired)


def uploaded_object(stack: LocalStack) -> None:
    """The image's bytes in the stack's bucket, as the presigned POST leaves them. The
    bucket's own notification of this upload is dropped: the event file stands for it."""
    s3_client(stack).upload_fileobj(
        io.BytesIO(sample_png()),
        stack.environment["MEDIA_BUCKET"],
        OBJECT_KEY,
        ExtraArgs={"ContentType": "image/png"},
    )
    purge_media_queue(stack)


def _media_row(database_url: str) -> dict[str, Any] | None:
    with psycopg.connect(database_url, row_factory=dict_row) as connection:
        return connection.execute(
            "SELECT status, width, height, size_bytes, reject_reason FROM media WHERE id = %s",
            (MEDIA_ID,),
        ).fetchone()


def image_became_ready(database_url: str) -> bool:
    """The worker accepted the upload and read the image's size."""
    return _media_row(database_url) == {
        "status": "ready",
        "width": IMAGE_WIDTH,
        "height": IMAGE_HEIGHT,
        "size_bytes": IMAGE_SIZE,
        "reject_reason": None,
    }


def grants_an_upload(answer: dict[str, Any]) -> bool:
    """The image is pending, with a presigned POST for its bytes."""
    body = http_body(answer)
    upload = body["upload"]
    return bool(
        body["media"]["id"] == MEDIA_ID
        and body["media"]["status"] == "pending"
        and upload["url"]
        and upload["fields"]["key"] == OBJECT_KEY
        and upload["max_bytes"] == IMAGE_SIZE
    )


def stores_a_histogram(answer: dict[str, Any]) -> bool:
    """The histogram is ready at once, binned as asked, with nothing to upload."""
    body = http_body(answer)
    histogram = body["media"]["histogram"]
    return bool(
        body["upload"] is None
        and body["media"]["status"] == "ready"
        and len(histogram["counts"]) == 8
        and len(histogram["bins"]) == 9
    )


def lists_the_ready_image(answer: dict[str, Any]) -> bool:
    items = http_body(answer)["items"]
    return len(items) == 1 and items[0]["id"] == MEDIA_ID and items[0]["url"] is not None


def names_the_samples(answer: dict[str, Any]) -> bool:
    summary = {"name": "samples", "kind": "image", "count": 1, "ready": 1}
    return bool(http_body(answer)["items"] == [{**summary, "min_step": 10, "max_step": 10}])


def is_the_ready_image(answer: dict[str, Any]) -> bool:
    body = http_body(answer)
    return bool(
        body["id"] == MEDIA_ID
        and body["status"] == "ready"
        and (body["width"], body["height"]) == (IMAGE_WIDTH, IMAGE_HEIGHT)
        and body["url"]
    )


def abandoned_one_grant(answer: Any) -> bool:
    """The ran-out grant was given up, and its key (where a late upload would land) cleared."""
    return bool(answer == {"abandoned": 1, "purged": 1})


def image_was_rejected(database_url: str) -> bool:
    row = _media_row(database_url)
    return row is not None and row["status"] == "rejected" and row["reject_reason"] is not None


def logged_an_image(answer: dict[str, Any]) -> bool:
    """WaveDB's answer to an image metric."""
    return bool(http_body(answer)["data"]["type"] == "IMAGE")
