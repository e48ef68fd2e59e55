"""Projects."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import StringConstraints

from wavedb_core.models.base import NOT_BLANK, RequestModel, ResponseModel, at_most_as_sent

ProjectName = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=100, pattern=NOT_BLANK),
    at_most_as_sent(100),
]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    at_most_as_sent(2000),
]


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
