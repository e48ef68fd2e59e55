"""The SQS event source mapping: long-poll a queue, invoke the function with batches.

As in Lambda: a batch whose invocation raises (or answers an invalid partial-failure
report) stays on the queue; with `ReportBatchItemFailures` only the reported messages
stay. Failed messages become visible again after `retry_visibility_seconds` (not the
queue's long VisibilityTimeout) so that retries happen quickly, unless the function changed
their visibility itself (Lambda never overrides that): `visibility_changes` tells which
receipt handles were changed; without it (an emulator this process does not run, or real
AWS) failed messages wait for the queue's VisibilityTimeout, as in AWS. The queue's
RedrivePolicy (which the emulator honours on receive) moves a message to the DLQ after
maxReceiveCount.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from typing import Any

from wavedb_local.background import BackgroundLoop
from wavedb_local.model import QueueSpec, SqsEventSource

logger = logging.getLogger("wavedb_local.sqs")

Invoke = Callable[[str, Any], Any]
VisibilityChanges = Callable[[Iterable[str]], set[str]]
_MAX_RECEIVE = 10


def _message_attributes(raw: dict[str, Any]) -> dict[str, Any]:
    import base64

    shaped: dict[str, Any] = {}
    for name, attribute in raw.items():
        value: dict[str, Any] = {
            "stringListValues": [],
            "binaryListValues": [],
            "dataType": attribute.get("DataType", "String"),
        }
        if "StringValue" in attribute:
            value["stringValue"] = attribute["StringValue"]
        if "BinaryValue" in attribute:
            value["binaryValue"] = base64.b64encode(attribute["BinaryValue"]).decode()
        shaped[name] = value
    return shaped


def sqs_record(message: dict[str, Any], *, queue_arn: str, region: str) -> dict[str, Any]:
    """The Lambda event record of one received SQS message."""
    attributes = dict(message.get("Attributes") or {})
    record: dict[str, Any] = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message.get("Body", ""),
        "attributes": {
            "ApproximateReceiveCount": attributes.get("ApproximateReceiveCount", "1"),
            "SentTimestamp": attributes.get("SentTimestamp", str(int(time.time() * 1000))),
            "SenderId": attributes.get("SenderId", "AIDAIENQZJOLO23YVJ4VO"),
            "ApproximateFirstReceiveTimestamp": attributes.get(
                "ApproximateFirstReceiveTimestamp", str(int(time.time() * 1000))
            ),
            **{
                key: value
                for key, value in attributes.items()
                if key
                in {"MessageGroupId", "MessageDeduplicationId", "SequenceNumber", "AWSTraceHeader"}
            },
        },
        "messageAttributes": _message_attributes(message.get("MessageAttributes") or {}),
        "md5OfBody": message.get("MD5OfBody", ""),
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


class InvalidBatchResponse(ValueError):
    """A partial batch response Lambda would treat as a failure of the whole batch."""


def failed_message_ids(response: Any, batch_ids: set[str]) -> set[str]:
    """The messages a ReportBatchItemFailures answer reports as failed."""
    if response is None:
        return set()
    if not isinstance(response, dict):
        raise InvalidBatchResponse(f"the answer is {type(response).__name__}, not an object")
    failures = response.get("batchItemFailures")
    if failures is None:
        return set()
    if not isinstance(failures, list):
        raise InvalidBatchResponse("batchItemFailures is not a list")
    failed: set[str] = set()
    for failure in failures:
        identifier = failure.get("itemIdentifier") if isinstance(failure, dict) else None
        if not isinstance(identifier, str) or not identifier or identifier not in batch_ids:
            raise InvalidBatchResponse(f"invalid itemIdentifier in {failure!r}")
        failed.add(identifier)
    return failed


class SqsPoller(BackgroundLoop):
    """Drives one function from one queue, like one Lambda event source mapping."""

    thread_prefix = "sqs"

    def __init__(
        self,
        *,
        client: Any,
        queue: QueueSpec,
        source: SqsEventSource,
        invoke: Invoke,
        region: str,
        retry_visibility_seconds: int = 1,
        wait_seconds: int = 1,
        visibility_changes: VisibilityChanges | None = None,
    ) -> None:
        super().__init__()
        self.client = client
        self.queue = queue
        self.source = source
        self._invoke = invoke
        self._region = region
        self._retry_visibility = retry_visibility_seconds
        self._wait_seconds = wait_seconds
        self._visibility_changes = visibility_changes

    @property
    def name(self) -> str:
        return f"{self.source.function_id}.{self.source.event_name}"

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.poll_once()
            except Exception:
                if self._stop.is_set():
                    break
                logger.exception("polling %s for %s failed; retrying", self.queue.name, self.name)
                self._stop.wait(1.0)

    # ------------------------------------------------------------------ one batch
    def receive_batch(self) -> list[dict[str, Any]]:
        """Receive up to BatchSize messages, waiting up to the batching window to fill it."""
        wanted = max(1, self.source.batch_size)
        window_ends = time.monotonic() + self.source.maximum_batching_window_seconds
        messages: list[dict[str, Any]] = []
        while len(messages) < wanted and not self._stop.is_set():
            answer = self.client.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=min(_MAX_RECEIVE, wanted - len(messages)),
                WaitTimeSeconds=self._wait_seconds if not messages else 0,
                MessageSystemAttributeNames=["All"],
                MessageAttributeNames=["All"],
            )
            received = answer.get("Messages") or []
            messages.extend(received)
            if not messages or time.monotonic() >= window_ends:
                break
            if not received:
                self._stop.wait(0.1)
        return messages

    def poll_once(self) -> int:
        """Receive one batch and process it; returns how many messages it held."""
        messages = self.receive_batch()
        if messages:
            self.process(messages)
        return len(messages)

    def process(self, messages: list[dict[str, Any]]) -> None:
        """Invoke the function with `messages` and settle them on the queue."""
        records = [sqs_record(m, queue_arn=self.queue.arn, region=self._region) for m in messages]
        by_id = {record["messageId"]: record for record in records}
        try:
            response = self._invoke(self.source.function_id, {"Records": records})
            failed = (
                failed_message_ids(response, set(by_id))
                if self.source.report_batch_item_failures
                else set()
            )
        except InvalidBatchResponse as error:
            logger.error(
                "%s: invalid batch response (%s); the batch will be retried", self.name, error
            )
            failed = set(by_id)
        except Exception:
            logger.exception("%s raised; the batch of %d will be retried", self.name, len(records))
            failed = set(by_id)
        succeeded = [record for record in records if record["messageId"] not in failed]
        retried = [record for record in records if record["messageId"] in failed]
        self._delete(succeeded)
        self._make_visible_soon(retried)

    def _delete(self, records: list[dict[str, Any]]) -> None:
        for start in range(0, len(records), _MAX_RECEIVE):
            chunk = records[start : start + _MAX_RECEIVE]
            self.client.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": record["receiptHandle"]}
                    for index, record in enumerate(chunk)
                ],
            )

    def _make_visible_soon(self, records: list[dict[str, Any]]) -> None:
        if self._visibility_changes is None:
            return
        changed = self._visibility_changes(record["receiptHandle"] for record in records)
        records = [record for record in records if record["receiptHandle"] not in changed]
        for start in range(0, len(records), _MAX_RECEIVE):
            chunk = records[start : start + _MAX_RECEIVE]
            self.client.change_message_visibility_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {
                        "Id": str(index),
                        "ReceiptHandle": record["receiptHandle"],
                        "VisibilityTimeout": self._retry_visibility,
                    }
                    for index, record in enumerate(chunk)
                ],
            )
