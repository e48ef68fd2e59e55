"""Reading metrics: summaries, raw points, downsampled series (one run or several), results
and CSV export. Viewers and above may read; invisible runs answer 404."""

from __future__ import annotations

import bisect
import contextlib
import heapq
import itertools
from collections.abc import Generator, Iterator, Sequence
from typing import Literal, TypedDict
from uuid import UUID

from wavedb_core.db.connection import Connection, get_connection
from wavedb_core.errors import ValidationFailed
from wavedb_core.models.metric_columns import StoredColumns
from wavedb_core.models.metrics import (
    DEFAULT_RAW_PAGE,
    MAX_COLUMNS_PAGE,
    MAX_COMPARED_RUNS,
    MAX_RAW_PAGE,
    BucketColumns,
    ComparedSeries,
    ComparedSeriesColumns,
    DownsampledSeries,
    DownsampledSeriesColumns,
    HistoryLayout,
    MetricSummaryView,
    PointColumns,
    PointView,
    RawSeriesColumnsPage,
    RawSeriesPage,
    ResultView,
    RunSeries,
    RunSeriesColumns,
    SeriesBucket,
    SeriesLayout,
    SeriesPoint,
)
from wavedb_core.pagination import decode_cursor, encode_cursor, malformed_cursor
from wavedb_core.principal import Principal
from wavedb_core.repositories import rollups, run_metrics, run_results, series_points
from wavedb_core.repositories.rollups import BucketRow
from wavedb_core.repositories.run_metrics import MetricRow
from wavedb_core.services import csv_exports, series_reader
from wavedb_core.services.access import READ, require_run
from wavedb_core.services.chunk_codec import Columns
from wavedb_core.services.downsampling import BucketPlan, plan_buckets

PointOrder = Literal["step_asc", "step_desc", "time_asc", "time_desc"]


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
    """Points of the run (all metrics, or the named ones), `limit` from `offset`, with the
    msg_id and metadata compatibility clients logged them with."""
    if not 1 <= limit <= 100_000 or offset < 0:
        raise ValidationFailed("limit must be 1 to 100000 and offset at least 0")
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    with series_points.one_snapshot(connection):
        metrics = [
            metric
            for metric in run_metrics.metrics_of_runs(connection, [run_id])
            if names is None or metric.name in names
        ]
        sources = series_points.series_sources(connection, [metric.id for metric in metrics])
        with contextlib.closing(
            _run_points(connection, metrics, sources, descending=order == "step_desc")
        ) as everything:
            if order in ("step_asc", "step_desc"):
                page = list(itertools.islice(everything, offset, offset + limit))
            else:
                newest = order == "time_desc"
                page = heapq.nsmallest(
                    offset + limit,
                    everything,
                    key=lambda point: (
                        (-point[4], point[1], -point[2])
                        if newest
                        else (point[4], point[1], point[2])
                    ),
                )[offset:]
        return _with_extras(connection, page)


_RunPoint = tuple[int, str, int, float, int]  # metric id, name, step, value, logged µs


def _run_points(
    connection: Connection,
    metrics: Sequence[MetricRow],
    sources: dict[int, series_points.SeriesSource],
    *,
    descending: bool,
) -> Generator[_RunPoint]:
    """Every point of the metrics, by name then step (descending: highest step first)."""
    for metric in sorted(metrics, key=lambda metric: metric.name):
        source = sources.get(metric.id)
        if source is None:
            continue
        for batch in series_reader.iter_points(connection, source, descending=descending):
            for step, value, logged_us in zip(
                batch.steps, batch.values, batch.times_us, strict=True
            ):
                yield metric.id, metric.name, step, value, logged_us


def _with_extras(connection: Connection, page: Sequence[_RunPoint]) -> list[PointView]:
    steps_of: dict[int, list[int]] = {}
    for metric_id, _, step, _, _ in page:
        steps_of.setdefault(metric_id, []).append(step)
    extras = {
        metric_id: series_points.point_extras(connection, metric_id, steps)
        for metric_id, steps in steps_of.items()
    }
    views = []
    for metric_id, name, step, value, logged_us in page:
        by_step, by_time = extras[metric_id]
        found = by_time.get((step, logged_us)) or by_step.get(step)
        views.append(
            PointView.model_construct(
                metric_id=metric_id,
                name=name,
                step=step,
                value=value,
                logged_at=series_reader.time_of(logged_us),
                msg_id=None if found is None else found.msg_id,
                metadata=None if found is None else found.metadata,
            )
        )
    return views


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
    layout: HistoryLayout = "points",
) -> RawSeriesPage | RawSeriesColumnsPage:
    """A page of raw points by step, one object each (`points`) or as arrays (`columns`).
    A page never splits a step: it ends before a step that does not fit whole, or holds
    that one step whole when it alone exceeds `limit`."""
    most = MAX_RAW_PAGE if layout == "points" else MAX_COLUMNS_PAGE
    if not 1 <= limit <= most:
        raise ValidationFailed(
            f"limit: 1 to {most} points per page in the {layout} layout",
            details=[{"location": "query.limit", "message": f"at most {most}"}],
        )
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
        points, following = Columns([], [], []), False
    else:
        with series_points.one_snapshot(connection):
            source = series_points.series_sources(connection, [metric.id])[metric.id]
            with contextlib.closing(
                series_reader.iter_points(
                    connection,
                    source,
                    after_step + 1,
                    step_max if step_max is not None else series_points.LAST_STEP,
                )
            ) as batches:
                points, following = _page_of_whole_steps(batches, limit)
    next_cursor = encode_cursor({"after_step": points.steps[-1]}) if following else None
    if layout == "columns":
        return RawSeriesColumnsPage.model_construct(
            run_id=run_id,
            name=name,
            columns=PointColumns.model_construct(
                steps=points.steps, values=points.values, timestamps_us=points.times_us
            ),
            next_cursor=next_cursor,
        )
    items = [
        SeriesPoint.model_construct(step=step, value=value, timestamp=series_reader.time_of(us))
        for step, value, us in zip(points.steps, points.values, points.times_us, strict=True)
    ]
    return RawSeriesPage.model_construct(
        run_id=run_id, name=name, items=items, next_cursor=next_cursor
    )


def _page_of_whole_steps(batches: Iterator[Columns], limit: int) -> tuple[Columns, bool]:
    """Up to `limit` points from sorted batches, never splitting a step: the page ends
    before a step that does not fit whole, or holds that one step whole when it alone
    exceeds `limit`. Answers the page and whether points follow it."""
    steps: list[int] = []
    values: list[float] = []
    times: list[int] = []
    lone_step: int | None = None  # set while one step fills the page beyond `limit`
    for batch in batches:
        if lone_step is not None:
            end = bisect.bisect_right(batch.steps, lone_step)
        else:
            end = max(0, limit - len(steps))
        steps += batch.steps[:end]
        values += batch.values[:end]
        times += batch.times_us[:end]
        if end >= len(batch):
            continue
        following = batch.steps[end]
        if lone_step is not None or steps[-1] != following:
            return Columns(steps, values, times), True
        cut = bisect.bisect_left(steps, following)
        if cut > 0:
            return Columns(steps[:cut], values[:cut], times[:cut]), True
        lone_step = following  # the page is this one step: read all of it
        rest = batch.slice(end, len(batch))
        more = bisect.bisect_right(rest.steps, lone_step)
        steps += rest.steps[:more]
        values += rest.values[:more]
        times += rest.times_us[:more]
        if more < len(rest):
            return Columns(steps, values, times), True
    return Columns(steps, values, times), False


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
) -> tuple[dict[int, list[BucketRow]], dict[tuple[int, int], int]]:
    """Each metric's buckets: from its chunks (points, block summaries or chunk aggregates,
    whichever is the coarsest finer than a bucket) or, for a series without chunks, from
    the legacy rollups (or legacy rows for short ranges). Answers the buckets by metric and
    the first step of each bucket read from chunks, by (metric id, slot)."""
    ids = [metric.id for metric in metrics if metric.count > 0]
    by_metric: dict[int, list[BucketRow]] = {metric.id: [] for metric in metrics}
    first_steps: dict[tuple[int, int], int] = {}
    if not ids:
        return by_metric, first_steps
    sources = series_points.series_sources(connection, ids)
    chunked = {metric_id for metric_id, source in sources.items() if source.has_chunks}
    for metric_id in chunked:
        buckets = series_reader.chart_buckets(
            connection,
            sources[metric_id],
            first_step=step_min,
            last_step=step_max,
            width=plan.width,
        )
        by_metric[metric_id] = [bucket.row for bucket in buckets]
        first_steps.update(((metric_id, b.row.slot), b.first_step) for b in buckets)
    legacy = [metric_id for metric_id in ids if metric_id not in chunked]
    if not legacy:
        return by_metric, first_steps
    if plan.level is None:
        rows = rollups.raw_buckets(
            connection, legacy, step_min=step_min, step_max=step_max, width=plan.width
        )
    else:
        rows = rollups.rollup_buckets(
            connection,
            legacy,
            level=plan.level,
            first_bucket=plan.first_unit,
            last_bucket=plan.last_unit,
            per_slot=plan.per_slot,
        )
    for row in rows:
        by_metric[row.metric_id].append(row)
    return by_metric, first_steps


class _Extent(TypedDict):
    """What every downsampled answer says of its buckets: the steps they cover (None
    without points) and how many steps each spans."""

    step_min: int | None
    step_max: int | None
    bucket_width: int


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
        self.extent = _Extent(step_min=None, step_max=None, bucket_width=1)
        self._rows: dict[int, list[BucketRow]] = {}
        self._first_steps: dict[tuple[int, int], int] = {}
        if steps is not None:
            self._steps = steps
            self._plan = plan_buckets(steps[0], steps[1], points)
            self.extent = _Extent(
                step_min=steps[0], step_max=steps[1], bucket_width=self._plan.width
            )
            with series_points.one_snapshot(connection):
                self._rows, self._first_steps = _bucket_rows(
                    connection, metrics, self._plan, *steps
                )

    def _edges(self, row: BucketRow) -> tuple[int, int]:
        first = self._first_steps.get((row.metric_id, row.slot))
        if first is not None:  # from chunks: the steps its points lie between
            return first, row.last_step
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
            **read.extent,
            columns=read.columns(metric_id),
        )
    return DownsampledSeries(
        run_id=run_id,
        name=name,
        **read.extent,
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
            **read.extent,
            series=[
                RunSeriesColumns(run_id=run_id, columns=read.columns(metric_of_run.get(run_id)))
                for run_id in unique
            ],
        )
    return ComparedSeries(
        name=name,
        **read.extent,
        series=[
            RunSeries.model_construct(
                run_id=run_id, buckets=read.buckets(metric_of_run.get(run_id))
            )
            for run_id in unique
        ],
    )


# ---------------------------------------------------------------- whole runs


def stream_stored_columns(
    connection: Connection,
    run_id: UUID,
    *,
    names: Sequence[str] | None = None,
    step_min: int | None = None,
    step_max: int | None = None,
) -> Iterator[StoredColumns]:
    """Every stored point of the run (all metrics, or those named; within the step range)
    as columns, by name, then step, in blocks of bounded size (one chunk batch or page of
    legacy rows each): the one read that CSV answers and export jobs take points from. The
    caller has checked access."""
    metrics = run_metrics.metrics_of_runs(connection, [run_id])
    if names is not None:
        wanted = set(names)
        metrics = [metric for metric in metrics if metric.name in wanted]
    sources = series_points.series_sources(connection, [metric.id for metric in metrics])
    first = series_points.FIRST_STEP if step_min is None else step_min
    last = series_points.LAST_STEP if step_max is None else step_max
    for metric in sorted(metrics, key=lambda metric: metric.name):
        source = sources.get(metric.id)
        if source is None:
            continue
        for batch in series_reader.iter_points(connection, source, first, last):
            yield StoredColumns(metric.name, batch.steps, batch.values, batch.times_us)


def first_step_from(connection: Connection, run_id: UUID, step: int) -> int | None:
    """The lowest step at or after `step` holding a point of any metric of the run."""
    metrics = run_metrics.metrics_of_runs(connection, [run_id])
    sources = series_points.series_sources(connection, [metric.id for metric in metrics])
    firsts: list[int] = []
    for source in sources.values():
        with contextlib.closing(series_reader.iter_points(connection, source, step)) as points:
            batch = next(points, None)
        if batch is not None:
            firsts.append(batch.steps[0])
    return min(firsts, default=None)


_BLOCK_POINTS = 10_000


def csv_answer_bytes(principal: Principal, run_id: UUID) -> int:
    """An upper bound of the size of the run's CSV as a Lambda answer carries it (JSON
    text: quotes and line ends escaped), from the metric summaries alone."""
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    return csv_exports.long_csv_answer_bound(
        str(run_id),
        [
            (metric.name, metric.count)
            for metric in run_metrics.metrics_of_runs(connection, [run_id])
        ],
    )


# ---------------------------------------------------------------- CSV


def iter_points_csv(principal: Principal, run_id: UUID) -> Iterator[bytes]:
    """The run's points as CSV (header first) in chunks of bytes. Access is checked now,
    before the first chunk is asked for; points are then streamed."""
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    return _csv_in_one_snapshot(connection, run_id)


def _csv_in_one_snapshot(connection: Connection, run_id: UUID) -> Iterator[bytes]:
    with series_points.one_snapshot(connection):  # one view, however long the export
        yield from csv_exports.long_csv(str(run_id), stream_stored_columns(connection, run_id))
