"""moto's S3 state kept in the data directory, so that objects survive a restart.

moto keeps buckets and objects in memory. Its S3 objects can be pickled (moto defines how:
`FakeKey.__getstate__` carries the bytes), so the emulator writes the whole S3 state to one
file shortly after every request that may change it, and reads it back at start: buckets,
every object version with its version id, tags, metadata, and the bucket configuration.

Writes go to a temporary file that then replaces the old one, so a crash leaves the last
complete state; what changed in the last `interval_seconds` before a crash (or `kill -9`)
can be lost, which the start-up reconciliation of media then reports (`missing`).
"""

from __future__ import annotations

import logging
import os
import pickle
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

logger = logging.getLogger("wavedb_local.aws")

WsgiApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]

STATE_FILE_NAME = "s3-state.pickle"
_PARTITION = "aws"
_CHANGING_METHODS = frozenset({"PUT", "POST", "DELETE"})


def _changes_s3(environ: dict[str, Any]) -> bool:
    """Whether a request may change S3's state: a write without an X-Amz-Target header
    (SQS and Secrets Manager calls carry one; S3 calls, presigned POSTs included, do not)."""
    return environ.get("REQUEST_METHOD") in _CHANGING_METHODS and not environ.get(
        "HTTP_X_AMZ_TARGET"
    )


class S3Persistence:
    """WSGI middleware in front of moto that saves its S3 state to `path` after changes."""

    def __init__(self, app: WsgiApp, path: Path, *, interval_seconds: float = 0.5) -> None:
        self._app = app
        self.path = path
        self._interval = interval_seconds
        self._lock = threading.Lock()  # S3 writes vs. taking a snapshot
        self._dirty = False
        self._stopping = threading.Event()
        self._writer: threading.Thread | None = None

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if not _changes_s3(environ):
            return self._app(environ, start_response)
        with self._lock:
            body = list(self._app(environ, start_response))
            self._dirty = True
        return body

    # ------------------------------------------------------------------ state
    def restore(self) -> int:
        """Load the saved state, if any, in place of moto's S3 state; answers how many
        buckets it held. An unreadable file (another moto version, say) is moved aside."""
        if not self.path.is_file():
            return 0
        try:
            state = pickle.loads(self.path.read_bytes())  # noqa: S301 - our own data directory
            backends: dict[str, Any] = state["backends"]
            bucket_accounts: dict[str, tuple[str, str]] = state["bucket_accounts"]
        except Exception as error:
            aside = self.path.with_name(f"{self.path.name}.unreadable-{int(time.time())}")
            self.path.rename(aside)
            logger.error(
                "the saved S3 state cannot be read (%s); starting with empty buckets; the file"
                " is kept as %s",
                error,
                aside,
            )
            return 0
        from moto.s3.models import s3_backends

        for account_id, backend in backends.items():
            s3_backends[account_id][_PARTITION] = backend
        s3_backends.bucket_accounts.update(bucket_accounts)
        buckets = sum(len(backend.buckets) for backend in backends.values())
        logger.info("restored %d S3 bucket(s) from %s", buckets, self.path)
        return buckets

    def save(self) -> None:
        """Write the current S3 state (atomically: a complete file or the previous one)."""
        from moto.s3.models import s3_backends

        with self._lock:
            self._dirty = False
            try:
                # dict(...): an account's own `in` and `[]` would create missing backends.
                created = {
                    account_id: dict(backends).get(_PARTITION)
                    for account_id, backends in s3_backends.items()
                }
                state = {
                    "backends": {
                        account_id: backend
                        for account_id, backend in created.items()
                        if backend is not None
                    },
                    "bucket_accounts": dict(s3_backends.bucket_accounts),
                }
                blob = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:
                self._dirty = True
                raise
        self.path.parent.mkdir(parents=True, exist_ok=True)
        temporary = self.path.with_name(f"{self.path.name}.tmp")
        with temporary.open("wb") as file:
            file.write(blob)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, self.path)

    # ------------------------------------------------------------------ background writer
    def start(self) -> None:
        self._writer = threading.Thread(target=self._write_changes, name="s3-state", daemon=True)
        self._writer.start()

    def _write_changes(self) -> None:
        while not self._stopping.wait(self._interval):
            self._save_if_changed()

    def _save_if_changed(self) -> None:
        if not self._dirty:
            return
        try:
            self.save()
        except Exception:
            logger.exception("saving the S3 state to %s failed; retrying", self.path)

    def stop(self) -> None:
        """Stop the writer and save what changed since its last write."""
        self._stopping.set()
        if self._writer is not None:
            self._writer.join(5)
            self._writer = None
        self._save_if_changed()
