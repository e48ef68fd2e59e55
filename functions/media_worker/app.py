"""Media worker: S3 `ObjectCreated` notifications (through SQS) of uploaded media.

Each object is checked against its grant and its item marked `ready` or `rejected` (see
services.media_intake). A record that fails is reported in `batchItemFailures` and retried
by SQS, then moved to the dead-letter queue; the others are not held back.
"""

import json
import warnings
from typing import Any
from urllib.parse import unquote_plus

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from wavedb_core.services.media_intake import receive_object

warnings.filterwarnings("ignore", message="No application metrics to publish")

logger = Logger()
tracer = Tracer()
metrics = Metrics()
processor = BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


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


@metrics.log_metrics
@tracer.capture_lambda_handler(capture_response=False)
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    response = process_partial_response(
        event=event, record_handler=record_handler, processor=processor, context=context
    )
    return dict(response)
