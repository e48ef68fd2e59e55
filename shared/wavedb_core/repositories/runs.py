"""Runs: one row each, listed by keyset pagination over the caller's workspaces."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.rows import class_row
from psycopg.types.json import Jsonb

from wavedb_core.db.connection import Connection
from wavedb_core.vocabulary import RunStatus


@dataclass(frozen=True)
class RunRow:
    id: UUID
    project_id: UUID
    workspace_id: UUID
    name: str
    description: str
    config: dict[str, Any]
    tags: list[str]
    notes: str
    status: RunStatus
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    heartbeat_at: datetime | None
    provenance: dict[str, Any] | None


@dataclass(frozen=True)
class RunFilters:
    """Which runs a listing includes (None: no condition)."""

    workspace_id: UUID | None = None
    project_id: UUID | None = None
    statuses: list[str] | None = None
    tags: list[str] | None = None
    name_contains: str | None = None
    created_after: datetime | None = None
    created_before: datetime | None = None


_COLUMNS = (
    "id, project_id, workspace_id, name, description, config, tags, notes, status, created_by,"
    " created_at, updated_at, started_at, ended_at, heartbeat_at, provenance"
)
# The columns of a RunRow, in its order.
RUN_COLUMN_NAMES: tuple[str, ...] = tuple(_COLUMNS.split(", "))
_VISIBLE_COLUMNS = sql.SQL(", ").join(sql.Identifier("r", name) for name in _COLUMNS.split(", "))
_ENDED = ["finished", "failed", "crashed", "canceled"]


def insert_run(
    connection: Connection,
    *,
    project_id: UUID,
    workspace_id: UUID,
    name: str,
    description: str,
    config: dict[str, Any],
    tags: list[str],
    notes: str,
    status: RunStatus,
    created_by: UUID,
    run_id: UUID | None = None,
    provenance: dict[str, Any] | None = None,
    started_at: datetime | None = None,
) -> RunRow | None:
    """The new run; None when `run_id` is already taken. `started_at` (the client's start,
    already checked) is its creation time too, and its start time when it is running."""
    with connection.cursor(row_factory=class_row(RunRow)) as cursor:
        cursor.execute(
            "INSERT INTO runs (id, project_id, workspace_id, name, description, config, tags,"
            " notes, status, created_by, provenance, created_at, started_at)"
            " VALUES (COALESCE(%s, gen_random_uuid()), %s, %s, %s, %s, %s, %s, %s, %s, %s, %s,"
            " coalesce(%s, now()), CASE WHEN %s = 'running' THEN coalesce(%s, now()) END)"
            f" ON CONFLICT (id) DO NOTHING RETURNING {_COLUMNS}",
            (
                run_id,
                project_id,
                workspace_id,
                name,
                description,
                Jsonb(config),
                tags,
                notes,
                status,
                created_by,
                None if provenance is None else Jsonb(provenance),
                started_at,
                status,
                started_at,
            ),
        )
        return cursor.fetchone()


def find_run(connection: Connection, run_id: UUID) -> RunRow | None:
    with connection.cursor(row_factory=class_row(RunRow)) as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM runs WHERE id = %s", (run_id,))
        return cursor.fetchone()


def find_visible_runs(connection: Connection, user_id: UUID, run_ids: list[UUID]) -> list[RunRow]:
    """The runs among `run_ids` in workspaces the user belongs to (in no particular order)."""
    with connection.cursor(row_factory=class_row(RunRow)) as cursor:
        cursor.execute(
            sql.SQL(
                "SELECT {columns} FROM runs r"
                " JOIN workspace_members m ON m.workspace_id = r.workspace_id AND m.user_id = %s"
                " WHERE r.id = ANY(%s)"
            ).format(columns=_VISIBLE_COLUMNS),
            (user_id, run_ids),
        )
        return cursor.fetchall()


def update_run(
    connection: Connection,
    run_id: UUID,
    *,
    name: str | None,
    description: str | None,
    config: dict[str, Any] | None,
    tags: list[str] | None,
    notes: str | None,
    status: RunStatus | None,
    provenance: dict[str, Any] | None = None,
    ended_at: datetime | None = None,
) -> RunRow | None:
    """Change the given fields (None: unchanged; `provenance` replaces the top-level keys
    given). Ending sets `ended_at` once, or to the client's `ended_at` when given (never
    before the start); `running` sets `started_at` once and clears `ended_at`."""
    with connection.cursor(row_factory=class_row(RunRow)) as cursor:
        cursor.execute(
            "UPDATE runs SET"
            " name = coalesce(%(name)s, name),"
            " description = coalesce(%(description)s, description),"
            " config = coalesce(%(config)s::jsonb, config),"
            " tags = coalesce(%(tags)s::text[], tags),"
            " notes = coalesce(%(notes)s, notes),"
            " status = coalesce(%(status)s::text, status),"
            " provenance = CASE WHEN %(provenance)s::jsonb IS NULL THEN provenance"
            "   ELSE coalesce(provenance, '{}'::jsonb) || %(provenance)s::jsonb END,"
            " started_at = CASE WHEN %(status)s::text = 'running'"
            "   THEN coalesce(started_at, now()) ELSE started_at END,"
            " ended_at = CASE WHEN %(status)s::text = ANY(%(ended)s::text[])"
            "   THEN greatest(coalesce(%(ended_at)s::timestamptz, ended_at, now()), started_at)"
            "   WHEN %(status)s::text = 'running' THEN NULL ELSE ended_at END,"
            " updated_at = now()"
            f" WHERE id = %(id)s RETURNING {_COLUMNS}",
            {
                "id": run_id,
                "name": name,
                "description": description,
                "config": None if config is None else Jsonb(config),
                "tags": tags,
                "notes": notes,
                "status": status,
                "provenance": None if provenance is None else Jsonb(provenance),
                "ended_at": ended_at,
                "ended": _ENDED,
            },
        )
        return cursor.fetchone()


def delete_run(connection: Connection, run_id: UUID) -> bool:
    cursor = connection.execute("DELETE FROM runs WHERE id = %s", (run_id,))
    return cursor.rowcount == 1


def record_heartbeat(connection: Connection, run_id: UUID) -> RunRow | None:
    """Note a sign of life; a `crashed` run was alive after all and is `running` again.
    None when the run is gone or has ended otherwise (finished, failed, canceled)."""
    with connection.cursor(row_factory=class_row(RunRow)) as cursor:
        cursor.execute(
            "UPDATE runs SET heartbeat_at = now(),"
            " status = CASE WHEN status = 'crashed' THEN 'running' ELSE status END,"
            " ended_at = CASE WHEN status = 'crashed' THEN NULL ELSE ended_at END,"
            " started_at = CASE WHEN status = 'crashed' THEN coalesce(started_at, now())"
            "   ELSE started_at END,"
            " updated_at = CASE WHEN status = 'crashed' THEN now() ELSE updated_at END"
            " WHERE id = %s AND status IN ('pending', 'running', 'crashed')"
            f" RETURNING {_COLUMNS}",
            (run_id,),
        )
        return cursor.fetchone()


def mark_silent_runs_crashed(connection: Connection, *, silent_for: timedelta) -> int:
    """Mark `crashed` every running run whose last sign of life (heartbeat, else start,
    else creation) is older than `silent_for`; it ended at that last sign of life."""
    cursor = connection.execute(
        "UPDATE runs SET status = 'crashed',"
        " ended_at = coalesce(heartbeat_at, started_at, created_at), updated_at = now()"
        " WHERE status = 'running'"
        " AND coalesce(heartbeat_at, started_at, created_at) < now() - %s",
        (silent_for,),
    )
    return cursor.rowcount
