"""What the database holds for a run, against what was posted: points (decoded from the
run's chunks), summaries, chunk aggregates, batch statuses. A batch written twice shows up
in every one of them."""

from __future__ import annotations

import math
from dataclasses import dataclass

import psycopg
from psycopg.rows import dict_row

from tests.reliability.writers import Series
from wavedb_core.repositories.metric_chunks import stored_points


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
    chunk_count: int  # the points the series' chunk aggregates count


def metric_tallies(database_url: str, run_id: str) -> dict[str, MetricTally]:
    tallies: dict[str, MetricTally] = {}
    with psycopg.connect(database_url, row_factory=dict_row) as connection:
        rows = connection.execute(
            "SELECT m.id, m.name, m.count, m.min, m.max, m.first_step, m.last_step,"
            " m.last_value,"
            " (SELECT coalesce(sum(c.count), 0) FROM metric_chunks c WHERE c.metric_id = m.id)"
            "  AS chunk_count"
            " FROM run_metrics m WHERE m.run_id = %s ORDER BY m.name",
            (run_id,),
        ).fetchall()
        for row in rows:
            points = stored_points(connection, int(row["id"]))
            tallies[str(row["name"])] = MetricTally(
                points=len(points),
                distinct_steps=len(set(points.steps)),
                count=row["count"],
                min=row["min"],
                max=row["max"],
                first_step=row["first_step"],
                last_step=row["last_step"],
                last_value=row["last_value"],
                chunk_count=int(row["chunk_count"]),
            )
    return tallies


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
        chunk_count=len(points),
    )


def assert_stored_once(database_url: str, run_id: str, posted: Series) -> None:
    """Every posted point is stored exactly once, summaries and chunk aggregates count each
    once."""
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
