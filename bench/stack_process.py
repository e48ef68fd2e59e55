"""The local stack in child processes, laid out as in AWS, as an MLflow server is its own processes.

The child (the root of the stack's process tree, whose CPU time the benchmark measures)
starts moto's server as a process of its own (SQS and S3, as AWS runs them apart from the
functions), then the local stack's HTTP side in itself (embedded PostgreSQL on a Unix
socket, the API Gateway emulation, the authorizer and the functions behind the routes, no
event sources), then one more process for the queue side (the SQS event source mapping
and the ingest worker, on the same database and queues). It prints its API URL and its
database URL, and stops everything when its stdin closes. In AWS the API's functions, SQS
and the worker never share an interpreter either; in one process they would take turns
on one interpreter lock.

    .venv/bin/python bench/stack_process.py      # prints the two URLs, stops on EOF
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

REPOSITORY = Path(__file__).resolve().parent.parent
API_URL_PREFIX = "WAVEDB_API_URL="
DATABASE_URL_PREFIX = "WAVEDB_DATABASE_URL="
QUEUE_SIDE = "--queue-side"
READY = "ready"
JWT_SECRET = uuid.uuid4().hex * 2


@dataclass(frozen=True)
class StackEndpoints:
    api_url: str
    database_url: str
    pid: int  # the process that serves the stack


def _stack(data_dir: Path, **settings: object) -> Any:
    sys.path[:0] = [str(REPOSITORY / "shared"), str(REPOSITORY / "infra")]
    from wavedb_local.config import LocalStackConfig
    from wavedb_local.stack import LocalStack

    return LocalStack(
        LocalStackConfig(
            template_path=REPOSITORY / "template.yaml",
            data_dir=data_dir,
            host="127.0.0.1",
            port=0,
            jwt_secret=JWT_SECRET,
            **settings,  # type: ignore[arg-type]
        )
    )


def _free_loopback_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _start_moto(log: IO[bytes]) -> tuple[subprocess.Popen[bytes], str]:
    port = _free_loopback_port()
    server = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=log,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return server, endpoint
        time.sleep(0.1)
    server.kill()
    raise RuntimeError("moto's server did not start")


def serve_until_stdin_closes() -> None:
    """Child side: moto, the HTTP side here, the queue side in a process of its own; print
    the URLs; stop everything when stdin closes."""
    data_dir = Path(tempfile.mkdtemp(prefix="wavedb-bench-stack-"))
    with contextlib.ExitStack() as cleanup:
        cleanup.callback(shutil.rmtree, data_dir, ignore_errors=True)
        log = cleanup.enter_context((data_dir.parent / f"{data_dir.name}-moto.log").open("wb"))
        moto, endpoint = _start_moto(log)
        cleanup.callback(_stop_process, moto)
        api = _stack(data_dir / "api", aws_endpoint_url=endpoint)
        api.start(serve_http=True, event_sources=False)
        cleanup.callback(api.stop)
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, str(Path(__file__).resolve()), QUEUE_SIDE, api.database_url, endpoint],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        cleanup.callback(_stop_child, worker)
        assert worker.stdout is not None
        if worker.stdout.readline().strip() != READY:
            raise RuntimeError("the queue side of the local stack did not start")
        print(f"{API_URL_PREFIX}{api.api_url}", flush=True)
        print(f"{DATABASE_URL_PREFIX}{api.database_url}", flush=True)
        sys.stdin.read()


def serve_queue_side(database_url: str, aws_endpoint: str) -> None:
    """The SQS event sources and their functions (the ingest worker), on the HTTP side's
    database and queues, until stdin closes."""
    data_dir = Path(tempfile.mkdtemp(prefix="wavedb-bench-queue-side-"))
    stack = _stack(
        data_dir, database_url=database_url, aws_endpoint_url=aws_endpoint, apply_migrations=False
    )
    try:
        stack.start(serve_http=False, event_sources=True)
        print(READY, flush=True)
        sys.stdin.read()
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


def _stop_process(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=30)


@contextlib.contextmanager
def stack_in_child_process(workdir: Path) -> Iterator[StackEndpoints]:
    """Parent side: the running stack's endpoints; the child stops on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    log_path = workdir / "stack.log"
    with log_path.open("wb") as log:
        child = subprocess.Popen(  # noqa: S603
            [sys.executable, str(Path(__file__).resolve())],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            yield _read_endpoints(child, log_path)
        finally:
            _stop_child(child)


def _read_endpoints(child: subprocess.Popen[str], log_path: Path) -> StackEndpoints:
    stdout: IO[str] | None = child.stdout
    assert stdout is not None
    found: dict[str, str] = {}
    for line in stdout:
        for prefix in (API_URL_PREFIX, DATABASE_URL_PREFIX):
            if line.startswith(prefix):
                found[prefix] = line[len(prefix) :].strip()
        if len(found) == 2:
            return StackEndpoints(found[API_URL_PREFIX], found[DATABASE_URL_PREFIX], child.pid)
    tail = log_path.read_text(errors="replace")[-3000:]
    raise RuntimeError(f"the local stack did not start:\n{tail}")


def _stop_child(child: subprocess.Popen[str]) -> None:
    if child.stdin is not None:
        with contextlib.suppress(OSError):
            child.stdin.close()
    try:
        child.wait(timeout=60)
    except subprocess.TimeoutExpired:
        child.terminate()
        child.wait(timeout=30)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == QUEUE_SIDE:
        serve_queue_side(sys.argv[2], sys.argv[3])
    else:
        serve_until_stdin_closes()
