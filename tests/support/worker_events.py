"""SQS events for the ingest worker, as the event source mapping hands them over, and the
batch rows the API would have recorded for them."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import psycopg

from wavedb_core.models.metrics import PointIn
from wavedb_core.queue import encode_batch
from wavedb_local.sqs_source import sqs_record

WORKER = "IngestWorkerFunction"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:wavedb-local-ingestqueue"


def queue_batch(database_url: str, run_id: str, batch_id: str, parts: int, points: int) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO ingest_batches (run_id, batch_id, parts, point_count)"
            " VALUES (%s, %s, %s, %s)",
            (run_id, batch_id, parts, points),
        )


def message(body: str, *, receive_count: int = 1) -> dict[str, Any]:
    return {
        "MessageId": str(uuid.uuid4()),
        "ReceiptHandle": uuid.uuid4().hex,
        "Body": body,
        "Attributes": {"ApproximateReceiveCount": str(receive_count)},
    }


def event(*messages: dict[str, Any]) -> dict[str, Any]:
    return {
        "Records": [
            sqs_record(message, queue_arn=QUEUE_ARN, region="us-east-1") for message in messages
        ]
    }


def batch_body(
    run_id: str,
    database_url: str,
    batch_id: str,
    points: list[PointIn],
    *,
    received_at: datetime | None = None,
) -> str:
    """The one message body of a batch, its batch row recorded."""
    bodies = encode_batch(
        uuid.UUID(run_id), batch_id, points, received_at=received_at or datetime.now(UTC)
    )
    queue_batch(database_url, run_id, batch_id, len(bodies), len(points))
    assert len(bodies) == 1
    return bodies[0]
