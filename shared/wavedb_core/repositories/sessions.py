"""Sessions (one per log-in) and their rotating refresh tokens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection


@dataclass(frozen=True)
class RefreshTokenRow:
    id: UUID
    session_id: UUID
    user_id: UUID
    token_hash: bytes
    expires_at: datetime
    used_at: datetime | None
    session_revoked_at: datetime | None
    session_expires_at: datetime


def insert_session(
    connection: Connection, *, session_id: UUID, user_id: UUID, expires_at: datetime
) -> None:
    connection.execute(
        "INSERT INTO auth_sessions (id, user_id, expires_at) VALUES (%s, %s, %s)",
        (session_id, user_id, expires_at),
    )


def insert_refresh_token(
    connection: Connection,
    *,
    token_id: UUID,
    session_id: UUID,
    token_hash: bytes,
    expires_at: datetime,
) -> None:
    connection.execute(
        "INSERT INTO refresh_tokens (id, session_id, token_hash, expires_at)"
        " VALUES (%s, %s, %s, %s)",
        (token_id, session_id, token_hash, expires_at),
    )


def lock_refresh_token(connection: Connection, token_id: UUID) -> RefreshTokenRow | None:
    """The token and its session, locked until the end of the transaction."""
    with connection.cursor(row_factory=class_row(RefreshTokenRow)) as cursor:
        cursor.execute(
            "SELECT t.id, t.session_id, s.user_id, t.token_hash, t.expires_at, t.used_at,"
            " s.revoked_at AS session_revoked_at, s.expires_at AS session_expires_at"
            " FROM refresh_tokens t JOIN auth_sessions s ON s.id = t.session_id"
            " WHERE t.id = %s FOR UPDATE OF t, s",
            (token_id,),
        )
        return cursor.fetchone()


def mark_refresh_token_used(connection: Connection, token_id: UUID) -> None:
    connection.execute("UPDATE refresh_tokens SET used_at = now() WHERE id = %s", (token_id,))


def revoke_session(connection: Connection, session_id: UUID, reason: str) -> None:
    connection.execute(
        "UPDATE auth_sessions SET revoked_at = coalesce(revoked_at, now()),"
        " revoked_reason = coalesce(revoked_reason, %s) WHERE id = %s",
        (reason, session_id),
    )


def session_is_active(connection: Connection, session_id: UUID, user_id: UUID) -> bool:
    row = connection.execute(
        "SELECT 1 FROM auth_sessions WHERE id = %s AND user_id = %s"
        " AND revoked_at IS NULL AND expires_at > now()",
        (session_id, user_id),
    ).fetchone()
    return row is not None
