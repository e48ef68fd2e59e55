"""The local stack in a child process, as an MLflow server is its own process.

The child starts the whole local stack (embedded PostgreSQL on a Unix socket, emulated
SQS, the real handlers, HTTP on loopback, the SQS worker), prints its API URL and its
database URL, and stops when its stdin closes. Keeping the server's work out of the
benchmark's process means that the clients' work and the server's do not share one
interpreter lock, which is how a client meets either system.

    .venv/bin/python bench/stack_process.py      # prints the two URLs, stops on EOF
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

REPOSITORY = Path(__file__).resolve().parent.parent
API_URL_PREFIX = "WAVEDB_API_URL="
DATABASE_URL_PREFIX = "WAVEDB_DATABASE_URL="


@dataclass(frozen=True)
class StackEndpoints:
    api_url: str
    database_url: str
    pid: int  # the process that serves the stack


def serve_until_stdin_closes() -> None:
    """Child side: start the stack, print the URLs, stop when stdin closes."""
    sys.path[:0] = [str(REPOSITORY / "shared"), str(REPOSITORY / "infra")]
    from wavedb_local.config import LocalStackConfig
    from wavedb_local.stack import LocalStack

    data_dir = Path(tempfile.mkdtemp(prefix="wavedb-bench-stack-"))
    stack = LocalStack(
        LocalStackConfig(
            template_path=REPOSITORY / "template.yaml",
            data_dir=data_dir,
            host="127.0.0.1",
            port=0,
            jwt_secret=uuid.uuid4().hex * 2,
        )
    )
    try:
        stack.start(serve_http=True, event_sources=True)
        print(f"{API_URL_PREFIX}{stack.api_url}", flush=True)
        print(f"{DATABASE_URL_PREFIX}{stack.database_url}", flush=True)
        sys.stdin.read()
    finally:
        stack.stop()
        shutil.rmtree(data_dir, ignore_errors=True)


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
    serve_until_stdin_closes()
