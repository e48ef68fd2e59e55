"""Projects."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from wavedb_core.models.base import RequestModel, ResponseModel
from wavedb_core.models.workspaces import Description, WorkspaceName

# A project's name follows the rule of a workspace's.
ProjectName = WorkspaceName


class ProjectCreateRequest(RequestModel):
    name: ProjectName
    description: Description = ""


class ProjectUpdateRequest(RequestModel):
    """Only the fields given change."""

    name: ProjectName | None = None
    description: Description | None = None


class ProjectOut(ResponseModel):
    id: UUID
    workspace_id: UUID
    name: str
    description: str
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime


class ProjectList(ResponseModel):
    items: list[ProjectOut]
    next_cursor: str | None = None
