"""WaveDB's projects and runners: our projects in the caller's personal workspace, our runs."""

from __future__ import annotations

from uuid import UUID

from wavedb_core.db.connection import get_connection
from wavedb_core.errors import NotFound
from wavedb_core.principal import Principal
from wavedb_core.services import projects, runs
from wavedb_core.services.workspaces import personal_workspace_id

from wavedb_api.errors import WaveDBCompatError
from wavedb_api.models import (
    RunnerStatus,
    WaveDBProjectCreateRequest,
    WaveDBProjectData,
    WaveDBProjectListItem,
    WaveDBRunnerCreateRequest,
    WaveDBRunnerData,
    WaveDBRunnerDetails,
)

_MAX_ID_LENGTH = 64

# Ours -> WaveDB's. A crashed run (no heartbeat) is a failure to a WaveDB client.
RUNNER_STATUSES: dict[str, RunnerStatus] = {
    "pending": "PENDING",
    "running": "RUNNING",
    "finished": "COMPLETED",
    "failed": "FAILED",
    "crashed": "FAILED",
    "canceled": "CANCELED",
}


def parse_id(value: str, *, what: str) -> UUID:
    """A WaveDB id is opaque to its clients: one that is not ours is simply not found."""
    try:
        if len(value) <= _MAX_ID_LENGTH:
            return UUID(value)
    except ValueError:
        pass
    raise WaveDBCompatError(404, f"{what} not found", name="NotFound")


def create_project(principal: Principal, request: WaveDBProjectCreateRequest) -> WaveDBProjectData:
    workspace_id = personal_workspace_id(get_connection(), principal.user_id)
    project = projects.create_project(
        principal, workspace_id, name=request.name, description=request.description
    )
    return WaveDBProjectData(id=project.id, name=project.name, description=project.description)


def list_projects(principal: Principal) -> list[WaveDBProjectListItem]:
    """The projects of the caller's personal workspace (where /project/create puts them)."""
    workspace_id = personal_workspace_id(get_connection(), principal.user_id)
    return [
        WaveDBProjectListItem(
            id=project.id,
            name=project.name,
            description=project.description,
            created_at=project.created_at,
            updated_at=project.updated_at,
            user_id=project.created_by,
        )
        for project in projects.list_projects(principal, workspace_id)
    ]


def _runner(run: runs.RunView) -> WaveDBRunnerData:
    """A run as WaveDB's runner (its status in WaveDB's words)."""
    return WaveDBRunnerData(
        id=run.id,
        name=run.name,
        status=RUNNER_STATUSES[run.status],
        project_id=run.project_id,
        config=run.config,
    )


def create_runner(principal: Principal, request: WaveDBRunnerCreateRequest) -> WaveDBRunnerData:
    project_id = parse_id(request.project_id, what="project")
    try:
        run = runs.create_run(principal, project_id, name=request.name, config=request.config)
    except NotFound as error:
        raise WaveDBCompatError(404, "project not found", name="NotFound") from error
    return _runner(run)


def runner_not_found() -> WaveDBCompatError:
    return WaveDBCompatError(404, "runner not found", name="NotFound")


def find_runner(principal: Principal, runner_id: str) -> runs.RunView:
    """The caller's view of a runner; 404 when it does not exist or is not visible."""
    run_id = parse_id(runner_id, what="runner")
    try:
        return runs.get_run(principal, run_id)
    except NotFound as error:
        raise runner_not_found() from error


def get_runner(principal: Principal, runner_id: str) -> WaveDBRunnerDetails:
    run = find_runner(principal, runner_id)
    return WaveDBRunnerDetails(
        **_runner(run).model_dump(), started_at=run.started_at, ended_at=run.ended_at
    )
