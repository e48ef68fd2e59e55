"""CPU seconds used by server processes, including the PostgreSQL server they share.

A figure that depends less on what else the machine runs than wall time does: on a
shared machine a server of several processes gets a larger share of the cores than a
server of one process, while the CPU time each spends per point changes little.
"""

from __future__ import annotations

import contextlib
import time

import psutil

IDLE_CPU_SECONDS_PER_SECOND = 0.05


def _own_and_reaped(process: psutil.Process) -> float:
    times = process.cpu_times()
    return float(times.user + times.system + times.children_user + times.children_system)


def tree_cpu_seconds(root_pid: int) -> float:
    """A process and its descendants, with the children they have already reaped."""
    root = psutil.Process(root_pid)
    total = _own_and_reaped(root)
    for child in root.children(recursive=True):
        with contextlib.suppress(psutil.NoSuchProcess):
            times = child.cpu_times()
            total += times.user + times.system
    return total


def wait_until_idle(root_pid: int, timeout: float = 120.0) -> float:
    """Wait until a process tree spawns nothing and uses almost no CPU for one second (an
    `mlflow server` starts its job runner's processes after it answers /health); answers
    the seconds waited."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        before = tree_cpu_seconds(root_pid), _tree_pids(root_pid)
        time.sleep(1.0)
        after = tree_cpu_seconds(root_pid), _tree_pids(root_pid)
        if before[1] == after[1] and after[0] - before[0] < IDLE_CPU_SECONDS_PER_SECOND:
            break
    return time.monotonic() - started


def _tree_pids(root_pid: int) -> set[int]:
    return {root_pid, *(child.pid for child in psutil.Process(root_pid).children(recursive=True))}


def postgres_cpu_seconds(data_dir: str) -> float:
    """The PostgreSQL server of `data_dir`: its postmaster (with the backends it has
    reaped) and its running children."""
    for process in psutil.process_iter(["name", "cmdline"]):
        with contextlib.suppress(psutil.NoSuchProcess, psutil.AccessDenied):
            command = process.info["cmdline"] or []
            if process.info["name"] == "postgres" and data_dir in command:
                return tree_cpu_seconds(process.pid)
    raise RuntimeError(f"no PostgreSQL server runs with data directory {data_dir}")


class CpuMeter:
    """CPU seconds of a server's processes and of its PostgreSQL server between start and
    stop."""

    def __init__(self, server_pid: int, postgres_data_dir: str) -> None:
        self.server_pid = server_pid
        self.postgres_data_dir = postgres_data_dir
        self.server_seconds = 0.0
        self.postgres_seconds = 0.0

    def __enter__(self) -> CpuMeter:
        self._server = tree_cpu_seconds(self.server_pid)
        self._postgres = postgres_cpu_seconds(self.postgres_data_dir)
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.server_seconds = tree_cpu_seconds(self.server_pid) - self._server
        self.postgres_seconds = postgres_cpu_seconds(self.postgres_data_dir) - self._postgres

    @property
    def total_seconds(self) -> float:
        return self.server_seconds + self.postgres_seconds
