"""`python -m wavedb_local run` as a developer starts it: a subprocess on a free port, its
output kept in files, stopped with SIGTERM as Ctrl-C would."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
_INHERITED_SETTINGS = (
    "DATABASE_URL",
    "JWT_SECRET",
    "PORT",
    "STAGE",
    "PUBLIC_BASE_URL",
    "MEDIA_BUCKET",
    "INGEST_QUEUE_URL",
)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cli_environment(**values: str) -> dict[str, str]:
    """This process's environment without the settings a stack would pick up, plus `values`."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if name not in _INHERITED_SETTINGS
        and not name.startswith(("AWS_", "POWERTOOLS_", "WAVEDB_"))
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT / "shared"), str(ROOT / "infra")])
    environment.update(values)
    return environment


class RunningStack:
    def __init__(self, process: subprocess.Popen[bytes], port: int, logs: Path) -> None:
        self.process = process
        self.url = f"http://127.0.0.1:{port}"
        self.logs = logs

    def output(self) -> str:
        return (self.logs / "stdout.txt").read_text(errors="replace")

    def errors(self) -> str:
        return (self.logs / "stderr.txt").read_text(errors="replace")

    def aws_endpoint(self) -> str:
        """The stack's AWS emulator, from the "AWS:" line it prints once ready."""
        for line in self.output().splitlines():
            if line.strip().startswith("AWS:"):
                return line.split()[1]
        raise AssertionError(f"no AWS line in the output:\n{self.output()}")

    def wait_until_healthy(self, timeout: float = 45.0) -> httpx.Response:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"the stack exited early:\n{self.errors()[-3000:]}")
            try:
                response = httpx.get(f"{self.url}/health", timeout=5)
                if response.status_code == 200:
                    return response
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"/health never answered 200:\n{self.errors()[-3000:]}")

    def terminate(self, timeout: float = 30.0) -> int:
        self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout)


@contextmanager
def running_stack(logs: Path, **environment: str) -> Iterator[RunningStack]:
    """`python -m wavedb_local run` with `environment`; killed on the way out if still running."""
    logs.mkdir(parents=True, exist_ok=True)
    port = free_port()
    with (logs / "stdout.txt").open("wb") as stdout, (logs / "stderr.txt").open("wb") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "wavedb_local", "run"],
            cwd=ROOT,
            env=cli_environment(PORT=str(port), **environment),
            stdout=stdout,
            stderr=stderr,
        )
        stack = RunningStack(process, port, logs)
        try:
            yield stack
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(10)
