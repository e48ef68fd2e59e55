"""Projects: create, list, read, rename and delete the projects of a workspace.

Viewers read; members create and edit; admins (and a project's creator) delete.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from aws_lambda_powertools import Logger

from wavedb_core.db.connection import Connection, transaction
from wavedb_core.db.retries import retried_on_deadlock
from wavedb_core.errors import Conflict, Forbidden, NotFound
from wavedb_core.principal import Principal
from wavedb_core.repositories import projects as repository
from wavedb_core.services.access import (
    MANAGE,
    READ,
    WRITE,
    require_project,
    require_workspace,
)

logger = Logger(child=True)

DEFAULT_PROJECT_NAME = "Default"


# What the services answer: the stored project.
ProjectView = repository.ProjectRow


def _name_taken(name: str) -> Conflict:
    return Conflict(
        f"this workspace already has a project named {name!r}",
        code="project_name_taken",
        details={"name": name},
    )


def create_project(
    principal: Principal, workspace_id: UUID, *, name: str, description: str = ""
) -> ProjectView:
    with transaction() as connection:
        require_workspace(connection, principal, workspace_id, WRITE)
        row = repository.insert_project(
            connection,
            project_id=uuid.uuid4(),
            workspace_id=workspace_id,
            name=name,
            description=description,
            created_by=principal.user_id,
        )
    if row is None:
        raise _name_taken(name)
    logger.info("project created", extra={"project_id": str(row.id)})
    return row


def list_projects(principal: Principal, workspace_id: UUID) -> list[ProjectView]:
    """The workspace's projects, newest first."""
    with transaction() as connection:
        require_workspace(connection, principal, workspace_id, READ)
        return repository.list_projects(connection, workspace_id)


def list_visible_projects(principal: Principal) -> list[ProjectView]:
    """The projects of every workspace the caller belongs to, newest first."""
    with transaction() as connection:
        return repository.list_projects_of_member(connection, principal.user_id)


def get_project(principal: Principal, project_id: UUID) -> ProjectView:
    with transaction() as connection:
        require_project(connection, principal, project_id, READ)
        return _existing(connection, project_id)


def update_project(
    principal: Principal,
    project_id: UUID,
    *,
    name: str | None = None,
    description: str | None = None,
) -> ProjectView:
    with transaction() as connection:
        require_project(connection, principal, project_id, WRITE)
        if name is None and description is None:
            return _existing(connection, project_id)
        row = repository.update_project(connection, project_id, name=name, description=description)
    if row is None:
        raise _name_taken(name or "")
    return row


@retried_on_deadlock
def delete_project(principal: Principal, project_id: UUID) -> None:
    """Delete the project and its runs (admins and owners, or a member who created it)."""
    with transaction() as connection:
        access = require_project(connection, principal, project_id, WRITE)
        project = _existing(connection, project_id)
        if access.role < MANAGE and project.created_by != principal.user_id:
            raise Forbidden(
                f"only the project's creator or an admin may delete it; your role is"
                f" {access.role.label}",
                code="insufficient_role",
                details={"role": access.role.label, "required": MANAGE.label},
            )
        repository.delete_project(connection, project_id)
    logger.info("project deleted", extra={"project_id": str(project_id)})


def default_project_id(connection: Connection, *, workspace_id: UUID, user_id: UUID) -> UUID:
    """The workspace's "Default" project, created (by `user_id`) when missing. The caller
    checks access; this runs in the caller's connection and transaction."""
    return repository.ensure_project(
        connection,
        workspace_id=workspace_id,
        name=DEFAULT_PROJECT_NAME,
        created_by=user_id,
        project_id=uuid.uuid4(),
    )


def _existing(connection: Connection, project_id: UUID) -> repository.ProjectRow:
    row = repository.find_project(connection, project_id)
    if row is None:  # deleted since access was checked
        raise NotFound("project not found", code="project_not_found")
    return row
