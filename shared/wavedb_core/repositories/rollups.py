"""Rollups: aggregates of 8^level consecutive steps (level 1..7) per metric, so that a
downsampled read costs the same whatever the series' length.

bucket = step div 8^level. count covers every point; finite_count the finite values only,
whose sum is kept in two parts (see LARGE_SUM): `sum` and `large_sum_scaled`; min and max
ignore NaN; last_value is the value at last_step (the highest step); last_logged_at is when
the bucket's latest point was logged.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import NamedTuple

from psycopg.rows import args_row

from wavedb_core.db.connection import Connection
from wavedb_core.repositories.metric_points import STAGING_TABLE
from wavedb_core.repositories.split_sums import LARGE_SUM, STORED_SPLIT_SUM, SUM_SCALE

LEVELS = range(1, 8)
BRANCHING = 8
_LEVEL_SHIFT = 3  # log2(BRANCHING)

_FINITE = "value NOT IN ('NaN'::float8, 'Infinity'::float8, '-Infinity'::float8)"
_SMALL = f"abs(value) < {LARGE_SUM!r}"


def _split_sum(column: str, *, only: str = "true") -> str:
    """The sum of a float column (of the rows `only` holds for) in two parts: `small_sum`
    and `large_sum_scaled`."""
    return (
        f"sum({column}) FILTER (WHERE {only} AND abs({column}) < {LARGE_SUM!r}) AS small_sum,"
        f" sum({column} * {SUM_SCALE!r})"
        f" FILTER (WHERE {only} AND abs({column}) >= {LARGE_SUM!r}) AS large_sum_scaled"
    )


def _upper_level(level: int) -> str:
    below = f"l{level - 1}"
    return (
        f"l{level} AS (SELECT metric_id, {level} AS level, bucket >> {_LEVEL_SHIFT} AS bucket,"
        " sum(count)::bigint AS count, sum(finite_count)::bigint AS finite_count,"
        " sum(sum) AS sum, sum(large_sum_scaled) AS large_sum_scaled,"
        " min(min) AS min, max(max) AS max, max(last_step) AS last_step,"
        " (array_agg(last_value ORDER BY last_step DESC))[1] AS last_value,"
        " max(last_logged_at) AS last_logged_at"
        f" FROM {below} GROUP BY metric_id, bucket >> {_LEVEL_SHIFT})"
    )


def _merge_statement(source: str) -> str:
    first = (
        "l1 AS (SELECT metric_id, 1 AS level, step >> 3 AS bucket, count(*) AS count,"
        f" count(*) FILTER (WHERE {_FINITE}) AS finite_count,"
        f" sum(value) FILTER (WHERE {_FINITE} AND {_SMALL}) AS sum,"
        f" sum(value * {SUM_SCALE!r}) FILTER (WHERE {_FINITE} AND NOT {_SMALL})"
        " AS large_sum_scaled,"
        " min(value) FILTER (WHERE value <> 'NaN') AS min,"
        " max(value) FILTER (WHERE value <> 'NaN') AS max,"
        " max(step) AS last_step,"
        " (array_agg(value ORDER BY step DESC, logged_us DESC))[1] AS last_value,"
        " to_timestamp(max(logged_us) / 1e6) AS last_logged_at"
        f" FROM {source} GROUP BY metric_id, step >> 3)"
    )
    levels = ",\n".join([first, *(_upper_level(level) for level in LEVELS[1:])])
    union = " UNION ALL ".join(f"SELECT * FROM l{level}" for level in LEVELS)
    return (
        f"WITH {levels}\n"
        "INSERT INTO metric_rollups AS r (metric_id, level, bucket, count, finite_count, sum,"
        " large_sum_scaled, min, max, last_step, last_value, last_logged_at)"
        f" SELECT * FROM ({union}) AS merged ORDER BY metric_id, level, bucket"
        " ON CONFLICT (metric_id, level, bucket) DO UPDATE SET"
        " count = r.count + excluded.count,"
        " finite_count = r.finite_count + excluded.finite_count,"
        " sum = COALESCE(r.sum + excluded.sum, r.sum, excluded.sum),"
        " large_sum_scaled = COALESCE(r.large_sum_scaled + excluded.large_sum_scaled,"
        "  r.large_sum_scaled, excluded.large_sum_scaled),"
        " min = LEAST(r.min, excluded.min), max = GREATEST(r.max, excluded.max),"
        " last_value = CASE WHEN excluded.last_step >= r.last_step"
        "  THEN excluded.last_value ELSE r.last_value END,"
        " last_step = GREATEST(r.last_step, excluded.last_step),"
        " last_logged_at = GREATEST(r.last_logged_at, excluded.last_logged_at)"
    )


MERGE_STAGED_POINTS = _merge_statement(STAGING_TABLE)


def merge_staged_points(connection: Connection) -> None:
    """Fold the staged points into every level's rollups (one statement)."""
    connection.execute(MERGE_STAGED_POINTS)


class BucketRow(NamedTuple):
    """One output bucket of one metric (a tuple: thousands are read per chart)."""

    metric_id: int
    slot: int
    point_count: int
    finite_count: int
    small_sum: float | None  # the finite values under LARGE_SUM
    large_sum_scaled: float | None  # the others, times SUM_SCALE
    min: float | None
    max: float | None
    last_step: int
    last_value: float
    last_logged_at: datetime | None


def bucket_mean(row: BucketRow) -> float | None:
    """The mean of the bucket's finite values (None without any); Python's float arithmetic
    gives ±Infinity rather than an error at the very edge of the range."""
    if not row.finite_count or (row.small_sum is None and row.large_sum_scaled is None):
        return None
    if row.large_sum_scaled is None:
        return (row.small_sum or 0.0) / row.finite_count
    large = row.large_sum_scaled / row.finite_count / SUM_SCALE
    return large + (row.small_sum or 0.0) / row.finite_count


def rollup_buckets(
    connection: Connection,
    metric_ids: Sequence[int],
    *,
    level: int,
    first_bucket: int,
    last_bucket: int,
    per_slot: int,
) -> list[BucketRow]:
    """Rollups of one level grouped `per_slot` at a time (slot = bucket div per_slot)."""
    with connection.cursor(row_factory=args_row(BucketRow)) as cursor:
        cursor.execute(
            "SELECT metric_id, bucket / %(per)s AS slot, sum(count)::bigint AS count,"
            " sum(finite_count)::bigint AS finite_count,"
            f" {STORED_SPLIT_SUM}, min(min) AS min,"
            " max(max) AS max, max(last_step) AS last_step,"
            " (array_agg(last_value ORDER BY last_step DESC))[1] AS last_value,"
            " max(last_logged_at) AS last_logged_at"
            " FROM metric_rollups WHERE metric_id = ANY(%(ids)s) AND level = %(level)s"
            " AND bucket BETWEEN %(first)s AND %(last)s"
            " GROUP BY metric_id, bucket / %(per)s ORDER BY metric_id, slot",
            {
                "per": per_slot,
                "ids": list(metric_ids),
                "level": level,
                "first": first_bucket,
                "last": last_bucket,
            },
        )
        return cursor.fetchall()


def raw_buckets(
    connection: Connection,
    metric_ids: Sequence[int],
    *,
    step_min: int,
    step_max: int,
    width: int,
) -> list[BucketRow]:
    """Raw points between the steps, aggregated `width` steps at a time (slot = step div
    width); for ranges too short for the first rollup level."""
    with connection.cursor(row_factory=args_row(BucketRow)) as cursor:
        cursor.execute(
            "SELECT metric_id, step / %(width)s AS slot, count(*) AS count,"
            f" count(*) FILTER (WHERE {_FINITE}) AS finite_count,"
            f" {_split_sum('value', only=_FINITE)},"
            " min(value) FILTER (WHERE value <> 'NaN') AS min,"
            " max(value) FILTER (WHERE value <> 'NaN') AS max,"
            " max(step) AS last_step,"
            " (array_agg(value ORDER BY step DESC, logged_at DESC))[1] AS last_value,"
            " max(logged_at) AS last_logged_at"
            " FROM metric_points WHERE metric_id = ANY(%(ids)s)"
            " AND step BETWEEN %(min)s AND %(max)s"
            " GROUP BY metric_id, step / %(width)s ORDER BY metric_id, slot",
            {"width": width, "ids": list(metric_ids), "min": step_min, "max": step_max},
        )
        return cursor.fetchall()
