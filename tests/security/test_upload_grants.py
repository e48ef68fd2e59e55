"""A presigned upload grant cannot be stretched to another key. S3 emulators enforce none
of a POST policy's conditions, so the grant's key is posted elsewhere here, and what the
media worker (behind the bucket's notifications, on the served stack) does with what
arrived is checked: nothing but the granted key survives, and the item is untouched.

The size, the content type and the expiry of a grant are held by the same worker (see
tests/integration/test_media_uploads.py)."""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from tests.support.accounts import SignedUpUser
from tests.support.media import png_bytes, s3_client, upload
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(120)


def _grant(http: httpx.Client, owner: SignedUpUser, run_id: str, data: bytes) -> dict[str, Any]:
    body = {"name": "samples", "kind": "image", "content_type": "image/png", "size": len(data)}
    answer = http.post(f"/v1/runs/{run_id}/media", json=body, headers=owner.bearer)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def _exists(s3: Any, bucket: str, key: str) -> bool:
    listed = s3.list_object_versions(Bucket=bucket, Prefix=key)
    return any(entry["Key"] == key for entry in listed.get("Versions", []))


def _wait_until_gone(s3: Any, bucket: str, key: str, *, timeout: float = 30) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _exists(s3, bucket, key):
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize(
    "stretched_key",
    [
        pytest.param("runs/{run}/media/{media}-copy", id="beside-the-granted-key"),
        pytest.param("runs/{run}/media/{media}/more", id="under-the-granted-key"),
        pytest.param("runs/{run}/media/{other}", id="another-media-key"),
        pytest.param("runs/{run}/notes.png", id="elsewhere-in-the-run"),
    ],
)
def test_upload_with_a_grant_to_another_key_is_removed_and_the_item_untouched(
    http: httpx.Client,
    served_stack: LocalStack,
    owner: SignedUpUser,
    run_id: str,
    stretched_key: str,
) -> None:
    s3 = s3_client(served_stack)
    bucket = served_stack.environment["MEDIA_BUCKET"]
    data = png_bytes()
    created = _grant(http, owner, run_id, data)
    media_id = created["media"]["id"]
    key = stretched_key.format(run=run_id, media=media_id, other=uuid.uuid4())
    fields = {**created["upload"]["fields"], "key": key}

    posted = upload(created["upload"], data, fields=fields)

    assert posted.status_code in (200, 201, 204), posted.text  # the emulator took it
    assert _wait_until_gone(s3, bucket, key), f"{key} is still in the bucket"
    item = http.get(f"/v1/runs/{run_id}/media/{media_id}", headers=owner.bearer).json()
    assert item["status"] == "pending"
    assert not _exists(s3, bucket, created["upload"]["fields"]["key"])
