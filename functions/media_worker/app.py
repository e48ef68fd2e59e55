"""Media worker: S3 `ObjectCreated` notifications (through SQS) of uploaded media.

Each object is checked against its grant and its item marked `ready` or `rejected` (see
services.media_intake). A record that fails is reported in `batchItemFailures` and retried
by SQS, then moved to the dead-letter queue; the others are not held back.
"""

import json
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

from wavedb_core.services.media_intake import receive_object
from wavedb_core.sqs_worker import sqs_batch_handler

logger = Logger()
metrics = Metrics()


def _created_keys(body: str) -> list[str]:
    """The object keys an S3 notification announces as created (none for S3's test event)."""
    notification = json.loads(body)
    if not isinstance(notification, dict):
        raise ValueError("not an S3 notification")
    keys: list[str] = []
    for record in notification.get("Records") or []:
        if not str(record.get("eventName", "")).startswith("ObjectCreated:"):
            continue
        keys.append(unquote_plus(record["s3"]["object"]["key"]))  # keys arrive URL-encoded
    return keys


def record_handler(record: SQSRecord) -> None:
    for key in _created_keys(record.body):
        outcome = receive_object(key)
        logger.info("media object received", extra={"key": key, "outcome": outcome})
        if outcome in ("accepted", "rejected"):
            metrics.add_metric(name=f"MediaUploads_{outcome}", unit=MetricUnit.Count, value=1)


handler = sqs_batch_handler(record_handler)
