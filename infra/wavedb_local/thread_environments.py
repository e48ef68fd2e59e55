"""In-process mode: each invoking thread of the local stack is an execution environment.

In Lambda, and in the local stack's process mode, an execution environment is a process
with one database connection (wavedb_core.db.connection). In-process mode (tests,
`invoke`) runs the functions as threads of one process; this gives each invoking thread
a connection of its own, so concurrent invocations never share one. FastAPI runs a
request's dependencies and endpoint on short-lived worker threads: the invoking thread's
slot travels to them in a context variable, which those threads inherit. The number of
connections is thus bounded by the number of invoking threads.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from wavedb_core.db import connection as db_connection
from wavedb_core.db.connection import Connection, ExecutionEnvironment

_bound: ContextVar[ExecutionEnvironment | None] = ContextVar(
    "wavedb_local_environment", default=None
)


class ThreadEnvironments(ExecutionEnvironment):
    """Looks like one ExecutionEnvironment to wavedb_core; holds one per invoking thread."""

    def __init__(self) -> None:  # no super().__init__(): the attributes are per thread
        self._local = threading.local()
        self._slots: weakref.WeakSet[ExecutionEnvironment] = weakref.WeakSet()
        self._slots_lock = threading.Lock()

    def slot_of_this_thread(self) -> ExecutionEnvironment:
        slot: ExecutionEnvironment | None = getattr(self._local, "slot", None)
        if slot is None:
            slot = ExecutionEnvironment()
            self._local.slot = slot
            with self._slots_lock:
                self._slots.add(slot)
        return slot

    def _current(self) -> ExecutionEnvironment:
        return _bound.get() or self.slot_of_this_thread()

    @property
    def connection(self) -> Connection | None:
        return self._current().connection

    @connection.setter
    def connection(self, value: Connection | None) -> None:
        self._current().connection = value

    @property
    def last_used(self) -> float:
        return self._current().last_used

    @last_used.setter
    def last_used(self, value: float) -> None:
        self._current().last_used = value

    def close(self) -> None:
        """Close every thread's connection."""
        with self._slots_lock:
            slots = list(self._slots)
        for slot in slots:
            slot.close()


_installed: ThreadEnvironments | None = None
_install_lock = threading.Lock()


def install() -> None:
    """From now on, this process's connection is held per invoking thread (idempotent)."""
    global _installed
    with _install_lock:
        if _installed is None:
            _installed = ThreadEnvironments()
            db_connection.use_execution_environment(_installed)


@contextmanager
def bound_to_invoking_thread() -> Iterator[None]:
    """Within this block, every thread the invocation hops to uses this thread's connection."""
    if _installed is None:
        yield
        return
    token = _bound.set(_installed.slot_of_this_thread())
    try:
        yield
    finally:
        _bound.reset(token)
