"""The conversion of today's layout (a row of metric_points per point, metric_rollups) into
chunks: what it stores equals the legacy rows after the rule (the point logged last wins at
a step), it merges with chunks a series already has by the same rule, and it resumes."""

from __future__ import annotations

import math
import struct
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest
from psycopg.rows import dict_row
from psycopg.types.json import Jsonb

from tests.support.ingest import LOGGED_US, load_points, seed_run
from tests.support.postgres import apply_migrations_before, scratch_database
from tests.support.stored_chunks import stored_extras, stored_series, stored_summary
from wavedb_core.db.migrations import apply_migrations
from wavedb_core.services.chunk_codec import Columns, sorted_latest
from wavedb_core.services.chunk_conversion import convert_legacy_points, convert_next
from wavedb_core.services.ingest_writer import SeriesWrite, write_series
from wavedb_local.stack import LocalStack

Connection = psycopg.Connection[dict[str, Any]]


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    with scratch_database(database_url, prefix="wavedb_conversion") as url:
        yield url


def _connect(url: str) -> Connection:
    return psycopg.connect(url, autocommit=True, row_factory=dict_row)


def _new_run(url: str) -> str:
    user_id = uuid.uuid4()
    with _connect(url) as connection:
        connection.execute(
            "INSERT INTO users (id, email, name, password_hash) VALUES (%s, %s, 'n', 'h')",
            (user_id, f"{user_id.hex[:8]}@example.com"),
        )
    return seed_run(url, str(user_id)).id


def _legacy_by_rule(url: str) -> dict[str, tuple[Columns, list[tuple[Any, ...]]]]:
    """Each series' legacy rows after the rule, and the extras of the rows kept."""
    expected: dict[str, tuple[Columns, list[tuple[Any, ...]]]] = {}
    with _connect(url) as connection:
        for metric in connection.execute("SELECT id, name FROM run_metrics").fetchall():
            rows = connection.execute(
                "SELECT step, value, (extract(epoch FROM logged_at) * 1000000)::bigint AS us,"
                " msg_id::text, metadata FROM metric_points WHERE metric_id = %s"
                " ORDER BY step, logged_at, ctid",
                (metric["id"],),
            ).fetchall()
            kept = sorted_latest(
                [row["step"] for row in rows],
                [row["value"] for row in rows],
                [r["us"] for r in rows],
            )
            last_of_step = {row["step"]: row for row in rows}
            extras = [
                (metric["name"], step, row["msg_id"], row["metadata"])
                for step, row in sorted(last_of_step.items())
                if row["msg_id"] is not None or row["metadata"] is not None
            ]
            expected[metric["name"]] = (kept, extras)
    return expected


def _bits(points: Columns) -> tuple[list[int], list[bytes], list[int]]:
    return points.steps, [struct.pack("<d", value) for value in points.values], points.times_us


def _legacy_left(url: str) -> tuple[int, int, int]:
    with _connect(url) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM metric_points) AS points,"
            " (SELECT count(*) FROM metric_rollups) AS rollups,"
            " (SELECT count(*) FROM metric_chunk_migration) AS listed"
        ).fetchone()
    assert row is not None
    return row["points"], row["rollups"], row["listed"]


def _at_us(micros: int) -> datetime:
    return datetime.fromtimestamp(micros / 1e6, tz=UTC)


def test_conversion_of_legacy_rows_stores_the_points_the_rule_keeps(scratch_url: str) -> None:
    with _connect(scratch_url) as connection:
        apply_migrations_before(connection, "0010")
    run_id = _new_run(scratch_url)
    values = [math.sin(step / 7) * 10 for step in range(2500)]
    values[10:14] = [math.nan, math.inf, -math.inf, -0.0]
    values[20] = -50.0  # the minimum, replaced by a later log of step 20 below
    # Written through the previous worker's own SQL: rows, summaries and rollups.
    load_points(scratch_url, run_id, "loss", list(enumerate(values)))
    later = [(step, 100.0 + step) for step in range(20, 120)]  # a resumed run logs again
    load_points(scratch_url, run_id, "loss", later, logged_us=LOGGED_US + 10**9)
    earlier = [(step, -1e6) for step in range(300, 310)]  # logged before: loses
    load_points(scratch_url, run_id, "loss", earlier, logged_us=LOGGED_US - 10**9)
    tora = [uuid.uuid4() for _ in range(3)]
    with _connect(scratch_url) as connection:
        metric_id = connection.execute(
            "INSERT INTO run_metrics (run_id, name) VALUES (%s, 'acc') RETURNING id", (run_id,)
        ).fetchone()["id"]  # type: ignore[index]
        for step, value, msg_id, metadata in (
            (0, 0.1, tora[0], {"epoch": 0}),
            (1, 0.2, tora[1], None),
            (1, 0.3, None, None),  # same step, same time, stored later: wins, no extras
            (2, 0.4, tora[2], {"epoch": 2}),
        ):
            connection.execute(
                "INSERT INTO metric_points (metric_id, step, value, logged_at, msg_id, metadata)"
                " VALUES (%s, %s, %s, '2026-01-01T00:00:00Z', %s, %s)",
                (metric_id, step, value, msg_id, None if metadata is None else Jsonb(metadata)),
            )
    expected = _legacy_by_rule(scratch_url)

    with _connect(scratch_url) as connection:
        apply_migrations(connection)  # lists the series with points
        progress = convert_legacy_points(connection, seconds=60, batch_points=1000)

    assert (progress.series_done, progress.more_to_do) == (2, False)
    assert progress.points_moved == 2500 + 100 + 10 + 4
    stored = stored_series(scratch_url, run_id)
    for name, (kept, _) in expected.items():
        assert _bits(stored[name]) == _bits(kept), name
    assert stored["loss"].values[20] == 120.0
    assert stored["acc"].values == [0.1, 0.3, 0.4]
    assert stored_extras(scratch_url) == expected["loss"][1] + expected["acc"][1]
    assert [row[1] for row in stored_extras(scratch_url)] == [0, 2]
    loss = expected["loss"][0]
    finite = [value for value in loss.values if not math.isnan(value)]
    assert stored_summary(scratch_url, "loss") == (
        len(loss),
        min(finite),
        max(finite),
        0,
        2499,
        loss.values[-1],
        _at_us(loss.times_us[-1]),
    )
    assert _legacy_left(scratch_url) == (0, 0, 0)


def _convert_then_fail(connection: Connection) -> None:
    with connection.transaction():
        convert_next(connection, 1000)
        raise RuntimeError("the function timed out")


def _points(steps: range, value: float, logged_us: int) -> Columns:
    return Columns(list(steps), [value] * len(steps), [logged_us] * len(steps))


def test_conversion_interrupted_resumes_and_merges_with_chunks_by_the_rule(
    clean_database: str,
) -> None:
    run_id = _new_run(clean_database)
    load_points(clean_database, run_id, "loss", [(step, 1.0) for step in range(5000)])
    with _connect(clean_database) as connection:
        metric_id = connection.execute("SELECT id FROM run_metrics").fetchone()["id"]  # type: ignore[index]
        connection.execute(
            "INSERT INTO metric_chunk_migration (metric_id) VALUES (%s)", (metric_id,)
        )
        # Points the new worker wrote while the series was still listed: a resumed run's
        # steps 4000..4099 (logged later: they win) and beyond, and one logged earlier.
        with connection.transaction():
            write_series(
                connection,
                [SeriesWrite(metric_id, _points(range(4000, 6000), 2.0, LOGGED_US + 10**9))],
            )
        with connection.transaction():
            write_series(connection, [SeriesWrite(metric_id, _points(range(10, 11), 3.0, 0))])

        first = convert_legacy_points(connection, seconds=0, batch_points=1000)
        assert (first.series_done, first.points_moved, first.more_to_do) == (0, 1000, True)
        progress = connection.execute(
            "SELECT done_through_step FROM metric_chunk_migration"
        ).fetchone()
        assert progress == {"done_through_step": 999}
        # A transaction that fails changes nothing.
        with pytest.raises(RuntimeError):
            _convert_then_fail(connection)
        assert connection.execute(
            "SELECT done_through_step FROM metric_chunk_migration"
        ).fetchone() == {"done_through_step": 999}

        rest = convert_legacy_points(connection, seconds=60, batch_points=1000)

    assert (rest.series_done, rest.points_moved, rest.more_to_do) == (1, 4000, False)
    stored = stored_series(clean_database, run_id)["loss"]
    assert stored.steps == list(range(6000))
    assert stored.values == [1.0] * 4000 + [2.0] * 2000  # step 10: the row logged later
    assert stored_summary(clean_database, "loss")[:6] == (6000, 1.0, 2.0, 0, 5999, 2.0)
    assert _legacy_left(clean_database) == (0, 0, 0)
    with _connect(clean_database) as connection:
        sizes = [r["count"] for r in connection.execute("SELECT count FROM metric_chunks")]
    # No trail of small chunks, one per transaction: each one filled the chunk before it.
    assert sorted(sizes, reverse=True)[:1] == [4096]
    assert len(sizes) == 2


def test_migrate_function_converts_series_written_by_the_previous_worker(
    local_stack: LocalStack, clean_database: str
) -> None:
    """Rows a worker of the previous version wrote after the series list was made are
    found too: the function lists every series that still has rows."""
    run_id = _new_run(clean_database)
    load_points(clean_database, run_id, "loss", [(step, 0.5) for step in range(300)])

    answer = local_stack.invoke("MigrateFunction", {})

    assert answer == {
        "applied": [],
        "converted_series": 1,
        "converted_points": 300,
        "series_left": 0,
        "more_to_do": False,
    }
    assert stored_series(clean_database, run_id)["loss"].steps == list(range(300))
    assert _legacy_left(clean_database) == (0, 0, 0)


def test_conversion_of_rows_logged_at_infinite_times_stores_the_nearest_times_readers_hold(
    clean_database: str,
) -> None:
    run_id = _new_run(clean_database)
    with _connect(clean_database) as connection:
        metric_id = connection.execute(
            "INSERT INTO run_metrics (run_id, name) VALUES (%s, 'edge') RETURNING id", (run_id,)
        ).fetchone()["id"]  # type: ignore[index]
        for step, logged_at in ((1, "-infinity"), (2, "infinity"), (3, "12000-01-01Z")):
            connection.execute(
                "INSERT INTO metric_points (metric_id, step, value, logged_at)"
                " VALUES (%s, %s, 'NaN', %s::timestamptz)",
                (metric_id, step, logged_at),
            )

        progress = convert_legacy_points(connection, seconds=60)

    assert (progress.points_moved, progress.more_to_do) == (3, False)
    earliest = -62_135_596_800_000_000  # 0001-01-01T00:00:00Z
    latest = 253_402_300_799_999_999  # 9999-12-31T23:59:59.999999Z
    assert stored_series(clean_database, run_id)["edge"].times_us == [earliest, latest, latest]
    assert stored_summary(clean_database, "edge")[:5] == (3, None, None, 1, 3)
