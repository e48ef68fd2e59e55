"""API keys (stored as hashes; `lookup_id` is the public part used to find one)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection
from wavedb_core.db.rows import scalar_of
from wavedb_core.vocabulary import ApiKeyScope


@dataclass(frozen=True)
class ApiKeyRow:
    id: UUID
    user_id: UUID
    name: str
    lookup_id: str
    key_hash: bytes
    scopes: list[ApiKeyScope]
    rate_limit_per_minute: int | None
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


_COLUMNS = (
    "id, user_id, name, lookup_id, key_hash, scopes, rate_limit_per_minute,"
    " created_at, expires_at, last_used_at, revoked_at"
)


def insert_api_key(
    connection: Connection,
    *,
    key_id: UUID,
    user_id: UUID,
    name: str,
    lookup_id: str,
    key_hash: bytes,
    scopes: list[ApiKeyScope],
    rate_limit_per_minute: int | None,
    expires_at: datetime | None,
) -> ApiKeyRow:
    with connection.cursor(row_factory=class_row(ApiKeyRow)) as cursor:
        cursor.execute(
            "INSERT INTO api_keys (id, user_id, name, lookup_id, key_hash, scopes,"
            " rate_limit_per_minute, expires_at) VALUES (%s, %s, %s, %s, %s, %s, %s, %s)"
            f" RETURNING {_COLUMNS}",
            (key_id, user_id, name, lookup_id, key_hash, scopes, rate_limit_per_minute, expires_at),
        )
        row = cursor.fetchone()
    assert row is not None
    return row


def list_active_api_keys(connection: Connection, user_id: UUID) -> list[ApiKeyRow]:
    with connection.cursor(row_factory=class_row(ApiKeyRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM api_keys WHERE user_id = %s AND revoked_at IS NULL"
            " ORDER BY created_at DESC, id",
            (user_id,),
        )
        return cursor.fetchall()


def find_api_key_by_lookup_id(connection: Connection, lookup_id: str) -> ApiKeyRow | None:
    with connection.cursor(row_factory=class_row(ApiKeyRow)) as cursor:
        cursor.execute(f"SELECT {_COLUMNS} FROM api_keys WHERE lookup_id = %s", (lookup_id,))
        return cursor.fetchone()


def revoke_api_key(connection: Connection, *, key_id: UUID, user_id: UUID) -> bool:
    """Revoke one of the user's active keys; False when there is no such key."""
    cursor = connection.execute(
        "UPDATE api_keys SET revoked_at = now()"
        " WHERE id = %s AND user_id = %s AND revoked_at IS NULL",
        (key_id, user_id),
    )
    return cursor.rowcount == 1


def touch_last_used(connection: Connection, key_id: UUID) -> None:
    """Record use, at most once a minute per key (no write on every request)."""
    connection.execute(
        "UPDATE api_keys SET last_used_at = now() WHERE id = %s"
        " AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
        (key_id,),
    )


def count_active_api_keys(connection: Connection, user_id: UUID) -> int:
    """The user's keys that still work: not revoked and not expired."""
    with connection.cursor(row_factory=scalar_of(int)) as cursor:
        active = cursor.execute(
            "SELECT count(*) FROM api_keys WHERE user_id = %s AND revoked_at IS NULL"
            " AND (expires_at IS NULL OR expires_at > now())",
            (user_id,),
        ).fetchone()
    assert active is not None
    return active
