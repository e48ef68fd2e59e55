"""Creating the template's queues and buckets in the AWS emulator (idempotent)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from wavedb_local.model import BucketSpec, FilterRule, QueueNotification, QueueSpec, StackModel
from wavedb_local.naming import LocalNaming
from wavedb_local.s3_source import internal_queue_name

logger = logging.getLogger("wavedb_local.provisioning")


@dataclass(frozen=True)
class S3FunctionQueue:
    """The internal queue behind one `S3` function event."""

    function_id: str
    event_name: str
    queue: QueueSpec
    bucket_id: str
    notification: QueueNotification


def s3_function_queues(model: StackModel, naming: LocalNaming) -> list[S3FunctionQueue]:
    """One internal queue per `S3` function event."""
    result: list[S3FunctionQueue] = []
    for spec in model.functions.values():
        for source in spec.s3_sources:
            name = internal_queue_name(naming, source)
            queue = QueueSpec(
                logical_id=f"{source.function_id}{source.event_name}Queue",
                name=name,
                url=naming.queue_url(name),
                arn=naming.queue_arn(name),
                attributes={"VisibilityTimeout": "30"},
            )
            result.append(
                S3FunctionQueue(
                    function_id=source.function_id,
                    event_name=source.event_name,
                    queue=queue,
                    bucket_id=source.bucket_id,
                    notification=QueueNotification(
                        queue_arn=queue.arn, events=source.events, filter_rules=source.filter_rules
                    ),
                )
            )
    return result


def _create_queue(sqs: Any, queue: QueueSpec) -> None:
    try:
        sqs.create_queue(QueueName=queue.name, Attributes=queue.attributes)
    except sqs.exceptions.QueueNameExists:
        if queue.attributes:
            sqs.set_queue_attributes(QueueUrl=queue.url, Attributes=queue.attributes)


def provision_queues(sqs: Any, queues: list[QueueSpec]) -> None:
    """Create the queues, then attach redrive policies (their DLQs exist by then)."""
    for queue in queues:
        _create_queue(sqs, queue)
    for queue in queues:
        if queue.dead_letter_arn is None:
            continue
        policy = {
            "deadLetterTargetArn": queue.dead_letter_arn,
            "maxReceiveCount": queue.max_receive_count,
        }
        sqs.set_queue_attributes(
            QueueUrl=queue.url, Attributes={"RedrivePolicy": json.dumps(policy)}
        )


def _filter(rules: tuple[FilterRule, ...]) -> dict[str, Any]:
    return {"Key": {"FilterRules": [{"Name": rule.name, "Value": rule.value} for rule in rules]}}


def _queue_configuration(notification: QueueNotification, index: int) -> dict[str, Any]:
    configuration: dict[str, Any] = {
        "Id": f"wavedb-local-{index}",
        "QueueArn": notification.queue_arn,
        "Events": list(notification.events),
    }
    if notification.filter_rules:
        configuration["Filter"] = _filter(notification.filter_rules)
    return configuration


def provision_bucket(
    s3: Any, bucket: BucketSpec, extra_notifications: list[QueueNotification], region: str
) -> None:
    """Create the bucket with its versioning, CORS rules and queue notifications."""
    try:
        if region == "us-east-1":
            s3.create_bucket(Bucket=bucket.name)
        else:
            s3.create_bucket(
                Bucket=bucket.name, CreateBucketConfiguration={"LocationConstraint": region}
            )
    except (s3.exceptions.BucketAlreadyOwnedByYou, s3.exceptions.BucketAlreadyExists):
        pass
    if bucket.versioned:
        s3.put_bucket_versioning(Bucket=bucket.name, VersioningConfiguration={"Status": "Enabled"})
    if bucket.cors_rules:
        s3.put_bucket_cors(
            Bucket=bucket.name,
            CORSConfiguration={"CORSRules": [dict(r) for r in bucket.cors_rules]},
        )
    notifications = list(bucket.queue_notifications) + extra_notifications
    if notifications:
        s3.put_bucket_notification_configuration(
            Bucket=bucket.name,
            NotificationConfiguration={
                "QueueConfigurations": [
                    _queue_configuration(notification, index)
                    for index, notification in enumerate(notifications)
                ]
            },
        )


def provision(
    model: StackModel, naming: LocalNaming, *, sqs: Any, s3: Any
) -> list[S3FunctionQueue]:
    """Create every queue and bucket of the model; returns the internal S3 event queues."""
    internal = s3_function_queues(model, naming)
    provision_queues(sqs, list(model.queues.values()) + [item.queue for item in internal])
    for bucket in model.buckets.values():
        extra = [item.notification for item in internal if item.bucket_id == bucket.logical_id]
        provision_bucket(s3, bucket, extra, naming.region)
    logger.info(
        "provisioned %d queue(s) and %d bucket(s)",
        len(model.queues) + len(internal),
        len(model.buckets),
    )
    return internal
