"""Retries: exponential backoff with jitter, `Retry-After` honoured. The background sender
schedules its next attempt with `backoff_seconds`; `wavedb sync` and the TensorBoard import
wait in place with `with_retries`."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import TypeVar

from wavedb.errors import ApiError, ApiUnreachable

FIRST_RETRY_SECONDS = 0.5
ATTEMPTS = 5

Answer = TypeVar("Answer")


def backoff_seconds(failures: int, ceiling: float, retry_after: float | None = None) -> float:
    """How long to wait after the `failures`-th failure in a row (what the API asked for,
    when it said)."""
    if retry_after is not None:
        return retry_after
    delay = min(ceiling, FIRST_RETRY_SECONDS * 2.0 ** (failures - 1))
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not security


def with_retries(
    call: Callable[[], Answer], *, attempts: int = ATTEMPTS, ceiling: float = 30.0
) -> Answer:
    """The call's answer, tried again while the API is unreachable, busy or failing."""
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except (ApiError, ApiUnreachable) as error:
            retry_after = error.retry_after if isinstance(error, ApiError) else None
            retryable = not isinstance(error, ApiError) or error.is_retryable
            if not retryable or attempt == attempts:
                raise
            time.sleep(backoff_seconds(attempt, ceiling, retry_after))
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises
