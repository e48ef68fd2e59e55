"""Ingest worker: writes the metric batch parts of the ingest queue into PostgreSQL.

Each message is written in its own transaction; a message that fails is reported in
`batchItemFailures` (the others are not held back) and retried by SQS, then moved to the
dead-letter queue. On its last allowed delivery a failing part marks its batch failed.
"""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from wavedb_core.queue import BatchPart, MalformedMessage, decode_part
from wavedb_core.services.ingest_writer import mark_batch_failed, write_part
from wavedb_core.settings import get_settings
from wavedb_core.sqs_worker import sqs_batch_handler

logger = Logger()
metrics = Metrics()


def _receive_count(record: SQSRecord) -> int:
    try:
        return int(record.attributes.approximate_receive_count)
    except (TypeError, ValueError):
        return 1


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
        raise
    try:
        written = write_part(part)
    except Exception as error:
        last_attempt = _receive_count(record) >= get_settings().ingest_max_receive_count
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


handler = sqs_batch_handler(record_handler)
