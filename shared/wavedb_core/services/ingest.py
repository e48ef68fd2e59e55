"""Metric ingest: batches of points are checked, recorded and queued; the ingest worker
writes them (see services.ingest_writer). Results are small and stored at once.

At-least-once delivery, exactly-once effect: a batch id is recorded per run, each queued
part is recorded by the worker in the transaction that writes its points, and points that
carry a msg_id are stored once per metric.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from aws_lambda_powertools import Logger

from wavedb_core import queue
from wavedb_core.aws import aws_client
from wavedb_core.db.connection import get_connection, transaction
from wavedb_core.errors import Conflict, NotFound, ServiceUnavailable, ValidationFailed
from wavedb_core.models.base import NUL_REFUSED, contains_nul
from wavedb_core.models.metric_columns import SeriesColumns, columns_from_points, point_count
from wavedb_core.models.metrics import (
    BATCH_ID_RE,
    MAX_METADATA_BYTES,
    MAX_POINTS_PER_BATCH,
    MAX_RESULTS_PER_REQUEST,
    MAX_STEP,
    BatchReceipt,
    PointIn,
    ResultIn,
    ResultView,
    name_problem,
    timestamp_problem,
)
from wavedb_core.principal import Principal
from wavedb_core.repositories import ingest_batches, run_results
from wavedb_core.repositories.ingest_batches import BatchRow
from wavedb_core.repositories.run_results import ResultWrite
from wavedb_core.services.access import READ, WRITE, require_run
from wavedb_core.settings import get_settings

__all__ = [
    "BatchReceipt",
    "PointIn",
    "ResultIn",
    "ResultView",
    "batch_status",
    "record_results",
    "submit_points",
    "submit_series",
]

logger = Logger(child=True)

_MAX_REPORTED_PROBLEMS = 20
_QUEUE_RETRY_AFTER_SECONDS = 5


# ---------------------------------------------------------------- checks


def _value_problem(value: object) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "must be a number (NaN and ±Infinity are allowed)"
    if isinstance(value, int) and not math.isfinite(float(value)):
        return "out of range"
    return None


def _metadata_problem(metadata: object) -> str | None:
    if metadata is None:
        return None
    if not isinstance(metadata, dict):
        return "must be an object"
    try:
        encoded = json.dumps(metadata, separators=(",", ":"), allow_nan=False)
    except (TypeError, ValueError):
        return "must hold JSON values only (finite numbers)"
    if len(encoded.encode()) > MAX_METADATA_BYTES:
        return f"at most {MAX_METADATA_BYTES} bytes as JSON"
    if contains_nul(metadata):
        return NUL_REFUSED
    return None


def _point_problems(index: int, point: PointIn, known_names: set[str]) -> list[dict[str, str]]:
    problems: list[dict[str, str]] = []

    def report(field: str, message: str | None) -> None:
        if message is not None:
            problems.append({"location": f"points[{index}].{field}", "message": message})

    if point.name not in known_names:
        report("name", name_problem(point.name))
        if not problems:
            known_names.add(point.name)
    if type(point.value) is not float:
        report("value", _value_problem(point.value))
    step = point.step
    if type(step) is not int or not 0 <= step <= MAX_STEP:
        report("step", f"an integer from 0 to {MAX_STEP}")
    if point.timestamp is not None:
        report("timestamp", timestamp_problem(point.timestamp))
    if point.metadata is not None:
        report("metadata", _metadata_problem(point.metadata))
    return problems


def check_points(points: Sequence[PointIn]) -> None:
    """ValidationFailed naming every bad point (up to a few), e.g. `points[17].value`."""
    if not 1 <= len(points) <= MAX_POINTS_PER_BATCH:
        raise ValidationFailed(
            f"points: a batch holds 1 to {MAX_POINTS_PER_BATCH} points",
            details=[{"location": "points", "message": f"1 to {MAX_POINTS_PER_BATCH} points"}],
        )
    problems: list[dict[str, str]] = []
    known_names: set[str] = set()
    for index, point in enumerate(points):
        problems.extend(_point_problems(index, point, known_names))
        if len(problems) >= _MAX_REPORTED_PROBLEMS:
            break
    if problems:
        first = problems[0]
        raise ValidationFailed(f"{first['location']}: {first['message']}", details=problems)


def _check_batch_id(batch_id: str) -> None:
    if not isinstance(batch_id, str) or not BATCH_ID_RE.fullmatch(batch_id):
        raise ValidationFailed(
            "batch_id: 1 to 64 characters among A-Z a-z 0-9 _ . : -",
            details=[{"location": "batch_id", "message": "1 to 64 of A-Z a-z 0-9 _ . : -"}],
        )


# ---------------------------------------------------------------- points


def _receipt(row: BatchRow) -> BatchReceipt:
    return BatchReceipt.model_validate(row)


def submit_points(
    principal: Principal, run_id: UUID, *, batch_id: str | None, points: Sequence[PointIn]
) -> BatchReceipt:
    """Check the points and queue them as a columnar batch (see `submit_series`)."""
    if batch_id is not None:
        _check_batch_id(batch_id)
    check_points(points)
    return submit_series(
        principal,
        run_id,
        batch_id=batch_id,
        series=columns_from_points(points),
        legacy_digest=lambda: queue.legacy_digest(points),
    )


def submit_series(
    principal: Principal,
    run_id: UUID,
    *,
    batch_id: str | None,
    series: Sequence[SeriesColumns],
    legacy_digest: Callable[[], bytes] | None = None,
) -> BatchReceipt:
    """Check the caller's write access, record the batch of checked series and queue it.

    Without a batch id, the batch is named by its content (its digest in hex), so that the
    same points sent again are the same batch. A batch id the run already has is accepted
    with the same content: a written (or failed) batch is answered as it stands and not
    queued again; a still queued one is queued again (the worker writes each part once), so
    that a send that failed after the batch was recorded is repaired. With other content
    it is a conflict.

    A batch recorded before batches were queued as columns has the digest of its points as
    rows (`legacy_digest`, for bodies of points): sent again, it is the same batch. Its
    parts were cut differently, so it is queued again only when it has one part as now.
    """
    if batch_id is not None:
        _check_batch_id(batch_id)
    received_at = datetime.now(UTC)
    try:
        encoded = queue.encode(run_id, batch_id, series, received_at=received_at)
    except ValueError as error:
        raise ValidationFailed(f"points: {error}") from error
    bodies = encoded.bodies
    points = point_count(series)
    batch_id = batch_id or encoded.digest.hex()
    with transaction() as connection:
        require_run(connection, principal, run_id, WRITE)
        created = ingest_batches.insert_batch(
            connection,
            run_id=run_id,
            batch_id=batch_id,
            parts=len(bodies),
            point_count=points,
            content_digest=encoded.digest,
        )
        existing = None if created else ingest_batches.find_batch(connection, run_id, batch_id)
    if existing is not None:
        same = _same_content(existing, encoded.digest, parts=len(bodies), points=points)
        recorded_as_rows = not same and _recorded_as_rows(existing, legacy_digest)
        if not same and not recorded_as_rows:
            raise Conflict(
                "this batch id was already used for different points",
                code="batch_id_reused",
                details={"batch_id": batch_id},
            )
        if existing.status != "queued" or (recorded_as_rows and existing.parts != len(bodies)):
            return _receipt(existing)
        logger.info("batch queued again", extra={"run_id": str(run_id), "batch_id": batch_id})
    _send(bodies)
    return BatchReceipt(
        batch_id=batch_id,
        status="queued",
        point_count=points,
        parts=len(bodies),
        parts_written=0 if existing is None else existing.parts_written,
    )


def _same_content(existing: BatchRow, digest: bytes, *, parts: int, points: int) -> bool:
    """Whether a batch sent again holds what the recorded one does: the same digest, or
    (for a batch recorded before digests were kept) as many parts and points."""
    if existing.content_digest is not None:
        return bytes(existing.content_digest) == digest
    return existing.parts == parts and existing.point_count == points


def _recorded_as_rows(existing: BatchRow, legacy_digest: Callable[[], bytes] | None) -> bool:
    if legacy_digest is None or existing.content_digest is None:
        return False
    return bytes(existing.content_digest) == legacy_digest()


def _send(bodies: Sequence[str]) -> None:
    """Send the parts to the ingest queue; 503 (retry later) when the queue is unreachable."""
    queue_url = get_settings().ingest_queue_url
    if not queue_url:
        raise ServiceUnavailable("metric ingest is not configured", code="queue_unavailable")
    try:
        client = aws_client("sqs")
        for group in queue.group_for_sending(bodies):
            entries = [{"Id": str(number), "MessageBody": body} for number, body in group]
            answer: dict[str, Any] = client.send_message_batch(QueueUrl=queue_url, Entries=entries)
            failed = {item["Id"] for item in answer.get("Failed") or []}
            if failed:  # throttled or transient: one more try for just those
                retry = [entry for entry in entries if entry["Id"] in failed]
                answer = client.send_message_batch(QueueUrl=queue_url, Entries=retry)
                if answer.get("Failed"):
                    raise RuntimeError(f"{len(answer['Failed'])} messages were refused")
    except Exception as error:
        logger.warning("ingest queue unavailable", extra={"error_type": type(error).__name__})
        raise ServiceUnavailable(
            "the ingest queue cannot be reached; send the batch again shortly (same batch_id)",
            code="queue_unavailable",
            retry_after_seconds=_QUEUE_RETRY_AFTER_SECONDS,
        ) from error


def batch_status(principal: Principal, run_id: UUID, batch_id: str) -> BatchReceipt:
    """Where a batch stands (viewers may ask)."""
    connection = get_connection()
    require_run(connection, principal, run_id, READ)
    row = ingest_batches.find_batch(connection, run_id, batch_id)
    if row is None:
        raise NotFound("no batch with this id in the run", code="batch_not_found")
    return _receipt(row)


# ---------------------------------------------------------------- results


def record_results(
    principal: Principal, run_id: UUID, results: Sequence[ResultIn]
) -> list[ResultView]:
    """Store final values, one per name (a later value replaces an earlier one)."""
    if not 1 <= len(results) <= MAX_RESULTS_PER_REQUEST:
        raise ValidationFailed(f"results: 1 to {MAX_RESULTS_PER_REQUEST} results")
    problems: list[dict[str, str]] = []
    for index, result in enumerate(results):
        for field, message in (
            ("name", name_problem(result.name)),
            ("value", _value_problem(result.value)),
            ("metadata", _metadata_problem(result.metadata)),
        ):
            if message is not None:
                problems.append({"location": f"results[{index}].{field}", "message": message})
    if problems:
        first = problems[0]
        raise ValidationFailed(f"{first['location']}: {first['message']}", details=problems)
    latest = {
        result.name: ResultWrite(result.name, float(result.value), result.msg_id, result.metadata)
        for result in results
    }
    with transaction() as connection:
        require_run(connection, principal, run_id, WRITE)
        rows = run_results.upsert_results(connection, run_id, list(latest.values()))
    return [ResultView.model_validate(row) for row in rows]
