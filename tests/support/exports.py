"""Export jobs in tests: the export queue drained into the export worker, and what the
bucket holds under exports/."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support.accounts import HttpClient, SignedUpUser
from tests.support.ingest import drain_queue, purge_queue, queue_source, stack_client
from wavedb_local.stack import LocalStack

EXPORT_WORKER = "ExportWorkerFunction"
EXPORT_QUEUE = "ExportQueue"


def drain_export_queue(stack: LocalStack, *, timeout: float = 120) -> None:
    """Feed the export queue to the export worker until it is empty."""
    queue, source = queue_source(stack, EXPORT_QUEUE, EXPORT_WORKER)
    drain_queue(stack, queue, source, timeout=timeout)


def purge_export_queue(stack: LocalStack) -> None:
    queue, _ = queue_source(stack, EXPORT_QUEUE, EXPORT_WORKER)
    purge_queue(stack, queue)


def media_bucket(stack: LocalStack) -> str:
    return stack.environment["MEDIA_BUCKET"]


def export_objects(stack: LocalStack, user: SignedUpUser) -> list[str]:
    """The keys of every object version under the user's exports/ prefix."""
    answer = stack_client(stack, "s3").list_object_versions(
        Bucket=media_bucket(stack), Prefix=f"exports/{user.id}/"
    )
    return [str(version["Key"]) for version in answer.get("Versions", [])]


def incomplete_export_uploads(stack: LocalStack, user: SignedUpUser) -> list[str]:
    answer = stack_client(stack, "s3").list_multipart_uploads(
        Bucket=media_bucket(stack), Prefix=f"exports/{user.id}/"
    )
    return [str(upload["Key"]) for upload in answer.get("Uploads", [])]


def finished_export(
    api: HttpClient, stack: LocalStack, user: SignedUpUser, path: str, body: Any = None
) -> dict[str, Any]:
    """Ask for an export, run the worker, and answer the job as its creator then sees it."""
    created = api.post(path, json=body, headers=user.bearer)
    assert created.status_code == 202, created.text
    assert created.json()["status"] == "queued"
    drain_export_queue(stack)
    answer = api.get(f"/v1/exports/{created.json()['id']}", headers=user.bearer)
    assert answer.status_code == 200, answer.text
    job: dict[str, Any] = answer.json()
    return job


def download(url: str) -> httpx.Response:
    """GET a presigned URL, as a browser or the CLI would (no API credentials)."""
    response = httpx.get(url, timeout=60, trust_env=False)
    assert response.status_code == 200, response.text[:500]
    return response
