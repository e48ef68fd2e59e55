"""What the database holds for a run, against what was posted: points, summaries, rollups,
batch statuses. A batch written twice shows up in every one of them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import psycopg

from tests.reliability.writers import Series

ROLLUP_LEVELS = 7


@dataclass(frozen=True)
class MetricTally:
    points: int
    distinct_steps: int
    count: int
    min: float | None
    max: float | None
    first_step: int | None
    last_step: int | None
    last_value: float | None
    rollup_counts: tuple[int, ...]  # the points counted by each rollup level, 1 to 7


def metric_tallies(database_url: str, run_id: str) -> dict[str, MetricTally]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT m.name, m.count, m.min, m.max, m.first_step, m.last_step, m.last_value,"
            " (SELECT count(*) FROM metric_points p WHERE p.metric_id = m.id),"
            " (SELECT count(DISTINCT step) FROM metric_points p WHERE p.metric_id = m.id),"
            " ARRAY(SELECT COALESCE(sum(r.count), 0)::bigint FROM generate_series(1, %s) AS l"
            "  LEFT JOIN metric_rollups r ON r.metric_id = m.id AND r.level = l"
            "  GROUP BY l ORDER BY l)"
            " FROM run_metrics m WHERE m.run_id = %s ORDER BY m.name",
            (ROLLUP_LEVELS, run_id),
        ).fetchall()
    return {
        name: MetricTally(
            points=points,
            distinct_steps=distinct,
            count=count,
            min=low,
            max=high,
            first_step=first,
            last_step=last,
            last_value=value,
            rollup_counts=tuple(rollups),
        )
        for name, count, low, high, first, last, value, points, distinct, rollups in rows
    }


def expected_tally(points: list[tuple[int, float]]) -> MetricTally:
    """The tally of points with distinct steps, each stored once."""
    values = [value for _, value in points if not math.isnan(value)]
    last_step, last_value = max(points)
    return MetricTally(
        points=len(points),
        distinct_steps=len(points),
        count=len(points),
        min=min(values),
        max=max(values),
        first_step=min(step for step, _ in points),
        last_step=last_step,
        last_value=last_value,
        rollup_counts=(len(points),) * ROLLUP_LEVELS,
    )


def assert_stored_once(database_url: str, run_id: str, posted: Series) -> None:
    """Every posted point is stored exactly once, summaries and rollups count each once."""
    tallies = metric_tallies(database_url, run_id)
    assert sorted(tallies) == sorted(posted)
    for name, points in posted.items():
        assert tallies[name] == expected_tally(points), name


def batch_states(database_url: str, run_id: str) -> dict[str, tuple[str, int, int]]:
    """batch id -> (status, parts written, parts)."""
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT batch_id, status, parts_written, parts FROM ingest_batches WHERE run_id = %s",
            (run_id,),
        ).fetchall()
    return {batch_id: (status, written, parts) for batch_id, status, written, parts in rows}


def assert_batches_written(database_url: str, run_id: str, batch_ids: list[str]) -> None:
    states = batch_states(database_url, run_id)
    assert sorted(states) == sorted(batch_ids)
    for batch_id, (status, written, parts) in states.items():
        assert (status, written) == ("written", parts), batch_id
