"""Metric ingest in tests: drain the ingest queue into the worker, and runs to write to.

The session's local stack runs without event sources; `drain_ingest_queue` does what the
SQS event source mapping would, with the local stack's own poller (same event shape,
same batching, partial-batch failures and redrive).
"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, replace
from typing import Any

import psycopg

from wavedb_local.model import QueueSpec, SqsEventSource
from wavedb_local.sqs_source import SqsPoller
from wavedb_local.stack import LocalStack

INGEST_WORKER = "IngestWorkerFunction"
INGEST_QUEUE = "IngestQueue"


def queue_source(
    stack: LocalStack, queue_id: str, function_id: str
) -> tuple[QueueSpec, SqsEventSource]:
    """A template queue and a function's event source on it, as the template declares them."""
    assert stack.model is not None, "start the stack first"
    queue = stack.model.queues[queue_id]
    for source in stack.model.functions[function_id].sqs_sources:
        if source.queue_arn == queue.arn:
            return queue, source
    raise AssertionError(f"{function_id} has no SQS event source on {queue_id}")


def ingest_source(stack: LocalStack) -> tuple[QueueSpec, SqsEventSource]:
    """The ingest queue and the worker's event source on it."""
    return queue_source(stack, INGEST_QUEUE, INGEST_WORKER)


_clients: dict[str | None, Any] = {}


def sqs_client(stack: LocalStack) -> Any:
    """An SQS client of the stack's AWS endpoint (one per endpoint)."""
    client = _clients.get(stack.aws_endpoint)
    if client is None:
        client = _clients[stack.aws_endpoint] = _new_sqs_client(stack)
    return client


def _new_sqs_client(stack: LocalStack) -> Any:
    return stack_client(stack, "sqs")


def stack_client(stack: LocalStack, service: str) -> Any:
    """A new boto3 client of one service at the stack's AWS endpoint."""
    import boto3

    return boto3.session.Session().client(
        service,
        region_name=stack.config.region,
        endpoint_url=stack.aws_endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def queued_message_count(stack: LocalStack, queue: QueueSpec | None = None) -> int:
    """Messages on the queue, visible or in flight."""
    queue = queue or ingest_source(stack)[0]
    attributes = sqs_client(stack).get_queue_attributes(
        QueueUrl=queue.url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"]) + int(
        attributes["ApproximateNumberOfMessagesNotVisible"]
    )


def drain_queue(
    stack: LocalStack, queue: QueueSpec, source: SqsEventSource, *, timeout: float = 30
) -> None:
    """Feed the queue to its function (through `stack.invoke`) until it is empty.

    Messages the function reports as failed become visible again after a second and are
    retried, until the queue's redrive policy moves them to the dead-letter queue.
    """
    poller = SqsPoller(
        client=sqs_client(stack),
        queue=queue,
        # The same batches, without waiting for a batch to fill up.
        source=replace(source, maximum_batching_window_seconds=0),
        invoke=stack.invoke,
        region=stack.config.region,
        retry_visibility_seconds=1,
        wait_seconds=0,
        visibility_changes=stack.visibility_changes(),
    )
    deadline = time.monotonic() + timeout
    while True:
        if poller.poll_once() == 0:
            if queued_message_count(stack, queue) == 0:
                return
            time.sleep(0.1)  # failed messages are invisible for a moment before a retry
        if time.monotonic() > deadline:
            raise AssertionError(f"{queue.name} was not drained within {timeout} s")


def drain_ingest_queue(stack: LocalStack, *, timeout: float = 30) -> None:
    """Feed the ingest queue to the ingest worker until it is empty."""
    queue, source = ingest_source(stack)
    drain_queue(stack, queue, source, timeout=timeout)


def purge_queue(stack: LocalStack, queue: QueueSpec, *, timeout: float = 10) -> None:
    """Delete every message, waiting for those in flight (PurgeQueue works once a minute)."""
    sqs = sqs_client(stack)
    deadline = time.monotonic() + timeout
    while queued_message_count(stack, queue):
        received = sqs.receive_message(QueueUrl=queue.url, MaxNumberOfMessages=10).get(
            "Messages", []
        )
        if received:
            sqs.delete_message_batch(
                QueueUrl=queue.url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(received)
                ],
            )
        elif time.monotonic() > deadline:
            raise AssertionError(f"{queue.name} still holds messages in flight")
        else:
            time.sleep(0.1)


# ---------------------------------------------------------------- runs to write to


@dataclass(frozen=True)
class SeededRun:
    id: str
    project_id: str
    workspace_id: str


def seed_run(database_url: str, owner_id: str, *, name: str = "run") -> SeededRun:
    """A workspace owned by the user, with a project and a run (straight into the tables)."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        workspace_id = connection.execute(
            "INSERT INTO workspaces (name, created_by) VALUES (%s, %s) RETURNING id",
            (f"ws-{uuid.uuid4().hex[:8]}", owner_id),
        ).fetchone()[0]  # type: ignore[index]
        connection.execute(
            "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, 'owner')",
            (workspace_id, owner_id),
        )
        project_id = connection.execute(
            "INSERT INTO projects (workspace_id, name, created_by) VALUES (%s, %s, %s)"
            " RETURNING id",
            (workspace_id, f"p-{uuid.uuid4().hex[:8]}", owner_id),
        ).fetchone()[0]  # type: ignore[index]
        run_id = connection.execute(
            "INSERT INTO runs (project_id, workspace_id, name, created_by)"
            " VALUES (%s, %s, %s, %s) RETURNING id",
            (project_id, workspace_id, name, owner_id),
        ).fetchone()[0]  # type: ignore[index]
    return SeededRun(str(run_id), str(project_id), str(workspace_id))


def add_member(database_url: str, workspace_id: str, user_id: str, role: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, %s)",
            (workspace_id, user_id, role),
        )


# When load_points logs its first point (µs since the epoch); point i is logged i µs later.
LOGGED_US = 1_795_428_930_000_000


def load_points(
    database_url: str,
    run_id: str,
    name: str,
    points: list[tuple[int, float]],
    *,
    logged_us: int = LOGGED_US,
) -> None:
    """Write (step, value) points of one metric straight through the worker's SQL (staging,
    insert, summaries, rollups), without the queue: for long series."""
    from psycopg.rows import dict_row

    from wavedb_core.repositories import metric_points, run_metrics
    from wavedb_core.services.ingest_writer import write_staged_points

    with (
        psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as connection,
        connection.transaction(),
    ):
        metric_id = run_metrics.ensure_metrics(connection, uuid.UUID(run_id), [name])[name]
        metric_points.create_staging_table(connection)
        metric_points.stage_points(
            connection,
            (
                (metric_id, step, value, logged_us + index, None, None)
                for index, (step, value) in enumerate(points)
            ),
        )
        write_staged_points(connection, [metric_id], False)
