"""Applies pending database migrations. Invoke once after each deploy (it is idempotent)."""

from typing import Any

from wavedb_core.db.connection import get_connection
from wavedb_core.db.migrations import apply_migrations
from wavedb_core.scheduled import scheduled_handler


def migrate() -> dict[str, Any]:
    return {"applied": apply_migrations(get_connection())}


handler = scheduled_handler(
    migrate, metrics={"applied": "MigrationsApplied"}, done="migrations applied"
)
