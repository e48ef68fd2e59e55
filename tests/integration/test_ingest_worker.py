"""The ingest worker invoked with SQS events, as the event source mapping invokes it."""

from __future__ import annotations

import json
import math
import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg
import pytest

from tests.support.accounts import sign_up
from tests.support.ingest import SeededRun, seed_run
from tests.support.stored_chunks import stored_extras, stored_point_count, stored_series
from tests.support.worker_events import WORKER, batch_body
from tests.support.worker_events import event as _event
from tests.support.worker_events import message as _message
from tests.support.worker_events import queue_batch as _queue_batch
from wavedb_core.models.metrics import PointIn
from wavedb_local.stack import LocalStack


@pytest.fixture
def run(api: Any, clean_database: str) -> SeededRun:
    return seed_run(clean_database, sign_up(api).id)


def _batch_body(run: SeededRun, database_url: str, batch_id: str, points: list[PointIn]) -> str:
    return batch_body(run.id, database_url, batch_id, points)


def _point_count(database_url: str) -> int:
    return stored_point_count(database_url)


def _batch(database_url: str, run_id: str, batch_id: str) -> tuple[str, int, str | None]:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT status, parts_written, error FROM ingest_batches"
            " WHERE run_id = %s AND batch_id = %s",
            (run_id, batch_id),
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def test_worker_given_the_same_message_twice_stores_its_points_once(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    body = _batch_body(run, clean_database, "b", [PointIn("loss", float(i), i) for i in range(100)])
    message = _message(body)

    first = local_stack.invoke(WORKER, _event(message))
    second = local_stack.invoke(WORKER, _event({**message, "ReceiptHandle": "again"}))

    assert first == second == {"batchItemFailures": []}
    assert _point_count(clean_database) == 100
    assert _batch(clean_database, run.id, "b") == ("written", 1, None)
    with psycopg.connect(clean_database) as connection:
        summary = connection.execute("SELECT count, min, max FROM run_metrics").fetchone()
        chunk = connection.execute("SELECT count, sum FROM metric_chunks").fetchone()
    assert summary == (100, 0.0, 99.0)
    assert chunk == (100, float(sum(range(100))))


def test_worker_reports_only_the_malformed_message_among_good_ones(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    good = [
        _message(_batch_body(run, clean_database, f"g{i}", [PointIn("x", 1.0, i)]))
        for i in range(3)
    ]
    malformed = _message('{"v": 1, "run": "not a uuid"}')

    answer = local_stack.invoke(WORKER, _event(good[0], malformed, good[1], good[2]))

    assert answer == {"batchItemFailures": [{"itemIdentifier": malformed["MessageId"]}]}
    assert _point_count(clean_database) == 3


@pytest.mark.parametrize("body", ["", "not json", "[]", json.dumps({"v": 99}), '{"v":1}'])
def test_worker_given_only_malformed_messages_reports_them_without_raising(
    local_stack: LocalStack, body: str, clean_database: str
) -> None:
    message = _message(body)

    answer = local_stack.invoke(WORKER, _event(message))

    assert answer == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}


# Points no ingest path accepts, in a message that reached the queue anyway.
_UNSTORABLE = {
    "time year 0": PointIn("x", 2.0, 2, timestamp=datetime.fromisoformat("0001-01-01T00:00+14:00")),
    "time year 9999": PointIn("x", 2.0, 2, timestamp=datetime(9999, 12, 31, 23, tzinfo=UTC)),
    "time before 1970": PointIn("x", 2.0, 2, timestamp=datetime(1969, 12, 31, 23, tzinfo=UTC)),
    "time in 2200": PointIn("x", 2.0, 2, timestamp=datetime(2200, 1, 1, tzinfo=UTC)),
    "name with a newline": PointIn("loss\n", 2.0, 2),
    "blank name": PointIn(" ", 2.0, 2),
    "step past the largest": PointIn("x", 2.0, 2**53 + 1),
}


@pytest.mark.parametrize("point", _UNSTORABLE.values(), ids=_UNSTORABLE.keys())
def test_worker_refuses_a_message_with_an_unstorable_point_and_writes_the_others(
    local_stack: LocalStack, run: SeededRun, clean_database: str, point: PointIn
) -> None:
    good = _message(_batch_body(run, clean_database, "good", [PointIn("x", 1.0, 1)]))
    points = [PointIn("x", 3.0, 3), point]
    bad = _message(_batch_body(run, clean_database, "bad", points), receive_count=5)

    answer = local_stack.invoke(WORKER, _event(bad, good))

    assert answer == {"batchItemFailures": [{"itemIdentifier": bad["MessageId"]}]}
    assert _point_count(clean_database) == 1
    assert _batch(clean_database, run.id, "good") == ("written", 1, None)
    status, parts_written, error = _batch(clean_database, run.id, "bad")
    assert (status, parts_written) == ("failed", 0)
    assert str(error).startswith("InvalidPoints: invalid")


def test_worker_failing_before_the_last_delivery_leaves_the_batch_queued(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    body = _batch_body(run, clean_database, "nul", [PointIn("bad\x00name", 1.0, 0)])
    message = _message(body, receive_count=4)

    answer = local_stack.invoke(WORKER, _event(message))

    assert answer == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    assert _batch(clean_database, run.id, "nul") == ("queued", 0, None)


def test_worker_failing_on_the_last_delivery_marks_the_batch_failed(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    body = _batch_body(run, clean_database, "nul", [PointIn("bad\x00name", 1.0, 0)])
    message = _message(body, receive_count=5)

    answer = local_stack.invoke(WORKER, _event(message))

    assert answer == {"batchItemFailures": [{"itemIdentifier": message["MessageId"]}]}
    status, written, error = _batch(clean_database, run.id, "nul")
    assert (status, written) == ("failed", 0)
    assert error
    assert len(error) <= 500
    assert _point_count(clean_database) == 0


def test_worker_given_a_part_of_a_deleted_run_drops_it(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    body = _batch_body(run, clean_database, "gone", [PointIn("x", 1.0, 0)])
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute("DELETE FROM runs WHERE id = %s", (run.id,))

    answer = local_stack.invoke(WORKER, _event(_message(body)))

    assert answer == {"batchItemFailures": []}
    assert _point_count(clean_database) == 0


def test_worker_writes_values_near_the_float_limit_and_charts_their_mean(
    api: Any, local_stack: LocalStack, clean_database: str
) -> None:
    """Two values of 1e308 in one rollup bucket once overflowed the bucket's sum: PostgreSQL
    refused the whole batch, which an accepted 202 had promised to store."""
    user = sign_up(api)
    run = seed_run(clean_database, user.id)
    biggest = 1.7976931348623157e308
    values = [biggest, biggest, 1e308, -1e308, 5e-324, 1.0, biggest, biggest]
    points = [PointIn("big", value, step) for step, value in enumerate(values)]
    points.append(PointIn("big", 0.0, 100_000))  # a range long enough to read rollups
    message = _message(_batch_body(run, clean_database, "near-limit", points))

    assert local_stack.invoke(WORKER, _event(message)) == {"batchItemFailures": []}
    later = [PointIn("big", point.value, point.step + 10) for point in points]
    again = _message(_batch_body(run, clean_database, "again", later))
    assert local_stack.invoke(WORKER, _event(again)) == {"batchItemFailures": []}

    assert _batch(clean_database, run.id, "near-limit") == ("written", 1, None)
    assert _point_count(clean_database) == 18
    answer = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "big", "points": 1}, headers=user.bearer
    )
    assert answer.status_code == 200, answer.text
    [bucket] = answer.json()["buckets"]
    assert bucket["count"] == 18
    assert bucket["mean"] == pytest.approx(sum(value / 9 for value in values))
    assert bucket["max"] == biggest


def test_worker_writes_a_format_1_message_left_on_the_queue_by_the_previous_version(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    msg_id = str(uuid.uuid4())
    body = json.dumps(
        {
            "v": 1,
            "run": run.id,
            "batch": "old",
            "part": 0,
            "parts": 1,
            "t": 1_000_000,
            "names": ["loss", "lr"],
            "points": [
                [0, 1, 0.5],
                [1, 1, float("inf"), 2_000_000],
                [0, 2, float("nan"), None, msg_id, {"tag": "x"}],
            ],
        }
    )
    _queue_batch(clean_database, run.id, "old", 1, 3)

    answer = local_stack.invoke(WORKER, _event(_message(body)))

    assert answer == {"batchItemFailures": []}
    assert _batch(clean_database, run.id, "old") == ("written", 1, None)
    series = stored_series(clean_database, run.id)
    assert series["loss"].steps == [1, 2]
    assert series["loss"].values[0] == 0.5
    assert math.isnan(series["loss"].values[1])
    assert series["loss"].times_us == [1_000_000, 1_000_000]
    assert (series["lr"].steps, series["lr"].values, series["lr"].times_us) == (
        [1],
        [math.inf],
        [2_000_000],
    )
    assert stored_extras(clean_database) == [("loss", 2, msg_id, {"tag": "x"})]


def test_worker_given_a_columnar_message_with_known_msg_ids_stores_each_once(
    local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    ids = [uuid.uuid4() for _ in range(3)]
    first = [PointIn("loss", float(i), i, msg_id=ids[i]) for i in range(2)]
    again = [PointIn("loss", float(i), i, msg_id=ids[i]) for i in range(3)]  # two seen before
    bodies = [
        _batch_body(run, clean_database, "first", first),
        _batch_body(run, clean_database, "again", again),
    ]

    answers = [local_stack.invoke(WORKER, _event(_message(body))) for body in bodies]

    assert answers == [{"batchItemFailures": []}] * 2
    assert _point_count(clean_database) == 3
