"""The sources (client addresses) each account has logged in from."""

from __future__ import annotations

from uuid import UUID

from wavedb_core.db.connection import Connection


def remember(connection: Connection, user_id: UUID, source: str, *, keep_days: int) -> None:
    """Record a successful log-in from `source`; forget the account's sources unused for
    longer than `keep_days`."""
    connection.execute(
        "INSERT INTO login_sources AS s (user_id, source) VALUES (%s, %s)"
        " ON CONFLICT (user_id, source) DO UPDATE SET last_login_at = now()",
        (user_id, source),
    )
    connection.execute(
        "DELETE FROM login_sources WHERE user_id = %s"
        " AND last_login_at < now() - make_interval(days => %s)",
        (user_id, keep_days),
    )


def is_known(connection: Connection, user_id: UUID, source: str, *, keep_days: int) -> bool:
    """Whether the account logged in from `source` within the last `keep_days` days."""
    row = connection.execute(
        "SELECT 1 FROM login_sources WHERE user_id = %s AND source = %s"
        " AND last_login_at >= now() - make_interval(days => %s)",
        (user_id, source, keep_days),
    ).fetchone()
    return row is not None
