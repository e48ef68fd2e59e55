"""Health of the service's dependencies: the database, S3 and SQS."""

from __future__ import annotations

import time
from collections.abc import Callable

from wavedb_core.aws import aws_client
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


def _check_database() -> None:
    get_connection().execute("SELECT 1").fetchone()


def _check_s3() -> None:
    bucket = get_settings().media_bucket
    if not bucket:
        raise LookupError("MEDIA_BUCKET is not set")
    aws_client("s3").head_bucket(Bucket=bucket)


def _check_sqs() -> None:
    queue_url = get_settings().ingest_queue_url
    if not queue_url:
        raise LookupError("INGEST_QUEUE_URL is not set")
    aws_client("sqs").get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])


def health_report() -> HealthReport:
    checks = {
        "database": _timed(_check_database),
        "s3": _timed(_check_s3),
        "sqs": _timed(_check_sqs),
    }
    healthy = all(result.status == "ok" for result in checks.values())
    return HealthReport(
        status="ok" if healthy else "degraded", stage=get_settings().stage, checks=checks
    )
