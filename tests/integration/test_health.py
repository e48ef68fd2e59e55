"""GET /health tells whether the database, S3 and SQS can be reached."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import reset_cached_settings


def test_health_all_dependencies_reachable_ok(api: Any) -> None:
    response = api.get("/health")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "s3": "ok",
        "sqs": "ok",
    }


@pytest.fixture
def missing_bucket(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("MEDIA_BUCKET", "wavedb-bucket-that-does-not-exist")
    reset_cached_settings()
    yield
    monkeypatch.undo()
    reset_cached_settings()


def test_health_missing_bucket_degraded_503(api: Any, missing_bucket: None) -> None:
    response = api.get("/health")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["s3"]["status"] == "error"
    assert body["checks"]["s3"]["error"] == "ClientError"
    assert body["checks"]["database"]["status"] == "ok"


@pytest.fixture
def silent_aws_endpoint(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """S3 and SQS at an address that takes connections and never answers (a black hole)."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{listener.getsockname()[1]}")
        reset_cached_settings()
        yield
        monkeypatch.undo()
        reset_cached_settings()


def test_health_silent_aws_endpoint_degraded_within_its_deadline(
    api: Any, silent_aws_endpoint: None
) -> None:
    started = time.monotonic()
    response = api.get("/health")
    elapsed = time.monotonic() - started

    # The function's own timeout is 10 s: the answer must come well before it.
    assert elapsed < 5
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "degraded"
    assert body["checks"]["s3"]["status"] == "error"
    assert body["checks"]["sqs"]["status"] == "error"
    assert body["checks"]["database"]["status"] == "ok"
