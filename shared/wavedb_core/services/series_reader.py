"""A series' points as one stream, wherever they are stored (docs/columnar-store.md):
chunks, legacy rows of a series not yet converted, or both while it is being converted.

`iter_points` yields sorted batches of columns (one chunk's points, or one page of legacy
rows), so a reader of any length holds one batch at a time. Where chunks and legacy rows
are read together, a step in both keeps the point logged last (chunk_codec.merge_latest:
the chunk's on equal times). A series without chunks reads as it always has: every legacy
row, a step logged twice included.

`chart_buckets` aggregates a chunked series per bucket from the coarsest source finer
than a bucket: decoded points, block summaries or chunk aggregates.
"""

from __future__ import annotations

import math
from bisect import bisect_left, bisect_right
from collections.abc import Generator, Iterator, Sequence
from datetime import UTC, datetime, timedelta
from typing import NamedTuple

from wavedb_core.db.connection import Connection
from wavedb_core.repositories import series_points
from wavedb_core.repositories.metric_chunks import StoredChunk
from wavedb_core.repositories.rollups import BucketRow
from wavedb_core.repositories.series_points import LegacyPoint, SeriesSource
from wavedb_core.services.chunk_codec import (
    BLOCK_POINTS,
    CHUNK_POINTS,
    LARGE_SUM,
    SUM_SCALE,
    Columns,
    aggregate,
    decode_blocks,
    decode_column,
    merge_latest,
)

LEGACY_PAGE = 10_000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_EARLIEST = datetime.min.replace(tzinfo=UTC)
_LATEST = datetime.max.replace(tzinfo=UTC)


def time_of(logged_us: int) -> datetime:
    """A logged time in µs since the epoch as a datetime, exactly (clamped to the years
    Python holds)."""
    try:
        return _EPOCH + timedelta(microseconds=logged_us)
    except OverflowError:
        return _EARLIEST if logged_us < 0 else _LATEST


# ---------------------------------------------------------------- point streams


def iter_points(
    connection: Connection,
    source: SeriesSource,
    first_step: int = series_points.FIRST_STEP,
    last_step: int = series_points.LAST_STEP,
    *,
    descending: bool = False,
) -> Generator[Columns]:
    """The series' points with first_step <= step <= last_step, in non-empty batches by
    step (descending: highest step first, each batch in that order too)."""
    if not source.has_chunks:
        yield from _legacy_rows(connection, source, first_step, last_step, descending=descending)
        return
    chunked = _chunk_points(connection, source, first_step, last_step, descending=descending)
    if not source.reads_legacy:
        yield from chunked
        return
    legacy = _legacy_latest(
        connection, source, max(first_step, source.legacy_after + 1), last_step, descending
    )
    if not descending:
        yield from _merged(legacy, chunked)
        return
    for batch in _merged(_negated(legacy), _negated(chunked)):
        yield _negated_batch(batch)


def _chunk_points(
    connection: Connection,
    source: SeriesSource,
    first_step: int,
    last_step: int,
    *,
    descending: bool,
) -> Iterator[Columns]:
    for batch in series_points.chunk_batches(
        connection, source.metric_id, first_step, last_step, descending=descending
    ):
        for chunk in batch:
            points = chunk.decoded()
            if chunk.first_step < first_step or chunk.last_step > last_step:
                points = points.slice(
                    bisect_left(points.steps, first_step), bisect_right(points.steps, last_step)
                )
            if points:
                yield _reversed(points) if descending else points


def _reversed(points: Columns) -> Columns:
    return Columns(points.steps[::-1], points.values[::-1], points.times_us[::-1])


def _legacy_columns(rows: Sequence[LegacyPoint]) -> Columns:
    return Columns([r.step for r in rows], [r.value for r in rows], [r.logged_us for r in rows])


def _legacy_latest(
    connection: Connection, source: SeriesSource, first_step: int, last_step: int, descending: bool
) -> Iterator[Columns]:
    """Legacy rows, one per step (the one logged last), a page at a time."""
    pages = _legacy_pages(
        connection, source, first_step - 1, last_step, latest_only=True, descending=descending
    )
    return (_legacy_columns(rows) for rows in pages)


def _legacy_rows(
    connection: Connection,
    source: SeriesSource,
    first_step: int,
    last_step: int,
    *,
    descending: bool,
) -> Iterator[Columns]:
    """Every legacy row (a step logged twice too), a page of whole steps at a time."""
    pages = _legacy_pages(
        connection,
        source,
        max(first_step - 1, source.legacy_after),
        last_step,
        latest_only=False,
        descending=descending,
    )
    return (_legacy_columns(rows) for rows in pages)


def _legacy_pages(
    connection: Connection,
    source: SeriesSource,
    low: int,
    high: int,
    *,
    latest_only: bool,
    descending: bool,
) -> Iterator[list[LegacyPoint]]:
    """The legacy rows with low < step <= high in non-empty pages, by step. `latest_only`:
    one row per step (see series_points.legacy_points); without it every row, a page
    ending at a whole step."""
    while low < high:
        rows = series_points.legacy_points(
            connection,
            source.metric_id,
            after_step=low,
            through_step=high,
            limit=LEGACY_PAGE,
            latest_only=latest_only,
            descending=descending,
        )
        full = len(rows) == LEGACY_PAGE
        if full and not latest_only:
            edge = rows[-1].step
            whole = [row for row in rows if row.step != edge]
            if not whole:  # one step holds a whole page: read that step alone
                whole = series_points.legacy_points(
                    connection,
                    source.metric_id,
                    after_step=edge - 1,
                    through_step=edge,
                    limit=2**62,
                    latest_only=False,
                    descending=descending,
                )
            rows = whole
        if rows:
            yield rows
        if not full:
            return
        if descending:
            high = rows[-1].step - 1
        else:
            low = rows[-1].step


def _merged(older: Iterator[Columns], newer: Iterator[Columns]) -> Iterator[Columns]:
    """Two ascending streams with distinct steps as one: at a step in both, the point
    logged later wins, the newer stream's on equal times."""
    old, new = next(older, None), next(newer, None)
    while old is not None and new is not None:
        bound = min(old.steps[-1], new.steps[-1])
        old_end, new_end = bisect_right(old.steps, bound), bisect_right(new.steps, bound)
        yield merge_latest(old.slice(0, old_end), new.slice(0, new_end))
        old = old.slice(old_end, len(old)) if old_end < len(old) else next(older, None)
        new = new.slice(new_end, len(new)) if new_end < len(new) else next(newer, None)
    rest, stream = (old, older) if old is not None else (new, newer)
    while rest is not None:
        yield rest
        rest = next(stream, None)


def _negated_batch(points: Columns) -> Columns:
    return Columns([-step for step in points.steps], points.values, points.times_us)


def _negated(batches: Iterator[Columns]) -> Iterator[Columns]:
    """A descending stream as an ascending one (steps negated), and back."""
    for batch in batches:
        yield _negated_batch(batch)


# ---------------------------------------------------------------- chart buckets


class ChartBucket(NamedTuple):
    """An output bucket of a chunked series and the first step it holds: with the row's
    last_step, the steps its points lie between (a bucket holds whole blocks or chunks,
    which may reach past its slot's edges)."""

    row: BucketRow
    first_step: int


class _Bucket:
    """Aggregates of one output bucket, added up from points, blocks or chunks."""

    __slots__ = (
        "count",
        "finite",
        "first_step",
        "high",
        "large",
        "last_step",
        "last_us",
        "last_value",
        "low",
        "small",
    )

    def __init__(self) -> None:
        self.count = 0
        self.finite = 0
        self.small: float | None = None
        self.large: float | None = None
        self.low: float | None = None
        self.high: float | None = None
        self.first_step = series_points.LAST_STEP
        self.last_step = series_points.FIRST_STEP
        self.last_value = math.nan
        self.last_us = 0

    def add(
        self,
        first_step: int,
        count: int,
        finite: int,
        small: float | None,
        large: float | None,
        low: float | None,
        high: float | None,
        last_step: int,
        last_value: float,
        last_us: int,
    ) -> None:
        self.first_step = min(self.first_step, first_step)
        self.count += count
        self.finite += finite
        if small is not None:
            self.small = small if self.small is None else self.small + small
        if large is not None:
            self.large = large if self.large is None else self.large + large
        if low is not None and (self.low is None or low < self.low):
            self.low = low
        if high is not None and (self.high is None or high > self.high):
            self.high = high
        if last_step >= self.last_step:
            self.last_step, self.last_value = last_step, last_value
        self.last_us = max(self.last_us, last_us)

    def row(self, metric_id: int, slot: int) -> ChartBucket:
        small, large = self.small, self.large
        if small is not None and abs(small) >= LARGE_SUM:
            large, small = (large or 0.0) + small * SUM_SCALE, None
        row = BucketRow(
            metric_id,
            slot,
            self.count,
            self.finite,
            small,
            large,
            self.low,
            self.high,
            self.last_step,
            self.last_value,
            time_of(self.last_us),
        )
        return ChartBucket(row, self.first_step)


class _Buckets:
    """Output buckets by slot (slot = step div width)."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.slots: dict[int, _Bucket] = {}

    def bucket(self, step: int) -> _Bucket:
        slot = step // self.width
        found = self.slots.get(slot)
        if found is None:
            found = self.slots[slot] = _Bucket()
        return found

    def add_points(self, points: Columns) -> None:
        """Sorted points (a step may repeat), a slice per bucket: builtins do the work."""
        steps, start = points.steps, 0
        while start < len(steps):
            bucket = self.bucket(steps[start])
            end = bisect_left(steps, (steps[start] // self.width + 1) * self.width, start)
            values = points.values[start:end]
            totals = aggregate(values)
            bucket.add(
                steps[start],
                totals.count,
                totals.finite_count,
                totals.sum,
                totals.large_sum_scaled,
                totals.min,
                totals.max,
                steps[end - 1],
                values[-1],
                max(points.times_us[start:end]),
            )
            start = end

    def add_chunk(self, chunk: StoredChunk, first_step: int, last_step: int) -> None:
        """A chunk's points within first_step..last_step. Consecutive steps logged in order
        (what training loops write) need neither a step nor a time per point: slices of
        the decoded arrays per bucket, and each bucket's last time as a sum of deltas."""
        deltas = decode_column("q", chunk.logged).tolist()
        if chunk.steps is not None or (deltas and min(deltas) < 0):
            points = chunk.decoded()
            self.add_points(
                points.slice(
                    bisect_left(points.steps, first_step), bisect_right(points.steps, last_step)
                )
            )
            return
        values = decode_column("d", chunk.vals).tolist()
        start = max(0, first_step - chunk.first_step)
        stop = min(chunk.points, last_step - chunk.first_step + 1)
        logged_us = chunk.first_us + sum(deltas[:start])  # the time of the point at `start`
        while start < stop:
            step = chunk.first_step + start
            end = min(stop, (step // self.width + 1) * self.width - chunk.first_step)
            totals = aggregate(values[start:end])
            logged_us += sum(deltas[start : end - 1])  # now the time of the point at end - 1
            self.bucket(step).add(
                step,
                totals.count,
                totals.finite_count,
                totals.sum,
                totals.large_sum_scaled,
                totals.min,
                totals.max,
                chunk.first_step + end - 1,
                totals.last_value,
                logged_us,
            )
            if end - 1 < len(deltas):
                logged_us += deltas[end - 1]
            start = end

    def rows(self, metric_id: int) -> list[ChartBucket]:
        return [self.slots[slot].row(metric_id, slot) for slot in sorted(self.slots)]


def chart_buckets(
    connection: Connection, source: SeriesSource, *, first_step: int, last_step: int, width: int
) -> list[ChartBucket]:
    """The buckets (slot = step div width) of a series with chunks over the steps, from the
    coarsest source finer than a bucket; a series being converted reads its points."""
    buckets = _Buckets(width)
    if source.converting and series_points.has_legacy_points(
        connection,
        source.metric_id,
        after_step=max(first_step - 1, source.legacy_after),
        through_step=last_step,
    ):
        for points in iter_points(connection, source, first_step, last_step):
            buckets.add_points(points)
        return buckets.rows(source.metric_id)
    stored = series_points.chunk_points_between(connection, source.metric_id, first_step, last_step)
    slots = max(1, last_step // width - first_step // width + 1)
    per_bucket = stored.points / slots
    if per_bucket < BLOCK_POINTS:
        for batch in series_points.chunk_batches(
            connection, source.metric_id, first_step, last_step
        ):
            for chunk in batch:
                buckets.add_chunk(chunk, first_step, last_step)
        return buckets.rows(source.metric_id)
    # Whole chunks from their aggregates or blocks; chunks across the range's edges (at most
    # two) from their points, cut at the edges.
    inner_first, inner_last = _inner_range(connection, source, first_step, last_step, buckets)
    if inner_first > inner_last:
        return buckets.rows(source.metric_id)
    if per_bucket >= CHUNK_POINTS:
        rows = series_points.chunk_buckets(
            connection, source.metric_id, first_step=inner_first, last_step=inner_last, width=width
        )
        for row in rows:
            bucket = buckets.slots.get(row.slot)
            if bucket is None:
                bucket = buckets.slots[row.slot] = _Bucket()
            bucket.add(
                row.first_step,
                row.point_count,
                row.finite_count,
                row.small_sum,
                row.large_sum_scaled,
                row.min,
                row.max,
                row.last_step,
                row.last_value,
                row.last_us,
            )
        return buckets.rows(source.metric_id)
    for summarised in series_points.chunk_blocks_within(
        connection, source.metric_id, inner_first, inner_last
    ):
        _add_blocks(buckets, summarised)
    return buckets.rows(source.metric_id)


def _inner_range(
    connection: Connection, source: SeriesSource, first_step: int, last_step: int, buckets: _Buckets
) -> tuple[int, int]:
    """Adds the points of the chunks that cross first_step or last_step; answers the steps
    left to read from whole chunks."""
    inner_first, inner_last = first_step, last_step
    seen: set[int] = set()
    for edge in (first_step, last_step):
        for batch in series_points.chunk_batches(connection, source.metric_id, edge, edge, batch=1):
            for chunk in batch:
                if chunk.first_step in seen or (
                    chunk.first_step >= first_step and chunk.last_step <= last_step
                ):
                    continue  # read already, or wholly inside: read with the others
                seen.add(chunk.first_step)
                points = chunk.decoded()
                points = points.slice(
                    bisect_left(points.steps, first_step), bisect_right(points.steps, last_step)
                )
                if points:
                    buckets.add_points(points)
                if chunk.first_step < first_step:
                    inner_first = max(inner_first, chunk.last_step + 1)
                if chunk.last_step > last_step:
                    inner_last = min(inner_last, chunk.first_step - 1)
    return inner_first, inner_last


def _add_blocks(buckets: _Buckets, chunk: series_points.ChunkBlocks) -> None:
    """A chunk at block resolution: each block joins the bucket of its first step. A
    block's last step is exact; its logged time is the chunk's last time for its last
    block and interpolated between the chunk's first and last times for the others."""
    blocks = decode_blocks(chunk.blocks)
    steps = None if chunk.steps is None else decode_column("q", chunk.steps)
    span = chunk.last_us - chunk.first_us
    end = 0
    for index, block in enumerate(blocks):
        end += block.count
        last = index == len(blocks) - 1
        if last:
            block_last_step, block_us = chunk.last_step, chunk.last_us
        else:
            block_last_step = (
                block.first_step + block.count - 1 if steps is None else int(steps[end - 1])
            )
            block_us = chunk.first_us + span * (end - 1) // max(1, chunk.points - 1)
        buckets.bucket(block.first_step).add(
            block.first_step,
            block.count,
            block.finite_count,
            block.sum,
            block.large_sum_scaled,
            block.min,
            block.max,
            block_last_step,
            block.last_value,
            block_us,
        )
