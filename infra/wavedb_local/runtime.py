"""A Lambda runtime shim: load a function's handler from its folder and invoke it in-process.

Every function has an `app.py`, so each is loaded by file path under a module name of its
own. Its code folder and then its layers' folders go first on `sys.path`, as Lambda orders
`/var/task` before `/opt/python`, and stay there: a package in the function's folder is found
by an import made when the function is invoked, as in Lambda. Several functions share this
process, so the packages in function folders have names unique across functions.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import itertools
import os
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any, Protocol

from wavedb_local.limits import check_duration, check_request_size, check_response_size
from wavedb_local.model import FunctionSpec

Handler = Callable[[Any, Any], Any]

_import_lock = threading.RLock()
_module_numbers = itertools.count(1)


class Invoker(Protocol):
    """What invokes the stack's functions: in this process (FunctionRegistry) or in
    execution environments of their own (function_processes.FunctionProcesses)."""

    def invoke(self, logical_id: str, event: Any, request_id: str | None = None) -> Any: ...

    def invoke_synchronously(
        self, logical_id: str, event: Any, request_id: str | None = None
    ) -> Any: ...


class FunctionLoadError(RuntimeError):
    """A function's handler could not be imported."""


class LambdaContext:
    """The context object Lambda passes to a handler."""

    def __init__(self, spec: FunctionSpec, request_id: str | None = None) -> None:
        stream_id = uuid.uuid4().hex
        self.function_name = spec.name
        self.function_version = "$LATEST"
        self.invoked_function_arn = spec.arn
        self.memory_limit_in_mb = spec.memory_mb
        self.aws_request_id = request_id or str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{spec.name}"
        self.log_stream_name = f"{datetime.now(UTC):%Y/%m/%d}/[$LATEST]{stream_id}"
        self.identity: Any = None
        self.client_context: Any = None
        self.tenant_id: str | None = None
        self._deadline = time.monotonic() + spec.timeout_seconds

    def get_remaining_time_in_millis(self) -> int:
        """Milliseconds left before the function's timeout."""
        return max(0, int((self._deadline - time.monotonic()) * 1000))


@contextmanager
def _import_environment(spec: FunctionSpec) -> Iterator[None]:
    """While a function's module is imported: its service name."""
    service = spec.environment.get("POWERTOOLS_SERVICE_NAME")
    saved_service = os.environ.get("POWERTOOLS_SERVICE_NAME")
    if service is not None:
        os.environ["POWERTOOLS_SERVICE_NAME"] = service
    try:
        yield
    finally:
        if service is not None:
            if saved_service is None:
                os.environ.pop("POWERTOOLS_SERVICE_NAME", None)
            else:
                os.environ["POWERTOOLS_SERVICE_NAME"] = saved_service


def _ensure_event_loop() -> None:
    """Give this thread an event loop: the Lambda runtime's main thread has one (Mangum uses it)."""
    try:
        asyncio.get_event_loop_policy().get_event_loop()
    except RuntimeError:
        asyncio.set_event_loop(asyncio.new_event_loop())


def _bound_to_invoking_thread() -> contextlib.AbstractContextManager[None]:
    """The invocation's database connection is its thread's (see thread_environments),
    once the stack has installed that; nothing to bind otherwise."""
    environments = sys.modules.get("wavedb_local.thread_environments")
    if environments is None:
        return contextlib.nullcontext()
    bound: contextlib.AbstractContextManager[None] = environments.bound_to_invoking_thread()
    return bound


def add_layers_to_path(spec: FunctionSpec) -> None:
    """Put the function's layer folders on sys.path (first), once each."""
    for folder in reversed(spec.layer_dirs):
        text = str(folder)
        if folder.is_dir() and text not in sys.path:
            sys.path.insert(0, text)


def add_code_folder_to_path(spec: FunctionSpec) -> None:
    """Put the function's code folder first on sys.path, ahead of every layer's (moved there
    if it is already on it)."""
    text = str(spec.code_dir)
    with suppress(ValueError):
        sys.path.remove(text)
    sys.path.insert(0, text)


def handler_file(spec: FunctionSpec) -> tuple[Path, str]:
    """The file of the handler's module and the handler's attribute name."""
    module_path, _, attribute = spec.handler.rpartition(".")
    if not module_path or not attribute:
        raise FunctionLoadError(f"{spec.logical_id}: Handler {spec.handler!r} is not module.attr")
    return spec.code_dir / (module_path.replace(".", "/") + ".py"), attribute


class LoadedFunction:
    """A function whose module has been imported (one cold start), ready to invoke."""

    def __init__(self, spec: FunctionSpec, module: ModuleType, handler: Handler) -> None:
        self.spec = spec
        self.module = module
        self.handler = handler

    @classmethod
    def load(cls, spec: FunctionSpec) -> LoadedFunction:
        """Import the function's handler module (a fresh module each time)."""
        path, attribute = handler_file(spec)
        if not path.is_file():
            raise FunctionLoadError(f"{spec.logical_id}: no handler module at {path}")
        module_name = f"wavedb_local_function_{spec.logical_id.lower()}_{next(_module_numbers)}"
        import_spec = importlib.util.spec_from_file_location(module_name, path)
        if import_spec is None or import_spec.loader is None:
            raise FunctionLoadError(f"{spec.logical_id}: cannot import {path}")
        module = importlib.util.module_from_spec(import_spec)
        with _import_lock:
            add_layers_to_path(spec)
            add_code_folder_to_path(spec)
            sys.modules[module_name] = module
            try:
                with _import_environment(spec):
                    import_spec.loader.exec_module(module)
            except Exception as error:
                sys.modules.pop(module_name, None)
                raise FunctionLoadError(
                    f"{spec.logical_id}: importing {path} failed: {error}"
                ) from error
        handler = getattr(module, attribute, None)
        if not callable(handler):
            raise FunctionLoadError(f"{spec.logical_id}: {path} has no callable {attribute!r}")
        return cls(spec, module, handler)

    def invoke(self, event: Any, request_id: str | None = None) -> Any:
        """Call the handler once with `event`, as Lambda would: an answer over Lambda's
        response limit, or one given after the function's Timeout, fails the invocation."""
        _ensure_event_loop()
        started = time.monotonic()
        with _bound_to_invoking_thread():
            result = self.handler(event, LambdaContext(self.spec, request_id))
        check_duration(time.monotonic() - started, self.spec.timeout_seconds)
        check_response_size(result)
        return result


class FunctionRegistry:
    """The functions of a stack, each imported once (on first use or by `load_all`)."""

    def __init__(self, specs: dict[str, FunctionSpec]) -> None:
        self._specs = specs
        self._loaded: dict[str, LoadedFunction] = {}
        self._errors: dict[str, FunctionLoadError] = {}
        self._lock = threading.Lock()

    @property
    def specs(self) -> dict[str, FunctionSpec]:
        return self._specs

    def get(self, logical_id: str) -> LoadedFunction:
        """The loaded function; raises FunctionLoadError if its import failed."""
        loaded = self._loaded.get(logical_id)
        if loaded is not None:
            return loaded
        with self._lock:
            loaded = self._loaded.get(logical_id)
            if loaded is None:
                if logical_id in self._errors:
                    raise self._errors[logical_id]
                try:
                    loaded = LoadedFunction.load(self._specs[logical_id])
                except FunctionLoadError as error:
                    self._errors[logical_id] = error
                    raise
                self._loaded[logical_id] = loaded
        return loaded

    def load_all(self) -> dict[str, FunctionLoadError]:
        """Import every function now; returns the failures (the others are ready)."""
        for logical_id in self._specs:
            with suppress(FunctionLoadError):
                self.get(logical_id)
        return dict(self._errors)

    def invoke(self, logical_id: str, event: Any, request_id: str | None = None) -> Any:
        """Invoke the function `logical_id` with `event`."""
        return self.get(logical_id).invoke(event, request_id)

    def invoke_synchronously(
        self, logical_id: str, event: Any, request_id: str | None = None
    ) -> Any:
        """Invoke as a synchronous Invoke does: an event over the request limit is refused."""
        check_request_size(event)
        return self.invoke(logical_id, event, request_id)

    def modules(self) -> dict[str, ModuleType]:
        """The modules imported so far, by logical id."""
        return {logical_id: loaded.module for logical_id, loaded in self._loaded.items()}
