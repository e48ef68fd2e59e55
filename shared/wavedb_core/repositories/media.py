"""Media rows of runs, and objects whose rows are gone."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from wavedb_core.db.connection import Connection
from wavedb_core.db.rows import scalar_of

if TYPE_CHECKING:  # the media models are not needed to read rows
    from wavedb_core.models.media import MediaKind, MediaStatus


@dataclass(frozen=True)
class MediaRow:
    id: UUID
    run_id: UUID
    name: str
    step: int
    kind: MediaKind
    status: MediaStatus
    caption: str | None
    content_type: str | None
    filename: str | None
    declared_size: int | None
    object_key: str | None
    object_version: str | None
    size_bytes: int | None
    width: int | None
    height: int | None
    grant_expires_at: datetime | None
    reject_reason: str | None
    text_value: str | None
    histogram: dict[str, Any] | None
    created_at: datetime
    ready_at: datetime | None


@dataclass(frozen=True)
class NewMedia:
    id: UUID
    run_id: UUID
    name: str
    step: int
    kind: str
    status: str
    caption: str | None
    created_by: UUID | None
    content_type: str | None = None
    filename: str | None = None
    declared_size: int | None = None
    object_key: str | None = None
    grant_expires_at: datetime | None = None
    size_bytes: int | None = None
    text_value: str | None = None
    histogram: dict[str, Any] | None = None


@dataclass(frozen=True)
class MediaFilter:
    name: str | None = None
    kind: str | None = None
    status: str | None = None
    step_min: int | None = None
    step_max: int | None = None


@dataclass(frozen=True)
class NameSummaryRow:
    name: str
    kind: MediaKind
    count: int
    ready: int
    min_step: int
    max_step: int


_COLUMNS = (
    "id, run_id, name, step, kind, status, caption, content_type, filename, declared_size,"
    " object_key, object_version, size_bytes, width, height, grant_expires_at, reject_reason,"
    " text_value, histogram, created_at, ready_at"
)


def insert_media(connection: Connection, media: NewMedia) -> MediaRow | None:
    """Store a new item; None when its id is taken."""
    with connection.cursor(row_factory=class_row(MediaRow)) as cursor:
        cursor.execute(
            "INSERT INTO media (id, run_id, name, step, kind, status, caption, created_by,"
            " content_type, filename, declared_size, object_key, grant_expires_at, size_bytes,"
            " text_value, histogram, ready_at)"
            " VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            "  CASE WHEN %s = 'ready' THEN now() END)"
            f" ON CONFLICT (id) DO NOTHING RETURNING {_COLUMNS}",
            (
                media.id,
                media.run_id,
                media.name,
                media.step,
                media.kind,
                media.status,
                media.caption,
                media.created_by,
                media.content_type,
                media.filename,
                media.declared_size,
                media.object_key,
                media.grant_expires_at,
                media.size_bytes,
                media.text_value,
                None if media.histogram is None else Jsonb(media.histogram),
                media.status,
            ),
        )
        return cursor.fetchone()


def find_media(connection: Connection, media_id: UUID, *, lock: bool = False) -> MediaRow | None:
    with connection.cursor(row_factory=class_row(MediaRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM media WHERE id = %s" + (" FOR UPDATE" if lock else ""),
            (media_id,),
        )
        return cursor.fetchone()


def renew_grant(connection: Connection, media_id: UUID, expires_at: datetime) -> MediaRow | None:
    """A pending item's grant, valid until `expires_at`; a missing item waits for its
    upload again (pending)."""
    with connection.cursor(row_factory=class_row(MediaRow)) as cursor:
        cursor.execute(
            "UPDATE media SET grant_expires_at = %s, status = 'pending', reject_reason = NULL,"
            " ready_at = NULL"
            " WHERE id = %s AND status IN ('pending', 'missing')"
            f" RETURNING {_COLUMNS}",
            (expires_at, media_id),
        )
        return cursor.fetchone()


@dataclass(frozen=True)
class StoredMediaRow:
    id: UUID
    object_key: str
    object_version: str | None


def ready_stored_media(
    connection: Connection, *, ready_before: datetime, after: UUID | None, limit: int
) -> list[StoredMediaRow]:
    """A page of the items that became ready before `ready_before` with their bytes in the
    bucket, by id, after `after`."""
    with connection.cursor(row_factory=class_row(StoredMediaRow)) as cursor:
        cursor.execute(
            "SELECT id, object_key, object_version FROM media"
            " WHERE status = 'ready' AND object_key IS NOT NULL AND text_value IS NULL"
            " AND ready_at < %s AND (%s::uuid IS NULL OR id > %s) ORDER BY id LIMIT %s",
            (ready_before, after, after, limit),
        )
        return cursor.fetchall()


def mark_missing(connection: Connection, media_ids: Sequence[UUID], reason: str) -> int:
    """Ready items whose objects are gone become missing; answers how many."""
    cursor = connection.execute(
        "UPDATE media SET status = 'missing', reject_reason = %s"
        " WHERE id = ANY(%s) AND status = 'ready'",
        (reason, list(media_ids)),
    )
    return cursor.rowcount


def mark_ready(
    connection: Connection,
    media_id: UUID,
    *,
    object_version: str | None,
    size_bytes: int,
    width: int | None,
    height: int | None,
) -> MediaRow | None:
    with connection.cursor(row_factory=class_row(MediaRow)) as cursor:
        cursor.execute(
            "UPDATE media SET status = 'ready', object_version = %s, size_bytes = %s,"
            " width = %s, height = %s, reject_reason = NULL, ready_at = now()"
            f" WHERE id = %s AND status = 'pending' RETURNING {_COLUMNS}",
            (object_version, size_bytes, width, height, media_id),
        )
        return cursor.fetchone()


def mark_rejected(connection: Connection, media_id: UUID, reason: str) -> None:
    connection.execute(
        "UPDATE media SET status = 'rejected', reject_reason = %s"
        " WHERE id = %s AND status = 'pending'",
        (reason, media_id),
    )


def list_media(
    connection: Connection,
    run_id: UUID,
    where: MediaFilter,
    *,
    after: tuple[str, int, UUID] | None,
    limit: int,
) -> list[MediaRow]:
    """A page of the run's media by (name, step, id), after a position."""
    clauses: list[sql.Composable] = [sql.SQL("run_id = %s")]
    params: list[Any] = [run_id]
    for column, operator, value in (
        ("name", "=", where.name),
        ("kind", "=", where.kind),
        ("status", "=", where.status),
        ("step", ">=", where.step_min),
        ("step", "<=", where.step_max),
    ):
        if value is not None:
            clauses.append(sql.SQL("{} " + operator + " %s").format(sql.Identifier(column)))
            params.append(value)
    if after is not None:
        clauses.append(sql.SQL("(name, step, id) > (%s, %s, %s)"))
        params.extend(after)
    query = sql.SQL(
        "SELECT " + _COLUMNS + " FROM media WHERE {where} ORDER BY name, step, id LIMIT %s"
    ).format(where=sql.SQL(" AND ").join(clauses))
    params.append(limit)
    with connection.cursor(row_factory=class_row(MediaRow)) as cursor:
        cursor.execute(query, params)
        return cursor.fetchall()


def name_summaries(connection: Connection, run_id: UUID) -> list[NameSummaryRow]:
    with connection.cursor(row_factory=class_row(NameSummaryRow)) as cursor:
        cursor.execute(
            "SELECT name, kind, count(*) AS count,"
            " count(*) FILTER (WHERE status = 'ready') AS ready,"
            " min(step) AS min_step, max(step) AS max_step"
            " FROM media WHERE run_id = %s GROUP BY name, kind ORDER BY name, kind",
            (run_id,),
        )
        return cursor.fetchall()


def delete_media(connection: Connection, run_id: UUID, media_id: UUID) -> MediaRow | None:
    """Delete the run's item; None when the run has no such item."""
    with connection.cursor(row_factory=class_row(MediaRow)) as cursor:
        cursor.execute(
            f"DELETE FROM media WHERE id = %s AND run_id = %s RETURNING {_COLUMNS}",
            (media_id, run_id),
        )
        return cursor.fetchone()


def expire_abandoned_grants(connection: Connection, before: datetime, reason: str) -> int:
    """Reject pending items whose grants ran out before `before`, and queue their keys for
    deletion (a late or failed upload may have left an object). Answers how many."""
    with connection.cursor(row_factory=scalar_of(int)) as cursor:
        expired = cursor.execute(
            "WITH expired AS ("
            "  UPDATE media SET status = 'rejected', reject_reason = %s"
            "  WHERE status = 'pending' AND grant_expires_at < %s RETURNING object_key),"
            " queued AS ("
            "  INSERT INTO orphaned_objects (object_key) SELECT object_key FROM expired"
            "  ON CONFLICT (object_key) DO NOTHING)"
            " SELECT count(*) FROM expired",
            (reason, before),
        ).fetchone()
    return expired or 0


def orphaned_keys(connection: Connection, limit: int) -> list[str]:
    with connection.cursor(row_factory=scalar_of(str)) as cursor:
        return cursor.execute(
            "SELECT object_key FROM orphaned_objects ORDER BY orphaned_at LIMIT %s", (limit,)
        ).fetchall()


def forget_orphans(connection: Connection, keys: Sequence[str]) -> None:
    connection.execute("DELETE FROM orphaned_objects WHERE object_key = ANY(%s)", (list(keys),))


def list_media_offset(
    connection: Connection,
    run_id: UUID,
    *,
    kind: str,
    status: str,
    order: str,
    limit: int,
    offset: int,
) -> list[MediaRow]:
    """`limit` of the run's items of one kind and status from `offset`, by step
    (`step_asc`, `step_desc`) or by when they were recorded (`time_asc`, `time_desc`)."""
    order_by = {
        "step_asc": "step, created_at, id",
        "step_desc": "step DESC, created_at DESC, id DESC",
        "time_asc": "created_at, id",
        "time_desc": "created_at DESC, id DESC",
    }[order]
    with connection.cursor(row_factory=class_row(MediaRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM media WHERE run_id = %s AND kind = %s AND status = %s"
            f" ORDER BY {order_by} LIMIT %s OFFSET %s",
            (run_id, kind, status, limit, offset),
        )
        return cursor.fetchall()
