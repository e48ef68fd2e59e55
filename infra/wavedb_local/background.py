"""A named daemon thread running one loop until stopped (event source pollers, tickers)."""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod


class BackgroundLoop(ABC):
    """Subclasses set `name` and `thread_prefix`, and loop in `_run` until `_stop` is set."""

    thread_prefix = "loop"

    def __init__(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    @abstractmethod
    def name(self) -> str: ...

    @abstractmethod
    def _run(self) -> None: ...

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._run, name=f"{self.thread_prefix}-{self.name}", daemon=True
        )
        self._thread.start()

    def request_stop(self) -> None:
        """Ask the loop to stop without waiting for it."""
        self._stop.set()

    def stop(self, timeout: float = 15.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
