"""Locks that make a count-then-insert quota check safe against concurrent requests."""

from __future__ import annotations

from uuid import UUID

from wavedb_core.db.connection import Connection


def lock_user_quota(connection: Connection, quota: str, user_id: UUID) -> None:
    """Hold the user's lock for `quota` until the end of the caller's transaction, so that
    two requests of the same user cannot both see room for one more."""
    connection.execute(
        "SELECT pg_advisory_xact_lock(hashtextextended(%s, 0))", (f"quota:{quota}:{user_id}",)
    )
