"""Reading metrics: summaries, raw points, downsampled series (one run or several), results
and CSV export. Viewers and above may read; invisible runs answer 404."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Literal
from uuid import UUID

from wavedb_core.db.connection import Connection, get_connection
from wavedb_core.errors import ValidationFailed
from wavedb_core.models.metrics import (
    DEFAULT_RAW_PAGE,
    MAX_COMPARED_RUNS,
    BucketColumns,
    ComparedSeries,
    ComparedSeriesColumns,
    DownsampledSeries,
    DownsampledSeriesColumns,
    MetricSummaryView,
    PointView,
    RawSeriesPage,
    ResultView,
    RunSeries,
    RunSeriesColumns,
    SeriesBucket,
    SeriesLayout,
    SeriesPoint,
)
from wavedb_core.models.numbers import format_metric_value
from wavedb_core.pagination import decode_cursor, encode_cursor, malformed_cursor
from wavedb_core.principal import Principal
from wavedb_core.repositories import metric_points, rollups, run_metrics, run_results
from wavedb_core.repositories.rollups import BucketRow
from wavedb_core.repositories.run_metrics import MetricRow
from wavedb_core.services.access import READ, require_run
from wavedb_core.services.downsampling import BucketPlan, plan_buckets

PointOrder = Literal["step_asc", "step_desc", "time_asc", "time_desc"]

_CSV_COLUMNS = ("run_id", "name", "step", "value", "timestamp")


def metric_summaries(principal: Principal, run_id: UUID) -> list[MetricSummaryView]:
    """Every metric of the run with points, by name."""
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    return [_summary(metric) for metric in run_metrics.metrics_of_runs(connection, [run_id])]


def _summary(metric: MetricRow) -> MetricSummaryView:
    return MetricSummaryView(
        name=metric.name,
        count=metric.count,
        min=metric.min,
        max=metric.max,
        last=metric.last_value,
        last_step=metric.last_step,
        first_step=metric.first_step,
        last_logged_at=metric.last_logged_at,
    )


def read_points(
    principal: Principal,
    run_id: UUID,
    *,
    names: Sequence[str] | None = None,
    order: PointOrder = "step_asc",
    limit: int = DEFAULT_RAW_PAGE,
    offset: int = 0,
) -> list[PointView]:
    """Points of the run (all metrics, or the named ones), `limit` from `offset`."""
    if not 1 <= limit <= 100_000 or offset < 0:
        raise ValidationFailed("limit must be 1 to 100000 and offset at least 0")
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    rows = metric_points.read_points(
        connection, run_id, names=names, order=order, limit=limit, offset=offset
    )
    return [PointView.model_validate(row) for row in rows]


def read_results(principal: Principal, run_id: UUID) -> list[ResultView]:
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    rows = run_results.results_of_runs(connection, [run_id])
    return [ResultView.model_validate(row) for row in rows]


# ---------------------------------------------------------------- raw series


def raw_series(
    principal: Principal,
    run_id: UUID,
    name: str,
    *,
    limit: int,
    after_step: int | None = None,
    cursor: str | None = None,
    step_min: int | None = None,
    step_max: int | None = None,
) -> RawSeriesPage:
    """A page of raw points by step. A page never splits a step: it ends before a step
    that does not fit whole, or holds that one step whole when it alone exceeds `limit`."""
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    if cursor is not None:
        position = decode_cursor(cursor, required_keys=frozenset({"after_step"}))
        if not isinstance(position["after_step"], int):
            raise malformed_cursor()
        after_step = position["after_step"]
    if after_step is None:
        after_step = -1 if step_min is None else step_min - 1
    elif step_min is not None:
        after_step = max(after_step, step_min - 1)
    metric = run_metrics.metric_named(connection, run_id, name)
    if metric is None:
        return RawSeriesPage(run_id=run_id, name=name, items=[], next_cursor=None)
    rows = metric_points.points_after_step(
        connection, metric.id, after_step=after_step, step_max=step_max, limit=limit
    )
    next_cursor = None
    if len(rows) > limit:
        following = rows[limit].step
        rows = rows[:limit]
        if rows[-1].step == following:
            whole = [row for row in rows if row.step != following]
            rows = whole or metric_points.points_at_step(connection, metric.id, following)
        next_cursor = encode_cursor({"after_step": rows[-1].step})
    items = [SeriesPoint(step=row.step, value=row.value, timestamp=row.logged_at) for row in rows]
    return RawSeriesPage(run_id=run_id, name=name, items=items, next_cursor=next_cursor)


# ---------------------------------------------------------------- downsampled series


def _range(
    metrics: Sequence[MetricRow], step_min: int | None, step_max: int | None
) -> tuple[int, int] | None:
    firsts = [m.first_step for m in metrics if m.first_step is not None and m.count > 0]
    lasts = [m.last_step for m in metrics if m.last_step is not None and m.count > 0]
    low = step_min if step_min is not None else min(firsts, default=None)
    high = step_max if step_max is not None else max(lasts, default=None)
    if low is None or high is None or high < low:
        return None
    return low, high


def _bucket_rows(
    connection: Connection,
    metrics: Sequence[MetricRow],
    plan: BucketPlan,
    step_min: int,
    step_max: int,
) -> dict[int, list[BucketRow]]:
    ids = [metric.id for metric in metrics if metric.count > 0]
    by_metric: dict[int, list[BucketRow]] = {metric.id: [] for metric in metrics}
    if not ids:
        return by_metric
    if plan.level is None:
        rows = rollups.raw_buckets(
            connection, ids, step_min=step_min, step_max=step_max, width=plan.width
        )
    else:
        rows = rollups.rollup_buckets(
            connection,
            ids,
            level=plan.level,
            first_bucket=plan.first_unit,
            last_bucket=plan.last_unit,
            per_slot=plan.per_slot,
        )
    for row in rows:
        by_metric[row.metric_id].append(row)
    return by_metric


class _SeriesRead:
    """The buckets of some metrics over their shared step range, cut by one plan, in the
    answer's layout: one object per bucket, or parallel arrays."""

    def __init__(
        self,
        connection: Connection,
        metrics: Sequence[MetricRow],
        *,
        points: int,
        step_min: int | None,
        step_max: int | None,
    ) -> None:
        steps = _range(metrics, step_min, step_max)
        self.step_min: int | None = None
        self.step_max: int | None = None
        self.bucket_width = 1
        self._rows: dict[int, list[BucketRow]] = {}
        if steps is not None:
            self.step_min, self.step_max = self._steps = steps
            self._plan = plan_buckets(steps[0], steps[1], points)
            self.bucket_width = self._plan.width
            self._rows = _bucket_rows(connection, metrics, self._plan, *steps)

    def _edges(self, row: BucketRow) -> tuple[int, int]:
        start, end = self._plan.slot_edges(row.slot)
        if self._plan.level is None:  # raw points were read within the range only
            low, high = self._steps
            start, end = max(start, low), min(end, high)
        return start, end

    def buckets(self, metric_id: int | None) -> list[SeriesBucket]:
        # Straight from the database, with the types the model declares: built without
        # validation (a compare chart holds tens of thousands of buckets).
        buckets = []
        for row in self._rows.get(metric_id, []) if metric_id is not None else []:
            start, end = self._edges(row)
            buckets.append(
                SeriesBucket.model_construct(
                    step_start=start,
                    step_end=end,
                    count=row.point_count,
                    min=row.min,
                    max=row.max,
                    mean=_mean(row),
                    last=row.last_value,
                    last_step=row.last_step,
                    last_logged_at=row.last_logged_at,
                )
            )
        return buckets

    def columns(self, metric_id: int | None) -> BucketColumns:
        rows = self._rows.get(metric_id, []) if metric_id is not None else []
        edges = [self._edges(row) for row in rows]
        return BucketColumns.model_construct(
            step_start=[start for start, _ in edges],
            step_end=[end for _, end in edges],
            count=[row.point_count for row in rows],
            min=[row.min for row in rows],
            max=[row.max for row in rows],
            mean=[_mean(row) for row in rows],
            last=[row.last_value for row in rows],
            last_step=[row.last_step for row in rows],
            last_logged_ms=[
                None if row.last_logged_at is None else int(row.last_logged_at.timestamp() * 1000)
                for row in rows
            ],
        )


def _mean(row: BucketRow) -> float | None:
    return rollups.bucket_mean(row)


def downsampled_series(
    principal: Principal,
    run_id: UUID,
    name: str,
    *,
    points: int,
    step_min: int | None = None,
    step_max: int | None = None,
    layout: SeriesLayout = "buckets",
) -> DownsampledSeries | DownsampledSeriesColumns:
    """The metric in at most `points` buckets over the step range (default: all of it)."""
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    metric = run_metrics.metric_named(connection, run_id, name)
    metrics = [metric] if metric is not None else []
    read = _SeriesRead(connection, metrics, points=points, step_min=step_min, step_max=step_max)
    metric_id = metric.id if metric is not None else None
    if layout == "columns":
        return DownsampledSeriesColumns(
            run_id=run_id,
            name=name,
            step_min=read.step_min,
            step_max=read.step_max,
            bucket_width=read.bucket_width,
            columns=read.columns(metric_id),
        )
    return DownsampledSeries(
        run_id=run_id,
        name=name,
        step_min=read.step_min,
        step_max=read.step_max,
        bucket_width=read.bucket_width,
        buckets=read.buckets(metric_id),
    )


def compared_series(
    principal: Principal,
    run_ids: Sequence[UUID],
    name: str,
    *,
    points: int,
    step_min: int | None = None,
    step_max: int | None = None,
    layout: SeriesLayout = "buckets",
) -> ComparedSeries | ComparedSeriesColumns:
    """One metric of several runs over their shared step range, with the same buckets."""
    unique = list(dict.fromkeys(run_ids))
    if not 1 <= len(unique) <= MAX_COMPARED_RUNS:
        raise ValidationFailed(f"run_ids: 1 to {MAX_COMPARED_RUNS} runs")
    connection = get_connection()
    for run_id in unique:
        require_run(connection, principal, run_id, READ)
    metrics = run_metrics.metrics_named_in_runs(connection, unique, name)
    read = _SeriesRead(connection, metrics, points=points, step_min=step_min, step_max=step_max)
    metric_of_run = {metric.run_id: metric.id for metric in metrics}
    if layout == "columns":
        return ComparedSeriesColumns(
            name=name,
            step_min=read.step_min,
            step_max=read.step_max,
            bucket_width=read.bucket_width,
            series=[
                RunSeriesColumns(run_id=run_id, columns=read.columns(metric_of_run.get(run_id)))
                for run_id in unique
            ],
        )
    return ComparedSeries(
        name=name,
        step_min=read.step_min,
        step_max=read.step_max,
        bucket_width=read.bucket_width,
        series=[
            RunSeries.model_construct(
                run_id=run_id, buckets=read.buckets(metric_of_run.get(run_id))
            )
            for run_id in unique
        ],
    )


# ---------------------------------------------------------------- CSV


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def iter_points_csv(principal: Principal, run_id: UUID) -> Iterator[str]:
    """The run's points as CSV text in chunks (header first). Access is checked now, before
    the first chunk is asked for; rows are then read from a server-side cursor."""
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    return _csv_chunks(connection, run_id)


def _csv_chunks(connection: Connection, run_id: UUID) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_CSV_COLUMNS)
    yield buffer.getvalue()
    run = str(run_id)
    for rows in metric_points.stream_run_points(connection, run_id):
        buffer.seek(0)
        buffer.truncate()
        writer.writerows(
            (run, name, step, format_metric_value(value), _timestamp(logged_at))
            for name, step, value, logged_at in rows
        )
        yield buffer.getvalue()
