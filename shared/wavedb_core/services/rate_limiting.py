"""Rate limits: fixed windows counted in PostgreSQL, so every execution environment agrees."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from wavedb_core.db.connection import get_connection
from wavedb_core.errors import RateLimited
from wavedb_core.repositories import rate_limits

_CLEANUP_PROBABILITY = 0.002


def _window(window_seconds: int) -> tuple[datetime, int]:
    """The start of the current window and the seconds left in it."""
    now = datetime.now(UTC).timestamp()
    start = math.floor(now / window_seconds) * window_seconds
    retry_after = max(1, math.ceil(start + window_seconds - now))
    return datetime.fromtimestamp(start, UTC), retry_after


def enforce_rate_limit(bucket: str, *, limit: int, window_seconds: int = 60) -> None:
    """Count one request; raise RateLimited (429 with Retry-After) past the limit."""
    start, retry_after = _window(window_seconds)
    connection = get_connection()
    hits = rate_limits.count_hit(connection, bucket, start)
    if random.random() < _CLEANUP_PROBABILITY:  # noqa: S311 - not a security decision
        rate_limits.delete_windows_before(connection, start - timedelta(days=1))
    if hits > limit:
        raise RateLimited(
            f"rate limit of {limit} requests per {window_seconds} s exceeded",
            retry_after_seconds=retry_after,
        )


def ensure_below_limit(bucket: str, *, limit: int, window_seconds: int, message: str) -> None:
    """Raise RateLimited if the bucket already holds `limit` hits in this window."""
    start, retry_after = _window(window_seconds)
    if rate_limits.current_hits(get_connection(), bucket, start) >= limit:
        raise RateLimited(message, retry_after_seconds=retry_after)


def hits_in_window(bucket: str, *, window_seconds: int) -> int:
    """The hits the bucket holds in the current window."""
    start, _ = _window(window_seconds)
    return rate_limits.current_hits(get_connection(), bucket, start)


def retry_after_seconds(window_seconds: int) -> int:
    """The seconds until the current window ends."""
    return _window(window_seconds)[1]


def record_hit(bucket: str, *, window_seconds: int) -> None:
    start, _ = _window(window_seconds)
    rate_limits.count_hit(get_connection(), bucket, start)


@dataclass(frozen=True)
class RateLimit:
    """A bucket of requests, the most it may count per window, and what to say past it."""

    bucket: str
    limit: int
    message: str


def enforce_rate_limits(limits: Sequence[RateLimit], *, window_seconds: int = 60) -> None:
    """Count one request in every bucket at once; raise RateLimited (429 with Retry-After)
    with the message of the first limit it exceeds."""
    start, retry_after = _window(window_seconds)
    connection = get_connection()
    hits = rate_limits.count_hits(connection, [limit.bucket for limit in limits], start)
    if random.random() < _CLEANUP_PROBABILITY:  # noqa: S311 - not a security decision
        rate_limits.delete_windows_before(connection, start - timedelta(days=1))
    for limit in limits:
        if hits.get(limit.bucket, 0) > limit.limit:
            raise RateLimited(limit.message, retry_after_seconds=retry_after)
