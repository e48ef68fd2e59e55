"""Handing ingest queue messages to the worker as Lambda's SQS event source mapping does.

`deliver` invokes the worker with one batch of received messages, deletes the ones it did
not report in `batchItemFailures` and leaves the reported ones alone: they stay invisible
until their visibility timeout (the receive's, or the one the worker set) ends. `release`
ends that wait at once, standing in for the time a test does not spend.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from tests.support.ingest import (
    INGEST_WORKER,
    drain_queue,
    ingest_source,
    purge_queue,
    queued_message_count,
    sqs_client,
)
from wavedb_local.model import QueueSpec, SqsEventSource
from wavedb_local.sqs_source import failed_message_ids, sqs_record
from wavedb_local.stack import LocalStack

Message = dict[str, Any]


@dataclass(frozen=True)
class IngestQueues:
    stack: LocalStack
    queue: QueueSpec
    dead_letters: QueueSpec
    source: SqsEventSource
    received: list[Message] = field(default_factory=list)  # by `receive`, for `purge`

    @property
    def sqs(self) -> Any:
        return sqs_client(self.stack)

    def purge(self) -> None:
        """Delete every message, those the test received and left in flight included."""
        received, self.received[:] = list(self.received), []
        for start in range(0, len(received), 10):
            self.sqs.change_message_visibility_batch(  # deleted ones are reported, not raised
                QueueUrl=self.queue.url,
                Entries=[
                    {
                        "Id": str(index),
                        "ReceiptHandle": message["ReceiptHandle"],
                        "VisibilityTimeout": 0,
                    }
                    for index, message in enumerate(received[start : start + 10])
                ],
            )
        purge_queue(self.stack, self.queue)
        purge_queue(self.stack, self.dead_letters)

    def waiting(self) -> int:
        """Messages on the ingest queue, visible or not."""
        return queued_message_count(self.stack, self.queue)

    def visible(self) -> int:
        attributes = self.sqs.get_queue_attributes(
            QueueUrl=self.queue.url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
        return int(attributes["ApproximateNumberOfMessages"])

    def dead_lettered(self) -> list[Message]:
        """Every message of the dead-letter queue (received, then made visible again)."""
        messages: dict[str, Message] = {}
        while True:
            received = self.sqs.receive_message(
                QueueUrl=self.dead_letters.url, MaxNumberOfMessages=10, VisibilityTimeout=5
            ).get("Messages", [])
            fresh = [m for m in received if m["MessageId"] not in messages]
            if not fresh:
                break
            messages.update((m["MessageId"], m) for m in fresh)
        release(self.sqs, self.dead_letters, list(messages.values()))
        return list(messages.values())

    def receive(self, count: int = 10, *, visibility_seconds: int | None = None) -> list[Message]:
        """Up to `count` visible messages of the ingest queue, with their receive counts."""
        options: dict[str, Any] = {}
        if visibility_seconds is not None:
            options["VisibilityTimeout"] = visibility_seconds
        messages: list[Message] = []
        while len(messages) < count:
            received = self.sqs.receive_message(
                QueueUrl=self.queue.url,
                MaxNumberOfMessages=min(10, count - len(messages)),
                MessageSystemAttributeNames=["All"],
                **options,
            ).get("Messages", [])
            if not received:
                break
            messages.extend(received)
        self.received.extend(messages)
        return messages

    def invoke(self, messages: list[Message]) -> set[str]:
        """Invoke the worker with the messages as one batch; the ids it reported failed."""
        records = [
            sqs_record(message, queue_arn=self.queue.arn, region=self.stack.config.region)
            for message in messages
        ]
        answer = self.stack.invoke(INGEST_WORKER, {"Records": records})
        return failed_message_ids(answer, {record["messageId"] for record in records})

    def delete(self, messages: list[Message]) -> None:
        for start in range(0, len(messages), 10):
            self.sqs.delete_message_batch(
                QueueUrl=self.queue.url,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(messages[start : start + 10])
                ],
            )

    def deliver(self, messages: list[Message]) -> set[str]:
        """`invoke`, then delete the messages not reported failed (the others are left as
        they are); the ids reported failed."""
        failed = self.invoke(messages)
        self.delete([message for message in messages if message["MessageId"] not in failed])
        return failed

    def release(self, messages: list[Message]) -> None:
        release(self.sqs, self.queue, messages)

    def drain(self, *, workers: int = 1, timeout: float = 60) -> None:
        """Feed the ingest queue to the worker until it is empty, with `workers` batches in
        flight at once (the mapping's MaximumConcurrency); failed messages are retried after
        a second, and dead-lettered after maxReceiveCount receives."""
        errors: list[BaseException] = []

        def drain_one() -> None:
            try:
                drain_queue(self.stack, self.queue, self.source, timeout=timeout)
            except BaseException as error:  # reported on the test's thread
                errors.append(error)

        threads = [threading.Thread(target=drain_one) for _ in range(workers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout + 5)
        assert not errors, errors
        assert not any(thread.is_alive() for thread in threads), "a drain did not finish"


def release(sqs: Any, queue: QueueSpec, messages: list[Message]) -> None:
    """Make received messages visible again now."""
    for start in range(0, len(messages), 10):
        chunk = messages[start : start + 10]
        sqs.change_message_visibility_batch(
            QueueUrl=queue.url,
            Entries=[
                {
                    "Id": str(index),
                    "ReceiptHandle": message["ReceiptHandle"],
                    "VisibilityTimeout": 0,
                }
                for index, message in enumerate(chunk)
            ],
        )


def ingest_queues(stack: LocalStack) -> IngestQueues:
    queue, source = ingest_source(stack)
    assert stack.model is not None
    assert queue.dead_letter_arn is not None
    dead_letters = stack.model.queue_by_arn(queue.dead_letter_arn)
    assert dead_letters is not None
    return IngestQueues(stack, queue, dead_letters, source)
