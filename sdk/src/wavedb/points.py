"""Logged values: checked in the training thread (cheaply), encoded in the background."""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, datetime
from typing import Any

MAX_NAME_LENGTH = 256
MAX_STEP = 2**53
MAX_BATCH_POINTS = 10_000
# Under the API's 1 MiB body limit, with room for the batch id.
MAX_BATCH_BYTES = 900_000
# A columnar batch (series of arrays) is sent gzip-compressed when large: the API takes up
# to 100,000 points, and 6 MiB once decompressed, in a body of at most 1 MiB. JSON numbers
# compress to under half their size, so 1.5 MB of them stay well under 1 MiB.
MAX_SERIES_BATCH_POINTS = 50_000
MAX_SERIES_BATCH_BYTES = 1_500_000

# The API's rule: letters, digits, _ - . / : and inner spaces (no space at either end).
_NAME_RE = re.compile(r"[\w\-./:](?:[\w\-./: ]*[\w\-./:])?")
_NON_FINITE = {math.inf: "Infinity", -math.inf: "-Infinity"}


def name_problem(name: object) -> str | None:
    """Why the API would refuse this metric name, or None."""
    if not isinstance(name, str) or not name:
        return "a metric name must be a non-empty string"
    if len(name) > MAX_NAME_LENGTH:
        return f"a metric name has at most {MAX_NAME_LENGTH} characters"
    if not _NAME_RE.fullmatch(name):
        if name != name.strip():
            return "a metric name may not begin or end with white space"
        return "a metric name may hold only letters, digits, spaces and _ - . / :"
    return None


def as_number(value: Any) -> float | int | None:
    """A loggable number from a Python, NumPy, PyTorch, JAX... scalar; None if it is none."""
    if isinstance(value, bool | str | bytes):
        return None
    try:
        number = float(value)  # 0-d arrays and one-element tensors convert too
    except (TypeError, ValueError, RuntimeError):
        return None
    return number


class _Timestamps:
    """RFC 3339 text of epoch seconds, exactly as `datetime.isoformat` writes it, with the
    part up to the second formatted once per second (this runs beside the training loop)."""

    def __init__(self) -> None:
        self._second = -1
        self._prefix = ""

    def __call__(self, seconds: float) -> str:
        fraction, whole = math.modf(seconds)
        micro = round(fraction * 1e6)  # rounds half to even, as datetime.fromtimestamp does
        second = int(whole)
        if micro >= 1_000_000:
            second, micro = second + 1, micro - 1_000_000
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        if micro:
            return f"{self._prefix}.{micro:06d}+00:00"
        return f"{self._prefix}+00:00"


def encode_points(entries: list[tuple[int, float, dict[str, float | int]]]) -> list[bytes]:
    """Logged entries (step, time, values) as JSON arrays of points, each within the API's
    per-batch limits. Written out directly (names encoded once): this runs beside the
    training loop, so its cost is the training loop's cost too."""
    batches: list[bytes] = []
    parts: list[str] = []
    size = 0
    names: dict[str, str] = {}
    timestamp = _Timestamps()
    for step, moment, values in entries:
        tail = f',"step":{step},"timestamp":"{timestamp(moment)}"}}'
        for name, value in values.items():
            encoded_name = names.get(name)
            if encoded_name is None:
                encoded_name = names[name] = '{"name":' + json.dumps(name) + ',"value":'
            if value != value:
                number = '"NaN"'
            elif value in _NON_FINITE:
                number = f'"{_NON_FINITE[value]}"'
            else:
                number = repr(value) if type(value) is float else str(int(value))
            point = encoded_name + number + tail
            parts.append(point)
            size += len(point) + 1
            if len(parts) >= MAX_BATCH_POINTS or size >= MAX_BATCH_BYTES:
                batches.append(("[" + ",".join(parts) + "]").encode())
                parts, size = [], 0
    if parts:
        batches.append(("[" + ",".join(parts) + "]").encode())
    return batches


def _number(value: float | int) -> str:
    if value != value:
        return '"NaN"'
    if value in _NON_FINITE:
        return f'"{_NON_FINITE[value]}"'
    return repr(value) if type(value) is float else str(int(value))


def _microseconds(seconds: float) -> str:
    """µs since the epoch, rounded as `datetime.fromtimestamp` rounds."""
    fraction, whole = math.modf(seconds)
    return str(int(whole) * 1_000_000 + round(fraction * 1e6))


def encode_series(
    entries: list[tuple[int, float, dict[str, float | int]]],
) -> list[tuple[bytes, int]]:
    """Logged entries (step, time, values) as JSON arrays of series (per metric name: steps,
    values and µs times, each name once), with their point counts, each batch within the
    API's limits. Written out directly: this runs beside the training loop."""
    batches: list[tuple[bytes, int]] = []
    columns: dict[str, tuple[list[str], list[str], list[str]]] = {}
    points = size = 0
    for step, moment, values in entries:
        step_text, time_text = str(step), _microseconds(moment)
        for name, value in values.items():
            series = columns.get(name)
            if series is None:
                series = columns[name] = ([], [], [])
                size += len(name) + 60
            number = _number(value)
            series[0].append(step_text)
            series[1].append(number)
            series[2].append(time_text)
            points += 1
            size += len(step_text) + len(number) + len(time_text) + 3
            if points >= MAX_SERIES_BATCH_POINTS or size >= MAX_SERIES_BATCH_BYTES:
                batches.append((_series_json(columns), points))
                columns, points, size = {}, 0, 0
    if columns:
        batches.append((_series_json(columns), points))
    return batches


def _series_json(columns: dict[str, tuple[list[str], list[str], list[str]]]) -> bytes:
    return (
        "["
        + ",".join(
            f'{{"name":{json.dumps(name)},"steps":[{",".join(steps)}],'
            f'"values":[{",".join(values)}],"timestamps_us":[{",".join(times)}]}}'
            for name, (steps, values, times) in columns.items()
        )
        + "]"
    ).encode()


def point_count(encoded: bytes) -> int:
    return encoded.count(b'"step":')
