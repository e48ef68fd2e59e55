"""Metric batches as SQS messages: columns in compact JSON, split into parts under the SQS
size limit.

A part's body (format 2):
    {"v": 2, "run": <uuid>, "batch": <id>, "part": i, "parts": n, "t": <received, µs>,
     "series": [{"name": <name>, "steps": [...], "values": [...], "times": [µs | null, ...],
                 "msg_ids": [uuid | null, ...], "metadata": [object | null, ...]}, ...]}
"times", "msg_ids" and "metadata" are left out when no point of the series has one. Values
keep NaN and ±Infinity exactly (Python's JSON writes and reads `NaN`, `Infinity`,
`-Infinity`; both ends are this module). Points without a time take "t", so that the same
batch sent again splits into the same parts. A series too large for one part is cut into
consecutive slices, each a series of its own in some part.

Format 1 (one array per point, `"names"` and `"points"`) is still read: messages of it may
be on the queue while a deployment upgrades.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from wavedb_core.models.metric_columns import (
    SeriesColumns,
    canonical_metadata,
    columns_from_points,
    to_microseconds,
)
from wavedb_core.models.metrics import (
    END_OF_POINT_TIMES_US,
    MAX_STEP,
    PointIn,
    name_problem,
    timestamp_us_problem,
)

__all__ = [
    "BatchPart",
    "EncodedBatch",
    "InvalidPoints",
    "MalformedMessage",
    "decode_part",
    "encode",
    "encode_batch",
    "group_for_sending",
    "legacy_digest",
    "to_microseconds",
]

FORMAT_VERSION = 2
LEGACY_FORMAT_VERSION = 1
# SQS accepts 1 MiB per message and per send_message_batch call (and bills each 64 KiB).
SQS_MAX_BYTES = 1024 * 1024
SQS_MAX_BATCH_ENTRIES = 10
PART_MAX_BYTES = SQS_MAX_BYTES - 4 * 1024  # room for the message attributes
_HEADER_ALLOWANCE = 512


class MalformedMessage(ValueError):
    """A queue message that is not a part of a metric batch."""


class InvalidPoints(MalformedMessage):
    """A part of a known batch holding a point no ingest path accepts (its batch can be
    marked failed: `part` has the header and no series)."""

    def __init__(self, problem: str, part: BatchPart) -> None:
        super().__init__(problem)
        self.part = part


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _series_json(series: SeriesColumns) -> str:
    """One series as JSON; its text is what the batch digest is computed from."""
    text = (
        f'{{"name":{_dumps(series.name)},"steps":{_dumps(series.steps)},'
        f'"values":{_dumps(series.values)}'
    )
    if series.times_us is not None:
        text += f',"times":{_dumps(series.times_us)}'
    if series.msg_ids is not None:
        text += f',"msg_ids":{_dumps(series.msg_ids)}'
    if series.metadata is not None:
        text += f',"metadata":{_dumps(series.metadata)}'
    return text + "}"


def _pieces(series: SeriesColumns, encoded: str, budget: int) -> list[str]:
    """The series as JSON, cut into consecutive slices of at most `budget` bytes each."""
    size = len(encoded.encode())
    if size <= budget:
        return [encoded]
    count = len(series)
    if count == 1:
        raise ValueError("a single point does not fit in a queue message")
    slices = min(count, max(2, math.ceil(size / budget)))
    width = math.ceil(count / slices)
    pieces: list[str] = []
    for start in range(0, count, width):
        piece = series.sliced(start, start + width)
        pieces.extend(_pieces(piece, _series_json(piece), budget))
    return pieces


@dataclass(frozen=True)
class EncodedBatch:
    """A batch's message bodies, and the SHA-256 of its content (its series, in order,
    whatever the parts and the time it was received), which tells a re-sent batch from
    another one sent with the same id. The same points give the same digest whether they
    came as a list of points or as series (both become the same columns)."""

    bodies: list[str]
    digest: bytes


def encode_batch(
    run_id: UUID,
    batch_id: str,
    points: Sequence[PointIn],
    *,
    received_at: datetime,
    limit: int | None = None,
) -> list[str]:
    """The message bodies of a batch of points (one per part, each at most `limit` bytes)."""
    return encode(
        run_id, batch_id, columns_from_points(points), received_at=received_at, limit=limit
    ).bodies


def encode(
    run_id: UUID,
    batch_id: str | None,
    series: Sequence[SeriesColumns],
    *,
    received_at: datetime,
    limit: int | None = None,
) -> EncodedBatch:
    """The batch's message bodies (one per part, each at most `limit` bytes, by default
    PART_MAX_BYTES) and its content digest. Without a batch id, the hex digest is the id."""
    budget = (limit or PART_MAX_BYTES) - _HEADER_ALLOWANCE
    encoded = [_series_json(item) for item in series]
    digest = hashlib.sha256("\n".join(encoded).encode()).digest()
    parts: list[list[str]] = [[]]
    size = 0
    for item, text in zip(series, encoded, strict=True):
        for piece in _pieces(item, text, budget):
            length = len(piece.encode()) + 1
            if parts[-1] and size + length > budget:
                parts.append([])
                size = 0
            parts[-1].append(piece)
            size += length
    if batch_id is None:
        batch_id = digest.hex()
    received = to_microseconds(received_at)
    bodies = [
        f'{{"v":{FORMAT_VERSION},"run":"{run_id}","batch":{_dumps(batch_id)},'
        f'"part":{number},"parts":{len(parts)},"t":{received},"series":[{",".join(pieces)}]}}'
        for number, pieces in enumerate(parts)
    ]
    return EncodedBatch(bodies, digest)


@dataclass(frozen=True)
class BatchPart:
    """One decoded part of a batch."""

    run_id: UUID
    batch_id: str
    part: int
    parts: int
    received_us: int
    series: list[SeriesColumns]


def _require(condition: bool, problem: str) -> None:
    if not condition:
        raise MalformedMessage(problem)


def _is_uuid(value: object) -> bool:
    try:
        UUID(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def decode_part(body: str) -> BatchPart:
    """A message body (of either format) back into a part; MalformedMessage when it is
    not one."""
    try:
        message = json.loads(body)
    except (ValueError, TypeError) as error:
        raise MalformedMessage("the body is not JSON") from error
    _require(isinstance(message, dict), "the body is not an object")
    version = message.get("v")
    _require(version in (FORMAT_VERSION, LEGACY_FORMAT_VERSION), "unknown format version")
    try:
        run_id = UUID(str(message["run"]))
        batch_id, part, parts = message["batch"], message["part"], message["parts"]
        received = message["t"]
    except (KeyError, ValueError) as error:
        raise MalformedMessage(f"missing or invalid field: {error}") from error
    _require(isinstance(batch_id, str) and 0 < len(batch_id) <= 64, "invalid batch id")
    _require(type(part) is int and type(parts) is int and 0 <= part < parts, "invalid part")
    _require(type(received) is int, "invalid receive time")
    header = BatchPart(run_id, batch_id, part, parts, received, [])
    if version == LEGACY_FORMAT_VERSION:
        series = _legacy_series(message, header)
    else:
        raw = message.get("series")
        _require(isinstance(raw, list) and len(raw) > 0, "no series")
        problem = timestamp_us_problem(received)
        if problem is not None:
            raise InvalidPoints("invalid receive time", header)
        series = []
        for item in raw:
            checked = _checked_series(item)
            if isinstance(checked, str):
                raise InvalidPoints(checked, header)
            series.append(checked)
    return BatchPart(run_id, batch_id, part, parts, received, series)


# ---------------------------------------------------------------- format 2 checks


def _is_int_column(column: list[Any], low: int, high: int) -> bool:
    """Whether every entry is an int (never a bool) from low to high, inclusive."""
    return set(map(type, column)) <= {int} and min(column) >= low and max(column) <= high


def _values_column(column: list[Any]) -> list[float] | None:
    kinds = set(map(type, column))
    if kinds == {float}:
        return column
    if kinds <= {float, int}:
        try:
            return list(map(float, column))
        except OverflowError:
            return None
    return None


def _times_column_ok(column: list[Any]) -> bool:
    known = [t for t in column if t is not None] if None in column else column
    return not known or _is_int_column(known, 0, END_OF_POINT_TIMES_US - 1)


def _checked_series(item: object) -> SeriesColumns | str:
    """The series of a message, or what makes it unstorable by the rules every ingest path
    applies (a message is written whole or not at all)."""
    if not isinstance(item, dict):
        return "invalid series"
    name, steps, values = item.get("name"), item.get("steps"), item.get("values")
    times, msg_ids, metadata = item.get("times"), item.get("msg_ids"), item.get("metadata")
    if name_problem(name) is not None:
        return "invalid metric name"
    if not isinstance(steps, list) or not steps or not _is_int_column(steps, 0, MAX_STEP):
        return "invalid step"
    count = len(steps)
    floats = _values_column(values) if isinstance(values, list) else None
    if floats is None or len(floats) != count:
        return "invalid value"
    if times is not None and (
        not isinstance(times, list) or len(times) != count or not _times_column_ok(times)
    ):
        return "invalid timestamp"
    if msg_ids is not None and (
        not isinstance(msg_ids, list)
        or len(msg_ids) != count
        or not all(m is None or _is_uuid(m) for m in msg_ids)
    ):
        return "invalid msg_id"
    if metadata is not None and (
        not isinstance(metadata, list)
        or len(metadata) != count
        or not all(m is None or isinstance(m, dict) for m in metadata)
    ):
        return "invalid metadata"
    return SeriesColumns(name, steps, floats, times, msg_ids, metadata)  # type: ignore[arg-type]


# ---------------------------------------------------------------- format 1


PointRow = list[Any]  # [name index, step, value, µs | None, msg_id | None, metadata | None]


def _legacy_series(message: dict[str, Any], header: BatchPart) -> list[SeriesColumns]:
    """The points of a format 1 part, checked, as columns (by name, in their order)."""
    names, points = message.get("names"), message.get("points")
    _require(isinstance(names, list) and all(isinstance(n, str) for n in names), "invalid names")
    _require(isinstance(points, list) and len(points) > 0, "no points")
    assert isinstance(names, list)
    assert isinstance(points, list)
    problem = _points_problem(names, points, header.received_us)
    if problem is not None:
        raise InvalidPoints(problem, header)
    rows_by_name: dict[int, list[PointRow]] = {}
    for row in points:
        rows_by_name.setdefault(row[0], []).append(row)
    return [_legacy_columns(names[index], rows) for index, rows in rows_by_name.items()]


def _legacy_columns(name: str, rows: list[PointRow]) -> SeriesColumns:
    def column(position: int) -> list[Any] | None:
        entries = [row[position] if len(row) > position else None for row in rows]
        return entries if any(entry is not None for entry in entries) else None

    metadata = column(5)
    return SeriesColumns(
        name,
        [row[1] for row in rows],
        [float(row[2]) for row in rows],
        column(3),
        column(4),
        None if metadata is None else [canonical_metadata(m) for m in metadata],
    )


def legacy_digest(points: Sequence[PointIn]) -> bytes:
    """The digest format 1 gave these points: a batch recorded before the upgrade and sent
    again after it (by a client retrying) is known by it."""
    names: dict[str, int] = {}
    rows: list[PointRow] = []
    for point in points:
        index = names.setdefault(point.name, len(names))
        row: PointRow = [
            index,
            point.step,
            float(point.value),
            None if point.timestamp is None else to_microseconds(point.timestamp),
            None if point.msg_id is None else str(point.msg_id),
            canonical_metadata(point.metadata),
        ]
        while len(row) > 3 and row[-1] is None:
            row.pop()
        rows.append(row)
    return hashlib.sha256(f"{_dumps(list(names))}\n{_dumps(rows)}".encode()).digest()


def _value_is_float(value: object) -> bool:
    if type(value) is float:
        return True
    if type(value) is not int:
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _points_problem(names: list[str], points: list[Any], received: int) -> str | None:
    """What makes format 1 points unstorable, or None."""
    if timestamp_us_problem(received) is not None:
        return "invalid receive time"
    for name in names:
        if name_problem(name) is not None:
            return "invalid metric name"
    name_count = len(names)
    for row in points:
        if not isinstance(row, list) or not 3 <= len(row) <= 6:
            return "invalid point"
        if type(row[0]) is not int or not 0 <= row[0] < name_count:
            return "invalid name index"
        if type(row[1]) is not int or not 0 <= row[1] <= MAX_STEP:
            return "invalid step"
        if not _value_is_float(row[2]):
            return "invalid value"
        if len(row) > 3 and row[3] is not None and timestamp_us_problem(row[3]) is not None:
            return "invalid timestamp"
        if len(row) > 4 and row[4] is not None and not _is_uuid(row[4]):
            return "invalid msg_id"
        if len(row) > 5 and row[5] is not None and not isinstance(row[5], dict):
            return "invalid metadata"
    return None


def group_for_sending(bodies: Sequence[str]) -> list[list[tuple[int, str]]]:
    """(part number, body) groups that each fit one send_message_batch call."""
    groups: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    size = 0
    for number, body in enumerate(bodies):
        length = len(body.encode())
        if current and (len(current) == SQS_MAX_BATCH_ENTRIES or size + length > SQS_MAX_BYTES):
            groups.append(current)
            current, size = [], 0
        current.append((number, body))
        size += length
    if current:
        groups.append(current)
    return groups
