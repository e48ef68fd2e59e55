"""Starting and stopping a local `mlflow server` (standard library only).

Used from the project's venv (bench/compare_with_mlflow.py) and from MLflow's own venv
(bench/mlflow_overhead.py). The server listens on loopback only; usage reports are off.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

# No usage reports leave the machine (read by MLflow's client and server).
NO_TELEMETRY = {"MLFLOW_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "true"}
DEFAULT_WORKERS = 4  # `mlflow server`'s own default


def free_loopback_port() -> int:
    """A loopback port nothing listens on (just closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def start_server(
    python: str, backend_store_uri: str, workdir: Path, port: int, workers: int
) -> subprocess.Popen[bytes]:
    """`mlflow server` on 127.0.0.1:port, artifacts and its log in `workdir`."""
    command = [
        python,
        "-m",
        "mlflow",
        "server",
        "--backend-store-uri",
        backend_store_uri,
        "--artifacts-destination",
        str(workdir / "artifacts"),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        str(workers),
    ]
    log = (workdir / "mlflow-server.log").open("wb")
    return subprocess.Popen(  # noqa: S603
        command,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
        env={**os.environ, **NO_TELEMETRY},
    )


def wait_healthy(url: str, server: subprocess.Popen[bytes], timeout: float) -> float:
    """Seconds until GET /health answers 200."""
    started = time.perf_counter()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"mlflow server exited with {server.returncode}")
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2) as answer:  # noqa: S310
                if answer.status == 200:
                    return time.perf_counter() - started
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"mlflow server not healthy after {timeout} s")


def stop_server(server: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the server's process group (gunicorn/uvicorn and its workers)."""
    if server.poll() is not None:
        return
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=20)


@dataclass(frozen=True)
class RunningServer:
    url: str
    startup_seconds: float
    pid: int  # the `mlflow server` process; its workers are its descendants


@contextlib.contextmanager
def running_server(
    python: str,
    backend_store_uri: str,
    workdir: Path,
    *,
    workers: int = DEFAULT_WORKERS,
    timeout: float = 180,
) -> Iterator[RunningServer]:
    """A healthy server; stopped on exit."""
    workdir.mkdir(parents=True, exist_ok=True)
    port = free_loopback_port()
    url = f"http://127.0.0.1:{port}"
    server = start_server(python, backend_store_uri, workdir, port, workers)
    try:
        startup = wait_healthy(url, server, timeout)
        yield RunningServer(url, startup, server.pid)
    finally:
        stop_server(server)
