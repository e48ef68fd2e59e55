"""Process mode: every function's invocations run in execution environments of its own.

As in Lambda, an execution environment is a process: started on a function's first
invocation (its cold start) with exactly the environment the template gives that function
plus the local stack's values, kept for later invocations, running one at a time. More
environments of a function start while all of its others are busy (up to a limit). A
function running past its template `Timeout` has its environment stopped, as Lambda does.

Environments are forked from a server process that has imported the libraries every
function uses (multiprocessing's forkserver), so a cold start costs the function's own
imports, not the interpreter's and the libraries'. Each then replaces its whole environment
with the function's before importing the function. The parent (the gateway, the event
sources, the schedules) sends events and receives answers over a pipe.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Mapping
from typing import Any

from wavedb_local.limits import FunctionTimedOut, InvocationFailed, check_request_size
from wavedb_local.model import FunctionSpec

logger = logging.getLogger("wavedb_local.functions")

# What a process needs from the host beyond the function's own variables.
_HOST_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SYSTEMROOT")
# Imported once by the fork server: what nearly every function needs.
_PRELOADED = (
    "wavedb_local.function_process",
    "aws_lambda_powertools",
    "boto3",
    "botocore.session",
    "fastapi",
    "mangum",
    "psycopg",
    "pydantic",
)
_START_SECONDS = 60.0  # a cold start (imports) may take this long on a busy machine
_STOP_SECONDS = 2.0
_context_lock = threading.Lock()
_context: Any = None


class FunctionError(InvocationFailed):
    """The handler raised; the message carries the environment's traceback."""


class EnvironmentLost(InvocationFailed):
    """The environment's process ended during an invocation."""


def process_environment(function_environment: Mapping[str, str]) -> dict[str, str]:
    """A function process's whole environment: the function's variables, and the host's
    PATH and the like (no other variable of the shell leaks in)."""
    values = {name: os.environ[name] for name in _HOST_VARIABLES if name in os.environ}
    values.update(function_environment)
    return values


def _fork_context() -> Any:
    """multiprocessing's forkserver context, its server preloading the common libraries."""
    global _context
    with _context_lock:
        if _context is None:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(list(_PRELOADED))
            _context = context
        return _context


def _start_fork_server() -> None:
    from multiprocessing import forkserver

    _fork_context()
    try:
        forkserver.ensure_running()
    except Exception:
        logger.exception("the fork server did not start; the first invocation tries again")


class _Environment:
    """One execution environment of a function: a child process (started, not yet loaded)."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str]) -> None:
        from wavedb_local.function_process import serve

        self.spec = spec
        context = _fork_context()
        self._channel, child_channel = context.Pipe()
        self.process = context.Process(
            target=serve,
            args=(child_channel, spec, process_environment(environment)),
            name=f"lambda-{spec.logical_id}",
            daemon=True,
        )
        self.process.start()
        child_channel.close()

    def load(self) -> None:
        """Wait until the function's module is imported (the rest of the cold start)."""
        try:
            kind, value = self._receive(_START_SECONDS)
        except TimeoutError:
            self.stop()
            raise InvocationFailed(f"{self.spec.logical_id} did not load in time") from None
        if kind != "loaded":
            self.stop()
            raise InvocationFailed(f"{self.spec.logical_id} cannot be loaded: {value}")

    def _receive(self, timeout: float) -> tuple[str, Any]:
        try:
            if not self._channel.poll(timeout):
                raise TimeoutError
            answer: tuple[str, Any] = self._channel.recv()
        except (EOFError, OSError) as error:
            raise EnvironmentLost(
                f"{self.spec.logical_id}'s environment ended (exit {self.process.exitcode})"
            ) from error
        return answer

    def invoke(self, event: Any, request_id: str | None) -> Any:
        try:
            self._channel.send((event, request_id))
        except (OSError, ValueError) as error:
            raise EnvironmentLost(f"{self.spec.logical_id}'s environment is gone") from error
        # A little beyond the Timeout: the handler's own check answers first if it can.
        try:
            kind, value = self._receive(self.spec.timeout_seconds + 1.0)
        except TimeoutError:
            self.stop()
            raise FunctionTimedOut(
                f"Task timed out after {self.spec.timeout_seconds} seconds"
            ) from None
        if kind == "result":
            return value
        if isinstance(value, InvocationFailed):
            raise value
        raise FunctionError(str(value))

    @property
    def alive(self) -> bool:
        return bool(self.process.is_alive())

    def stop(self) -> None:
        """End the process (at once: an environment keeps nothing worth a goodbye)."""
        if self.process.is_alive():
            self.process.kill()
            self.process.join(_STOP_SECONDS)
        with contextlib.suppress(OSError):
            self._channel.close()


class _FunctionPool:
    """A function's environments: idle ones are reused, busy ones are not shared."""

    def __init__(self, spec: FunctionSpec, environment: Mapping[str, str], limit: int) -> None:
        self.spec = spec
        self.environment = dict(environment)
        self.limit = limit
        self._idle: list[_Environment] = []
        self._all: set[_Environment] = set()
        self._count = 0
        self._closed = False
        self._condition = threading.Condition()

    def _take(self) -> _Environment | None:
        """An idle environment, or None when the caller may start a new one."""
        with self._condition:
            while True:
                if self._closed:
                    raise InvocationFailed(f"{self.spec.logical_id}: the stack is stopping")
                while self._idle:
                    environment = self._idle.pop()
                    if environment.alive:
                        return environment
                    self._count -= 1  # ended while idle
                    self._all.discard(environment)
                if self._count < self.limit:
                    self._count += 1
                    return None
                self._condition.wait(1.0)

    def _give_back(self, environment: _Environment | None) -> None:
        with self._condition:
            if environment is not None and environment.alive and not self._closed:
                self._idle.append(environment)
            else:
                self._count -= 1
                if environment is not None:
                    self._all.discard(environment)
                    environment.stop()
            self._condition.notify()

    def invoke(self, event: Any, request_id: str | None) -> Any:
        environment = self._take()
        try:
            if environment is None:
                started = time.monotonic()
                environment = _Environment(self.spec, self.environment)
                with self._condition:
                    self._all.add(environment)  # from now on, close() stops it too
                    closed = self._closed
                if closed:
                    raise InvocationFailed(f"{self.spec.logical_id}: the stack is stopping")
                environment.load()
                logger.debug(
                    "%s: new environment in %.2f s",
                    self.spec.logical_id,
                    time.monotonic() - started,
                )
            return environment.invoke(event, request_id)
        finally:
            self._give_back(environment)

    def close(self) -> None:
        """Stop every environment, busy ones too (their invocations fail)."""
        with self._condition:
            self._closed = True
            doomed, self._idle = list(self._all), []
            self._condition.notify_all()
        for environment in doomed:
            environment.stop()


class FunctionProcesses:
    """The stack's functions, each invoked in execution environments (processes) of its own."""

    def __init__(
        self,
        specs: Mapping[str, FunctionSpec],
        environments: Mapping[str, Mapping[str, str]],
        *,
        limit_per_function: int,
    ) -> None:
        self._pools = {
            logical_id: _FunctionPool(spec, environments[logical_id], limit_per_function)
            for logical_id, spec in specs.items()
        }
        # The fork server imports the common libraries now, not on the first request.
        threading.Thread(target=_start_fork_server, name="fork-server", daemon=True).start()

    def environment_of(self, logical_id: str) -> dict[str, str]:
        """The variables the function's environments are started with."""
        return dict(self._pools[logical_id].environment)

    def invoke(self, logical_id: str, event: Any, request_id: str | None = None) -> Any:
        return self._pools[logical_id].invoke(event, request_id)

    def invoke_synchronously(
        self, logical_id: str, event: Any, request_id: str | None = None
    ) -> Any:
        """As a synchronous Invoke: an event over the request limit is refused."""
        check_request_size(event)
        return self.invoke(logical_id, event, request_id)

    def close(self) -> None:
        """Stop every environment of every function."""
        for pool in self._pools.values():
            pool.close()
