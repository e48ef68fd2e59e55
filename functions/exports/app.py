"""Exports of any size: jobs that write a run's metrics or a project's run table as CSV to
the media bucket (through the export worker), and their status with a presigned download."""

from typing import Any
from uuid import UUID

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter, status

from wavedb_core.http import AuthenticatedPrincipal, answers, create_app, http_handler
from wavedb_core.models.exports import ExportJobView, ProjectExportRequest, RunExportRequest
from wavedb_core.services import exports

router = APIRouter(tags=["exports"])

# Both ways of starting an export answer 503 when they cannot queue the job.
_QUEUE_UNREACHABLE: dict[int | str, dict[str, Any]] = {
    503: {"description": "The export queue is unreachable (see Retry-After)"}
}


@router.post(
    "/v1/runs/{run_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    responses=_QUEUE_UNREACHABLE,
)
def create_run_export(
    principal: AuthenticatedPrincipal, run_id: UUID, body: RunExportRequest | None = None
) -> ExportJobView:
    """Export the run's metrics (long CSV by default); poll GET /v1/exports/{export_id}."""
    request = body or RunExportRequest()
    return exports.create_run_export(principal, run_id, request.kind)


@router.post(
    "/v1/projects/{project_id}/exports",
    status_code=status.HTTP_202_ACCEPTED,
    responses=_QUEUE_UNREACHABLE,
)
def create_project_export(
    principal: AuthenticatedPrincipal, project_id: UUID, body: ProjectExportRequest | None = None
) -> ExportJobView:
    """Export the project's run table (config, metric summaries, results) as CSV."""
    request = body or ProjectExportRequest()
    return exports.create_project_export(principal, project_id, request.kind)


@router.get("/v1/exports/{export_id}", responses=answers(404))
def get_export(principal: AuthenticatedPrincipal, export_id: UUID) -> ExportJobView:
    """Where the export stands; once done, a short-lived `download_url`."""
    return exports.export_status(principal, export_id)


app = create_app(router, title="exports")
handler = http_handler(app)
