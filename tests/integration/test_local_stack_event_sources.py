"""Queues, bucket notifications and schedules driving the test template's functions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import unquote_plus

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.support.fixture_stack import running_fixture_stack
from wavedb_local.model import QueueSpec
from wavedb_local.stack import LocalStack

T = TypeVar("T")

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def stack(
    database_url: str, record_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LocalStack]:
    with running_fixture_stack(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        record_dir=record_dir,
        serve_http=False,
        schedule_interval_seconds=0.3,
    ) as local:
        yield local


def _client(stack: LocalStack, service: str) -> Any:
    return boto3.session.Session().client(
        service,
        region_name="us-east-1",
        endpoint_url=stack.aws_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


@pytest.fixture
def work_queue(stack: LocalStack) -> QueueSpec:
    """The template's WorkQueue, which the worker function reads (with a dead-letter queue)."""
    assert stack.model is not None
    return stack.model.queues["WorkQueue"]


@pytest.fixture
def upload_queue_url(stack: LocalStack) -> str:
    """The URL of the template's UploadQueue (the bucket's notifications to the upload worker)."""
    assert stack.model is not None
    url: str = stack.model.queues["UploadQueue"].url
    return url


@pytest.fixture
def uploads_bucket(stack: LocalStack) -> str:
    """The name of the template's UploadsBucket."""
    assert stack.model is not None
    name: str = stack.model.buckets["UploadsBucket"].name
    return name


def _records(record_dir: Path, name: str) -> list[Any]:
    path = record_dir / f"{name}.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def _eventually(probe: Callable[[], T | None], timeout: float = 20.0) -> T:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = probe()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("the condition did not hold in time")


def test_sqs_partial_batch_failures_are_retried_then_moved_to_the_dlq(
    stack: LocalStack, work_queue: QueueSpec, record_dir: Path
) -> None:
    assert stack.model is not None
    sqs = _client(stack, "sqs")
    dead_letters = stack.model.queues["WorkDeadLetterQueue"]
    bodies = [{"id": index, "fail": index in {2, 5}} for index in range(1, 7)]
    sqs.send_message_batch(
        QueueUrl=work_queue.url,
        Entries=[{"Id": str(body["id"]), "MessageBody": json.dumps(body)} for body in bodies],
    )
    in_dlq: list[dict[str, Any]] = []

    def dead_lettered() -> bool:
        answer = sqs.receive_message(
            QueueUrl=dead_letters.url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        )
        in_dlq.extend(answer.get("Messages") or [])
        return len(in_dlq) >= 2

    _eventually(dead_lettered)

    processed = [item for batch in _records(record_dir, "worker") for item in batch["processed"]]
    assert sorted(processed) == [1, 3, 4, 6]  # each exactly once
    assert sorted(json.loads(message["Body"])["id"] for message in in_dlq) == [2, 5]
    delivered = [r for batch in _records(record_dir, "worker") for r in batch["records"]]
    failing = [r for r in delivered if json.loads(r["body"])["fail"]]
    assert len(failing) == 4  # each failing message received maxReceiveCount (2) times
    assert {r["attributes"]["ApproximateReceiveCount"] for r in failing} == {"1", "2"}
    record = delivered[0]
    assert record["eventSource"] == "aws:sqs"
    assert record["eventSourceARN"] == work_queue.arn
    assert record["awsRegion"] == "us-east-1"
    assert {"SentTimestamp", "SenderId", "ApproximateFirstReceiveTimestamp"} <= set(
        record["attributes"]
    )
    assert record["md5OfBody"]
    remaining = sqs.get_queue_attributes(
        QueueUrl=work_queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    assert remaining == {
        "ApproximateNumberOfMessages": "0",
        "ApproximateNumberOfMessagesNotVisible": "0",
    }


def test_sqs_visibility_set_by_the_worker_is_not_reset_by_the_event_source(
    stack: LocalStack, work_queue: QueueSpec, record_dir: Path
) -> None:
    """A worker holding a failed message back for 20 s: it must not come back after 1 s."""
    sqs = _client(stack, "sqs")
    sqs.send_message(QueueUrl=work_queue.url, MessageBody=json.dumps({"id": 100, "hold": 20}))

    def held_ids() -> list[int]:
        delivered = [r for batch in _records(record_dir, "worker") for r in batch["records"]]
        return [
            json.loads(r["body"])["id"] for r in delivered if json.loads(r["body"])["id"] == 100
        ]

    _eventually(held_ids)
    time.sleep(4)

    assert held_ids() == [100]  # received once: still invisible, not retried after 1 s
    hidden = sqs.get_queue_attributes(
        QueueUrl=work_queue.url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
    )["Attributes"]
    assert hidden == {"ApproximateNumberOfMessagesNotVisible": "1"}
    sqs.purge_queue(QueueUrl=work_queue.url)


def test_sqs_message_over_1_mib_is_refused_by_send_message(
    stack: LocalStack, upload_queue_url: str
) -> None:
    sqs = _client(stack, "sqs")
    body = "é" * (512 * 1024 + 1)  # 512 Ki characters, just over 1 MiB in UTF-8

    with pytest.raises(ClientError) as refused:
        sqs.send_message(QueueUrl=upload_queue_url, MessageBody=body)

    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"
    assert "1048576 bytes" in refused.value.response["Error"]["Message"]


def test_sqs_message_attributes_count_towards_the_1_mib_limit(
    stack: LocalStack, upload_queue_url: str
) -> None:
    sqs = _client(stack, "sqs")

    with pytest.raises(ClientError) as refused:
        sqs.send_message(
            QueueUrl=upload_queue_url,
            MessageBody="x" * (1024 * 1024 - 10),
            MessageAttributes={"note": {"DataType": "String", "StringValue": "y" * 20}},
        )

    assert refused.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_sqs_batch_over_1_mib_in_total_is_refused(stack: LocalStack, upload_queue_url: str) -> None:
    sqs = _client(stack, "sqs")

    with pytest.raises(ClientError) as refused:
        sqs.send_message_batch(
            QueueUrl=upload_queue_url,
            Entries=[{"Id": str(n), "MessageBody": "é" * (300 * 1024)} for n in range(2)],
        )

    assert refused.value.response["Error"]["Code"] == "BatchRequestTooLong"


def test_s3_object_created_reaches_the_queue_worker_through_the_notification(
    stack: LocalStack, uploads_bucket: str, record_dir: Path
) -> None:
    s3 = _client(stack, "s3")

    s3.put_object(Bucket=uploads_bucket, Key="uploads/run-1/loss.csv", Body=b"1,2,3")

    keys = _eventually(
        lambda: [unquote_plus(k) for batch in _records(record_dir, "upload_worker") for k in batch]
    )
    assert keys == ["uploads/run-1/loss.csv"]


def test_s3_function_event_delivers_the_s3_event_to_the_function(
    stack: LocalStack, uploads_bucket: str, record_dir: Path
) -> None:
    s3 = _client(stack, "s3")

    s3.put_object(Bucket=uploads_bucket, Key="images/cat.png", Body=b"png")
    s3.put_object(Bucket=uploads_bucket, Key="other/dog.png", Body=b"png")

    events = _eventually(lambda: _records(record_dir, "thumbnail"))
    time.sleep(0.5)  # room for a wrongly routed second event to show up
    events = _records(record_dir, "thumbnail")
    assert len(events) == 1
    (record,) = events[0]["Records"]
    assert record["eventSource"] == "aws:s3"
    assert record["eventName"].startswith("ObjectCreated:")
    assert record["s3"]["bucket"]["name"] == uploads_bucket
    assert unquote_plus(record["s3"]["object"]["key"]) == "images/cat.png"
    assert not any(
        unquote_plus(k).startswith("images/")
        for batch in _records(record_dir, "upload_worker")
        for k in batch
    )


def test_schedule_invokes_the_function_with_a_scheduled_event(
    stack: LocalStack, record_dir: Path
) -> None:
    events = _eventually(lambda: _records(record_dir, "tick"), timeout=5)

    event = events[0]
    assert event["detail-type"] == "Scheduled Event"
    assert event["source"] == "aws.events"
    assert event["account"] == "123456789012"
    assert event["resources"][0].startswith("arn:aws:events:us-east-1:123456789012:rule/")
