"""Ingest worker: writes the metric batch parts of the ingest queue into PostgreSQL.

Each message is written in its own transaction; a message that fails is reported in
`batchItemFailures` (the others are not held back) and retried by SQS, then moved to the
dead-letter queue. On its last allowed delivery a failing part marks its batch failed.

A database that cannot be reached is nobody's message's fault. Once a part finds it
unreachable (after one try on a new connection), the rest of the invocation's parts are not
tried; every part not written is reported, and held back on the queue for longer at each
receive (`outage_hold_seconds`), so that the queue's few receives span hours of outage
instead of minutes and good batches do not end up in the dead-letter queue.
"""

from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from wavedb_core.aws import aws_client
from wavedb_core.queue import BatchPart, InvalidPoints, MalformedMessage, decode_part
from wavedb_core.services.ingest_writer import (
    database_unreachable,
    mark_batch_failed,
    write_part_reconnecting,
)
from wavedb_core.settings import get_settings
from wavedb_core.sqs_worker import sqs_batch_handler

logger = Logger()
metrics = Metrics()

# Held back 5 minutes after the first receive that finds the database unreachable, four
# times longer at each further receive, at most 11 hours (SQS allows 12 from a receive).
# With 5 receives a message reaches the dead-letter queue after about 18 hours of outage.
OUTAGE_FIRST_HOLD_SECONDS = 300
OUTAGE_HOLD_GROWTH = 4
OUTAGE_MAX_HOLD_SECONDS = 11 * 3600


class DatabaseUnreachable(RuntimeError):
    """A part not tried: an earlier part of the invocation found the database unreachable."""


@dataclass
class _Invocation:
    database_unreachable: bool = False
    held_back: list[SQSRecord] = field(default_factory=list)


_invocation: ContextVar[_Invocation | None] = ContextVar("ingest_invocation", default=None)


def outage_hold_seconds(receive_count: int) -> int:
    """How long a message stays invisible after its `receive_count`-th receive failed for
    want of a database."""
    growth: int = OUTAGE_HOLD_GROWTH ** max(0, min(receive_count, 10) - 1)
    return min(OUTAGE_MAX_HOLD_SECONDS, OUTAGE_FIRST_HOLD_SECONDS * growth)


def _receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count)
    except (TypeError, ValueError):
        return 1


def _last_attempt(record: SQSRecord) -> bool:
    return _receive_count(record) >= get_settings().ingest_max_receive_count


def _give_up(part: BatchPart, error: Exception) -> None:
    reason = f"{type(error).__name__}: {error}".splitlines()[0][:300]
    try:
        mark_batch_failed(part, reason)
    except Exception:
        logger.exception("could not mark the batch failed", extra={"batch_id": part.batch_id})


def _hold_back_for_outage(record: SQSRecord) -> None:
    invocation = _invocation.get()
    if invocation is not None:
        invocation.database_unreachable = True
        invocation.held_back.append(record)


def record_handler(record: SQSRecord) -> None:
    try:
        part = decode_part(record.body)
    except MalformedMessage as error:
        logger.error(
            "malformed ingest message; it goes to the dead-letter queue",
            extra={"message_id": record.message_id, "problem": str(error)},
        )
        if isinstance(error, InvalidPoints) and _last_attempt(record):
            _give_up(error.part, error)
        raise
    invocation = _invocation.get()
    if invocation is not None and invocation.database_unreachable:
        _hold_back_for_outage(record)
        raise DatabaseUnreachable("not tried: the database is unreachable")
    try:
        written = write_part_reconnecting(part)
    except Exception as error:
        if database_unreachable(error):
            logger.warning(
                "the database is unreachable; the invocation's unwritten parts are held back",
                extra={"batch_id": part.batch_id, "error_type": type(error).__name__},
            )
            _hold_back_for_outage(record)
            raise
        last_attempt = _last_attempt(record)
        logger.exception(
            "writing a batch part failed",
            extra={
                "run_id": str(part.run_id),
                "batch_id": part.batch_id,
                "part": part.part,
                "last_attempt": last_attempt,
            },
        )
        if last_attempt:
            _give_up(part, error)
        raise
    if written.outcome == "written":
        metrics.add_metric(name="MetricPointsWritten", unit=MetricUnit.Count, value=written.points)
    else:
        logger.info(
            "batch part skipped",
            extra={"batch_id": part.batch_id, "part": part.part, "outcome": written.outcome},
        )


def _queue_url(queue_arn: str, sqs: Any) -> str:
    """The URL of a queue from its ARN (arn:aws:sqs:<region>:<account>:<name>)."""
    *_, account, name = queue_arn.split(":")
    return f"{str(sqs.meta.endpoint_url).rstrip('/')}/{account}/{name}"


def hold_back(records: list[SQSRecord]) -> None:
    """Make the messages invisible for `outage_hold_seconds` of their receive count (best
    effort: a message that cannot be held back is retried after the queue's timeout)."""
    by_queue: dict[str, list[SQSRecord]] = {}
    for record in records:
        by_queue.setdefault(record.event_source_arn, []).append(record)
    try:
        sqs = aws_client("sqs")
        for queue_arn, queued in by_queue.items():
            url = _queue_url(queue_arn, sqs)
            for start in range(0, len(queued), 10):
                entries = [
                    {
                        "Id": str(index),
                        "ReceiptHandle": record.receipt_handle,
                        "VisibilityTimeout": outage_hold_seconds(_receive_count(record)),
                    }
                    for index, record in enumerate(queued[start : start + 10])
                ]
                answer = sqs.change_message_visibility_batch(QueueUrl=url, Entries=entries)
                if answer.get("Failed"):
                    logger.warning(
                        "some messages were not held back", extra={"failed": answer["Failed"]}
                    )
    except Exception:
        logger.exception("could not hold the messages back; the queue's timeout applies")


_process_batch = sqs_batch_handler(record_handler)


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    invocation = _Invocation()
    token = _invocation.set(invocation)
    try:
        response: dict[str, Any] = _process_batch(event, context)
    finally:
        _invocation.reset(token)
    if invocation.held_back:
        hold_back(invocation.held_back)
    return response
