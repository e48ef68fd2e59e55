"""Metrics of runs: one row per (run, name) with its running summary."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection


@dataclass(frozen=True)
class MetricRow:
    id: int
    run_id: UUID
    name: str
    count: int
    min: float | None
    max: float | None
    last_value: float | None
    last_step: int | None
    first_step: int | None
    last_logged_at: datetime | None


@dataclass(frozen=True)
class MetricId:
    id: int
    name: str


_COLUMNS = "id, run_id, name, count, min, max, last_value, last_step, first_step, last_logged_at"


def metrics_of_runs(connection: Connection, run_ids: Sequence[UUID]) -> list[MetricRow]:
    """Every metric of the runs that holds at least one point, by run then name."""
    with connection.cursor(row_factory=class_row(MetricRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM run_metrics WHERE run_id = ANY(%s) AND count > 0"
            " ORDER BY run_id, name",
            (list(run_ids),),
        )
        return cursor.fetchall()


def metric_named(connection: Connection, run_id: UUID, name: str) -> MetricRow | None:
    with connection.cursor(row_factory=class_row(MetricRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM run_metrics WHERE run_id = %s AND name = %s", (run_id, name)
        )
        return cursor.fetchone()


def metrics_named_in_runs(
    connection: Connection, run_ids: Sequence[UUID], name: str
) -> list[MetricRow]:
    with connection.cursor(row_factory=class_row(MetricRow)) as cursor:
        cursor.execute(
            f"SELECT {_COLUMNS} FROM run_metrics WHERE run_id = ANY(%s) AND name = %s",
            (list(run_ids), name),
        )
        return cursor.fetchall()


def ensure_metrics(connection: Connection, run_id: UUID, names: Sequence[str]) -> dict[str, int]:
    """The id of each named metric of the run, created when new (no lock on existing rows)."""
    ordered = sorted(set(names))
    connection.execute(
        "INSERT INTO run_metrics (run_id, name) SELECT %s, name FROM unnest(%s::text[]) AS name"
        " ORDER BY name ON CONFLICT (run_id, name) DO NOTHING",
        (run_id, ordered),
    )
    with connection.cursor(row_factory=class_row(MetricId)) as cursor:
        rows = cursor.execute(
            "SELECT id, name FROM run_metrics WHERE run_id = %s AND name = ANY(%s)",
            (run_id, ordered),
        ).fetchall()
    return {row.name: row.id for row in rows}


def lock_metrics(connection: Connection, metric_ids: Sequence[int]) -> None:
    """Lock the metrics' rows in id order: writers of the same metrics queue up here, so their
    summary and rollup updates never deadlock."""
    connection.execute(
        "SELECT id FROM run_metrics WHERE id = ANY(%s) ORDER BY id FOR UPDATE",
        (sorted(metric_ids),),
    )


def _time_of(micros: str) -> str:
    """SQL for the timestamptz `micros` µs after the epoch, exact at any magnitude (a bigint
    times an interval is computed in float8, which rounds past 2^53 µs)."""
    return (
        f"(timestamptz 'epoch' + ({micros} / 1000000) * interval '1 second'"
        f" + ({micros} %% 1000000) * interval '1 microsecond')"
    )


@dataclass(frozen=True)
class SummaryChange:
    """What a write did to a series' stored points (docs/columnar-store.md).

    `added`: points stored now less points stored before (a replaced step counts 0);
    `low`/`high`: min and max (NaN ignored) of the chunks written; `first_step`: their
    first step; the last point of the chunks written (`last_step`, `last_value`, `last_us`).
    `recompute`: some stored point was replaced, so count, min, max and first step are
    taken again from the series' chunk aggregates (a replaced min must not linger)."""

    metric_id: int
    added: int
    low: float | None
    high: float | None
    first_step: int
    last_step: int
    last_value: float
    last_us: int
    recompute: bool


def apply_summary_changes(connection: Connection, changes: Sequence[SummaryChange]) -> None:
    """Fold the changes into their metrics' summaries (rows locked by the caller). The last
    point is the one at the highest step, then the latest time, as the rule keeps it."""
    if not changes:
        return
    connection.execute(
        "UPDATE run_metrics m SET"
        " count = CASE WHEN s.recompute THEN a.count ELSE m.count + s.added END,"
        " min = CASE WHEN s.recompute THEN a.low ELSE LEAST(m.min, s.low) END,"
        " max = CASE WHEN s.recompute THEN a.high ELSE GREATEST(m.max, s.high) END,"
        " first_step = CASE WHEN s.recompute THEN a.first_step"
        "  ELSE LEAST(m.first_step, s.first_step) END,"
        " last_step = CASE WHEN s.newer THEN s.last_step ELSE m.last_step END,"
        " last_value = CASE WHEN s.newer THEN s.last_value ELSE m.last_value END,"
        " last_logged_at = CASE WHEN s.newer THEN s.last_at ELSE m.last_logged_at END"
        " FROM ("
        "  SELECT c.*,"
        "   (r.last_step IS NULL OR r.last_logged_at IS NULL"
        "    OR (c.last_step, c.last_at) >= (r.last_step, r.last_logged_at)) AS newer"
        f"  FROM (SELECT u.*, {_time_of('u.last_us')} AS last_at"
        "   FROM unnest(%s::bigint[], %s::bigint[], %s::float8[], %s::float8[], %s::bigint[],"
        "    %s::bigint[], %s::float8[], %s::bigint[], %s::boolean[])"
        "    AS u(metric_id, added, low, high, first_step, last_step, last_value, last_us,"
        "     recompute)) c"
        "  JOIN run_metrics r ON r.id = c.metric_id"
        " ) s"
        " LEFT JOIN LATERAL ("
        "  SELECT sum(k.count)::bigint AS count, min(k.min) AS low, max(k.max) AS high,"
        "   min(k.first_step) AS first_step"
        "  FROM metric_chunks k WHERE s.recompute AND k.metric_id = s.metric_id"
        " ) a ON true"
        " WHERE m.id = s.metric_id",
        (
            [change.metric_id for change in changes],
            [change.added for change in changes],
            [change.low for change in changes],
            [change.high for change in changes],
            [change.first_step for change in changes],
            [change.last_step for change in changes],
            [change.last_value for change in changes],
            [change.last_us for change in changes],
            [change.recompute for change in changes],
        ),
    )


def summarise_from_chunks(
    connection: Connection, metric_id: int, last_logged_us: int | None
) -> None:
    """Take a series' whole summary again from its chunk aggregates: count, min, max, first
    step and the last chunk's last point, logged at `last_logged_us` (which the chunk row
    does not hold: the caller decoded it)."""
    connection.execute(
        "UPDATE run_metrics m SET count = coalesce(a.count, 0), min = a.low, max = a.high,"
        " first_step = a.first_step, last_step = l.last_step, last_value = l.last_value,"
        " last_logged_at = l.last_at"
        " FROM (SELECT sum(count)::bigint AS count, min(min) AS low, max(max) AS high,"
        "   min(first_step) AS first_step FROM metric_chunks WHERE metric_id = %(id)s) a"
        " LEFT JOIN LATERAL (SELECT last_step, last_value,"
        f"   {_time_of('%(last_us)s::bigint')} AS last_at"
        "  FROM metric_chunks WHERE metric_id = %(id)s ORDER BY first_step DESC LIMIT 1) l"
        "  ON true"
        " WHERE m.id = %(id)s",
        {"id": metric_id, "last_us": last_logged_us},
    )
