"""The program of one execution environment (see function_processes): load the function,
then invoke it for each event the parent sends, one at a time, until the pipe closes.

Messages from the parent: (event, request id) pairs. To the parent: ("loaded", None) or
("failed", message) first, then ("result", answer) or ("error", exception or text) per
invocation.
"""

from __future__ import annotations

import os
import signal
import sys
import traceback
from collections.abc import Mapping
from multiprocessing.connection import Connection
from typing import Any

from wavedb_local.limits import InvocationFailed
from wavedb_local.model import FunctionSpec
from wavedb_local.runtime import FunctionLoadError, LoadedFunction, add_layers_to_path


def _send(channel: Connection, kind: str, value: Any) -> None:
    try:
        channel.send((kind, value))
    except (TypeError, AttributeError, ValueError):  # what does not pickle travels as text
        channel.send((kind, repr(value)))


def serve(channel: Connection, spec: FunctionSpec, environment: Mapping[str, str]) -> None:
    """Become the function's execution environment: exactly its environment variables,
    its layers and code, then one invocation per message."""
    # Ctrl-C reaches the whole process group; the stack stops its environments itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    os.environ.clear()
    os.environ.update(environment)
    add_layers_to_path(spec)
    try:
        loaded = LoadedFunction.load(spec)
    except FunctionLoadError as error:
        _send(channel, "failed", str(error))
        return
    _send(channel, "loaded", None)
    while True:
        try:
            event, request_id = channel.recv()
        except (EOFError, OSError):
            return
        try:
            answer = loaded.invoke(event, request_id)
        except InvocationFailed as error:
            _send(channel, "error", error)
        except Exception as error:
            text = "".join(traceback.format_exception(error)).rstrip()
            print(text, file=sys.stderr, flush=True)
            _send(channel, "error", f"{type(error).__name__}: {error}")
        else:
            _send(channel, "result", answer)
