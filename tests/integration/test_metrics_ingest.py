"""Metric batches through the API, the ingest queue and the worker into PostgreSQL."""

from __future__ import annotations

import hashlib
import json
import math
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import reset_cached_settings
from tests.support.accounts import SignedUpUser
from tests.support.ingest import (
    SeededRun,
    drain_ingest_queue,
    ingest_source,
    purge_queue,
    queued_message_count,
    sqs_client,
)
from tests.support.stored_chunks import stored_series
from wavedb_core import queue as ingest_queue
from wavedb_core.errors import ValidationFailed
from wavedb_core.models.metrics import PointIn
from wavedb_core.services import ingest
from wavedb_local.stack import LocalStack

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("empty_queue")]


@pytest.fixture
def empty_queue(local_stack: LocalStack) -> Iterator[None]:
    """The ingest queue is empty when each test of this module starts and when it ends."""
    purge_queue(local_stack, ingest_source(local_stack)[0])
    yield
    purge_queue(local_stack, ingest_source(local_stack)[0])


def _post(api: TestClient, user: SignedUpUser, run_id: str, body: dict[str, Any]) -> Any:
    return api.post(f"/v1/runs/{run_id}/metrics", json=body, headers=user.bearer)


def _stored(database_url: str, run_id: str) -> list[tuple[str, int, float, datetime]]:
    """(name, step, value, logged at) of every stored point, by name and step."""
    return [
        (name, step, value, datetime.fromtimestamp(0, UTC) + timedelta(microseconds=logged))
        for name, points in stored_series(database_url, run_id).items()
        for step, value, logged in zip(points.steps, points.values, points.times_us, strict=True)
    ]


def test_metric_batch_accepted_then_drained_stores_every_point_exactly(
    api: TestClient,
    local_stack: LocalStack,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
) -> None:
    points = [
        {"name": "train/loss", "value": 2.5, "step": 0, "timestamp": "2026-01-02T03:04:05.123456Z"},
        {
            "name": "train/loss",
            "value": 0.1 + 0.2,
            "step": 1,
            "timestamp": "2026-01-02T04:04:05+01:00",
        },
        {"name": "lr: warmup", "value": 1e-300, "step": 2**53},
        {"name": "acc", "value": -7, "step": 3},
    ]
    before = datetime.now(UTC)

    answer = _post(api, user, run.id, {"batch_id": "batch-1", "points": points})

    assert answer.status_code == 202, answer.text
    assert answer.json() == {"batch_id": "batch-1", "status": "queued", "point_count": 4}
    drain_ingest_queue(local_stack)
    after = datetime.now(UTC)
    stored = _stored(clean_database, run.id)
    assert [row[:3] for row in stored] == [
        ("acc", 3, -7.0),
        ("lr: warmup", 2**53, 1e-300),
        ("train/loss", 0, 2.5),
        ("train/loss", 1, 0.1 + 0.2),
    ]
    assert stored[2][3] == datetime(2026, 1, 2, 3, 4, 5, 123456, tzinfo=UTC)
    assert stored[3][3] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert before <= stored[0][3] <= after  # no timestamp: the time it was received
    assert stored[0][3] == stored[1][3]


def test_metric_batch_status_goes_from_queued_to_written(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, run: SeededRun
) -> None:
    _post(api, user, run.id, {"batch_id": "b-7", "points": [{"name": "x", "value": 1, "step": 0}]})
    url = f"/v1/runs/{run.id}/metrics/batches/b-7"

    queued = api.get(url, headers=user.bearer).json()
    drain_ingest_queue(local_stack)
    written = api.get(url, headers=user.bearer).json()

    assert queued == {
        "batch_id": "b-7",
        "status": "queued",
        "point_count": 1,
        "parts": 1,
        "parts_written": 0,
        "error": None,
    }
    assert written["status"] == "written"
    assert written["parts_written"] == 1


def test_metric_batch_sent_again_is_stored_once(
    api: TestClient,
    local_stack: LocalStack,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
) -> None:
    body = {
        "batch_id": "again",
        "points": [{"name": "x", "value": i, "step": i} for i in range(50)],
    }

    first = _post(api, user, run.id, body)
    second = _post(api, user, run.id, body)  # still queued: queued again
    drain_ingest_queue(local_stack)
    third = _post(api, user, run.id, body)  # written: answered, not queued

    assert first.status_code == second.status_code == third.status_code == 202
    assert third.json()["status"] == "written"
    assert queued_message_count(local_stack) == 0
    assert len(_stored(clean_database, run.id)) == 50
    summary = api.get(f"/v1/runs/{run.id}/metrics", headers=user.bearer).json()["items"]
    assert summary[0]["count"] == 50


def test_metric_batch_id_reused_for_other_points_conflicts(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    _post(api, user, run.id, {"batch_id": "b", "points": [{"name": "x", "value": 1, "step": 0}]})

    answer = _post(
        api, user, run.id, {"batch_id": "b", "points": [{"name": "x", "value": 1, "step": 0}] * 2}
    )

    assert answer.status_code == 409
    assert answer.json()["code"] == "batch_id_reused"


def test_points_with_same_msg_id_in_different_batches_are_stored_once(
    local_stack: LocalStack,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
) -> None:
    principal = user.principal
    shared = uuid.uuid4()
    first = [PointIn("loss", 1.0, 0, msg_id=shared), PointIn("loss", 2.0, 1, msg_id=uuid.uuid4())]
    second = [PointIn("loss", 1.0, 0, msg_id=shared), PointIn("loss", 3.0, 2)]
    duplicate_inside = uuid.uuid4()
    third = [PointIn("loss", 4.0, 3, msg_id=duplicate_inside)] * 2

    ingest.submit_points(principal, uuid.UUID(run.id), batch_id="one", points=first)
    drain_ingest_queue(local_stack)
    ingest.submit_points(principal, uuid.UUID(run.id), batch_id="two", points=second)
    ingest.submit_points(principal, uuid.UUID(run.id), batch_id="three", points=third)
    drain_ingest_queue(local_stack)

    assert [(step, value) for _, step, value, _ in _stored(clean_database, run.id)] == [
        (0, 1.0),
        (1, 2.0),
        (2, 3.0),
        (3, 4.0),
    ]
    with psycopg.connect(clean_database) as connection:
        count = connection.execute("SELECT count FROM run_metrics").fetchone()
    assert count == (4,)


def test_non_finite_values_round_trip_as_strings(
    api: TestClient,
    local_stack: LocalStack,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
) -> None:
    points = [
        {"name": "v", "value": "NaN", "step": 0},
        {"name": "v", "value": "Infinity", "step": 1},
        {"name": "v", "value": "-Infinity", "step": 2},
        {"name": "v", "value": 1.5, "step": 3},
    ]
    raw_json = json.dumps({"batch_id": "nf", "points": points}).replace('"NaN"', "NaN")

    answer = api.post(
        f"/v1/runs/{run.id}/metrics",
        content=raw_json,
        headers={**user.bearer, "content-type": "application/json"},
    )
    assert answer.status_code == 202, answer.text
    drain_ingest_queue(local_stack)

    values = [value for _, _, value, _ in _stored(clean_database, run.id)]
    assert math.isnan(values[0])
    assert values[1:] == [math.inf, -math.inf, 1.5]
    series = api.get(f"/v1/runs/{run.id}/series", params={"name": "v"}, headers=user.bearer)
    assert [item["value"] for item in series.json()["items"]] == [
        "NaN",
        "Infinity",
        "-Infinity",
        1.5,
    ]
    summary = api.get(f"/v1/runs/{run.id}/metrics", headers=user.bearer).json()["items"][0]
    assert (summary["min"], summary["max"], summary["last"]) == ("-Infinity", "Infinity", 1.5)


@pytest.mark.parametrize(
    ("bad_point", "field"),
    [
        ({"name": "x", "value": "high", "step": 1}, "value"),
        ({"name": "x", "value": 1, "step": -1}, "step"),
        ({"name": "x", "value": 1, "step": 2**53 + 1}, "step"),
        ({"name": "x", "value": 1, "step": 1.5}, "step"),
        ({"name": "x", "value": 1, "step": True}, "step"),
        ({"name": "x,y", "value": 1, "step": 1}, "name"),
        ({"name": "x" * 257, "value": 1, "step": 1}, "name"),
        ({"name": "x", "value": 1, "step": 1, "timestamp": "yesterday"}, "timestamp"),
        ({"name": "x", "value": 1, "step": 1, "extra": True}, "extra"),
        ({"name": "x", "value": True, "step": 1}, "value"),
    ],
)
def test_metric_batch_with_a_bad_point_is_refused_naming_it_and_nothing_is_queued(
    api: TestClient,
    local_stack: LocalStack,
    user: SignedUpUser,
    run: SeededRun,
    bad_point: dict[str, Any],
    field: str,
) -> None:
    points: list[dict[str, Any]] = [{"name": "x", "value": i, "step": i} for i in range(20)]
    points[17] = bad_point

    answer = _post(api, user, run.id, {"batch_id": "bad", "points": points})

    assert answer.status_code == 422, answer.text
    body = answer.json()
    assert f"points[17].{field}" in body["message"]
    assert any(f"points[17].{field}" in detail["message"] for detail in body["details"])
    assert queued_message_count(local_stack) == 0
    status = api.get(f"/v1/runs/{run.id}/metrics/batches/bad", headers=user.bearer)
    assert status.status_code == 404


def test_a_step_written_as_a_whole_float_is_the_integer_json_schema_allows(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, run: SeededRun
) -> None:
    points = [{"name": "x", "value": 0.5, "step": 3.0}, {"name": "x", "value": 0.25, "step": 4}]

    answer = _post(api, user, run.id, {"batch_id": "whole-floats", "points": points})

    assert answer.status_code == 202, answer.text
    drain_ingest_queue(local_stack)
    series = api.get(f"/v1/runs/{run.id}/series", params={"name": "x"}, headers=user.bearer)
    assert [(item["step"], item["value"]) for item in series.json()["items"]] == [
        (3, 0.5),
        (4, 0.25),
    ]


def test_submit_points_with_a_bad_point_names_it_by_index(
    user: SignedUpUser, run: SeededRun, local_stack: LocalStack
) -> None:
    points = [PointIn("x", 1.0, 0), PointIn("x", 1.0, 1, metadata={"bad": math.nan})]

    with pytest.raises(ValidationFailed) as raised:
        ingest.submit_points(user.principal, uuid.UUID(run.id), batch_id="m", points=points)

    assert raised.value.message.startswith("points[1].metadata")
    assert queued_message_count(local_stack) == 0


@pytest.mark.parametrize(
    "body",
    [
        {"batch_id": "", "points": [{"name": "x", "value": 1, "step": 0}]},
        {"batch_id": "a/b", "points": [{"name": "x", "value": 1, "step": 0}]},
        {"batch_id": "x" * 65, "points": [{"name": "x", "value": 1, "step": 0}]},
        {"batch_id": "ok", "points": []},
        {"batch_id": "ok", "points": [{"name": "x", "value": 1, "step": 0}] * 10_001},
    ],
)
def test_metric_batch_with_bad_envelope_is_refused(
    api: TestClient, user: SignedUpUser, run: SeededRun, body: dict[str, Any]
) -> None:
    assert _post(api, user, run.id, body).status_code in (413, 422)


def test_metric_batch_over_one_megabyte_is_refused_with_413(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    name = "n" * 256
    points = [{"name": name, "value": 1.0, "step": i} for i in range(5_000)]

    answer = _post(api, user, run.id, {"batch_id": "big", "points": points})

    assert answer.status_code == 413
    assert answer.json()["code"] == "payload_too_large"


def test_metric_batch_larger_than_a_queue_message_is_split_and_written_when_all_parts_are_in(
    api: TestClient,
    local_stack: LocalStack,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ingest_queue, "PART_MAX_BYTES", 100_000)  # a message holds ~40,000 points
    points = [
        {"name": f"layer.{i % 40}/grad_norm", "value": i / 7, "step": i // 40 + 10**12}
        for i in range(10_000)  # about 750 KB of JSON
    ]
    answer = _post(api, user, run.id, {"batch_id": "split", "points": points})
    assert answer.status_code == 202, answer.text
    status_url = f"/v1/runs/{run.id}/metrics/batches/split"
    parts = api.get(status_url, headers=user.bearer).json()["parts"]
    queue, _ = ingest_source(local_stack)
    sqs = sqs_client(local_stack)
    messages: list[dict[str, Any]] = []
    while len(messages) < parts:
        messages += sqs.receive_message(
            QueueUrl=queue.url, MaxNumberOfMessages=10, MessageSystemAttributeNames=["All"]
        ).get("Messages", [])
    assert len(messages) == parts >= 2
    assert all(len(m["Body"].encode()) < 256 * 1024 for m in messages)

    for message in messages[:-1]:
        local_stack.invoke("IngestWorkerFunction", _event([message], queue.arn))
    partly = api.get(status_url, headers=user.bearer).json()
    local_stack.invoke("IngestWorkerFunction", _event(messages[-1:], queue.arn))
    complete = api.get(status_url, headers=user.bearer).json()
    for message in messages:
        sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])

    assert partly["status"] == "queued"
    assert partly["parts_written"] == partly["parts"] - 1 == len(messages) - 1
    assert complete["status"] == "written"
    stored = _stored(clean_database, run.id)
    expected = sorted((p["name"], p["step"], p["value"]) for p in points)
    assert sorted(row[:3] for row in stored) == expected


def _event(messages: list[dict[str, Any]], queue_arn: str) -> dict[str, Any]:
    from wavedb_local.sqs_source import sqs_record

    return {"Records": [sqs_record(m, queue_arn=queue_arn, region="us-east-1") for m in messages]}


def test_metric_batch_when_the_queue_is_unreachable_answers_503_with_retry_after(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    monkeypatch: pytest.MonkeyPatch,
    server_environment: dict[str, str],
) -> None:
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
    reset_cached_settings()
    try:
        answer = _post(
            api,
            user,
            run.id,
            {"batch_id": "lost", "points": [{"name": "x", "value": 1, "step": 0}]},
        )
    finally:
        monkeypatch.setenv("AWS_ENDPOINT_URL", server_environment["AWS_ENDPOINT_URL"])
        reset_cached_settings()

    assert answer.status_code == 503
    assert answer.json()["code"] == "queue_unavailable"
    assert int(answer.headers["Retry-After"]) > 0


def test_metric_batch_left_queued_by_a_failed_send_is_queued_again_when_resent(
    api: TestClient,
    local_stack: LocalStack,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
) -> None:
    body = {"batch_id": "retry", "points": [{"name": "x", "value": 1, "step": 0}]}
    _post(api, user, run.id, body)
    purge_queue(local_stack, ingest_source(local_stack)[0])  # the send "was lost"

    again = _post(api, user, run.id, body)
    drain_ingest_queue(local_stack)

    assert again.status_code == 202
    assert len(_stored(clean_database, run.id)) == 1


def test_points_logged_after_a_timestamp_in_the_future_still_order_by_step(
    api: TestClient,
    local_stack: LocalStack,
    user: SignedUpUser,
    run: SeededRun,
) -> None:
    later = (datetime.now(UTC) + timedelta(days=1)).isoformat()
    _post(
        api,
        user,
        run.id,
        {
            "batch_id": "t",
            "points": [
                {"name": "x", "value": 5, "step": 9, "timestamp": later},
                {"name": "x", "value": 6, "step": 10},
            ],
        },
    )
    drain_ingest_queue(local_stack)

    summary = api.get(f"/v1/runs/{run.id}/metrics", headers=user.bearer).json()["items"][0]

    assert (summary["last"], summary["last_step"], summary["first_step"]) == (6, 10, 9)


def test_metric_batch_recorded_as_rows_before_the_upgrade_sent_again_is_the_same_batch(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    points = [
        {"name": "b", "value": 1.5, "step": 1},
        {"name": "a", "value": 2, "step": 1, "timestamp": "1970-01-01T00:00:01Z"},
    ]
    # How the previous version digested a batch: names, then one array per point.
    rows_digest = hashlib.sha256(b'["b","a"]\n[[0,1,1.5],[1,1,2.0,1000000]]').digest()
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO ingest_batches (run_id, batch_id, parts, point_count, content_digest,"
            " status, parts_written) VALUES (%s, 'old', 1, 2, %s, 'written', 1)",
            (run.id, rows_digest),
        )

    again = _post(api, user, run.id, {"batch_id": "old", "points": points})
    other = _post(api, user, run.id, {"batch_id": "old", "points": points[:1]})

    assert again.status_code == 202, again.text
    assert again.json()["status"] == "written"
    assert other.status_code == 409, other.text
