"""One lazily opened PostgreSQL connection per execution environment, as in Lambda.

An execution environment (a Lambda process) runs one invocation at a time, so the process
holds one module-level connection, opened on first use and re-opened when broken. FastAPI
may run a request's dependencies and endpoint on worker threads; they take turns within the
invocation, so they share it too.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

from wavedb_core.db.timestamps import load_times_safely
from wavedb_core.secrets import database_conninfo
from wavedb_core.settings import get_settings

Connection = psycopg.Connection[dict[str, object]]


class ExecutionEnvironment:
    """The connection of this execution environment (opened on first use)."""

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.last_used = 0.0  # time.monotonic() of the last get_connection()

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


_environment = ExecutionEnvironment()


def use_execution_environment(environment: ExecutionEnvironment) -> ExecutionEnvironment:
    """Hold this process's connection in `environment` from now on; answers the previous
    holder. (A host that runs several environments as threads of one process, as the local
    stack's in-process mode does, gives each its own.)"""
    global _environment
    previous, _environment = _environment, environment
    return previous


def open_connection(conninfo: str | None = None) -> Connection:
    """Open a new autocommit connection (transactions are explicit: see `transaction`);
    it reads every stored time, even one Python's datetime cannot hold (see db.timestamps)."""
    settings = get_settings()
    connection = psycopg.connect(
        conninfo or database_conninfo(settings),
        autocommit=True,
        row_factory=dict_row,
        prepare_threshold=None,  # no server-side prepared statements: works behind RDS Proxy
        connect_timeout=settings.database_connect_timeout_seconds,
        application_name=f"wavedb-{settings.stage}",
    )
    load_times_safely(connection)
    return connection


def _still_open(connection: Connection) -> bool:
    """Whether the server still answers on this idle connection (one round trip)."""
    try:
        connection.execute("SELECT 1")
    except psycopg.OperationalError:
        connection.close()
        return False
    return True


def get_connection() -> Connection:
    """The connection of this environment, opened on first use and re-opened if broken.

    A connection left idle for `database_idle_check_seconds` (between two invocations of a
    Lambda environment, say) is checked first: after a database restart or failover, or a
    proxy's idle timeout, the server has closed it, and psycopg only finds out on its next
    query, which would fail the request that made it.
    """
    environment = _environment
    connection = environment.connection
    now = time.monotonic()
    if (
        connection is not None
        and not (connection.closed or connection.broken)
        and now - environment.last_used >= get_settings().database_idle_check_seconds
        and connection.info.transaction_status == TransactionStatus.IDLE
        and not _still_open(connection)
    ):
        connection = None
    if connection is None or connection.closed or connection.broken:
        connection = open_connection()
        environment.connection = connection
    environment.last_used = now
    return connection


def close_connection() -> None:
    """Close this environment's connection (tests, shutdown, a changed database URL); the
    next query opens a new one."""
    _environment.close()


@contextmanager
def transaction() -> Iterator[Connection]:
    """A transaction on this environment's connection; committed on success."""
    connection = get_connection()
    with connection.transaction():
        yield connection
