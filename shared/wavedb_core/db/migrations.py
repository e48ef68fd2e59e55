"""Schema migrations: numbered SQL files applied once each, in order, under an advisory lock."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import psycopg

_LOCK_KEY = 7_204_190_311  # any constant shared by every migrator of this schema


@dataclass(frozen=True)
class Migration:
    version: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped with this package, ordered by file name."""
    folder = resources.files("wavedb_core") / "migrations"
    files = sorted(
        (entry for entry in folder.iterdir() if entry.name.endswith(".sql")),
        key=lambda entry: entry.name,
    )
    return [
        Migration(version=entry.name.removesuffix(".sql"), sql=entry.read_text()) for entry in files
    ]


def apply_migrations(connection: psycopg.Connection[dict[str, object]]) -> list[str]:
    """Apply every pending migration; returns those applied now. Safe to run concurrently."""
    applied_now: list[str] = []
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
        connection.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations ("
            " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
        )
        done = {
            str(row["version"])
            for row in connection.execute("SELECT version FROM schema_migrations").fetchall()
        }
        for migration in bundled_migrations():
            if migration.version in done:
                continue
            connection.execute(migration.sql.encode())
            connection.execute(
                "INSERT INTO schema_migrations (version) VALUES (%s)", (migration.version,)
            )
            applied_now.append(migration.version)
    return applied_now
