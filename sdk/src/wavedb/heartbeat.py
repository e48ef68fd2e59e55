"""The run's sign of life: a heartbeat every `interval` seconds from its own thread, so that
a long upload or a slow batch never makes a live run look dead, and a killed one stops
beating at once (the API marks it `crashed`, ended at its last heartbeat)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from wavedb.api import ApiClient
from wavedb.errors import ApiError, ApiUnreachable

logger = logging.getLogger("wavedb")


class Heartbeat(threading.Thread):
    def __init__(
        self,
        client: ApiClient,
        run_id: str,
        interval: float,
        run_exists: Callable[[], bool],
    ) -> None:
        super().__init__(name="wavedb-heartbeat", daemon=True)
        self._client = client
        self._run_id = run_id
        self._interval = interval
        self._run_exists = run_exists
        self._stopped = threading.Event()

    def stop(self) -> None:
        self._stopped.set()

    def run(self) -> None:
        # The first beat at once: a run killed within its first interval has one too.
        wait = 0.0
        while not self._stopped.wait(wait):
            wait = self._interval
            if not self._run_exists():
                wait = min(self._interval, 1.0)  # created later (the API was unreachable)
                continue
            try:
                self._client.heartbeat(self._run_id)
            except ApiError as error:
                if error.status == 409:
                    return  # the run has ended: nothing to keep alive
                logger.debug("wavedb: heartbeat refused: %s", error)
            except ApiUnreachable as error:
                logger.debug("wavedb: heartbeat failed: %s", error)
            except Exception:  # a failed beat must never end the thread or the run
                logger.debug("wavedb: heartbeat failed", exc_info=True)
