"""The Lambda entry point of an SQS worker: Powertools partial batch processing.

Each record is handled on its own; a record whose handler raises is reported in
`batchItemFailures` (the others are not held back), retried by SQS and, after the queue's
maxReceiveCount, moved to its dead-letter queue. Record handlers add business metrics with
their own `Metrics()`: Powertools shares one metric set per namespace, published here.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.utilities.batch import (
    BatchProcessor,
    EventType,
    process_partial_response,
)
from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord
from aws_lambda_powertools.utilities.typing import LambdaContext

from wavedb_core.tracing import function_tracer

if TYPE_CHECKING:  # the HTTP package imports FastAPI, which a worker does not need
    from wavedb_core.http.lambda_handler import LambdaHandler

# A batch that records no business metric (duplicates, say) is normal.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def _default_processor() -> BatchProcessor:
    # Every failing record is reported, even when the whole batch fails: never raise.
    return BatchProcessor(event_type=EventType.SQS, raise_on_entire_batch_failure=False)


def sqs_batch_handler(
    record_handler: Callable[[SQSRecord], None],
    new_processor: Callable[[], BatchProcessor] = _default_processor,
) -> LambdaHandler:
    """A Lambda handler for SQS events that runs `record_handler` on each record, with a
    processor made by `new_processor` for each invocation (a BatchProcessor of SQS records
    that never raises; it keeps the batch's state, so invocations that overlap - threads of
    one process, as the local stack may run them - never share one)."""
    logger = Logger()
    tracer = function_tracer()
    metrics = Metrics()

    @metrics.log_metrics
    @tracer.capture_lambda_handler(capture_response=False)
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        response = process_partial_response(
            event=event, record_handler=record_handler, processor=new_processor(), context=context
        )
        return dict(response)

    return cast("LambdaHandler", handler)
