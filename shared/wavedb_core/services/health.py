"""Health of the service's dependencies: the database, S3 and SQS."""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from typing import Any

from wavedb_core.aws import aws_probe_client
from wavedb_core.db.connection import get_connection
from wavedb_core.models.health import CheckResult, HealthReport
from wavedb_core.settings import get_settings


def _timed(check: Callable[[], None]) -> CheckResult:
    started = time.perf_counter()
    try:
        check()
    except Exception as error:  # a failed dependency is a finding, not a crash
        return CheckResult(
            status="error",
            latency_ms=round((time.perf_counter() - started) * 1000, 1),
            error=type(error).__name__,
        )
    return CheckResult(status="ok", latency_ms=round((time.perf_counter() - started) * 1000, 1))


def _probe(service: str) -> Any:
    return aws_probe_client(service, get_settings().health_check_timeout_seconds)


def _check_database() -> None:
    get_connection().execute("SELECT 1").fetchone()


def _check_s3() -> None:
    bucket = get_settings().media_bucket
    if not bucket:
        raise LookupError("MEDIA_BUCKET is not set")
    _probe("s3").head_bucket(Bucket=bucket)


def _check_sqs() -> None:
    queue_url = get_settings().ingest_queue_url
    if not queue_url:
        raise LookupError("INGEST_QUEUE_URL is not set")
    _probe("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])


def health_report() -> HealthReport:
    """Check the dependencies side by side; one that has not answered within
    HEALTH_CHECK_TIMEOUT_SECONDS counts as failed, so the report comes in time."""
    settings = get_settings()
    deadline = settings.health_check_timeout_seconds
    checks_to_run = {"database": _check_database, "s3": _check_s3, "sqs": _check_sqs}
    executor = ThreadPoolExecutor(max_workers=len(checks_to_run), thread_name_prefix="health")
    try:
        futures: dict[str, Future[CheckResult]] = {
            name: executor.submit(_timed, check) for name, check in checks_to_run.items()
        }
        wait(futures.values(), timeout=deadline)
    finally:
        # A check still running is left to finish (its client times out on its own).
        executor.shutdown(wait=False, cancel_futures=True)
    checks = {
        name: future.result()
        if future.done()
        else CheckResult(status="error", latency_ms=round(deadline * 1000, 1), error="Timeout")
        for name, future in futures.items()
    }
    healthy = all(result.status == "ok" for result in checks.values())
    return HealthReport(status="ok" if healthy else "degraded", stage=settings.stage, checks=checks)
