"""Reading times Python cannot hold.

PostgreSQL's timestamptz runs from 4713 BC to 294276 AD and has ±infinity; Python's
datetime from year 1 to 9999. psycopg refuses to load a time outside Python's range
(`DataError: timestamp too small`), which would make every read of the row fail, whoever
stored it. These loaders return the nearest time Python has instead: `datetime.min` or
`datetime.max` in UTC. Times Python can hold load exactly as before (through psycopg's own,
C-accelerated loaders).
"""

from __future__ import annotations

import struct
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg import adapters
from psycopg.abc import AdaptContext, Buffer
from psycopg.adapt import Loader
from psycopg.pq import Format

EARLIEST = datetime.min.replace(tzinfo=UTC)
LATEST = datetime.max.replace(tzinfo=UTC)
_TIMESTAMPTZ_OID = adapters.types["timestamptz"].oid
# The first year too late for Python's datetime; a later year means the time is too late.
_FIRST_UNREPRESENTABLE_YEAR = 10_000


def _nearest_text(data: Buffer) -> datetime:
    """The nearest representable time to a text-format time that failed to load:
    `-infinity`, a BC date or one in year 0 in UTC is too early; `infinity` or a year past
    9999 too late."""
    text = bytes(data).strip()
    if text.startswith(b"-") or text.endswith(b"BC"):
        return EARLIEST
    if text.startswith(b"infinity"):
        return LATEST
    year = text.split(b"-", 1)[0]
    if year.isdigit() and int(year) >= _FIRST_UNREPRESENTABLE_YEAR:
        return LATEST
    return EARLIEST


def _nearest_binary(data: Buffer) -> datetime:
    """Binary timestamptz is µs since 2000-01-01 UTC (±2^63-1 for ±infinity)."""
    (micros,) = struct.unpack("!q", bytes(data))
    return EARLIEST if micros < 0 else LATEST


class _ClampingLoader(Loader):
    """psycopg's loader for the format; on a time it cannot hold, the nearest one."""

    format = Format.TEXT

    def __init__(self, oid: int, context: AdaptContext | None = None) -> None:
        super().__init__(oid, context)
        exact = adapters.get_loader(_TIMESTAMPTZ_OID, self.format)
        assert exact is not None
        self._exact = exact(oid, context)

    def load(self, data: Buffer) -> Any:
        try:
            return self._exact.load(data)
        except psycopg.DataError:
            return self._nearest(data)

    def _nearest(self, data: Buffer) -> datetime:
        return _nearest_text(data)


class ClampingTimestamptzLoader(_ClampingLoader):
    format = Format.TEXT


class ClampingTimestamptzBinaryLoader(_ClampingLoader):
    format = Format.BINARY

    def _nearest(self, data: Buffer) -> datetime:
        return _nearest_binary(data)


def load_times_safely(connection: psycopg.Connection[Any]) -> None:
    """Have the connection load every timestamptz, even one Python cannot hold."""
    connection.adapters.register_loader("timestamptz", ClampingTimestamptzLoader)
    connection.adapters.register_loader("timestamptz", ClampingTimestamptzBinaryLoader)
