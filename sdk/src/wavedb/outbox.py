"""A run's outbox on disk: the operations not sent yet, one file each, in order.

Offline runs write every operation here; online runs only what could not be sent (the API
was unreachable). `wavedb sync` and the next attempts send the files oldest first and delete
each once the server has it. The outbox is bounded (WAVEDB_SPOOL_MAX_BYTES)."""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from wavedb.operations import Operation, media_file

RUN_FILE = "run.json"
OUTBOX = "outbox"
REJECTED = "rejected"


class Outbox:
    def __init__(self, run_dir: Path, max_bytes: int) -> None:
        self.run_dir = run_dir
        self.directory = run_dir / OUTBOX
        self.max_bytes = max_bytes
        self._counter = itertools.count()
        self._bytes: int | None = None

    # ------------------------------------------------------------------ writing
    def append(self, operation: Operation) -> bool:
        """Keep the operation for later; False when the outbox is full (nothing written)."""
        encoded = operation.encode()
        size = len(encoded) + len(operation.data or b"")
        if self.size_bytes() + size > self.max_bytes:
            return False
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{time.time_ns():020d}-{os.getpid()}-{next(self._counter):08d}-{operation.kind}"
        path = self.directory / f"{name}.json"
        if operation.data is not None:
            _write_atomically(media_file(path), operation.data)
        _write_atomically(path, encoded)
        self._bytes = self.size_bytes() + size
        return True

    def reject(self, operation: Operation, reason: str) -> Path:
        """Set aside an operation the server refused for good, with the reason."""
        directory = self.run_dir / REJECTED
        directory.mkdir(parents=True, exist_ok=True)
        path = directory / f"{time.time_ns():020d}-{operation.kind}.json"
        document = json.loads(operation.encode())
        document["rejected_because"] = reason
        _write_atomically(path, json.dumps(document).encode())
        return path

    # ------------------------------------------------------------------ reading
    def files(self) -> list[Path]:
        if not self.directory.is_dir():
            return []
        return sorted(self.directory.glob("*.json"))

    def load(self, path: Path) -> Operation:
        data_path = media_file(path)
        data = data_path.read_bytes() if data_path.exists() else None
        return Operation.decode(path.read_bytes(), data)

    def remove(self, path: Path) -> None:
        size = 0
        for file in (path, media_file(path)):
            try:
                size += file.stat().st_size
                file.unlink()
            except FileNotFoundError:
                pass
        if self._bytes is not None:
            self._bytes = max(0, self._bytes - size)

    def __iter__(self) -> Iterator[tuple[Path, Operation]]:
        for path in self.files():
            yield path, self.load(path)

    def is_empty(self) -> bool:
        return not self.files()

    def size_bytes(self) -> int:
        if self._bytes is None:
            self._bytes = (
                sum(file.stat().st_size for file in self.directory.iterdir())
                if self.directory.is_dir()
                else 0
            )
        return self._bytes


def write_run_file(run_dir: Path, document: dict[str, Any]) -> None:
    run_dir.mkdir(parents=True, exist_ok=True)
    _write_atomically(run_dir / RUN_FILE, json.dumps(document, indent=2).encode())


def read_run_file(run_dir: Path) -> dict[str, Any] | None:
    try:
        document = json.loads((run_dir / RUN_FILE).read_text())
    except (OSError, ValueError):
        return None
    return document if isinstance(document, dict) else None


def _write_atomically(path: Path, data: bytes) -> None:
    temporary = path.with_name(path.name + ".part")
    with open(temporary, "wb") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())
    temporary.replace(path)
