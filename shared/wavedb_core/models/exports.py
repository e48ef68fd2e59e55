"""Export jobs: what a client asks to export, and what it reads back while it waits."""

from __future__ import annotations

from datetime import datetime
from typing import Literal
from uuid import UUID

from pydantic import Field

from wavedb_core.models.base import RequestModel, ResponseModel

RunExportKind = Literal["run_metrics_long", "run_metrics_wide"]
ProjectExportKind = Literal["project_runs"]
# tora_logs_csv: Tora's GET /experiments/{id}/logs/csv of a large experiment.
ExportKind = Literal["run_metrics_long", "run_metrics_wide", "project_runs", "tora_logs_csv"]
ExportFormat = Literal["csv"]
ExportStatus = Literal["queued", "running", "done", "failed"]

# How long a client waits between two looks at a job that is not finished.
POLL_AFTER_SECONDS = 2


class RunExportRequest(RequestModel):
    kind: RunExportKind = Field(
        default="run_metrics_long",
        description="`run_metrics_long`: run_id,name,step,value,timestamp, one row per point"
        " (as GET /v1/runs/{run_id}/metrics.csv); `run_metrics_wide`: step and one column"
        " per metric, one row per step.",
    )
    format: ExportFormat = "csv"


class ProjectExportRequest(RequestModel):
    kind: ProjectExportKind = Field(
        default="project_runs",
        description="`project_runs`: one row per run with its fields, flattened config"
        " (config.<key>), metric summaries (summary.<metric>.last|min|max) and results"
        " (result.<name>).",
    )
    format: ExportFormat = "csv"


class ExportJobView(ResponseModel):
    """An export job. Poll it (every `poll_after_seconds`) until `status` is `done`, then
    download `download_url` (a presigned GET, valid until `download_url_expires_at`; GET
    the job again for a fresh one), or `failed` (`error` says why)."""

    id: UUID
    kind: ExportKind
    format: ExportFormat
    status: ExportStatus
    run_id: UUID | None
    project_id: UUID
    filename: str
    error: str | None = None
    size_bytes: int | None = None
    row_count: int | None = None
    created_at: datetime
    started_at: datetime | None = None
    finished_at: datetime | None = None
    expires_at: datetime | None = Field(
        default=None, description="When the exported file is deleted."
    )
    download_url: str | None = None
    download_url_expires_at: datetime | None = None
    poll_after_seconds: int | None = Field(
        default=None, description="While the job is queued or running: when to look again."
    )
