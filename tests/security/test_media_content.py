"""What an uploaded image really is, and how its bytes are served back.

An image whose header reads well may still be cut short, or claim so many pixels that a
viewer decoding it runs out of memory (a decompression bomb). Through both ways in (a
presigned POST checked by the media worker, and the WaveDB multipart route that stores
the bytes itself) such an image is refused with a reason, and nothing of it is served.

A file name is the client's word; the bytes are served with the checked type, so the name
a browser saves them under carries that type's extension.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

import httpx
import pytest

from tests.support.accounts import SignedUpUser
from tests.support.media import (
    bomb_png_bytes,
    jpeg_bytes,
    media_count,
    noisy_png_bytes,
    png_bytes,
    png_claiming_size,
    s3_client,
    upload,
)
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(120)


def _upload_image(
    http: httpx.Client,
    owner: SignedUpUser,
    run_id: str,
    data: bytes,
    *,
    content_type: str = "image/png",
    filename: str | None = None,
) -> dict[str, Any]:
    """Ask for a grant, post the bytes with it, and answer the item once the media worker
    has decided."""
    body: dict[str, Any] = {
        "name": "samples",
        "kind": "image",
        "content_type": content_type,
        "size": len(data),
    }
    if filename is not None:
        body["filename"] = filename
    created = http.post(f"/v1/runs/{run_id}/media", json=body, headers=owner.bearer)
    assert created.status_code == 201, created.text
    posted = upload(created.json()["upload"], data)
    assert posted.status_code in (200, 201, 204), posted.text
    media_id = created.json()["media"]["id"]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        item = http.get(f"/v1/runs/{run_id}/media/{media_id}", headers=owner.bearer)
        assert item.status_code == 200, item.text
        found: dict[str, Any] = item.json()
        if found["status"] != "pending":
            return found
        time.sleep(0.2)
    raise AssertionError(f"media {media_id} is still pending")


def _stored_versions(stack: LocalStack, run_id: str, media_id: str) -> list[dict[str, Any]]:
    key = f"runs/{run_id}/media/{media_id}"
    listed = s3_client(stack).list_object_versions(
        Bucket=stack.environment["MEDIA_BUCKET"], Prefix=key
    )
    return [entry for entry in listed.get("Versions", []) if entry["Key"] == key]


TRUNCATED_IMAGES = [
    pytest.param(png_bytes(64, 48)[:30], "image/png", id="png-header-only-30-bytes"),
    pytest.param(noisy_png_bytes()[:20_000], "image/png", id="png-cut-in-its-image-data"),
    pytest.param(noisy_png_bytes()[:-12], "image/png", id="png-without-its-end"),
    pytest.param(jpeg_bytes(200, 150)[:400], "image/jpeg", id="jpeg-cut-in-its-scan"),
]


@pytest.mark.parametrize(("data", "content_type"), TRUNCATED_IMAGES)
def test_media_worker_truncated_image_is_rejected_and_not_served(
    http: httpx.Client,
    served_stack: LocalStack,
    owner: SignedUpUser,
    run_id: str,
    data: bytes,
    content_type: str,
) -> None:
    item = _upload_image(http, owner, run_id, data, content_type=content_type)

    assert item["status"] == "rejected"
    assert "truncated or damaged" in item["reject_reason"]
    assert item["url"] is None
    assert _stored_versions(served_stack, run_id, item["id"]) == []


BOMBS = [
    pytest.param(png_claiming_size(100_000, 100_000), id="header-claims-100000x100000"),
    pytest.param(bomb_png_bytes(10_000, 10_000), id="whole-1-bit-10000x10000"),
]


@pytest.mark.parametrize("data", BOMBS)
def test_media_worker_image_over_the_pixel_limit_is_rejected_and_not_served(
    http: httpx.Client, served_stack: LocalStack, owner: SignedUpUser, run_id: str, data: bytes
) -> None:
    item = _upload_image(http, owner, run_id, data)

    assert item["status"] == "rejected"
    assert "pixels" in item["reject_reason"]
    assert item["width"] is None
    assert item["url"] is None
    assert _stored_versions(served_stack, run_id, item["id"]) == []


def test_media_worker_whole_image_under_the_limit_is_ready_with_its_size(
    http: httpx.Client, owner: SignedUpUser, run_id: str
) -> None:
    item = _upload_image(http, owner, run_id, noisy_png_bytes(300, 200))

    assert item["status"] == "ready"
    assert (item["width"], item["height"]) == (300, 200)


# ---------------------------------------------------------------- the WaveDB multipart route


def _wavedb_runner(http: httpx.Client, owner: SignedUpUser) -> dict[str, Any]:
    project = http.post("/project/create", json={"name": "vision"}, headers=owner.bearer)
    assert project.status_code == 200, project.text
    runner = http.post(
        "/runner/create",
        json={"name": "r1", "projectId": project.json()["data"]["id"]},
        headers=owner.bearer,
    )
    assert runner.status_code == 201, runner.text
    found: dict[str, Any] = runner.json()["data"]
    return found


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        pytest.param(png_bytes(64, 48)[:30], "truncated or damaged", id="png-header-only"),
        pytest.param(noisy_png_bytes()[:20_000], "truncated or damaged", id="png-cut-short"),
        pytest.param(png_claiming_size(100_000, 100_000), "pixels", id="header-claims-bomb"),
        pytest.param(bomb_png_bytes(10_000, 10_000), "pixels", id="whole-1-bit-bomb"),
    ],
)
def test_wavedb_image_route_truncated_or_bomb_image_is_refused_and_not_stored(
    http: httpx.Client,
    served_stack: LocalStack,
    clean_database: str,
    owner: SignedUpUser,
    data: bytes,
    expected: str,
) -> None:
    runner = _wavedb_runner(http, owner)

    answer = http.post(
        f"/metric/image/{runner['projectId']}/{runner['id']}",
        data={"name": "confusion_matrix", "step": "1"},
        files={"value": ("confusion.png", data, "image/png")},
        headers=owner.bearer,
    )

    assert answer.status_code == 400, answer.text
    reasons = answer.json()["reasons"] if "reasons" in answer.json() else answer.json()
    assert expected in str(reasons)
    assert media_count(clean_database) == 0


# ---------------------------------------------------------------- how the bytes are served


@pytest.mark.parametrize(
    ("filename", "content_type", "data", "served_name"),
    [
        pytest.param("x.html", "image/png", png_bytes(), "x.html.png", id="html-name-png"),
        pytest.param("x.svg", "image/png", png_bytes(), "x.svg.png", id="svg-name-png"),
        pytest.param("plot", "image/png", png_bytes(), "plot.png", id="no-extension"),
        pytest.param("plot.PNG", "image/png", png_bytes(), "plot.PNG", id="own-extension"),
        pytest.param("photo.jpg", "image/jpeg", jpeg_bytes(), "photo.jpg", id="jpg-for-jpeg"),
        pytest.param("photo.png", "image/jpeg", jpeg_bytes(), "photo.png.jpg", id="other-type"),
    ],
)
def test_download_filename_extension_follows_the_served_content_type(
    http: httpx.Client,
    owner: SignedUpUser,
    run_id: str,
    filename: str,
    content_type: str,
    data: bytes,
    served_name: str,
) -> None:
    item = _upload_image(http, owner, run_id, data, content_type=content_type, filename=filename)
    assert item["status"] == "ready", item["reject_reason"]

    served = httpx.get(item["url"], timeout=30, trust_env=False)

    assert served.status_code == 200
    assert served.headers["content-type"] == content_type
    assert served.headers["content-disposition"] == f'inline; filename="{served_name}"'


def test_uploaded_file_with_an_html_name_is_an_attachment_with_a_harmless_extension(
    http: httpx.Client, owner: SignedUpUser, run_id: str
) -> None:
    data = b"<html><script>alert(document.domain)</script></html>"
    created = http.post(
        f"/v1/runs/{run_id}/media",
        json={
            "name": "files",
            "kind": "file",
            "content_type": "application/octet-stream",
            "size": len(data),
            "filename": "index.html",
        },
        headers=owner.bearer,
    )
    assert created.status_code == 201, created.text
    upload(created.json()["upload"], data)
    media_id = created.json()["media"]["id"]
    deadline = time.monotonic() + 60
    item: dict[str, Any] = {}
    while time.monotonic() < deadline:
        item = http.get(f"/v1/runs/{run_id}/media/{media_id}", headers=owner.bearer).json()
        if item["status"] != "pending":
            break
        time.sleep(0.2)
    assert item["status"] == "ready"

    served = httpx.get(item["url"], timeout=30, trust_env=False)

    assert served.headers["content-type"] == "application/octet-stream"
    assert served.headers["content-disposition"] == 'attachment; filename="index.html.bin"'


def test_api_responses_carrying_user_bytes_forbid_content_sniffing(
    http: httpx.Client, owner: SignedUpUser, run_id: str
) -> None:
    exported = http.get(f"/v1/runs/{run_id}/metrics.csv", headers=owner.bearer)
    listed = http.get(f"/v1/runs/{run_id}/media", headers=owner.bearer)
    refused = http.get(f"/v1/runs/{uuid.uuid4()}/media", headers=owner.bearer)

    assert exported.status_code == 200, exported.text
    for answer in (exported, listed, refused):
        assert answer.headers.get("x-content-type-options") == "nosniff", answer.request.url
