"""Exports of any size: a job is created by the API, queued, and run by the export worker,
which streams the data into a multipart upload under the caller's own prefix of the media
bucket (`exports/<user id>/<job id>/<file>`). The object is readable only once the upload
is complete, which is when the job is marked done; a job that fails says why and leaves
nothing behind. A done job is handed out as a short-lived presigned GET.

Who may export: whoever may read the run or project. A job is seen only by the caller who
created it, and only while they may still read what it exports; anyone else gets 404.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Generator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

from aws_lambda_powertools import Logger
from psycopg.pq import TransactionStatus

from wavedb_core import storage
from wavedb_core.aws import aws_client
from wavedb_core.db.connection import Connection, get_connection
from wavedb_core.errors import NotFound, PayloadTooLarge, ServiceUnavailable
from wavedb_core.models.exports import (
    POLL_AFTER_SECONDS,
    ExportJobView,
    ProjectExportKind,
    RunExportKind,
)
from wavedb_core.models.metric_columns import StoredColumns
from wavedb_core.principal import Principal
from wavedb_core.repositories import (
    export_jobs,
    run_metrics,
    run_results,
    run_table_exports,
    series_points,
)
from wavedb_core.repositories.export_jobs import ExportJobRow
from wavedb_core.services import csv_exports, metric_reads
from wavedb_core.services.access import READ, require_project, require_run
from wavedb_core.settings import get_settings

logger = Logger()

CSV_CONTENT_TYPE = "text/csv; charset=utf-8"
# A wide export reads the run a window of steps at a time, about this many points each.
_WIDE_WINDOW_POINTS = 200_000
_QUEUE_RETRY_AFTER_SECONDS = 5
_WAIT_POLL_SECONDS = 0.5
# A job still unfinished this long after it was created never will be: past the export
# queue's receives (3, each given 5,400 s by its visibility timeout).
UNFINISHED_GIVE_UP_SECONDS = 5 * 3600
# A Tora CSV export asked for again within this time is served by the same job.
TORA_JOB_REUSE_SECONDS = 600


def _not_found() -> NotFound:
    return NotFound("export not found", code="export_not_found")


def _filename(kind: str, run_id: UUID | None, project_id: UUID) -> str:
    if kind == "run_metrics_long":
        return f"run-{run_id}-metrics.csv"
    if kind == "run_metrics_wide":
        return f"run-{run_id}-metrics-wide.csv"
    if kind == "tora_logs_csv":
        return f"metrics_{run_id}.csv"  # the name Tora's route gives its CSV
    return f"project-{project_id}-runs.csv"


def object_key(job: ExportJobRow) -> str:
    """Under the caller's own prefix: exports/<user id>/<job id>/<file name>."""
    return f"exports/{job.created_by}/{job.id}/{job.filename}"


# ---------------------------------------------------------------- API


def create_run_export(principal: Principal, run_id: UUID, kind: RunExportKind) -> ExportJobView:
    connection = get_connection()
    access = require_run(connection, principal, run_id, READ)
    return _create(connection, principal, kind, access.project_id, run_id)


def create_project_export(
    principal: Principal, project_id: UUID, kind: ProjectExportKind
) -> ExportJobView:
    connection = get_connection()
    require_project(connection, principal, project_id, READ)
    return _create(connection, principal, kind, project_id, None)


def _create(
    connection: Connection,
    principal: Principal,
    kind: str,
    project_id: UUID,
    run_id: UUID | None,
) -> ExportJobView:
    queue_url = get_settings().export_queue_url
    if not queue_url:
        raise ServiceUnavailable("exports are not configured", code="exports_unavailable")
    job = export_jobs.insert(
        connection,
        job_id=uuid.uuid4(),
        kind=kind,
        export_format="csv",
        project_id=project_id,
        run_id=run_id,
        created_by=principal.user_id,
        filename=_filename(kind, run_id, project_id),
    )
    try:
        aws_client("sqs").send_message(
            QueueUrl=queue_url, MessageBody=json.dumps({"job_id": str(job.id)})
        )
    except Exception as error:
        logger.warning("export queue unavailable", extra={"error_type": type(error).__name__})
        export_jobs.fail(connection, job.id, "the export could not be queued")
        raise ServiceUnavailable(
            "the export queue cannot be reached; ask for the export again shortly",
            code="queue_unavailable",
            retry_after_seconds=_QUEUE_RETRY_AFTER_SECONDS,
        ) from error
    return _view(job)


def tora_logs_job(principal: Principal, run_id: UUID) -> ExportJobView:
    """The caller's recent Tora CSV export of the run (one asked for again while it is
    written, or shortly after, is the same job), or a new one."""
    connection = get_connection()
    access = require_run(connection, principal, run_id, READ)
    job = export_jobs.recent(
        connection,
        run_id=run_id,
        created_by=principal.user_id,
        kind="tora_logs_csv",
        within_seconds=TORA_JOB_REUSE_SECONDS,
    )
    if job is None:
        return _create(connection, principal, "tora_logs_csv", access.project_id, run_id)
    return _view(job)


def wait_for_job(principal: Principal, job_id: UUID, seconds: float) -> ExportJobView:
    """The job once it is done or failed, or as it stands after `seconds`."""
    deadline = time.monotonic() + seconds
    while True:
        view = export_status(principal, job_id)
        if view.status in ("done", "failed") or time.monotonic() >= deadline:
            return view
        time.sleep(min(_WAIT_POLL_SECONDS, max(0.0, deadline - time.monotonic())))


def export_status(principal: Principal, job_id: UUID) -> ExportJobView:
    """The caller's job, with a fresh download URL once it is done."""
    connection = get_connection()
    job = export_jobs.get(connection, job_id)
    if job is None or job.created_by != principal.user_id:
        raise _not_found()
    try:
        if job.run_id is not None:
            require_run(connection, principal, job.run_id, READ)
        else:
            require_project(connection, principal, job.project_id, READ)
    except NotFound:
        raise _not_found() from None
    return _view(job)


def _view(job: ExportJobRow) -> ExportJobView:
    view = ExportJobView.model_validate(job)
    if job.status in ("queued", "running"):
        if job.created_at < datetime.now(UTC) - timedelta(seconds=UNFINISHED_GIVE_UP_SECONDS):
            # The worker died on every receive (out of time or memory) and the message went
            # to the dead-letter queue, or the message was lost: nothing will finish it.
            view.status = "failed"
            view.error = "the export did not finish; ask for a new one"
            return view
        view.poll_after_seconds = POLL_AFTER_SECONDS
    if job.status == "done" and job.object_key is not None:
        seconds = get_settings().export_download_url_seconds
        if job.expires_at is not None and job.expires_at <= datetime.now(UTC):
            view.status = "failed"
            view.error = "the export has expired; ask for a new one"
            return view
        view.download_url = storage.presigned_download(
            job.object_key,
            version_id=None,
            content_type=CSV_CONTENT_TYPE,
            filename=job.filename,
            inline=False,
            expires_in=seconds,
        )
        view.download_url_expires_at = datetime.now(UTC) + timedelta(seconds=seconds)
    return view


def require_small_csv(principal: Principal, run_id: UUID) -> None:
    """413 `export_required` when the run's CSV may not fit in one response."""
    bound = metric_reads.csv_answer_bytes(principal, run_id)
    limit = get_settings().export_sync_max_bytes
    if bound > limit:
        raise PayloadTooLarge(
            f"this run's CSV may reach {bound:,} bytes, more than one response may carry"
            f" ({limit:,}): create an export with POST /v1/runs/{run_id}/exports, then GET"
            " /v1/exports/{export_id} until its status is done and download its download_url",
            code="export_required",
            details={
                "estimated_bytes": bound,
                "limit_bytes": limit,
                "export_route": f"/v1/runs/{run_id}/exports",
            },
        )


# ---------------------------------------------------------------- worker


def run_job(job_id: UUID) -> str:
    """Write the job's file and mark it done, or failed with the reason; answers the
    outcome (`done`, `failed`, or `skipped` for a job that is gone or finished). Raises
    only when the job cannot even be marked failed (the message is then retried)."""
    connection = get_connection()
    job = export_jobs.get(connection, job_id)
    if job is None:
        return "skipped"
    job = export_jobs.start(connection, job_id, object_key(job))
    if job is None:
        return "skipped"
    assert job.object_key is not None
    settings = get_settings()
    try:
        with storage.multipart_upload(
            job.object_key,
            content_type=CSV_CONTENT_TYPE,
            filename=job.filename,
            part_bytes=settings.export_part_bytes,
        ) as upload:
            rows = 0
            with (
                series_points.one_snapshot(connection),
                closing(_chunks(connection, job)) as chunks,
            ):
                for chunk in chunks:
                    upload.write(chunk)
                    rows += chunk.count(b"\n")
            upload.complete()
    except Exception as error:
        reason = _reason(error)
        logger.exception("export failed", extra={"job_id": str(job_id), "reason": reason})
        _rollback(connection)
        export_jobs.fail(connection, job_id, reason)
        return "failed"
    export_jobs.finish(
        connection,
        job_id,
        size_bytes=upload.size,
        row_count=max(0, rows - 1),
        retention_days=settings.export_retention_days,
    )
    return "done"


def _reason(error: Exception) -> str:
    text = str(error).splitlines()[0] if str(error) else ""
    return f"{type(error).__name__}: {text}"[:300] if text else type(error).__name__


def _rollback(connection: Connection) -> None:
    if not connection.closed and connection.info.transaction_status != TransactionStatus.IDLE:
        connection.rollback()


def _chunks(connection: Connection, job: ExportJobRow) -> Generator[bytes, None, None]:
    if job.kind == "run_metrics_long":
        assert job.run_id is not None
        return csv_exports.long_csv(
            str(job.run_id), metric_reads.stream_stored_columns(connection, job.run_id)
        )
    if job.kind == "run_metrics_wide":
        assert job.run_id is not None
        return _wide_csv(connection, job.run_id)
    if job.kind == "tora_logs_csv":
        assert job.run_id is not None
        return _tora_csv(connection, job.run_id)
    return _run_table_csv(connection, job.project_id)


def _step_windows(
    connection: Connection, run_id: UUID, names: list[str], firsts: list[int], lasts: list[int]
) -> Generator[list[StoredColumns], None, None]:
    """The run's points a window of steps at a time (about _WIDE_WINDOW_POINTS points
    each, read whole), by step; empty stretches of steps are skipped."""
    if not names or not firsts or not lasts:
        return
    width = max(1, _WIDE_WINDOW_POINTS // len(names))
    low: int | None = min(firsts)
    end = max(lasts)
    while low is not None and low <= end:
        high = min(low + width - 1, end)
        blocks = list(
            metric_reads.stream_stored_columns(
                connection, run_id, names=names, step_min=low, step_max=high
            )
        )
        if blocks:
            yield blocks
            low = high + 1
        else:
            low = metric_reads.first_step_from(connection, run_id, high + 1)


def _windows_of_run(
    connection: Connection, run_id: UUID
) -> tuple[list[str], Generator[list[StoredColumns], None, None]]:
    metrics = run_metrics.metrics_of_runs(connection, [run_id])
    names = [metric.name for metric in metrics]
    firsts = [m.first_step for m in metrics if m.first_step is not None]
    lasts = [m.last_step for m in metrics if m.last_step is not None]
    return names, _step_windows(connection, run_id, names, firsts, lasts)


def _wide_csv(connection: Connection, run_id: UUID) -> Generator[bytes, None, None]:
    """A row per step with every metric's value at it, a window of steps at a time."""
    names, windows = _windows_of_run(connection, run_id)
    yield csv_exports.wide_header(names)
    with closing(windows):
        for blocks in windows:
            yield csv_exports.wide_rows(names, blocks)


def _tora_csv(connection: Connection, run_id: UUID) -> Generator[bytes, None, None]:
    """Tora's CSV of the experiment's logs, oldest first: each window of steps sorted by
    time, with the results (few) put among the points by their time."""
    yield csv_exports.tora_header()
    experiment = str(run_id)
    time_text = csv_exports.moment_text
    results = sorted(
        run_results.results_of_runs(connection, [run_id]), key=lambda result: result.logged_at
    )
    pending = [
        (
            int(result.logged_at.timestamp() * 1_000_000),
            csv_exports.tora_row(
                result.msg_id or csv_exports.tora_point_id(run_id, result.name, None),
                experiment,
                result.name,
                result.value,
                None,
                result.metadata if result.metadata is not None else {"type": "result"},
                time_text(result.logged_at),
            ),
        )
        for result in results
    ]
    _, windows = _windows_of_run(connection, run_id)
    with closing(windows):
        for blocks in windows:
            rows = csv_exports.tora_point_rows(run_id, blocks)
            rows.sort(key=lambda row: (row[0], row[1]))
            text: list[str] = []
            for time_us, _, row in rows:
                while pending and pending[0][0] <= time_us:
                    text.append(pending.pop(0)[1])
                text.append(row)
            yield "".join(text).encode()
    if pending:
        yield "".join(row for _, row in pending).encode()


def _run_table_csv(connection: Connection, project_id: UUID) -> Generator[bytes, None, None]:
    config_keys: set[str] = set()
    for config in run_table_exports.stream_configs(connection, project_id):
        config_keys.update(csv_exports.flatten_config(config))
    keys = sorted(config_keys)
    metrics = run_table_exports.metric_names(connection, project_id)
    results = run_table_exports.result_names(connection, project_id)
    yield csv_exports.run_table_header(keys, metrics, results)
    batch: list[str] = []
    for run in run_table_exports.stream_runs(connection, project_id):
        batch.append(csv_exports.run_table_row(_as_dict(run), keys, metrics, results))
        if len(batch) >= 500:
            yield "".join(batch).encode()
            batch.clear()
    if batch:
        yield "".join(batch).encode()


def _as_dict(row: Any) -> dict[str, Any]:
    return dict(row)
