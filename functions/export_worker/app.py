"""Export worker: runs the export jobs of the export queue (one message per job).

A job writes its file with a multipart upload and is marked done only once the upload is
complete, or failed with the reason (the upload aborted: nothing is readable). A message
fails, and is retried by SQS and then moved to the dead-letter queue, only when its job
cannot even be marked failed (the database is unreachable).
"""

import json
from uuid import UUID

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from wavedb_core.services.exports import run_job
from wavedb_core.sqs_worker import sqs_batch_handler

logger = Logger()
metrics = Metrics()


def _job_id(body: str) -> UUID:
    message = json.loads(body)
    if not isinstance(message, dict) or not isinstance(message.get("job_id"), str):
        raise ValueError("not an export job message")
    return UUID(message["job_id"])


def record_handler(record: SQSRecord) -> None:
    job_id = _job_id(record.body)
    outcome = run_job(job_id)
    logger.info("export job", extra={"job_id": str(job_id), "outcome": outcome})
    if outcome in ("done", "failed"):
        metrics.add_metric(name=f"Exports_{outcome}", unit=MetricUnit.Count, value=1)


handler = sqs_batch_handler(record_handler)
