"""Stops the embedded PostgreSQL when the process that started it dies, even by `kill -9`.

`python -m wavedb_local.postgres_guard <pgdata>` reads its stdin, a pipe whose other end
only the local stack holds; the kernel closes that end when the stack exits, however it
exits. Then, unless another live process still uses the same data directory, the guard asks
the postmaster for a fast shutdown (SIGINT) and waits for it.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
from pathlib import Path

SHUTDOWN_WAIT_SECONDS = 10.0


def process_alive(pid: int) -> bool:
    """Whether a process of this id exists (ours or another user's)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def postmaster_pid(pgdata: Path) -> int | None:
    """The running postmaster's pid (first line of postmaster.pid), if any."""
    try:
        pid = int((pgdata / "postmaster.pid").read_text().split("\n", 1)[0])
    except (OSError, ValueError):
        return None
    return pid if process_alive(pid) else None


def other_holders(pgdata: Path) -> list[int]:
    """Live processes still registered as users of the server."""
    try:
        pids = [int(pid) for pid in json.loads((pgdata / ".handle_pids.json").read_text())]
    except (OSError, ValueError, TypeError):
        return []
    return [pid for pid in pids if pid != os.getppid() and process_alive(pid)]


def stop_unused_server(pgdata: Path, holder: int) -> None:
    """Fast-shut the server down unless a live process other than `holder` uses it."""
    pid = postmaster_pid(pgdata)
    if pid is None or [other for other in other_holders(pgdata) if other != holder]:
        return
    os.kill(pid, signal.SIGINT)
    deadline = time.monotonic() + SHUTDOWN_WAIT_SECONDS
    while process_alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def main(argv: list[str]) -> int:
    pgdata, holder = Path(argv[0]), int(argv[1])
    while sys.stdin.buffer.read(4096):
        pass
    stop_unused_server(pgdata, holder)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
