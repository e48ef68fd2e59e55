"""The point stream's pure parts: merging chunks with legacy rows by the rule, pages that
never split a step, and buckets from chunks against buckets from their points."""

from __future__ import annotations

import math
import random
from collections.abc import Iterator

import pytest

from wavedb_core.repositories.metric_chunks import StoredChunk
from wavedb_core.services.chunk_codec import Columns, cut_chunks, sorted_latest
from wavedb_core.services.metric_reads import _page_of_whole_steps
from wavedb_core.services.series_reader import ChartBucket, _Buckets, _merged


def _batches(points: Columns, size: int) -> Iterator[Columns]:
    for start in range(0, len(points), size):
        yield points.slice(start, start + size)


def _flat(batches: Iterator[Columns]) -> list[tuple[int, float, int]]:
    return [
        point
        for batch in batches
        for point in zip(batch.steps, batch.values, batch.times_us, strict=True)
    ]


@pytest.mark.parametrize(("old_size", "new_size"), [(1, 1), (7, 3), (1_000, 13), (5, 1_000)])
def test_merged_streams_in_any_batches_keep_the_point_logged_last_at_each_step(
    old_size: int, new_size: int
) -> None:
    rng = random.Random(old_size * 31 + new_size)
    old_steps = sorted(rng.sample(range(300), 150))
    new_steps = sorted(rng.sample(range(300), 150))
    old = Columns(old_steps, [1.0] * 150, [rng.randrange(100) for _ in old_steps])
    new = Columns(new_steps, [2.0] * 150, [rng.randrange(100) for _ in new_steps])
    expected = sorted_latest(
        old.steps + new.steps, old.values + new.values, old.times_us + new.times_us
    )

    merged = _flat(_merged(_batches(old, old_size), _batches(new, new_size)))

    assert merged == list(zip(expected.steps, expected.values, expected.times_us, strict=True))


def test_merged_streams_with_one_empty_give_the_other() -> None:
    points = Columns([1, 2, 3], [1.0, 2.0, 3.0], [0, 0, 0])

    assert _flat(_merged(iter([]), _batches(points, 2))) == _flat(_batches(points, 3))
    assert _flat(_merged(_batches(points, 2), iter([]))) == _flat(_batches(points, 3))


def _repeated_steps() -> Columns:
    steps = [1, 2, 2, 3, 4, 4, 4, 4, 4, 5, 6]
    return Columns(steps, [float(i) for i in range(len(steps))], list(range(len(steps))))


@pytest.mark.parametrize("batch", [1, 2, 4, 100])
def test_page_of_whole_steps_ends_before_a_step_that_does_not_fit(batch: int) -> None:
    page, more = _page_of_whole_steps(_batches(_repeated_steps(), batch), limit=5)

    assert page.steps == [1, 2, 2, 3]
    assert more


@pytest.mark.parametrize("batch", [1, 3, 100])
def test_page_of_whole_steps_holds_a_step_larger_than_the_page_whole(batch: int) -> None:
    points = _repeated_steps()
    after_three = points.slice(4, len(points))  # steps 4 x5, 5, 6

    page, more = _page_of_whole_steps(_batches(after_three, batch), limit=2)
    last, done = _page_of_whole_steps(_batches(after_three.slice(5, 7), batch), limit=2)

    assert page.steps == [4, 4, 4, 4, 4]
    assert more
    assert (last.steps, done) == ([5, 6], False)


def _stored(points: Columns, size: int) -> list[StoredChunk]:
    return [
        StoredChunk(
            chunk.first_step,
            chunk.last_step,
            chunk.count,
            chunk.codec,
            chunk.first_us,
            chunk.last_us,
            chunk.steps,
            chunk.logged,
            chunk.vals,
        )
        for chunk in cut_chunks(points, size)
    ]


@pytest.mark.parametrize(
    ("spacing", "jitter", "width", "first", "last"),
    [(1, 0, 64, 0, 10**9), (1, 0, 100, 333, 7_777), (3, 0, 50, 0, 10**9), (1, 900, 64, 5, 9_000)],
)
def test_buckets_from_chunks_equal_buckets_from_their_points(
    spacing: int, jitter: int, width: int, first: int, last: int
) -> None:
    rng = random.Random(width + spacing)
    steps = [step * spacing for step in range(10_000)]
    values = [rng.gauss(0, 1) for _ in steps]
    values[17], values[4_000], values[4_001] = math.nan, math.inf, -math.inf
    times = [step * 1_000 + rng.randrange(-jitter, jitter + 1) for step in steps]
    points = Columns(steps, values, times)
    from_chunks, from_points = _Buckets(width), _Buckets(width)
    inside = [i for i, step in enumerate(steps) if first <= step <= last]

    for chunk in _stored(points, 1_000):
        from_chunks.add_chunk(chunk, first, last)
    from_points.add_points(points.slice(inside[0], inside[-1] + 1))

    # Equal but for the rounding of sums a chunk boundary splits in two.
    chunked, direct = from_chunks.rows(1), from_points.rows(1)
    assert [_without_sum(bucket) for bucket in chunked] == [_without_sum(b) for b in direct]
    for bucket, expected in zip(chunked, direct, strict=True):
        assert math.isclose(bucket.row.small_sum or 0, expected.row.small_sum or 0, rel_tol=1e-12)


def _without_sum(bucket: ChartBucket) -> tuple[object, ...]:
    return (bucket.first_step, *bucket.row._replace(small_sum=None))
