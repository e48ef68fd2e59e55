"""The background thread that sends what training code logs: it batches logged values by
size and time, sends operations in order with retries (exponential backoff with jitter,
`Retry-After` honoured), spools to the run's outbox on disk while the API is unreachable
and sends the spooled operations first once it is back."""

from __future__ import annotations

import itertools
import logging
import secrets
import threading
import time
from collections import deque
from datetime import UTC, datetime
from enum import Enum

from wavedb.api import ApiClient
from wavedb.errors import ApiError, ApiUnreachable, ConfigError
from wavedb.operations import Operation, perform
from wavedb.outbox import Outbox
from wavedb.points import encode_series
from wavedb.retrying import backoff_seconds
from wavedb.settings import Settings

logger = logging.getLogger("wavedb")

# Operations kept in memory while the API answers slowly; beyond, they go to disk.
MAX_OPERATIONS_IN_MEMORY = 16
MAX_MEDIA_BYTES_IN_MEMORY = 256 << 20
WARNING_INTERVAL_SECONDS = 30.0
# While finish() waits, an unreachable API is asked again at least this often (unless it
# said when with Retry-After), so that a short outage at the end of training costs seconds,
# not the backoff's 30.
FINISH_RETRY_MAX_SECONDS = 1.0

Entry = tuple[int, float, dict[str, float | int]]


class Outcome(Enum):
    SENT = "sent"
    DROPPED = "dropped"
    RETRY = "retry"


class Sender(threading.Thread):
    def __init__(
        self,
        *,
        run_id: str,
        client: ApiClient | None,
        outbox: Outbox,
        settings: Settings,
        run_exists: bool,
    ) -> None:
        super().__init__(name="wavedb-sender", daemon=True)
        self.run_id = run_id
        self.entries: deque[Entry] = deque()
        self.wake = threading.Event()
        self._client = client
        self._outbox = outbox
        self._settings = settings
        self._operations: deque[Operation] = deque()
        self._results: dict[str, float] = {}
        self._results_lock = threading.Lock()
        self._space = threading.Condition()
        self._media_bytes = 0
        self._session = secrets.token_hex(4)
        self._batch_numbers = itertools.count()
        self._run_exists = run_exists
        self._failures = 0
        self._next_attempt = 0.0
        self._unreachable = False
        self._blocked: str | None = None
        self._final_status: str | None = None
        self._ended_at: str | None = None
        self._deadline: float | None = None
        self._last_warning: dict[str, float] = {}
        self.sent_points = 0
        self.spooled_points = 0
        self._outbox_points = 0
        self.dropped_points = 0

    # ------------------------------------------------------------------ training thread
    def submit(self, operation: Operation) -> None:
        """Queue an operation; media bytes held in memory are bounded (MAX_MEDIA_BYTES_IN_MEMORY):
        past it, wait for the sender to upload or write them to disk."""
        size = len(operation.data or b"")
        if size:
            with self._space:
                while (
                    self._media_bytes and self._media_bytes + size > MAX_MEDIA_BYTES_IN_MEMORY
                ) and self.is_alive():
                    self.wake.set()
                    self._space.wait(0.05)
                self._media_bytes += size
        self._operations.append(operation)
        self.wake.set()

    def _release(self, operation: Operation) -> None:
        """An operation has left memory (sent, set aside, or written to the outbox)."""
        if operation.data:
            with self._space:
                self._media_bytes -= len(operation.data)
                self._space.notify_all()

    def set_results(self, results: dict[str, float]) -> None:
        with self._results_lock:
            self._results.update(results)
        self.wake.set()

    def wait_for_space(self, limit: int) -> None:
        """Back-pressure, the last resort when logging outruns even the disk: wait until the
        queue of logged values is under `limit`."""
        self.wake.set()
        with self._space:
            while len(self.entries) >= limit and self.is_alive():
                self._space.wait(0.05)

    def close(self, status: str, timeout: float) -> None:
        """Send everything and then the final status; what is not sent by the deadline
        stays in the outbox."""
        self._final_status = status
        # The run ended now, whenever the status reaches the API (`wavedb sync` included).
        self._ended_at = datetime.now(UTC).isoformat()
        self._deadline = time.monotonic() + timeout
        self._next_attempt = 0.0  # one more attempt now, whatever the backoff said
        self.wake.set()

    def give_up(self) -> None:
        """Stop sending now (Ctrl-C during finish): what is left goes to the outbox."""
        self._deadline = time.monotonic()
        self.wake.set()

    @property
    def unreachable(self) -> bool:
        """Whether the last attempt found the API unreachable (or failing)."""
        return self._unreachable

    @property
    def run_exists(self) -> bool:
        """Whether the run exists on the server (created, or found when resuming)."""
        return self._run_exists

    @property
    def outbox(self) -> Outbox:
        return self._outbox

    def points_in_outbox(self) -> int:
        """Points this sender wrote to the outbox and has not sent from it yet."""
        return self._outbox_points

    def points_waiting(self) -> int:
        waiting = sum(len(values) for _, _, values in list(self.entries))
        return waiting + sum(operation.point_count for operation in list(self._operations))

    # ------------------------------------------------------------------ the thread
    def run(self) -> None:
        try:
            self._loop()
        except Exception:  # never let the thread die with data in memory
            logger.exception("wavedb: the sender failed; keeping what is left on disk")
            self._collect()
            self._spill()
        finally:
            if self._client is not None:
                self._client.close()

    def _loop(self) -> None:
        offline = self._client is None
        while True:
            self.wake.wait(self._wait_seconds())
            self.wake.clear()
            # Decided before collecting, so that the final collect sees everything logged
            # before close() (results and the final status included).
            closing = self._deadline is not None
            self._collect()
            if offline:
                self._spill()
            else:
                self._deliver()
            if not closing:
                continue
            if not self._operations and not self.entries and (offline or self._outbox.is_empty()):
                return
            assert self._deadline is not None
            if time.monotonic() >= self._deadline or self._blocked:
                # An outage is ridden out until the deadline; a refusal (a key or run the API
                # refuses) is not waited for. What is left is on disk for `wavedb sync`.
                self._collect()
                self._spill()
                return

    def _wait_seconds(self) -> float:
        if self._deadline is not None:
            return 0.05
        if self._next_attempt and (self._operations or not self._outbox.is_empty()):
            return max(
                0.01, min(self._settings.flush_interval, self._next_attempt - time.monotonic())
            )
        return self._settings.flush_interval

    # ------------------------------------------------------------------ batching
    def _collect(self) -> None:
        entries: list[Entry] = []
        pop = self.entries.popleft
        try:
            while True:
                entries.append(pop())
        except IndexError:
            pass
        if entries:
            with self._space:
                self._space.notify_all()
            for encoded, count in encode_series(entries):
                number = next(self._batch_numbers)
                self._operations.append(
                    Operation(
                        "batch",
                        self.run_id,
                        {"batch_id": f"py-{self._session}-{number:08d}"},
                        points=encoded,
                        point_count=count,
                        columnar=True,
                    )
                )
        with self._results_lock:
            results, self._results = self._results, {}
        if results:
            self._operations.append(Operation("results", self.run_id, {"results": results}))
        if self._deadline is not None and self._final_status is not None:
            status, self._final_status = self._final_status, None
            body = {"status": status, "ended_at": self._ended_at}
            self._operations.append(Operation("finish", self.run_id, body))

    # ------------------------------------------------------------------ delivery
    def _deliver(self) -> None:
        if time.monotonic() < self._next_attempt:
            if (
                self._unreachable
                or self._blocked
                or len(self._operations) > MAX_OPERATIONS_IN_MEMORY
            ):
                self._spill()
            return
        for path in self._outbox.files():
            spooled = self._outbox.load(path)
            outcome = self._attempt(spooled)
            if outcome is Outcome.RETRY:
                self._spill()  # keep the order: newer operations queue behind the spooled
                return
            self._outbox.remove(path)
            self._outbox_points = max(0, self._outbox_points - spooled.point_count)
        while self._operations:
            outcome = self._attempt(self._operations[0])
            if outcome is Outcome.RETRY:
                if self._unreachable or self._blocked:
                    self._spill()
                return
            self._release(self._operations.popleft())

    def _attempt(self, operation: Operation) -> Outcome:
        assert self._client is not None
        try:
            perform(self._client, operation)
        except ApiUnreachable as error:
            self._retry_later(operation, unreachable=True, reason=str(error))
            return Outcome.RETRY
        except ConfigError as error:
            self._block(str(error))
            return Outcome.RETRY
        except ApiError as error:
            if error.is_retryable:
                self._retry_later(
                    operation,
                    unreachable=error.status >= 500,
                    reason=error.message,
                    retry_after=error.retry_after,
                )
                return Outcome.RETRY
            if error.refuses_access:
                self._block(f"{operation.describe()}: {error}")
                return Outcome.RETRY
            path = self._outbox.reject(operation, str(error))
            logger.error(
                "wavedb: the API refused %s (%s); it is kept in %s",
                operation.describe(),
                error,
                path,
            )
            return Outcome.DROPPED
        self._succeeded(operation)
        return Outcome.SENT

    def _succeeded(self, operation: Operation) -> None:
        if self._unreachable or self._blocked:
            logger.warning("wavedb: the API takes this run's data again; sending what was kept")
        self._unreachable = False
        self._blocked = None
        self._failures = 0
        self._next_attempt = 0.0
        if operation.kind == "create_run":
            self._run_exists = True
        self.sent_points += operation.point_count

    def _retry_later(
        self,
        operation: Operation,
        *,
        unreachable: bool,
        reason: str,
        retry_after: float | None = None,
    ) -> None:
        self._failures += 1
        delay = backoff_seconds(self._failures, self._settings.retry_max_interval, retry_after)
        if self._deadline is not None and retry_after is None:
            delay = min(delay, FINISH_RETRY_MAX_SECONDS)  # the API's Retry-After still holds
        self._next_attempt = time.monotonic() + delay
        if unreachable and not self._unreachable:
            self._unreachable = True
            logger.warning(
                "wavedb: the API is unreachable (%s); keeping logged data in %s and retrying",
                reason,
                self._outbox.directory,
            )
        elif not unreachable:
            self._warn(
                "slow",
                f"wavedb: {operation.describe()} will be retried in {delay:.1f} s ({reason})",
            )

    def _block(self, reason: str) -> None:
        """The API refuses the key or the run: keep everything on disk and ask again now and
        then (the refusal may be lifted: a key's scope changed, a run restored). An API that
        cannot check the key (its database is down) answers 503, retried sooner."""
        if self._blocked is None:
            logger.error(
                "wavedb: the API refuses this run's data (%s). Nothing is lost: it is kept in %s"
                " and offered again every %.0f s; once the problem is fixed, `wavedb sync %s`"
                " sends it too",
                reason,
                self._outbox.run_dir,
                self._blocked_retry_seconds,
                self._outbox.run_dir,
            )
        self._blocked = reason
        self._next_attempt = time.monotonic() + self._blocked_retry_seconds

    @property
    def _blocked_retry_seconds(self) -> float:
        return 2 * self._settings.retry_max_interval

    def _spill(self) -> None:
        while self._operations:
            operation = self._operations.popleft()
            self._release(operation)
            if self._outbox.append(operation):
                self.spooled_points += operation.point_count
                self._outbox_points += operation.point_count
            else:
                self.dropped_points += operation.point_count
                self._warn(
                    "full",
                    f"wavedb: the outbox in {self._outbox.directory} is full"
                    f" ({self._settings.spool_max_bytes} bytes, WAVEDB_SPOOL_MAX_BYTES);"
                    f" {self.dropped_points} points were dropped so far",
                )

    def _warn(self, topic: str, message: str) -> None:
        now = time.monotonic()
        if (
            now - self._last_warning.get(topic, -WARNING_INTERVAL_SECONDS)
            >= WARNING_INTERVAL_SECONDS
        ):
            self._last_warning[topic] = now
            logger.warning("%s", message)
