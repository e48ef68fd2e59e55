"""Media of runs: grants for direct uploads to S3, inline text and histograms, listing,
reading and deleting. The media worker (services.media_intake) accepts what arrives.

The bytes of images, audio, files and long text never pass through the API: a member of
the run's workspace gets a presigned POST pinned to one object key under the run's prefix,
one content type and one exact size, valid for a few minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, NoReturn
from uuid import UUID, uuid4

from aws_lambda_powertools import Logger

from wavedb_core import storage
from wavedb_core.db.connection import transaction
from wavedb_core.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from wavedb_core.models.media import (
    ACCEPTED_CONTENT_TYPES,
    INLINE_TEXT_CONTENT_TYPE,
    TEXT_PREVIEW_CHARACTERS,
    Histogram,
    HistogramMediaCreateRequest,
    InlineTextMediaCreateRequest,
    MediaCreated,
    MediaCreateRequest,
    MediaKind,
    MediaNameSummary,
    MediaPage,
    MediaView,
    UploadGrant,
    UploadKind,
    bare_content_type,
    filename_problem,
    served_filename,
)
from wavedb_core.models.metrics import PointOrder, name_problem
from wavedb_core.pagination import decode_cursor, encode_cursor, malformed_cursor
from wavedb_core.principal import Principal
from wavedb_core.repositories import media as repository
from wavedb_core.repositories.media import MediaFilter, MediaRow, NewMedia
from wavedb_core.services.access import READ, WRITE, Role, require_run
from wavedb_core.services.histograms import HistogramProblem, build_histogram
from wavedb_core.services.media_inspection import inspect, sniff
from wavedb_core.settings import get_settings

__all__ = [
    "MediaFilter",
    "create_media",
    "delete_media",
    "get_media",
    "list_media",
    "list_media_offset",
    "media_names",
    "object_key",
    "store_upload",
]

logger = Logger(child=True)

_MEDIA_NOT_FOUND = "media not found"


def object_key(run_id: UUID, media_id: UUID) -> str:
    """Where an item's bytes live: under its run's own prefix."""
    return f"runs/{run_id}/media/{media_id}"


def max_upload_bytes(kind: UploadKind) -> int:
    settings = get_settings()
    return {
        "image": settings.media_max_image_bytes,
        "audio": settings.media_max_audio_bytes,
        "text": settings.media_max_text_bytes,
        "file": settings.media_max_file_bytes,
    }[kind]


# ---------------------------------------------------------------- checks


@dataclass
class _Problems:
    items: list[dict[str, str]]

    def add(self, field: str, message: str) -> None:
        self.items.append({"location": f"body.{field}", "message": message})

    def raise_if_any(self) -> None:
        if self.items:
            first = self.items[0]
            raise ValidationFailed(
                f"{first['location'].removeprefix('body.')}: {first['message']}",
                details=self.items,
            )


def _refuse(field: str, message: str) -> NoReturn:
    """Refuse a request for one field (located as in the body, like the model's errors)."""
    raise ValidationFailed(
        f"{field}: {message}", details=[{"location": f"body.{field}", "message": message}]
    )


def _new_media(
    principal: Principal, run_id: UUID, request: MediaCreateRequest
) -> tuple[NewMedia, bool]:
    """The row to store, and whether it waits for an upload. The request's model has checked
    each kind's fields; what is left needs the deployment's settings or the data itself."""
    item = request.item
    media_id = item.media_id or uuid4()
    common: dict[str, Any] = {
        "id": media_id,
        "run_id": run_id,
        "name": item.name,
        "step": item.step,
        "kind": item.kind,
        "caption": item.caption,
        "created_by": principal.user_id,
    }
    if isinstance(item, HistogramMediaCreateRequest):
        histogram = build_histogram(item.histogram)
        if isinstance(histogram, HistogramProblem):
            _refuse(histogram.field, histogram.message)
        return NewMedia(**common, status="ready", histogram=histogram), False
    if isinstance(item, InlineTextMediaCreateRequest):
        return (
            NewMedia(
                **common,
                status="ready",
                content_type=item.content_type or INLINE_TEXT_CONTENT_TYPE,
                filename=item.filename,
                size_bytes=len(item.text.encode()),
                text_value=item.text,
            ),
            False,
        )
    limit = max_upload_bytes(item.upload_kind)
    if item.size > limit:
        _refuse("size", f"at most {limit} bytes for {item.upload_kind} media")
    grant_seconds = get_settings().media_upload_grant_seconds
    return (
        NewMedia(
            **common,
            status="pending",
            content_type=item.content_type,
            filename=item.filename,
            declared_size=item.size,
            object_key=object_key(run_id, media_id),
            grant_expires_at=datetime.now(UTC) + timedelta(seconds=grant_seconds),
        ),
        True,
    )


def _same_item(row: MediaRow, wanted: NewMedia) -> bool:
    return (
        row.run_id == wanted.run_id
        and row.name == wanted.name
        and row.step == wanted.step
        and row.kind == wanted.kind
        and row.caption == wanted.caption
        and row.content_type == wanted.content_type
        and row.filename == wanted.filename
        and row.declared_size == wanted.declared_size
        and row.text_value == wanted.text_value
        and row.histogram == wanted.histogram
    )


# ---------------------------------------------------------------- views


def _download_url(row: MediaRow) -> tuple[str | None, datetime | None]:
    if row.status != "ready" or row.object_key is None:
        return None, None
    seconds = get_settings().media_download_url_seconds
    stored_type = row.content_type or "application/octet-stream"
    content_type = stored_type
    if content_type.startswith("text/"):
        content_type += "; charset=utf-8"
    url = storage.presigned_download(
        row.object_key,
        version_id=row.object_version,
        content_type=content_type,
        filename=served_filename(row.filename, stored_type),
        inline=row.kind in ("image", "audio"),
        expires_in=seconds,
    )
    return url, datetime.now(UTC) + timedelta(seconds=seconds)


def _view(row: MediaRow, *, full_text: bool) -> MediaView:
    url, url_expires_at = _download_url(row)
    text = row.text_value
    truncated = False
    if text is not None and not full_text and len(text) > TEXT_PREVIEW_CHARACTERS:
        text, truncated = text[:TEXT_PREVIEW_CHARACTERS], True
    return MediaView(
        id=row.id,
        run_id=row.run_id,
        name=row.name,
        step=row.step,
        kind=row.kind,
        status=row.status,
        caption=row.caption,
        content_type=row.content_type,
        filename=row.filename,
        size_bytes=row.size_bytes if row.size_bytes is not None else row.declared_size,
        width=row.width,
        height=row.height,
        reject_reason=row.reject_reason,
        text=text,
        text_truncated=truncated,
        histogram=None if row.histogram is None else Histogram.model_validate(row.histogram),
        url=url,
        url_expires_at=url_expires_at,
        created_at=row.created_at.astimezone(UTC),
        ready_at=None if row.ready_at is None else row.ready_at.astimezone(UTC),
    )


def _grant(row: MediaRow) -> UploadGrant:
    assert row.object_key is not None
    assert row.content_type is not None
    assert row.declared_size is not None
    assert row.grant_expires_at is not None
    expires_in = max(1, int((row.grant_expires_at - datetime.now(UTC)).total_seconds()))
    url, fields = storage.presigned_upload(
        row.object_key,
        content_type=row.content_type,
        size=row.declared_size,
        expires_in=expires_in,
    )
    return UploadGrant(
        url=url,
        fields=fields,
        expires_at=row.grant_expires_at.astimezone(UTC),
        max_bytes=row.declared_size,
    )


# ---------------------------------------------------------------- operations


def create_media(principal: Principal, run_id: UUID, request: MediaCreateRequest) -> MediaCreated:
    """Record an item (member or above): inline items are ready at once; uploads get a
    presigned POST. A retried request (same `media_id`, same fields) answers the same item,
    with a fresh grant while it is pending or missing."""
    with transaction() as connection:
        require_run(connection, principal, run_id, WRITE)
        wanted, needs_upload = _new_media(principal, run_id, request)
        row = repository.insert_media(connection, wanted)
        if row is None:
            existing = repository.find_media(connection, wanted.id, lock=True)
            if existing is None or not _same_item(existing, wanted):
                raise Conflict("media_id is already used by another item", code="media_id_conflict")
            row = existing
            # A pending item gets a fresh grant; a missing one (its object was lost) is
            # uploaded again, so that re-running an import repairs it.
            if row.status in ("pending", "missing") and wanted.grant_expires_at is not None:
                row = repository.renew_grant(connection, row.id, wanted.grant_expires_at) or row
    upload = _grant(row) if needs_upload and row.status == "pending" else None
    logger.info(
        "media recorded",
        extra={"run_id": str(run_id), "media_id": str(row.id), "kind": row.kind},
    )
    return MediaCreated(media=_view(row, full_text=True), upload=upload)


def _find(principal: Principal, run_id: UUID, media_id: UUID, minimum: Role) -> MediaRow:
    with transaction() as connection:
        require_run(connection, principal, run_id, minimum)
        row = repository.find_media(connection, media_id)
    if row is None or row.run_id != run_id:
        raise NotFound(_MEDIA_NOT_FOUND, code="media_not_found")
    return row


def get_media(principal: Principal, run_id: UUID, media_id: UUID) -> MediaView:
    """One item, all of its text, a download URL when ready (viewer or above)."""
    return _view(_find(principal, run_id, media_id, READ), full_text=True)


def list_media(
    principal: Principal,
    run_id: UUID,
    where: MediaFilter,
    *,
    limit: int,
    cursor: str | None,
) -> MediaPage:
    """A page of the run's media by name, then step (viewer or above)."""
    after: tuple[str, int, UUID] | None = None
    if cursor is not None:
        position = decode_cursor(cursor, required_keys=frozenset({"n", "s", "i"}))
        try:
            after = (str(position["n"]), int(position["s"]), UUID(str(position["i"])))
        except (TypeError, ValueError) as error:
            raise malformed_cursor() from error
    with transaction() as connection:
        require_run(connection, principal, run_id, READ)
        rows = repository.list_media(connection, run_id, where, after=after, limit=limit + 1)
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor({"n": last.name, "s": last.step, "i": str(last.id)})
    return MediaPage(items=[_view(row, full_text=False) for row in rows], next_cursor=next_cursor)


def media_names(principal: Principal, run_id: UUID) -> list[MediaNameSummary]:
    """Each media name of the run with its kind, counts and step range (viewer or above)."""
    with transaction() as connection:
        require_run(connection, principal, run_id, READ)
        rows = repository.name_summaries(connection, run_id)
    return [MediaNameSummary.model_validate(row) for row in rows]


def delete_media(principal: Principal, run_id: UUID, media_id: UUID) -> None:
    """Delete an item and its object (member or above)."""
    with transaction() as connection:
        require_run(connection, principal, run_id, WRITE)
        # The trigger on `media` remembers the object for the janitor.
        row = repository.delete_media(connection, run_id, media_id)
        if row is None:
            raise NotFound(_MEDIA_NOT_FOUND, code="media_not_found")
    if row.object_key is not None:
        purge_objects([row.object_key])
    logger.info("media deleted", extra={"run_id": str(run_id), "media_id": str(media_id)})


def purge_objects(keys: list[str]) -> int:
    """Delete objects whose rows are gone, and forget them; what fails stays for the
    media janitor. Answers how many were deleted."""
    try:
        gone = storage.delete_objects(keys)
    except Exception:
        logger.exception("deleting media objects failed; the janitor retries")
        return 0
    with transaction() as connection:
        repository.forget_orphans(connection, gone)
    return len(gone)


def store_upload(
    principal: Principal,
    run_id: UUID,
    *,
    name: str,
    step: int,
    kind: UploadKind,
    content_type: str,
    data: bytes,
    caption: str | None = None,
    filename: str | None = None,
) -> MediaView:
    """Store bytes that came through the API itself (small uploads of the compatibility
    routes): checked like an upload, then written to S3 and ready at once."""
    with transaction() as connection:
        require_run(connection, principal, run_id, WRITE)
    problems = _Problems([])
    if problem := name_problem(name):
        problems.add("name", problem)
    declared = bare_content_type(content_type)
    if declared not in ACCEPTED_CONTENT_TYPES[kind]:
        declared = sniff(data[:4096]) or declared  # multipart parts often say octet-stream
    if declared not in ACCEPTED_CONTENT_TYPES[kind]:
        problems.add("content_type", f"{declared} is not accepted for {kind} media")
    if filename is not None and (problem := filename_problem(filename)):
        filename = None  # a client's path is not kept; the bytes are
    problems.raise_if_any()
    inspection = inspect(
        kind, declared, data, max_image_pixels=get_settings().media_max_image_pixels
    )
    if inspection.problem is not None:
        problems.add("value", inspection.problem)
        problems.raise_if_any()
    media_id = uuid4()
    key = object_key(run_id, media_id)
    with transaction() as connection:
        require_run(connection, principal, run_id, WRITE)
        repository.insert_media(
            connection,
            NewMedia(
                id=media_id,
                run_id=run_id,
                name=name,
                step=step,
                kind=kind,
                status="pending",
                caption=caption,
                created_by=principal.user_id,
                content_type=declared,
                filename=filename,
                declared_size=len(data),
                object_key=key,
                grant_expires_at=datetime.now(UTC),
            ),
        )
    try:
        version = storage.put(key, data, content_type=declared)
    except Exception as error:
        with transaction() as connection:
            repository.delete_media(connection, run_id, media_id)
        logger.exception("storing an upload failed", extra={"run_id": str(run_id)})
        raise ServiceUnavailable(
            "media storage is unavailable; try again", code="media_unavailable"
        ) from error
    with transaction() as connection:
        row = repository.mark_ready(
            connection,
            media_id,
            object_version=version,
            size_bytes=len(data),
            width=inspection.width,
            height=inspection.height,
        ) or repository.find_media(connection, media_id)
    if row is None:
        raise NotFound(_MEDIA_NOT_FOUND, code="media_not_found")
    return _view(row, full_text=True)


def list_media_offset(
    principal: Principal,
    run_id: UUID,
    *,
    kind: MediaKind,
    order: PointOrder,
    limit: int,
    offset: int,
) -> list[MediaView]:
    """`limit` of the run's ready items of one kind from `offset`, by step or by when they
    were recorded, as the WaveDB routes page (viewer or above). Text is a preview, as in
    `list_media`."""
    if not 1 <= limit <= 100_000 or offset < 0:
        raise ValidationFailed("limit must be 1 to 100000 and offset at least 0")
    with transaction() as connection:
        require_run(connection, principal, run_id, READ)
        rows = repository.list_media_offset(
            connection, run_id, kind=kind, status="ready", order=order, limit=limit, offset=offset
        )
    return [_view(row, full_text=False) for row in rows]
