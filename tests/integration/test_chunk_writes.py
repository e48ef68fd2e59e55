"""The ingest worker writes chunks (docs/columnar-store.md): a step logged twice keeps the
point logged last, summaries follow the stored points, NaN and ±Infinity come back bit for
bit, Tora msg_ids stay idempotent, and deleting a run removes its chunks and extras."""

from __future__ import annotations

import math
import struct
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.support.accounts import sign_up
from tests.support.ingest import SeededRun, load_points, seed_run
from tests.support.stored_chunks import stored_extras, stored_series, stored_summary
from tests.support.worker_events import WORKER, batch_body, event, message
from wavedb_core.models.metrics import PointIn
from wavedb_core.services.chunk_codec import CHUNK_POINTS
from wavedb_local.stack import LocalStack

T0 = datetime(2026, 6, 1, tzinfo=UTC)


@pytest.fixture
def run(api: Any, clean_database: str) -> SeededRun:
    return seed_run(clean_database, sign_up(api).id)


def _write(
    local_stack: LocalStack, run: SeededRun, database_url: str, batch_id: str, points: list[PointIn]
) -> None:
    body = batch_body(run.id, database_url, batch_id, points, received_at=T0)
    assert local_stack.invoke(WORKER, event(message(body))) == {"batchItemFailures": []}


def _at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def _chunk_sizes(database_url: str) -> list[int]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute("SELECT count FROM metric_chunks ORDER BY first_step").fetchall()
    return [row[0] for row in rows]


def test_worker_given_a_step_logged_twice_keeps_the_point_logged_last(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    first = [PointIn("loss", float(step), step, timestamp=_at(step)) for step in range(10)]
    first[5] = PointIn("loss", -100.0, 5, timestamp=_at(5))  # the minimum, replaced below
    resumed = [
        PointIn("loss", 1000.0 + step, step, timestamp=_at(100 + step)) for step in range(5, 15)
    ]
    _write(local_stack, run, clean_database, "first", first)
    _write(local_stack, run, clean_database, "resumed", resumed)

    stored = stored_series(clean_database, run.id)["loss"]
    assert stored.steps == list(range(15))
    assert stored.values == [float(step) for step in range(5)] + [
        1000.0 + step for step in range(5, 15)
    ]
    # The summary counts each stored point once and forgets the replaced minimum.
    assert stored_summary(clean_database, "loss") == (15, 0.0, 1014.0, 0, 14, 1014.0, _at(114))


def test_worker_given_a_point_logged_before_the_stored_one_keeps_the_stored_one(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    """Parts of two batches may arrive in either order: the logged time decides."""
    _write(local_stack, run, clean_database, "later", [PointIn("loss", 2.0, 7, timestamp=_at(9))])
    _write(local_stack, run, clean_database, "earlier", [PointIn("loss", 1.0, 7, timestamp=_at(1))])

    stored = stored_series(clean_database, run.id)["loss"]
    assert (stored.steps, stored.values) == ([7], [2.0])
    assert stored_summary(clean_database, "loss") == (1, 2.0, 2.0, 7, 7, 2.0, _at(9))


def test_worker_given_a_step_twice_in_one_batch_keeps_the_later_point(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    points = [
        PointIn("loss", 3.0, 2, timestamp=_at(2)),
        PointIn("loss", 1.0, 1, timestamp=_at(1)),
        PointIn("loss", 9.0, 2, timestamp=_at(3)),
        PointIn("loss", 8.0, 2, timestamp=_at(3)),  # same time: the one sent later wins
    ]
    _write(local_stack, run, clean_database, "b", points)

    stored = stored_series(clean_database, run.id)["loss"]
    assert (stored.steps, stored.values) == ([1, 2], [1.0, 8.0])
    assert stored_summary(clean_database, "loss")[:3] == (2, 1.0, 8.0)


def test_worker_round_trips_nan_and_infinities_bit_for_bit(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    values = [math.nan, math.inf, -math.inf, -0.0, 5e-324, 1.7976931348623157e308, 0.1]
    _write(
        local_stack,
        run,
        clean_database,
        "edges",
        [PointIn("edge", value, step) for step, value in enumerate(values)],
    )

    stored = stored_series(clean_database, run.id)["edge"]
    assert [struct.pack("<d", value) for value in stored.values] == [
        struct.pack("<d", value) for value in values
    ]
    count, low, high, *_ = stored_summary(clean_database, "edge")
    assert (count, low, high) == (7, -math.inf, math.inf)


def test_worker_appending_batches_fills_the_tail_chunk_before_starting_another(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    for batch in range(3):
        points = [PointIn("loss", 0.5, step) for step in range(batch * 3000, (batch + 1) * 3000)]
        _write(local_stack, run, clean_database, f"b{batch}", points)

    assert _chunk_sizes(clean_database) == [CHUNK_POINTS, CHUNK_POINTS, 9000 - 2 * CHUNK_POINTS]
    assert stored_series(clean_database, run.id)["loss"].steps == list(range(9000))
    assert stored_summary(clean_database, "loss")[:5] == (9000, 0.5, 0.5, 0, 8999)


def test_worker_given_a_known_msg_id_stores_the_log_once_and_keeps_its_extras(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    msg_id = uuid.uuid4()
    point = PointIn("acc", 0.5, 3, timestamp=_at(1), msg_id=msg_id, metadata={"epoch": 1})
    _write(local_stack, run, clean_database, "first", [point])
    # Sent again later (same msg_id, a later time): dropped, not a new point at step 3.
    again = PointIn("acc", 0.7, 3, timestamp=_at(5), msg_id=msg_id, metadata={"epoch": 1})
    _write(local_stack, run, clean_database, "again", [again])

    stored = stored_series(clean_database, run.id)["acc"]
    assert (stored.steps, stored.values) == ([3], [0.5])
    assert stored_extras(clean_database) == [("acc", 3, str(msg_id), {"epoch": 1})]


def test_worker_replacing_a_point_without_extras_drops_the_old_extras(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    tagged = PointIn("acc", 0.5, 3, timestamp=_at(1), msg_id=uuid.uuid4(), metadata={"a": 1})
    _write(local_stack, run, clean_database, "tagged", [tagged])
    _write(local_stack, run, clean_database, "plain", [PointIn("acc", 0.9, 3, timestamp=_at(2))])

    assert stored_series(clean_database, run.id)["acc"].values == [0.9]
    assert stored_extras(clean_database) == []


def test_worker_writing_a_series_still_in_legacy_rows_counts_its_new_points(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    """Until the conversion moves a series' rows, its summary folds new points in."""
    load_points(clean_database, run.id, "loss", [(step, 2.0) for step in range(5)])
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO metric_chunk_migration (metric_id) SELECT id FROM run_metrics"
        )

    _write(local_stack, run, clean_database, "new", [PointIn("loss", 1.0, 5, timestamp=_at(0))])

    assert stored_summary(clean_database, "loss")[:6] == (6, 1.0, 2.0, 0, 5, 1.0)


def test_deleting_a_run_removes_its_chunks_and_extras(
    api: Any, local_stack: LocalStack, clean_database: str
) -> None:
    user = sign_up(api)
    run = seed_run(clean_database, user.id)
    points = [PointIn("acc", 0.5, step, msg_id=uuid.uuid4()) for step in range(3)]
    _write(local_stack, run, clean_database, "b", points)

    answer = api.delete(f"/v1/runs/{run.id}", headers=user.bearer)

    assert answer.status_code == 204, answer.text
    with psycopg.connect(clean_database) as connection:
        left = connection.execute(
            "SELECT (SELECT count(*) FROM metric_chunks),"
            " (SELECT count(*) FROM metric_point_extras)"
        ).fetchone()
    assert left == (0, 0)


def test_worker_appending_small_batches_merges_unfilled_chunks_as_a_binary_counter_carries(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    """A write takes in the unfilled chunks before it while each holds no more points than
    the write and the chunks taken so far: 10 writes of 100 points leave 800 + 200, and a
    point is re-encoded about log2(4096 / 100) times, not once per write."""
    for batch in range(10):
        points = [PointIn("loss", 1.0, step) for step in range(batch * 100, (batch + 1) * 100)]
        _write(local_stack, run, clean_database, f"b{batch}", points)

    assert _chunk_sizes(clean_database) == [800, 200]
    assert stored_series(clean_database, run.id)["loss"].steps == list(range(1000))


def test_worker_given_a_known_msg_id_spelled_in_capitals_stores_the_log_once(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    """The queue accepts any spelling of a UUID; the stored one is PostgreSQL's."""
    msg_id = uuid.uuid4()
    first = [PointIn("acc", 0.5, 3, timestamp=_at(1), msg_id=msg_id)]
    _write(local_stack, run, clean_database, "first", first)
    again = [PointIn("acc", 0.7, 4, timestamp=_at(2), msg_id=msg_id)]
    body = batch_body(run.id, clean_database, "again", again, received_at=T0)
    capitals = body.replace(str(msg_id), str(msg_id).upper())
    assert capitals != body

    answer = local_stack.invoke(WORKER, event(message(capitals)))

    assert answer == {"batchItemFailures": []}
    assert stored_series(clean_database, run.id)["acc"].steps == [3]
    assert stored_extras(clean_database) == [("acc", 3, str(msg_id), None)]
