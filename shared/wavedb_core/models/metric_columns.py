"""Metric points as columns: a series' name once, then arrays of steps, values and times.

This is how points move from the API through the ingest queue to the worker. Both request
bodies (a list of points, or series of arrays) become the same columns, so the same points
make the same batch whichever way they were sent.

The checks work on whole arrays (the types an array holds, its smallest and largest
entry); only when an array is refused is it walked to name the first bad entry, e.g.
`series[2].values[17]`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, ConfigDict, Field, PlainValidator, model_validator

from wavedb_core.models.base import RequestModel
from wavedb_core.models.metrics import (
    END_OF_POINT_TIMES_US,
    MAX_POINTS_PER_BATCH,
    MAX_STEP,
    POINT_TIME_RANGE,
    BatchId,
    MetricName,
    MetricPointBody,
    PointIn,
    PointProblem,
    Step,
    name_problem,
    points_from_json,
    timestamp_problem,
)
from wavedb_core.models.numbers import MetricValue, parse_metric_value

# A columnar batch may hold more points than a list of points: it costs no object per point.
MAX_SERIES_POINTS_PER_BATCH = 100_000
MAX_SERIES_PER_BATCH = 10_000

_SERIES_FIELDS = frozenset({"name", "steps", "values", "timestamps_us", "timestamps"})
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NUMBER_TYPES = frozenset({float, int})


@dataclass(slots=True)
class SeriesColumns:
    """Points of one metric: entry i of each array is point i.

    `times_us` (µs since the epoch) is None when no point has a time (each then takes the
    time its batch was received), and holds None for a point without one. `msg_ids`
    (UUID text) and `metadata` are None unless some point carries one.
    """

    name: str
    steps: list[int]
    values: list[float]
    times_us: list[int | None] | None = None
    msg_ids: list[str | None] | None = None
    metadata: list[dict[str, Any] | None] | None = None

    def __len__(self) -> int:
        return len(self.steps)

    def sliced(self, start: int, stop: int) -> SeriesColumns:
        def cut(column: list[Any] | None) -> list[Any] | None:
            return None if column is None else column[start:stop]

        return SeriesColumns(
            self.name,
            self.steps[start:stop],
            self.values[start:stop],
            cut(self.times_us),
            cut(self.msg_ids),
            cut(self.metadata),
        )


def point_count(series: Sequence[SeriesColumns]) -> int:
    return sum(len(item.steps) for item in series)


def to_microseconds(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def canonical_metadata(metadata: dict[str, Any] | None) -> dict[str, Any] | None:
    """Metadata with its keys in order, so that the same content always encodes the same."""
    if metadata is None:
        return None
    ordered: dict[str, Any] = json.loads(json.dumps(metadata, sort_keys=True))
    return ordered


def columns_from_points(points: Sequence[PointIn]) -> list[SeriesColumns]:
    """The points grouped by name (in the order names first appear), in their order."""
    by_name: dict[str, SeriesColumns] = {}
    for point in points:
        series = by_name.get(point.name)
        if series is None:
            series = by_name[point.name] = SeriesColumns(point.name, [], [])
        position = len(series.steps)
        series.steps.append(point.step)
        series.values.append(float(point.value))
        if point.timestamp is not None:
            if series.times_us is None:
                series.times_us = [None] * position
            series.times_us.append(to_microseconds(point.timestamp))
        elif series.times_us is not None:
            series.times_us.append(None)
        if point.msg_id is not None:
            if series.msg_ids is None:
                series.msg_ids = [None] * position
            series.msg_ids.append(str(point.msg_id))
        elif series.msg_ids is not None:
            series.msg_ids.append(None)
        if point.metadata is not None:
            if series.metadata is None:
                series.metadata = [None] * position
            series.metadata.append(canonical_metadata(point.metadata))
        elif series.metadata is not None:
            series.metadata.append(None)
    return list(by_name.values())


# ---------------------------------------------------------------- request bodies


def _first_bad(where: str, column: list[Any], problem_of: Any) -> PointProblem:
    for index, entry in enumerate(column):
        problem = problem_of(entry)
        if problem is not None:
            return PointProblem(f"{where}[{index}]", problem)
    return PointProblem(where, "invalid")  # not reached: the caller saw a bad entry


def _step_problem(step: object) -> str | None:
    if type(step) is int and 0 <= step <= MAX_STEP:
        return None
    return f"must be an integer from 0 to {MAX_STEP}"


def _steps(where: str, raw: object) -> list[int]:
    if type(raw) is not list:
        raise PointProblem(where, "must be an array of steps")
    steps: list[int] = raw
    if not steps:
        return steps
    if set(map(type, steps)) <= {int} and min(steps) >= 0 and max(steps) <= MAX_STEP:
        return steps
    if float in set(map(type, steps)):  # JSON Schema's integer: 1.0 is one
        steps = [int(s) if type(s) is float and s.is_integer() else s for s in steps]
        if set(map(type, steps)) <= {int} and min(steps) >= 0 and max(steps) <= MAX_STEP:
            return steps
    raise _first_bad(where, steps, _step_problem)


def _value_problem(value: object) -> str | None:
    try:
        if type(value) is int:
            float(value)
            return None
        if type(value) is float or type(parse_metric_value(value)) is float:
            return None
    except (ValueError, OverflowError):
        return "out of range"
    return "must be a number, or one of the strings NaN, Infinity, -Infinity"


def _point_value(value: object) -> float:
    parsed = parse_metric_value(value) if type(value) is str else value
    assert type(parsed) is float or type(parsed) is int
    return float(parsed)


def _values(where: str, raw: object) -> list[float]:
    if type(raw) is not list:
        raise PointProblem(where, "must be an array of numbers")
    kinds = set(map(type, raw))
    try:
        if kinds <= _NUMBER_TYPES:
            return raw if kinds == {float} else list(map(float, raw))
        if kinds <= _NUMBER_TYPES | {str} and all(_value_problem(v) is None for v in raw):
            return [_point_value(v) for v in raw]
    except (ValueError, OverflowError):
        pass
    raise _first_bad(where, raw, _value_problem)


def _time_us_problem(micros: object) -> str | None:
    if type(micros) is int and 0 <= micros < END_OF_POINT_TIMES_US:
        return None
    return f"must be an integer of µs since the epoch, {POINT_TIME_RANGE}"


def _times_us(where: str, raw: object) -> list[int | None]:
    if type(raw) is not list:
        raise PointProblem(where, "must be an array of integers (µs since the epoch)")
    times: list[int | None] = raw
    if not raw:
        return times
    if set(map(type, raw)) <= {int} and min(raw) >= 0 and max(raw) < END_OF_POINT_TIMES_US:
        return times
    raise _first_bad(where, raw, _time_us_problem)


def _rfc3339_problem(value: object) -> str | None:
    if not isinstance(value, str):
        return "must be an RFC 3339 date-time string"
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return "must be an RFC 3339 date-time (e.g. 2026-01-01T00:00:00Z)"
    if moment.tzinfo is None:
        return "must include a time zone (e.g. 2026-01-01T00:00:00Z)"
    return timestamp_problem(moment)


def _rfc3339_times(where: str, raw: object) -> list[int | None]:
    if type(raw) is not list:
        raise PointProblem(where, "must be an array of RFC 3339 date-time strings")
    times: list[int | None] = []
    for index, value in enumerate(raw):
        problem = _rfc3339_problem(value)
        if problem is not None:
            raise PointProblem(f"{where}[{index}]", problem)
        times.append(to_microseconds(datetime.fromisoformat(value)))
    return times


def _series_from_json(index: int, item: object) -> SeriesColumns:
    where = f"series[{index}]"
    if type(item) is not dict:
        raise PointProblem(where, "must be an object")
    if not item.keys() <= _SERIES_FIELDS:
        unknown = sorted(str(key) for key in item.keys() - _SERIES_FIELDS)[0]
        raise PointProblem(f"{where}.{unknown}", "unknown field")
    for required in ("name", "steps", "values"):
        if required not in item:
            raise PointProblem(f"{where}.{required}", "field required")
    name = item["name"]
    problem = name_problem(name)
    if problem is not None:
        raise PointProblem(f"{where}.name", problem)
    steps = _steps(f"{where}.steps", item["steps"])
    if not steps:
        raise PointProblem(f"{where}.steps", "at least one point")
    values = _values(f"{where}.values", item["values"])
    if len(values) != len(steps):
        raise PointProblem(f"{where}.values", f"must hold {len(steps)} entries, as steps does")
    times: list[int | None] | None = None
    if item.get("timestamps_us") is not None and item.get("timestamps") is not None:
        raise PointProblem(f"{where}.timestamps", "send timestamps_us or timestamps, not both")
    if item.get("timestamps_us") is not None:
        times = _times_us(f"{where}.timestamps_us", item["timestamps_us"])
        field = "timestamps_us"
    elif item.get("timestamps") is not None:
        times = _rfc3339_times(f"{where}.timestamps", item["timestamps"])
        field = "timestamps"
    if times is not None and len(times) != len(steps):
        raise PointProblem(f"{where}.{field}", f"must hold {len(steps)} entries, as steps does")
    return SeriesColumns(name, steps, values, times)


def series_from_json(raw: object) -> list[SeriesColumns]:
    """The series of a columnar request body, checked array by array; PointProblem names
    the first bad entry."""
    if not isinstance(raw, list):
        raise PointProblem("series", "must be a list of series")
    if not 1 <= len(raw) <= MAX_SERIES_PER_BATCH:
        raise PointProblem("series", f"1 to {MAX_SERIES_PER_BATCH} series")
    series = [_series_from_json(index, item) for index, item in enumerate(raw)]
    if point_count(series) > MAX_SERIES_POINTS_PER_BATCH:
        raise PointProblem("series", f"at most {MAX_SERIES_POINTS_PER_BATCH} points in all")
    return series


class MetricSeriesBody(RequestModel):
    """The points of one metric as arrays of equal length: entry i of each is point i."""

    name: MetricName
    steps: list[Step] = Field(min_length=1, max_length=MAX_SERIES_POINTS_PER_BATCH)
    values: list[MetricValue] = Field(
        min_length=1,
        max_length=MAX_SERIES_POINTS_PER_BATCH,
        description="As many as steps: numbers, or the strings NaN, Infinity, -Infinity.",
    )
    timestamps_us: list[Annotated[int, Field(ge=0, lt=END_OF_POINT_TIMES_US)]] | None = Field(
        default=None,
        description="As many as steps: µs since the epoch (UTC). Default: when received.",
    )
    timestamps: list[AwareDatetime] | None = Field(
        default=None,
        description=f"Instead of timestamps_us: RFC 3339 times, {POINT_TIME_RANGE}.",
    )


def _one_body_shape(schema: dict[str, Any]) -> None:
    schema["oneOf"] = [{"required": ["points"]}, {"required": ["series"]}]


class MetricBatchRequest(RequestModel):
    """A batch of points: either `points` (one object per point) or `series` (per metric,
    arrays of steps, values and times: smaller, and much faster to check and store)."""

    model_config = ConfigDict(json_schema_extra=_one_body_shape)

    batch_id: BatchId = Field(
        description="Chosen by the client; a batch re-sent with the same id is stored once."
    )
    points: Annotated[
        list[PointIn] | None,
        PlainValidator(points_from_json, json_schema_input_type=list[MetricPointBody]),
    ] = Field(
        default=None,
        description=f"1 to {MAX_POINTS_PER_BATCH} points.",
        # Checked by points_from_json; stated here so the document says it too.
        json_schema_extra={"minItems": 1, "maxItems": MAX_POINTS_PER_BATCH},
    )
    series: Annotated[
        list[SeriesColumns] | None,
        PlainValidator(series_from_json, json_schema_input_type=list[MetricSeriesBody]),
    ] = Field(
        default=None,
        description=f"1 to {MAX_SERIES_PER_BATCH} series, {MAX_SERIES_POINTS_PER_BATCH}"
        " points in all; the arrays of a series are of equal length.",
        json_schema_extra={"minItems": 1, "maxItems": MAX_SERIES_PER_BATCH},
    )

    @model_validator(mode="after")
    def _points_or_series(self) -> MetricBatchRequest:
        if (self.points is None) == (self.series is None):
            raise ValueError("send either points or series")
        return self


@dataclass(frozen=True, slots=True)
class StoredColumns:
    """Stored points of one metric as they are read back: consecutive points by step (then
    time), entry i of each array being point i, times in µs since the epoch. A metric's
    points may come in several consecutive blocks."""

    name: str
    steps: list[int]
    values: list[float]
    times_us: list[int]

    def __len__(self) -> int:
        return len(self.steps)
