"""Metric batches as SQS messages: compact JSON, split into parts under the SQS size limit.

A part's body:
    {"v": 1, "run": <uuid>, "batch": <id>, "part": i, "parts": n, "t": <received, µs>,
     "names": [name, ...], "points": [[name index, step, value, µs | null, msg_id, metadata], ...]}
Trailing nulls of a point are left out. Values keep NaN and ±Infinity exactly (Python's
JSON writes and reads `NaN`, `Infinity`, `-Infinity`; both ends are this module). Points
without a timestamp carry null and take "t", so that the same batch sent again splits into
the same parts.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from wavedb_core.models.metrics import (
    MAX_STEP,
    PointIn,
    name_problem,
    timestamp_us_problem,
)

FORMAT_VERSION = 1
# SQS accepts 256 KiB per message and per send_message_batch call.
SQS_MAX_BYTES = 256 * 1024
SQS_MAX_BATCH_ENTRIES = 10
PART_MAX_BYTES = SQS_MAX_BYTES - 4 * 1024  # room for the header and the message attributes
_HEADER_ALLOWANCE = 512

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

PointRow = list[Any]  # [name index, step, value, µs | None, msg_id | None, metadata | None]


class MalformedMessage(ValueError):
    """A queue message that is not a part of a metric batch."""


class InvalidPoints(MalformedMessage):
    """A part of a known batch holding a point no ingest path accepts (its batch can be
    marked failed: `part` has the header and no points)."""

    def __init__(self, problem: str, part: BatchPart) -> None:
        super().__init__(problem)
        self.part = part


def to_microseconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _dumps(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _canonical(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """Metadata with its keys in order, so that the same content always encodes the same."""
    if metadata is None:
        return None
    ordered: dict[str, Any] = json.loads(json.dumps(metadata, sort_keys=True))
    return ordered


def _row(point: PointIn, name_index: int) -> PointRow:
    row: PointRow = [
        name_index,
        point.step,
        float(point.value),
        None if point.timestamp is None else to_microseconds(point.timestamp),
        None if point.msg_id is None else str(point.msg_id),
        _canonical(point.metadata),
    ]
    while len(row) > 3 and row[-1] is None:
        row.pop()
    return row


@dataclass(frozen=True)
class _Chunk:
    names: str  # JSON
    rows: str  # JSON
    size: int


def _chunk(rows: list[PointRow], names: list[str]) -> _Chunk:
    """The rows with the names they use, re-indexed, encoded, and the encoded size."""
    used = sorted({row[0] for row in rows})
    if len(used) != len(names):
        index = {old: new for new, old in enumerate(used)}
        rows = [[index[row[0]], *row[1:]] for row in rows]
        names = [names[old] for old in used]
    encoded_rows, encoded_names = _dumps(rows), _dumps(names)
    size = len(encoded_rows.encode()) + len(encoded_names.encode()) + _HEADER_ALLOWANCE
    return _Chunk(encoded_names, encoded_rows, size)


def _split(
    rows: list[PointRow], names: list[str], limit: int, whole: _Chunk | None = None
) -> list[_Chunk]:
    chunk = whole or _chunk(rows, names)
    if chunk.size <= limit:
        return [chunk]
    if len(rows) == 1:
        raise ValueError("a single point does not fit in a queue message")
    pieces = min(len(rows), max(2, math.ceil(chunk.size / limit)))
    width = math.ceil(len(rows) / pieces)
    chunks: list[_Chunk] = []
    for start in range(0, len(rows), width):
        chunks.extend(_split(rows[start : start + width], names, limit))
    return chunks


@dataclass(frozen=True)
class EncodedBatch:
    """A batch's message bodies, and the SHA-256 of its content (its points, in order,
    whatever the parts and the time it was received), which tells a re-sent batch from
    another one sent with the same id."""

    bodies: list[str]
    digest: bytes


def encode_batch(
    run_id: UUID,
    batch_id: str,
    points: Sequence[PointIn],
    *,
    received_at: datetime,
    limit: int = PART_MAX_BYTES,
) -> list[str]:
    """The message bodies of a batch (one per part, each at most `limit` bytes)."""
    return encode(run_id, batch_id, points, received_at=received_at, limit=limit).bodies


def encode(
    run_id: UUID,
    batch_id: str | None,
    points: Sequence[PointIn],
    *,
    received_at: datetime,
    limit: int = PART_MAX_BYTES,
) -> EncodedBatch:
    """The batch's message bodies (one per part, each at most `limit` bytes) and its
    content digest. Without a batch id, the hex digest is the id."""
    names: list[str] = []
    index: dict[str, int] = {}
    rows: list[PointRow] = []
    append = rows.append
    for point in points:
        position = index.get(point.name)
        if position is None:
            position = index[point.name] = len(names)
            names.append(point.name)
        if point.msg_id is None and point.metadata is None:  # what SDKs send: no _row needed
            if point.timestamp is None:
                append([position, point.step, float(point.value)])
            else:
                append([position, point.step, float(point.value), to_microseconds(point.timestamp)])
        else:
            append(_row(point, position))
    whole = _chunk(rows, names)
    digest = hashlib.sha256(f"{whole.names}\n{whole.rows}".encode()).digest()
    chunks = _split(rows, names, limit, whole)
    if batch_id is None:
        batch_id = digest.hex()
    received = to_microseconds(received_at)
    bodies = []
    for number, chunk in enumerate(chunks):
        header = (
            f'{{"v":{FORMAT_VERSION},"run":"{run_id}","batch":{_dumps(batch_id)},'
            f'"part":{number},"parts":{len(chunks)},"t":{received},'
        )
        bodies.append(f'{header}"names":{chunk.names},"points":{chunk.rows}}}')
    return EncodedBatch(bodies, digest)


@dataclass(frozen=True)
class BatchPart:
    """One decoded part of a batch."""

    run_id: UUID
    batch_id: str
    part: int
    parts: int
    received_us: int
    names: list[str]
    points: list[PointRow]


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
    """A message body back into a part; MalformedMessage when it is not one."""
    try:
        message = json.loads(body)
    except (ValueError, TypeError) as error:
        raise MalformedMessage("the body is not JSON") from error
    _require(isinstance(message, dict), "the body is not an object")
    _require(message.get("v") == FORMAT_VERSION, "unknown format version")
    try:
        run_id = UUID(str(message["run"]))
        batch_id, part, parts = message["batch"], message["part"], message["parts"]
        received, names, points = message["t"], message["names"], message["points"]
    except (KeyError, ValueError) as error:
        raise MalformedMessage(f"missing or invalid field: {error}") from error
    _require(isinstance(batch_id, str) and 0 < len(batch_id) <= 64, "invalid batch id")
    _require(type(part) is int and type(parts) is int and 0 <= part < parts, "invalid part")
    _require(type(received) is int, "invalid receive time")
    _require(isinstance(names, list) and all(isinstance(n, str) for n in names), "invalid names")
    _require(isinstance(points, list) and len(points) > 0, "no points")
    header = BatchPart(run_id, batch_id, part, parts, received, names, [])
    problem = _points_problem(names, points, received)
    if problem is not None:
        raise InvalidPoints(problem, header)
    return BatchPart(run_id, batch_id, part, parts, received, names, points)


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
    """What makes the points unstorable, by the rules every ingest path applies (a message
    is written whole or not at all), or None."""
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
