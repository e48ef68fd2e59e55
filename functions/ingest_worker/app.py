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

import sys
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BatchProcessor, EventType
from aws_lambda_powertools.utilities.batch.base import FailureResponse, SuccessResponse
from aws_lambda_powertools.utilities.batch.exceptions import ExceptionInfo
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

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
    try:
        written = write_part_reconnecting(part)
    except Exception as error:
        if database_unreachable(error):
            logger.warning(
                "the database is unreachable; the invocation's unwritten parts are held back",
                extra={"batch_id": part.batch_id, "error_type": type(error).__name__},
            )
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


class OutageHoldingProcessor(BatchProcessor):
    """Partial batch processing of the ingest queue that stops at a database outage: once a
    record finds the database unreachable, the others are not tried (each fails with
    DatabaseUnreachable), and every record that failed for want of a database is held back
    on its queue (`hold_back`) once the batch's answer is made. One per invocation
    (`sqs_batch_handler` makes it), so its state is the batch's own."""

    def __init__(self) -> None:
        # Every failing record is reported, even when the whole batch fails: never raise.
        super().__init__(event_type=EventType.SQS, raise_on_entire_batch_failure=False)
        self.database_unreachable = False
        self.held_back: list[SQSRecord] = []

    def _process_record(self, record: dict[str, Any]) -> SuccessResponse | FailureResponse:
        if not self.database_unreachable:
            return super()._process_record(record)
        try:
            raise DatabaseUnreachable("not tried: the database is unreachable")
        except DatabaseUnreachable:
            return self.failure_handler(record=SQSRecord(record), exception=sys.exc_info())

    def failure_handler(self, record: Any, exception: ExceptionInfo) -> FailureResponse:
        error = exception[1]
        if isinstance(error, DatabaseUnreachable) or (
            isinstance(error, Exception) and database_unreachable(error)
        ):
            self.database_unreachable = True
            self.held_back.append(record)
        return super().failure_handler(record, exception)

    def _clean(self) -> None:
        super()._clean()  # type: ignore[no-untyped-call]
        if self.held_back:
            hold_back(self.held_back)


handler = sqs_batch_handler(record_handler, OutageHoldingProcessor)
