"""What the media worker does with an object that arrived in the bucket.

S3 notifications come at least once and in any order, and S3 emulators enforce none of a
presigned POST's conditions, so every object is checked against its grant here: the exact
size, the content type, the grant's expiry and, for images and audio, what the bytes are
(an image is decoded whole: a truncated image, or one of more pixels than the
MEDIA_MAX_IMAGE_PIXELS setting, is rejected).
Each decision is taken under a lock on the media row, so repeats change nothing:

- pending item, object matches → `ready` (with width and height for images);
- pending item, object does not match → object deleted, item `rejected` with the reason;
- ready item, same version → nothing (a repeated notification);
- ready item, another version (the grant was used twice) → that version is deleted, the
  accepted one stays;
- rejected item, or no item at all (deleted since) → the object is deleted;
- a key under `runs/` that names no media item (a grant posted to another key: S3
  refuses it, an emulator does not) → the object is deleted. Keys outside `runs/` are
  not the media worker's (the bucket announces only `runs/`).
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Literal
from uuid import UUID

from aws_lambda_powertools import Logger

from wavedb_core import storage
from wavedb_core.db.connection import Connection, transaction
from wavedb_core.models.media import bare_content_type
from wavedb_core.repositories import media as repository
from wavedb_core.repositories.media import MediaRow
from wavedb_core.services.media_inspection import HEADER_BYTES, inspect
from wavedb_core.settings import get_settings

logger = Logger(child=True)

IntakeOutcome = Literal[
    "accepted", "rejected", "repeated", "second_upload_removed", "orphan_removed", "gone", "ignored"
]

MEDIA_PREFIX = "runs/"
_KEY_RE = re.compile(
    r"^runs/(?P<run>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
    r"/media/(?P<media>[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"
)


def media_id_of(key: str) -> UUID | None:
    """The media id an object key names, if it is one of ours."""
    match = _KEY_RE.match(key)
    return UUID(match["media"]) if match else None


def _mismatch(row: MediaRow, stored: storage.StoredObject) -> str | None:
    if row.declared_size is not None and stored.size != row.declared_size:
        return f"the upload is {stored.size} bytes; {row.declared_size} were granted"
    arrived_type = bare_content_type(stored.content_type)
    if arrived_type != row.content_type:
        arrived = arrived_type or "missing"
        return f"the upload's content type is {arrived}; {row.content_type} was granted"
    if row.grant_expires_at is not None:
        deadline = row.grant_expires_at + timedelta(
            seconds=get_settings().media_upload_grace_seconds
        )
        if stored.last_modified > deadline:
            return "the upload arrived after its grant expired"
    return None


def _accept_or_reject(
    connection: Connection, row: MediaRow, stored: storage.StoredObject
) -> IntakeOutcome:
    problem = _mismatch(row, stored)
    width = height = None
    if problem is None and row.kind in ("image", "audio") and row.content_type:
        # An image is decoded whole (its size was checked against the grant above);
        # audio is known by its header.
        length = max(stored.size, 1) if row.kind == "image" else HEADER_BYTES
        data = storage.read_start(stored.key, stored.version_id, length)
        inspection = inspect(
            row.kind,
            row.content_type,
            data,
            max_image_pixels=get_settings().media_max_image_pixels,
        )
        problem, width, height = inspection.problem, inspection.width, inspection.height
    if problem is not None:
        repository.mark_rejected(connection, row.id, problem)
        storage.delete_all_versions(stored.key)
        logger.warning("upload rejected", extra={"media_id": str(row.id), "reason": problem})
        return "rejected"
    repository.mark_ready(
        connection,
        row.id,
        object_version=stored.version_id,
        size_bytes=stored.size,
        width=width,
        height=height,
    )
    storage.delete_other_versions(stored.key, keep=stored.version_id)  # an earlier upload
    storage.mark_accepted(stored.key, stored.version_id)
    return "accepted"


def receive_object(key: str) -> IntakeOutcome:
    """Check and record one object the bucket announced as created."""
    media_id = media_id_of(key)
    if media_id is None:
        if not key.startswith(MEDIA_PREFIX):
            logger.warning("an object outside the media prefix is left alone", extra={"key": key})
            return "ignored"
        storage.delete_all_versions(key)
        logger.warning("an object outside the media layout was removed", extra={"key": key})
        return "orphan_removed"
    with transaction() as connection:
        # The lock makes concurrent deliveries of the same notification take turns.
        row = repository.find_media(connection, media_id, lock=True)
        if row is None or row.object_key != key:
            storage.delete_all_versions(key)
            return "orphan_removed"
        stored = storage.head(key)
        if stored is None:
            return "gone"
        if row.status == "ready":
            if stored.version_id == row.object_version:
                return "repeated"
            storage.delete_other_versions(key, keep=row.object_version)
            logger.warning("a second upload with one grant was removed", extra={"key": key})
            return "second_upload_removed"
        if row.status == "rejected":
            storage.delete_all_versions(key)
            return "orphan_removed"
        return _accept_or_reject(connection, row, stored)
