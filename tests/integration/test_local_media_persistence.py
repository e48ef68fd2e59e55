"""Media survive a restart of `python -m wavedb_local run` on the same data directory, and
an item whose object is gone is shown as missing (and can be uploaded again)."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import boto3
import httpx
import pytest

from tests.support.accounts import sign_up
from tests.support.cli_stack import RunningStack, running_stack
from tests.support.media import noisy_png_bytes, upload

pytestmark = pytest.mark.timeout(150)


@contextmanager
def _healthy_stack(logs: Path, data_dir: Path) -> Iterator[tuple[RunningStack, httpx.Client]]:
    """`python -m wavedb_local run` on `data_dir`, answering health checks, and a client of
    its API."""
    with running_stack(logs, WAVEDB_DATA_DIR=str(data_dir)) as stack:
        stack.wait_until_healthy()
        with httpx.Client(base_url=stack.url, timeout=30) as api:
            yield stack, api


def _new_run(api: httpx.Client, bearer: dict[str, str]) -> str:
    workspace = api.post("/v1/workspaces", json={"name": "lab"}, headers=bearer)
    assert workspace.status_code == 201, workspace.text
    project = api.post(
        f"/v1/workspaces/{workspace.json()['id']}/projects", json={"name": "p"}, headers=bearer
    )
    assert project.status_code == 201, project.text
    run = api.post(f"/v1/projects/{project.json()['id']}/runs", json={}, headers=bearer)
    assert run.status_code == 201, run.text
    return str(run.json()["id"])


def _image_item(media_id: str, image: bytes) -> dict[str, Any]:
    return {
        "media_id": media_id,
        "name": "samples",
        "step": 3,
        "kind": "image",
        "content_type": "image/png",
        "size": len(image),
    }


def _log_image(
    api: httpx.Client, bearer: dict[str, str], run_id: str, media_id: str, image: bytes
) -> dict[str, Any]:
    """Create the item, upload its bytes with the grant, wait for the media worker."""
    created = api.post(
        f"/v1/runs/{run_id}/media", json=_image_item(media_id, image), headers=bearer
    )
    assert created.status_code in (200, 201), created.text
    grant = created.json()["upload"]
    assert grant is not None, created.text
    assert upload(grant, image).status_code in (200, 201, 204)
    return _wait_for_status(api, bearer, run_id, media_id, "ready")


def _item(api: httpx.Client, bearer: dict[str, str], run_id: str, media_id: str) -> dict[str, Any]:
    response = api.get(f"/v1/runs/{run_id}/media/{media_id}", headers=bearer)
    assert response.status_code == 200, response.text
    item: dict[str, Any] = response.json()
    return item


def _wait_for_status(
    api: httpx.Client, bearer: dict[str, str], run_id: str, media_id: str, status: str
) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    item = _item(api, bearer, run_id, media_id)
    while item["status"] != status and time.monotonic() < deadline:
        time.sleep(0.2)
        item = _item(api, bearer, run_id, media_id)
    assert item["status"] == status, item
    return item


def _download(url: str) -> bytes:
    response = httpx.get(url, timeout=30, trust_env=False)
    assert response.status_code == 200, response.text
    return response.content


def _delete_every_version(stack: RunningStack, key: str) -> None:
    s3 = boto3.client(
        "s3",
        endpoint_url=stack.aws_endpoint(),
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    bucket = next(b["Name"] for b in s3.list_buckets()["Buckets"] if "media" in b["Name"])
    versions = s3.list_object_versions(Bucket=bucket, Prefix=key)
    for version in versions.get("Versions", []) + versions.get("DeleteMarkers", []):
        s3.delete_object(Bucket=bucket, Key=key, VersionId=version["VersionId"])


def test_run_restarted_on_the_same_data_dir_serves_a_logged_image_byte_for_byte(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    image = noisy_png_bytes(96, 64)
    media_id = str(uuid.uuid4())
    with _healthy_stack(tmp_path / "first", data_dir) as (stack, api):
        user = sign_up(api)
        run_id = _new_run(api, user.bearer)
        before = _log_image(api, user.bearer, run_id, media_id, image)
        first_download = _download(before["url"])
        first_exit = stack.terminate()

    with _healthy_stack(tmp_path / "second", data_dir) as (stack, api):
        after = _item(api, user.bearer, run_id, media_id)
        second_download = _download(after["url"]) if after["url"] else b""
        second_exit = stack.terminate()

    assert first_exit == 0
    assert first_download == image
    assert after["status"] == "ready", after
    assert second_download == image
    assert second_exit == 0, stack.errors()[-3000:]


def test_run_restarted_after_an_object_was_lost_shows_the_item_missing_until_uploaded_again(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    image = noisy_png_bytes(64, 48, seed=11)
    media_id = str(uuid.uuid4())
    with _healthy_stack(tmp_path / "first", data_dir) as (stack, api):
        user = sign_up(api)
        run_id = _new_run(api, user.bearer)
        ready = _log_image(api, user.bearer, run_id, media_id, image)
        _delete_every_version(stack, f"runs/{run_id}/media/{media_id}")
        stack.terminate()

    with _healthy_stack(tmp_path / "second", data_dir) as (stack, api):
        missing = _wait_for_status(api, user.bearer, run_id, media_id, "missing")
        listed = api.get(f"/v1/runs/{run_id}/media", headers=user.bearer).json()["items"]
        # Importing the same item again (same id, same fields) gets a grant and repairs it.
        repaired = _log_image(api, user.bearer, run_id, media_id, image)
        repaired_download = _download(repaired["url"])
        stack.terminate()

    assert ready["status"] == "ready"
    assert missing["url"] is None
    assert missing["reject_reason"]
    assert [item["status"] for item in listed] == ["missing"]
    assert repaired_download == image
