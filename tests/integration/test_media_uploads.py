"""Media uploads end to end: a grant from the API, the bytes posted straight to the bucket
with a plain HTTP client, the bucket's notification through SQS to the media worker, and
the item read back with a presigned GET."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import psycopg
import pytest
from starlette.testclient import TestClient

from tests.support.accounts import SignedUpUser
from tests.support.ingest import SeededRun, sqs_client
from tests.support.media import (
    MEDIA_QUEUE,
    drain_media_queue,
    jpeg_bytes,
    png_bytes,
    s3_client,
    upload,
    wav_bytes,
)
from wavedb_local.stack import LocalStack

pytestmark = [pytest.mark.timeout(120), pytest.mark.usefixtures("empty_media_queue")]


@pytest.fixture
def s3(local_stack: LocalStack) -> Any:
    return s3_client(local_stack)


def _bucket(local_stack: LocalStack) -> str:
    return local_stack.environment["MEDIA_BUCKET"]


def _grant_image(
    api: TestClient, user: SignedUpUser, run: SeededRun, data: bytes, **fields: Any
) -> dict[str, Any]:
    body = {
        "name": "samples",
        "step": 7,
        "kind": "image",
        "content_type": "image/png",
        "size": len(data),
        "filename": "sample.png",
        **fields,
    }
    answer = api.post(f"/v1/runs/{run.id}/media", json=body, headers=user.bearer)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _item(api: TestClient, user: SignedUpUser, run: SeededRun, media_id: str) -> dict[str, Any]:
    answer = api.get(f"/v1/runs/{run.id}/media/{media_id}", headers=user.bearer)
    assert answer.status_code == 200, answer.text
    item: dict[str, Any] = answer.json()
    return item


def _item_after_upload(
    api: TestClient,
    local_stack: LocalStack,
    user: SignedUpUser,
    run: SeededRun,
    created: dict[str, Any],
    data: bytes,
    *,
    fields: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Upload `data` with the grant of `created`, let the media worker take the notification,
    and answer the item as it then stands."""
    upload(created["upload"], data, fields=fields)
    drain_media_queue(local_stack)
    return _item(api, user, run, created["media"]["id"])


def _versions(s3: Any, bucket: str, key: str) -> list[dict[str, Any]]:
    answer = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return [entry for entry in answer.get("Versions", []) if entry["Key"] == key]


def _download(url: str) -> httpx.Response:
    return httpx.get(url, timeout=30, trust_env=False)


def _take_notification(local_stack: LocalStack) -> tuple[str, dict[str, Any]]:
    """The media queue's URL and its one notification, taken off the queue."""
    queue_url = local_stack.model.queues[MEDIA_QUEUE].url  # type: ignore[union-attr]
    sqs = sqs_client(local_stack)
    message: dict[str, Any] = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=1)[
        "Messages"
    ][0]
    sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return queue_url, message


def test_image_upload_round_trip_serves_the_same_bytes_when_ready(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, run: SeededRun
) -> None:
    data = png_bytes(64, 48)
    created = _grant_image(api, user, run, data, caption="epoch 7 samples")
    assert created["media"]["status"] == "pending"
    assert created["media"]["url"] is None

    posted = upload(created["upload"], data)
    assert posted.status_code in (200, 201, 204), posted.text
    drain_media_queue(local_stack)

    item = _item(api, user, run, created["media"]["id"])
    assert item["status"] == "ready"
    assert (item["width"], item["height"], item["size_bytes"]) == (64, 48, len(data))
    assert item["caption"] == "epoch 7 samples"
    downloaded = _download(item["url"])
    assert downloaded.status_code == 200
    assert downloaded.content == data
    assert downloaded.headers["content-type"] == "image/png"


def test_upload_grant_pins_key_type_exact_size_and_a_short_expiry(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    data = png_bytes()
    before = datetime.now(UTC)
    created = _grant_image(api, user, run, data)
    grant = created["upload"]
    policy = json.loads(base64.b64decode(grant["fields"]["policy"]))
    conditions = policy["conditions"]
    key = f"runs/{run.id}/media/{created['media']['id']}"

    assert grant["fields"]["key"] == key
    assert {"key": key} in conditions
    assert {"Content-Type": "image/png"} in conditions
    assert ["content-length-range", len(data), len(data)] in conditions
    expires = datetime.fromisoformat(policy["expiration"].replace("Z", "+00:00"))
    assert before + timedelta(minutes=5) < expires <= before + timedelta(minutes=11)
    assert grant["max_bytes"] == len(data)


def test_upload_of_other_bytes_than_granted_is_rejected_and_deleted(
    api: TestClient, local_stack: LocalStack, s3: Any, user: SignedUpUser, run: SeededRun
) -> None:
    granted = png_bytes(16, 16)
    created = _grant_image(api, user, run, granted)
    key = created["upload"]["fields"]["key"]

    # more bytes than granted: S3 emulators ignore the size condition
    item = _item_after_upload(api, local_stack, user, run, created, png_bytes(300, 300))

    assert item["status"] == "rejected"
    assert "bytes" in item["reject_reason"]
    assert item["url"] is None
    assert _versions(s3, _bucket(local_stack), key) == []


def test_upload_with_another_content_type_is_rejected(
    api: TestClient, local_stack: LocalStack, s3: Any, user: SignedUpUser, run: SeededRun
) -> None:
    data = jpeg_bytes()
    created = _grant_image(api, user, run, data)  # granted as image/png
    fields = {**created["upload"]["fields"], "Content-Type": "image/jpeg"}

    item = _item_after_upload(api, local_stack, user, run, created, data, fields=fields)

    assert item["status"] == "rejected"
    assert "content type is image/jpeg" in item["reject_reason"]
    assert _versions(s3, _bucket(local_stack), created["upload"]["fields"]["key"]) == []


def test_upload_whose_bytes_are_not_the_declared_image_type_is_rejected(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, run: SeededRun
) -> None:
    data = jpeg_bytes()
    created = _grant_image(api, user, run, data)  # declared image/png, the bytes are a JPEG

    item = _item_after_upload(api, local_stack, user, run, created, data)

    assert item["status"] == "rejected"
    assert item["reject_reason"] == "the bytes are not image/png (they look like image/jpeg)"


def test_upload_after_the_grant_expired_is_rejected(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, run: SeededRun
) -> None:
    data = png_bytes()
    created = _grant_image(api, user, run, data)
    with psycopg.connect(local_stack.environment["DATABASE_URL"], autocommit=True) as connection:
        connection.execute(
            "UPDATE media SET grant_expires_at = now() - interval '2 hours' WHERE id = %s",
            (created["media"]["id"],),
        )

    # the grant has expired, but S3 emulators do not enforce the policy's expiry
    item = _item_after_upload(api, local_stack, user, run, created, data)

    assert item["status"] == "rejected"
    assert item["reject_reason"] == "the upload arrived after its grant expired"


def test_repeated_notification_changes_nothing(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, run: SeededRun
) -> None:
    data = png_bytes()
    created = _grant_image(api, user, run, data)
    upload(created["upload"], data)
    queue_url, notification = _take_notification(local_stack)
    sqs = sqs_client(local_stack)
    sqs.send_message(QueueUrl=queue_url, MessageBody=notification["Body"])
    drain_media_queue(local_stack)
    first = _item(api, user, run, created["media"]["id"])

    for _ in range(2):  # the same notification, delivered again
        sqs.send_message(QueueUrl=queue_url, MessageBody=notification["Body"])
    drain_media_queue(local_stack)

    again = _item(api, user, run, created["media"]["id"])
    assert first["status"] == again["status"] == "ready"
    assert again["ready_at"] == first["ready_at"]
    assert _download(again["url"]).content == data


def test_second_upload_with_one_grant_is_undone_and_the_first_bytes_stay(
    api: TestClient, local_stack: LocalStack, s3: Any, user: SignedUpUser, run: SeededRun
) -> None:
    data = png_bytes(20, 20, (0, 255, 0))
    created = _grant_image(api, user, run, data)
    upload(created["upload"], data)
    drain_media_queue(local_stack)

    other = png_bytes(20, 20, (0, 0, 255))
    # the grant used again before it expires
    item = _item_after_upload(api, local_stack, user, run, created, other)

    assert item["status"] == "ready"
    assert _download(item["url"]).content == data
    key = created["upload"]["fields"]["key"]
    assert len(_versions(s3, _bucket(local_stack), key)) == 1
    current = s3.get_object(Bucket=_bucket(local_stack), Key=key)["Body"].read()
    assert current == data


def test_uploaded_audio_text_and_file_become_ready(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, run: SeededRun
) -> None:
    uploads = {
        "audio": ("audio/wav", wav_bytes()),
        "text": ("text/markdown", ("# Notes\n" + "word " * 20_000).encode()),
        "file": ("application/octet-stream", bytes(range(256)) * 10),
    }
    ids = {}
    for kind, (content_type, data) in uploads.items():
        body = {"name": kind, "kind": kind, "content_type": content_type, "size": len(data)}
        answer = api.post(f"/v1/runs/{run.id}/media", json=body, headers=user.bearer)
        assert answer.status_code == 201, answer.text
        upload(answer.json()["upload"], data)
        ids[kind] = answer.json()["media"]["id"]
    drain_media_queue(local_stack)

    for kind, (content_type, data) in uploads.items():
        item = _item(api, user, run, ids[kind])
        assert item["status"] == "ready", item
        downloaded = _download(item["url"])
        assert downloaded.content == data
        assert downloaded.headers["content-type"].startswith(content_type)
    file_download = _download(_item(api, user, run, ids["file"])["url"])
    assert file_download.headers["content-disposition"].startswith("attachment")


def test_deleting_media_removes_its_object_and_every_version(
    api: TestClient, local_stack: LocalStack, s3: Any, user: SignedUpUser, run: SeededRun
) -> None:
    data = png_bytes()
    created = _grant_image(api, user, run, data)
    upload(created["upload"], data)
    drain_media_queue(local_stack)
    key = created["upload"]["fields"]["key"]

    answer = api.delete(f"/v1/runs/{run.id}/media/{created['media']['id']}", headers=user.bearer)

    assert answer.status_code == 204
    assert _versions(s3, _bucket(local_stack), key) == []
    listed = api.get(f"/v1/runs/{run.id}/media", headers=user.bearer).json()
    assert listed["items"] == []
    again = api.get(f"/v1/runs/{run.id}/media/{created['media']['id']}", headers=user.bearer)
    assert again.status_code == 404


def test_upload_arriving_after_its_item_was_deleted_is_removed(
    api: TestClient, local_stack: LocalStack, s3: Any, user: SignedUpUser, run: SeededRun
) -> None:
    data = png_bytes()
    created = _grant_image(api, user, run, data)
    api.delete(f"/v1/runs/{run.id}/media/{created['media']['id']}", headers=user.bearer)

    upload(created["upload"], data)
    drain_media_queue(local_stack)

    assert _versions(s3, _bucket(local_stack), created["upload"]["fields"]["key"]) == []


def test_media_worker_reports_only_the_failing_record_of_a_batch(
    api: TestClient,
    local_stack: LocalStack,
    invoke: Any,
    user: SignedUpUser,
    run: SeededRun,
) -> None:
    data = png_bytes()
    created = _grant_image(api, user, run, data)
    upload(created["upload"], data)
    _, good = _take_notification(local_stack)

    def record(message_id: str, body: str) -> dict[str, Any]:
        return {
            "messageId": message_id,
            "receiptHandle": message_id,
            "body": body,
            "attributes": {"ApproximateReceiveCount": "1"},
            "messageAttributes": {},
            "eventSource": "aws:sqs",
            "eventSourceARN": "arn:aws:sqs:us-east-1:123456789012:media",
            "awsRegion": "us-east-1",
        }

    answer = invoke(
        "MediaWorkerFunction",
        {"Records": [record("broken", "{not json"), record("good", good["Body"])]},
    )

    assert answer == {"batchItemFailures": [{"itemIdentifier": "broken"}]}
    assert _item(api, user, run, created["media"]["id"])["status"] == "ready"
