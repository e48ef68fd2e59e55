"""`S3` function events: the bucket notifies an internal queue; each S3 event invokes the function.

Lambda receives an S3 notification as an asynchronous invocation: the event is the S3
message itself (`{"Records": [...]}`), retried twice on failure and then dropped.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from wavedb_local.model import S3EventSource
from wavedb_local.naming import LocalNaming
from wavedb_local.sqs_source import SqsPoller

logger = logging.getLogger("wavedb_local.s3")

ASYNC_ATTEMPTS = 3  # the first invocation and Lambda's two retries


def internal_queue_name(naming: LocalNaming, source: S3EventSource) -> str:
    """The queue that carries the bucket's notifications for one function event."""
    name = f"{naming.stack_name}-s3-{source.function_id}-{source.event_name}".lower()
    return name[:80]


def lambda_s3_event(message_body: str) -> dict[str, Any] | None:
    """The S3 event a function receives; None for S3's `s3:TestEvent` and foreign bodies."""
    try:
        event = json.loads(message_body)
    except ValueError:
        return None
    if not isinstance(event, dict) or not isinstance(event.get("Records"), list):
        return None
    for record in event["Records"]:
        record.setdefault("userIdentity", {"principalId": "AWS:LOCAL"})
        record.setdefault("requestParameters", {"sourceIPAddress": "127.0.0.1"})
        record.setdefault("responseElements", {})
        s3 = record.setdefault("s3", {})
        s3.setdefault("bucket", {}).setdefault("ownerIdentity", {"principalId": "LOCAL"})
    return event


class S3EventPoller(SqsPoller):
    """Forwards each S3 notification on the internal queue to the function."""

    def process(self, messages: list[dict[str, Any]]) -> None:
        for message in messages:
            event = lambda_s3_event(message.get("Body", ""))
            handle = message["ReceiptHandle"]
            if event is None:
                self.client.delete_message(QueueUrl=self.queue.url, ReceiptHandle=handle)
                continue
            try:
                self._invoke(self.source.function_id, event)
            except Exception:
                attempts = int(
                    (message.get("Attributes") or {}).get("ApproximateReceiveCount", "1")
                )
                if attempts >= ASYNC_ATTEMPTS:
                    logger.exception(
                        "%s failed %d times; the S3 event is dropped", self.name, attempts
                    )
                    self.client.delete_message(QueueUrl=self.queue.url, ReceiptHandle=handle)
                else:
                    logger.exception("%s failed; the S3 event will be retried", self.name)
                    self.client.change_message_visibility(
                        QueueUrl=self.queue.url,
                        ReceiptHandle=handle,
                        VisibilityTimeout=self._retry_visibility,
                    )
                continue
            self.client.delete_message(QueueUrl=self.queue.url, ReceiptHandle=handle)
