"""Tora's log routes: a log with a step is a metric point (queued for the ingest worker), a
log without one or tagged `{"type": "result"}` is a result. `msg_id` makes every log
idempotent, so the SDK may re-send its whole buffer after a failure."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from fastapi import APIRouter, Response, status
from fastapi.responses import RedirectResponse

from wavedb_core.errors import ServiceUnavailable
from wavedb_core.models.metrics import (
    MAX_RESULTS_PER_REQUEST,
    PointIn,
    PointOrder,
    PointView,
    ResultIn,
    ResultView,
)
from wavedb_core.models.numbers import format_metric_value
from wavedb_core.principal import Principal
from wavedb_core.services import exports, ingest, metric_reads
from wavedb_core.settings import get_settings

from tora_api.models import Envelope, LogBatchIn, LogIn, LogOut, StatusOnly
from tora_api.security import ToraPrincipal

router = APIRouter(tags=["tora: logs"])

# Tora's log lists are not paginated; an answer stops at this many logs, which keeps it
# well inside a Lambda response (the CSV export, more compact, holds more).
MAX_LISTED_LOGS = 10_000
MAX_EXPORTED_LOGS = 40_000
EXPORT_RETRY_AFTER_SECONDS = 10
_READ_PAGE = 5_000
CSV_COLUMNS = ("id", "experiment_id", "name", "value", "step", "metadata", "created_at")


def _unique(logs: Sequence[LogIn]) -> list[LogIn]:
    """The first log of each msg_id."""
    return list({log.msg_id: log for log in reversed(logs)}.values())[::-1]


def store_logs(principal: Principal, experiment_id: UUID, logs: Sequence[LogIn]) -> None:
    """Record the results and durably queue the metric points of `logs`."""
    logs = _unique(logs)
    results = [log for log in logs if log.is_result]
    points = [log for log in logs if not log.is_result]
    for start in range(0, len(results), MAX_RESULTS_PER_REQUEST):
        ingest.record_results(
            principal,
            experiment_id,
            [
                ResultIn(name=log.name, value=log.value, msg_id=log.msg_id, metadata=log.metadata)
                for log in results[start : start + MAX_RESULTS_PER_REQUEST]
            ],
        )
    if points:
        # Named by its content: the same logs sent again are the same batch; other logs
        # (even with msg_ids sent before) another one, whose known msg_ids the worker skips.
        ingest.submit_points(
            principal,
            experiment_id,
            batch_id=None,
            points=[
                PointIn(
                    name=log.name,
                    value=log.value,
                    step=log.step or 0,
                    msg_id=log.msg_id,
                    metadata=log.metadata,
                )
                for log in points
            ],
        )


def _point_log(experiment_id: UUID, point: PointView) -> LogOut:
    return LogOut(
        id=point.msg_id or _synthesized_id(experiment_id, point.name, point.step),
        experiment_id=experiment_id,
        msg_id=point.msg_id,
        name=point.name,
        value=point.value,
        step=point.step,
        metadata=point.metadata,
        created_at=point.logged_at,
    )


def _result_log(experiment_id: UUID, result: ResultView) -> LogOut:
    return LogOut(
        id=result.msg_id or _synthesized_id(experiment_id, result.name, None),
        experiment_id=experiment_id,
        msg_id=result.msg_id,
        name=result.name,
        value=result.value,
        step=None,
        metadata=result.metadata if result.metadata is not None else {"type": "result"},
        created_at=result.logged_at,
    )


def _synthesized_id(experiment_id: UUID, name: str, step: int | None) -> UUID:
    """A stable id for a value logged without a msg_id (through our own API)."""
    return uuid.uuid5(experiment_id, f"{name}\x00{'' if step is None else step}")


def _points(
    principal: Principal, experiment_id: UUID, order: PointOrder, maximum: int
) -> Iterator[PointView]:
    offset = 0
    while offset < maximum:
        limit = min(_READ_PAGE, maximum - offset)
        page = metric_reads.read_points(
            principal, experiment_id, order=order, limit=limit, offset=offset
        )
        yield from page
        if len(page) < limit:
            return
        offset += limit


def _results(principal: Principal, experiment_id: UUID) -> list[LogOut]:
    return [
        _result_log(experiment_id, result)
        for result in metric_reads.read_results(principal, experiment_id)
    ]


def _all_logs(principal: Principal, experiment_id: UUID, *, maximum: int) -> list[LogOut]:
    """Points and results, newest first."""
    logs = _results(principal, experiment_id)
    logs.extend(
        _point_log(experiment_id, point)
        for point in _points(principal, experiment_id, "time_desc", maximum)
    )
    logs.sort(key=lambda log: (log.created_at, log.step or 0), reverse=True)
    return logs[:maximum]


@router.get("/experiments/{experiment_id}/logs")
def list_logs(principal: ToraPrincipal, experiment_id: UUID) -> Envelope[list[LogOut]]:
    return Envelope(status=200, data=_all_logs(principal, experiment_id, maximum=MAX_LISTED_LOGS))


@router.get("/experiments/{experiment_id}/metrics")
def list_metrics(principal: ToraPrincipal, experiment_id: UUID) -> Envelope[list[LogOut]]:
    points = _points(principal, experiment_id, "step_asc", MAX_LISTED_LOGS)
    return Envelope(status=200, data=[_point_log(experiment_id, point) for point in points])


@router.get("/experiments/{experiment_id}/results")
def list_results(principal: ToraPrincipal, experiment_id: UUID) -> Envelope[list[LogOut]]:
    return Envelope(status=200, data=_results(principal, experiment_id))


@router.post("/experiments/{experiment_id}/logs", status_code=status.HTTP_201_CREATED)
def create_log(principal: ToraPrincipal, experiment_id: UUID, body: LogIn) -> Envelope[LogOut]:
    store_logs(principal, experiment_id, [body])
    return Envelope(
        status=201,
        data=LogOut(
            id=body.msg_id,
            experiment_id=experiment_id,
            msg_id=body.msg_id,
            name=body.name,
            value=body.value,
            step=None if body.is_result else body.step,
            metadata=body.metadata,
            created_at=datetime.now(UTC),
        ),
    )


@router.post("/experiments/{experiment_id}/logs/batch", status_code=status.HTTP_201_CREATED)
def create_logs(principal: ToraPrincipal, experiment_id: UUID, body: LogBatchIn) -> StatusOnly:
    """201 once the results are stored and the points durably queued."""
    store_logs(principal, experiment_id, body.logs)
    return StatusOnly(status=201)


def _csv_value(value: float) -> str:
    formatted = format_metric_value(value)
    return formatted if isinstance(formatted, str) else repr(formatted)


@router.get(
    "/experiments/{experiment_id}/logs/csv",
    response_class=Response,
    responses={
        200: {"content": {"text/csv": {}}, "description": "The logs, oldest first."},
        303: {
            "description": f"More than {MAX_EXPORTED_LOGS:,} logs: the same CSV, written to"
            " storage, at the presigned URL in Location"
        },
        503: {
            "description": f"More than {MAX_EXPORTED_LOGS:,} logs and the CSV is still being"
            " written: ask again after Retry-After seconds"
        },
    },
)
def export_logs_csv(principal: ToraPrincipal, experiment_id: UUID) -> Response:
    """Up to MAX_EXPORTED_LOGS logs: the CSV itself. More: written by the export worker and
    answered with a 303 to it (a presigned GET of the same CSV), once ready."""
    if _log_count(principal, experiment_id) > MAX_EXPORTED_LOGS:
        return _exported_through_storage(principal, experiment_id)
    logs = _all_logs(principal, experiment_id, maximum=MAX_EXPORTED_LOGS)
    logs.reverse()
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for log in logs:
        writer.writerow(_csv_row(log))
    return Response(
        content=buffer.getvalue(),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="metrics_{experiment_id}.csv"'},
    )


def _log_count(principal: Principal, experiment_id: UUID) -> int:
    points = sum(
        summary.count for summary in metric_reads.metric_summaries(principal, experiment_id)
    )
    return points + len(metric_reads.read_results(principal, experiment_id))


def _exported_through_storage(principal: Principal, experiment_id: UUID) -> Response:
    """A 303 to the finished export; while it is being written (or after it failed), a 503
    with Retry-After: the same request asked again is served by the same job."""
    job = exports.tora_logs_job(principal, experiment_id)
    job = exports.wait_for_job(principal, job.id, get_settings().export_wait_seconds)
    if job.status == "done" and job.download_url is not None:
        return RedirectResponse(job.download_url, status_code=status.HTTP_303_SEE_OTHER)
    if job.status == "failed":
        raise ServiceUnavailable(
            f"the CSV export failed ({job.error}); ask again to retry",
            code="export_failed",
            retry_after_seconds=EXPORT_RETRY_AFTER_SECONDS,
        )
    raise ServiceUnavailable(
        "the CSV is too large to answer at once and is being prepared; ask again after"
        " Retry-After seconds and you will be redirected to it",
        code="export_in_progress",
        retry_after_seconds=EXPORT_RETRY_AFTER_SECONDS,
    )


def _csv_row(log: LogOut) -> list[Any]:
    return [
        str(log.id),
        str(log.experiment_id),
        log.name,
        _csv_value(log.value),
        "" if log.step is None else log.step,
        "" if log.metadata is None else json.dumps(log.metadata, separators=(",", ":")),
        log.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    ]
