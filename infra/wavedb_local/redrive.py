"""Re-drive a dead-letter queue: move its messages back to the queue they came from.

`python -m wavedb_local redrive <QueueLogicalId>` works on any SQS endpoint through boto3:
each message is received from the queue's dead-letter queue (found in its RedrivePolicy),
sent to the queue (body and message attributes kept, receive count starting afresh), then
deleted. Only the messages there when the re-drive starts are moved, so a message that fails
again and returns meanwhile is not moved twice. A message sent but not deleted (the command
was interrupted) reappears in the dead-letter queue and is sent again by the next re-drive:
the ingest worker writes a batch part once however often it arrives.

On AWS, `aws sqs start-message-move-task --source-arn <dead-letter queue ARN>` does the
same on the server side (moto, the local emulator, does not implement it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

_MAX_ENTRIES = 10
# Long enough to send and delete a received batch; should the command die in between, the
# messages are back in the dead-letter queue after this.
_IN_FLIGHT_SECONDS = 60


class RedriveError(RuntimeError):
    """The queue cannot be re-driven (no dead-letter queue, messages refused...)."""


@dataclass(frozen=True)
class RedriveResult:
    queue_url: str
    dead_letter_queue_url: str
    moved: int


def dead_letter_queue_url(sqs: Any, queue_url: str) -> str:
    """The URL of the queue's dead-letter queue, from its RedrivePolicy."""
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["RedrivePolicy"])
    policy = attributes.get("Attributes", {}).get("RedrivePolicy")
    if not policy:
        raise RedriveError(f"{queue_url} has no dead-letter queue (no RedrivePolicy)")
    target_arn = str(json.loads(policy)["deadLetterTargetArn"])
    *_, account, name = target_arn.split(":")
    return str(sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account)["QueueUrl"])


def _waiting_count(sqs: Any, queue_url: str) -> int:
    attributes = sqs.get_queue_attributes(
        QueueUrl=queue_url, AttributeNames=["ApproximateNumberOfMessages"]
    )["Attributes"]
    return int(attributes["ApproximateNumberOfMessages"])


def _send_entry(index: int, message: dict[str, Any]) -> dict[str, Any]:
    entry: dict[str, Any] = {"Id": str(index), "MessageBody": message["Body"]}
    if message.get("MessageAttributes"):
        entry["MessageAttributes"] = message["MessageAttributes"]
    return entry


def redrive(sqs: Any, queue_url: str, *, max_messages: int | None = None) -> RedriveResult:
    """Move the messages of the queue's dead-letter queue back to the queue."""
    dead_letters = dead_letter_queue_url(sqs, queue_url)
    budget = _waiting_count(sqs, dead_letters)
    if max_messages is not None:
        budget = min(budget, max_messages)
    moved = 0
    while moved < budget:
        received: list[dict[str, Any]] = (
            sqs.receive_message(
                QueueUrl=dead_letters,
                MaxNumberOfMessages=min(_MAX_ENTRIES, budget - moved),
                WaitTimeSeconds=1,
                VisibilityTimeout=_IN_FLIGHT_SECONDS,
                MessageAttributeNames=["All"],
            ).get("Messages")
            or []
        )
        if not received:
            break
        answer = sqs.send_message_batch(
            QueueUrl=queue_url,
            Entries=[_send_entry(index, message) for index, message in enumerate(received)],
        )
        sent = {item["Id"] for item in answer.get("Successful") or []}
        if sent:
            sqs.delete_message_batch(
                QueueUrl=dead_letters,
                Entries=[
                    {"Id": str(index), "ReceiptHandle": message["ReceiptHandle"]}
                    for index, message in enumerate(received)
                    if str(index) in sent
                ],
            )
        moved += len(sent)
        if answer.get("Failed"):
            reasons = sorted({str(item.get("Code")) for item in answer["Failed"]})
            raise RedriveError(
                f"{len(answer['Failed'])} messages were refused by {queue_url}"
                f" ({', '.join(reasons)}); {moved} moved, the rest stay in {dead_letters}"
            )
    return RedriveResult(queue_url, dead_letters, moved)
