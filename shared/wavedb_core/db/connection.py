"""One lazily opened PostgreSQL connection per execution environment.

In Lambda an execution environment runs one request at a time; the local stack runs
several environments as long-lived threads of one process. An environment is therefore the
thread that invokes the handler. FastAPI runs a request's dependencies and endpoint on
short-lived worker threads, so an HTTP entry point binds its invoking thread's slot with
`bound_to_environment()`: the binding travels in a context variable, which the worker
threads inherit. Code running outside a binding (workers, tests) uses its own thread's
slot. Either way the number of connections is bounded by the number of environments,
never by the number of threads that ever ran a query.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import psycopg
from psycopg.pq import TransactionStatus
from psycopg.rows import dict_row

from wavedb_core.db.timestamps import load_times_safely
from wavedb_core.secrets import database_conninfo
from wavedb_core.settings import get_settings

Connection = psycopg.Connection[dict[str, object]]


class _EnvironmentSlot:
    """The connection of one execution environment (opened on first use)."""

    def __init__(self) -> None:
        self.connection: Connection | None = None
        self.last_used = 0.0  # time.monotonic() of the last get_connection()
        self.lock = threading.Lock()

    def close(self) -> None:
        with self.lock:
            if self.connection is not None:
                self.connection.close()
                self.connection = None


_thread_slots = threading.local()
_all_slots: weakref.WeakSet[_EnvironmentSlot] = weakref.WeakSet()
_all_slots_lock = threading.Lock()
_bound_slot: ContextVar[_EnvironmentSlot | None] = ContextVar("wavedb_db_slot", default=None)


def _thread_slot() -> _EnvironmentSlot:
    slot: _EnvironmentSlot | None = getattr(_thread_slots, "slot", None)
    if slot is None:
        slot = _EnvironmentSlot()
        _thread_slots.slot = slot
        with _all_slots_lock:
            _all_slots.add(slot)
    return slot


def _current_slot() -> _EnvironmentSlot:
    return _bound_slot.get() or _thread_slot()


@contextmanager
def bound_to_environment() -> Iterator[None]:
    """Within this block, every thread the request hops to shares this thread's connection."""
    token = _bound_slot.set(_thread_slot())
    try:
        yield
    finally:
        _bound_slot.reset(token)


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
    slot = _current_slot()
    with slot.lock:
        connection = slot.connection
        now = time.monotonic()
        if (
            connection is not None
            and not (connection.closed or connection.broken)
            and now - slot.last_used >= get_settings().database_idle_check_seconds
            and connection.info.transaction_status == TransactionStatus.IDLE
            and not _still_open(connection)
        ):
            connection = None
        if connection is None or connection.closed or connection.broken:
            connection = open_connection()
            slot.connection = connection
        slot.last_used = now
        return connection


def close_connection() -> None:
    """Close every environment's connection (tests, shutdown, a changed database URL);
    each environment opens a new one on its next query."""
    with _all_slots_lock:
        slots = list(_all_slots)
    for slot in slots:
        slot.close()


@contextmanager
def transaction() -> Iterator[Connection]:
    """A transaction on this environment's connection; committed on success."""
    connection = get_connection()
    with connection.transaction():
        yield connection
