"""Projects: create and list a workspace's projects; read, rename and delete one; each
user's chart layout of one."""

from uuid import UUID

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter, Response, status

from wavedb_core.http import AuthenticatedPrincipal, answers, create_app, http_handler
from wavedb_core.models.layouts import LayoutOut, LayoutRequest
from wavedb_core.models.projects import (
    ProjectCreateRequest,
    ProjectList,
    ProjectOut,
    ProjectUpdateRequest,
)
from wavedb_core.services import project_layouts, projects

workspace_projects = APIRouter(prefix="/v1/workspaces/{workspace_id}/projects", tags=["projects"])
router = APIRouter(prefix="/v1/projects", tags=["projects"])


@workspace_projects.post("", status_code=status.HTTP_201_CREATED, responses=answers(409))
def create_project(
    principal: AuthenticatedPrincipal, workspace_id: UUID, body: ProjectCreateRequest
) -> ProjectOut:
    view = projects.create_project(
        principal, workspace_id, name=body.name, description=body.description
    )
    return ProjectOut.model_validate(view)


@workspace_projects.get("")
def list_projects(principal: AuthenticatedPrincipal, workspace_id: UUID) -> ProjectList:
    views = projects.list_projects(principal, workspace_id)
    return ProjectList(items=[ProjectOut.model_validate(view) for view in views])


@router.get("/{project_id}")
def get_project(principal: AuthenticatedPrincipal, project_id: UUID) -> ProjectOut:
    return ProjectOut.model_validate(projects.get_project(principal, project_id))


@router.patch("/{project_id}", responses=answers(409))
def update_project(
    principal: AuthenticatedPrincipal, project_id: UUID, body: ProjectUpdateRequest
) -> ProjectOut:
    view = projects.update_project(
        principal, project_id, name=body.name, description=body.description
    )
    return ProjectOut.model_validate(view)


@router.delete("/{project_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_project(principal: AuthenticatedPrincipal, project_id: UUID) -> Response:
    projects.delete_project(principal, project_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{project_id}/layout")
def get_layout(principal: AuthenticatedPrincipal, project_id: UUID) -> LayoutOut:
    """The caller's own chart layout of the project (empty until one is saved)."""
    return project_layouts.get_layout(principal, project_id)


@router.put("/{project_id}/layout")
def save_layout(
    principal: AuthenticatedPrincipal, project_id: UUID, body: LayoutRequest
) -> LayoutOut:
    """Replace the caller's own chart layout of the project (any role that reads it)."""
    return project_layouts.save_layout(principal, project_id, body)


app = create_app(workspace_projects, router, title="projects")
handler = http_handler(app)
