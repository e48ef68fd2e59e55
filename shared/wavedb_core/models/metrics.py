"""Metrics: points in, summaries, series, downsampled buckets, results and ingest batches."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypedDict
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)

from wavedb_core.models.base import RequestModel, ResponseModel
from wavedb_core.models.numbers import MetricValue, MetricValueColumn, parse_metric_value
from wavedb_core.vocabulary import BatchStatus

MAX_POINTS_PER_BATCH = 10_000
MAX_STEP = 2**53
MAX_METRIC_NAME_LENGTH = 256
MAX_RESULTS_PER_REQUEST = 1_000
MAX_METADATA_BYTES = 16 * 1024
MAX_SERIES_BUCKETS = 5_000
DEFAULT_COMPARED_BUCKETS = 1_000
MAX_RAW_PAGE = 10_000
# History pages as columns: at most ~59 bytes of JSON per point (a 16-digit step, a
# 24-character value, a 16-digit time and separators), so a page stays under 4.8 MB,
# within Lambda's 6 MB response limit.
MAX_COLUMNS_PAGE = 80_000
DEFAULT_RAW_PAGE = 1_000
MAX_COMPARED_RUNS = 50

# A metric (or result) name: letters, digits, _ - . / : and spaces, neither beginning nor
# ending with a space (so never blank). One definition for every ingest path: `name_problem`
# (Python's `$` would accept a trailing newline: the whole name must match).
_NAME_CHARACTER = r"[\w\-./:]"
METRIC_NAME_PATTERN = rf"^{_NAME_CHARACTER}(?:[\w\-./: ]*{_NAME_CHARACTER})?$"  # for JSON Schema
METRIC_NAME_RE = re.compile(rf"{_NAME_CHARACTER}(?:[\w\-./: ]*{_NAME_CHARACTER})?")
BATCH_ID_PATTERN = r"^[A-Za-z0-9_.:\-]{1,64}$"
BATCH_ID_RE = re.compile(r"[A-Za-z0-9_.:\-]{1,64}")

# The times a point may carry: from the Unix epoch to before 2200, in UTC. Every clock that
# logs a training run is in it; its µs since the epoch are never negative, and any time in
# it stays a valid Python, PostgreSQL and JavaScript time in every time zone (so no stored
# point can make a read fail). Times outside it are refused on every ingest path.
EARLIEST_POINT_TIME = datetime(1970, 1, 1, tzinfo=UTC)
END_OF_POINT_TIMES = datetime(2200, 1, 1, tzinfo=UTC)  # exclusive
EARLIEST_POINT_US = 0
END_OF_POINT_TIMES_US = 7_258_118_400_000_000
POINT_TIME_RANGE = "from 1970-01-01T00:00:00Z to before 2200-01-01T00:00:00Z"

PointOrder = Literal["step_asc", "step_desc", "time_asc", "time_desc"]


def name_problem(name: object) -> str | None:
    """Why a metric (or result) name is refused, or None."""
    if not isinstance(name, str) or not name:
        return "must be a non-empty string"
    if len(name) > MAX_METRIC_NAME_LENGTH:
        return f"at most {MAX_METRIC_NAME_LENGTH} characters"
    if not METRIC_NAME_RE.fullmatch(name):
        if name != name.strip():
            return "may not begin or end with white space"
        return "only letters, digits, spaces and _ - . / : are allowed"
    return None


def timestamp_problem(moment: object) -> str | None:
    """Why a point's time is refused, or None."""
    if not isinstance(moment, datetime) or moment.tzinfo is None:
        return "must be a date-time with a time zone"
    if not EARLIEST_POINT_TIME <= moment < END_OF_POINT_TIMES:
        return f"must be {POINT_TIME_RANGE}"
    return None


def timestamp_us_problem(micros: object) -> str | None:
    """`timestamp_problem` of a time in µs since the epoch."""
    if type(micros) is not int or not EARLIEST_POINT_US <= micros < END_OF_POINT_TIMES_US:
        return f"must be {POINT_TIME_RANGE}"
    return None


def _checked_name(name: str) -> str:
    problem = name_problem(name)
    if problem is not None:
        raise ValueError(problem)
    return name


# The name in a request model: checked by `name_problem`, never stripped (a name with white
# space around it is refused, whichever route it came to).
MetricName = Annotated[
    str,
    StringConstraints(strip_whitespace=False),
    AfterValidator(_checked_name),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": MAX_METRIC_NAME_LENGTH,
            "pattern": METRIC_NAME_PATTERN,
        }
    ),
]
BatchId = Annotated[str, StringConstraints(pattern=BATCH_ID_PATTERN)]
Step = Annotated[int, Field(ge=0, le=MAX_STEP)]


# ---------------------------------------------------------------- service inputs


@dataclass(slots=True)
class PointIn:
    """One point to store. Without a timestamp, the time the batch was received is used."""

    name: str
    value: float
    step: int
    timestamp: datetime | None = None
    msg_id: UUID | None = None
    metadata: dict[str, Any] | None = None


@dataclass(frozen=True)
class ResultIn:
    """A final value of a run, stored once per name (a new value replaces the old one)."""

    name: str
    value: float
    msg_id: UUID | None = None
    metadata: dict[str, Any] | None = None


# ---------------------------------------------------------------- requests


class MetricPointBody(RequestModel):
    name: MetricName
    value: MetricValue
    step: Step
    timestamp: AwareDatetime | None = Field(
        default=None,
        description=f"RFC 3339 time of the point, {POINT_TIME_RANGE};"
        " default: when it was received.",
    )


_POINT_FIELDS = frozenset({"name", "value", "step", "timestamp"})


class PointProblem(ValueError):
    """A point that cannot be stored, and where it is (e.g. `points[17].value`)."""

    def __init__(self, location: str, problem: str) -> None:
        super().__init__(f"{location}: {problem}")
        self.location = location
        self.problem = problem


def _point_value(value: object) -> float:
    if type(value) is float:
        return value
    if type(value) is int:
        return float(value)  # OverflowError for huge integers
    parsed = parse_metric_value(value) if isinstance(value, str) else None
    if type(parsed) is not float:
        raise ValueError("must be a number (NaN and ±Infinity are allowed)")
    return parsed


def _point_timestamp(value: object) -> datetime:
    if not isinstance(value, str):
        raise ValueError("must be an RFC 3339 date-time string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as error:
        raise ValueError("must be an RFC 3339 date-time (e.g. 2026-01-01T00:00:00Z)") from error
    if moment.tzinfo is None:
        raise ValueError("must include a time zone (e.g. 2026-01-01T00:00:00Z)")
    problem = timestamp_problem(moment)
    if problem is not None:
        raise ValueError(problem)
    return moment


def _point_from_json(index: int, item: object, known_names: set[str]) -> PointIn:
    if type(item) is not dict:
        raise PointProblem(f"points[{index}]", "must be an object")
    if not item.keys() <= _POINT_FIELDS:
        unknown = sorted(str(key) for key in item.keys() - _POINT_FIELDS)[0]
        raise PointProblem(f"points[{index}].{unknown}", "unknown field")
    name = item.get("name")
    if type(name) is not str or name not in known_names:
        problem = "field required" if "name" not in item else name_problem(name)
        if problem is not None:
            raise PointProblem(f"points[{index}].name", problem)
        known_names.add(name)  # type: ignore[arg-type]
    field = "value"
    try:
        value = _point_value(item["value"])
        field = "step"
        step = item["step"]
        if type(step) is float and step.is_integer():
            step = int(step)  # JSON Schema's integer: 1.0 is one
        if type(step) is not int or not 0 <= step <= MAX_STEP:
            raise ValueError(f"must be an integer from 0 to {MAX_STEP}")
        field = "timestamp"
        stamp = item.get("timestamp")
        timestamp = None if stamp is None else _point_timestamp(stamp)
    except KeyError as error:
        raise PointProblem(f"points[{index}].{field}", "field required") from error
    except (ValueError, OverflowError) as error:
        raise PointProblem(f"points[{index}].{field}", str(error)) from error
    return PointIn(name, value, step, timestamp)  # type: ignore[arg-type]


def points_from_json(raw: object) -> list[PointIn]:
    """Points of a request body, checked in one pass (much faster than a model per point);
    PointProblem names the first bad one."""
    if not isinstance(raw, list):
        raise PointProblem("points", "must be a list of points")
    if not 1 <= len(raw) <= MAX_POINTS_PER_BATCH:
        raise PointProblem("points", f"1 to {MAX_POINTS_PER_BATCH} points")
    known_names: set[str] = set()
    return [_point_from_json(index, item, known_names) for index, item in enumerate(raw)]


def _names_and_values(schema: dict[str, Any]) -> None:
    """pydantic states a dict's key pattern as `patternProperties`, which lets keys that do
    not match through with any value; the document says what is taken: names that match,
    with numbers."""
    for pattern, value in schema.pop("patternProperties", {}).items():
        schema.setdefault("propertyNames", {})["pattern"] = pattern
        schema["additionalProperties"] = value


class ResultsRequest(RequestModel):
    results: dict[MetricName, MetricValue] = Field(
        min_length=1, max_length=MAX_RESULTS_PER_REQUEST, json_schema_extra=_names_and_values
    )

    @field_validator("results", mode="before")
    @classmethod
    def _object(cls, value: object) -> object:
        if not isinstance(value, dict):
            raise ValueError("results must be an object of name: value")
        return value


# ---------------------------------------------------------------- answers


class BatchReceipt(ResponseModel):
    """Where a batch of points stands: queued until every part is written."""

    batch_id: str
    status: BatchStatus
    point_count: int
    parts: int = Field(description="How many queue messages carry the batch.")
    parts_written: int
    error: str | None = None


class BatchAccepted(ResponseModel):
    batch_id: str
    status: BatchStatus
    point_count: int


class MetricSummaryView(ResponseModel):
    name: str
    count: int
    min: MetricValue | None = Field(description="Smallest value, NaN ignored.")
    max: MetricValue | None = Field(description="Largest value, NaN ignored.")
    last: MetricValue | None = Field(description="Value at the highest step (then latest time).")
    last_step: int | None
    first_step: int | None
    last_logged_at: datetime | None


class MetricSummaryList(ResponseModel):
    items: list[MetricSummaryView]


class PointView(ResponseModel):
    metric_id: int
    name: str
    step: int
    value: MetricValue
    logged_at: datetime
    msg_id: UUID | None = None
    metadata: dict[str, Any] | None = None


class ResultView(ResponseModel):
    name: str
    value: MetricValue
    logged_at: datetime
    msg_id: UUID | None = None
    metadata: dict[str, Any] | None = None


class ResultList(ResponseModel):
    items: list[ResultView]


class SeriesPoint(ResponseModel):
    step: int
    value: MetricValue
    timestamp: datetime


class RawSeriesPage(ResponseModel):
    """Raw points of one metric by step; a page never splits a step."""

    run_id: UUID
    name: str
    items: list[SeriesPoint]
    next_cursor: str | None


HistoryLayout = Literal["points", "columns"]


class PointColumns(ResponseModel):
    """Points as parallel arrays (entry i of each is point i), by step. Times are
    microseconds since the epoch; values are numbers, or "NaN", "Infinity", "-Infinity"."""

    steps: list[int]
    values: MetricValueColumn
    timestamps_us: list[int]


class RawSeriesColumnsPage(ResponseModel):
    """`layout=columns`: a page of raw points as arrays; a page never splits a step."""

    run_id: UUID
    name: str
    columns: PointColumns
    next_cursor: str | None


class SeriesBucket(ResponseModel):
    """The points whose step lies in [step_start, step_end]; buckets without points are left
    out. min and max ignore NaN; mean covers finite values only."""

    step_start: int
    step_end: int
    count: int
    min: MetricValue | None
    max: MetricValue | None
    mean: MetricValue | None
    last: MetricValue
    last_step: int
    last_logged_at: datetime | None = Field(
        description="When the bucket's latest point was logged (for a time axis)."
    )


SeriesLayout = Literal["buckets", "columns"]


class BucketColumns(ResponseModel):
    """The same buckets as parallel arrays (entry i of each array is bucket i): a third of
    the bytes, and no object per bucket to build or parse. Times are milliseconds since
    the epoch."""

    step_start: list[int]
    step_end: list[int]
    count: list[int]
    min: list[MetricValue | None]
    max: list[MetricValue | None]
    mean: list[MetricValue | None]
    last: list[MetricValue]
    last_step: list[int]
    last_logged_ms: list[int | None]


class DownsampledSeries(ResponseModel):
    run_id: UUID
    name: str
    step_min: int | None
    step_max: int | None
    bucket_width: int = Field(description="Steps per bucket (edges are multiples of it).")
    buckets: list[SeriesBucket]


class DownsampledSeriesColumns(ResponseModel):
    """`layout=columns`: the buckets as arrays."""

    run_id: UUID
    name: str
    step_min: int | None
    step_max: int | None
    bucket_width: int
    columns: BucketColumns


class RunSeries(ResponseModel):
    run_id: UUID
    buckets: list[SeriesBucket]


class RunSeriesColumns(ResponseModel):
    run_id: UUID
    columns: BucketColumns


class ComparedSeries(ResponseModel):
    """One metric of several runs over a shared step range, with aligned buckets."""

    name: str
    step_min: int | None
    step_max: int | None
    bucket_width: int
    series: list[RunSeries]


class ComparedSeriesColumns(ResponseModel):
    """`layout=columns`: each run's buckets as arrays."""

    name: str
    step_min: int | None
    step_max: int | None
    bucket_width: int
    series: list[RunSeriesColumns]


# ---------------------------------------------------------------- run summaries (JSON-ready)


class MetricDigest(TypedDict):
    last: float | str | None
    last_step: int | None
    min: float | str | None
    max: float | str | None
    count: int


class RunSummary(TypedDict):
    metrics: dict[str, MetricDigest]
    results: dict[str, float | str]
