"""Who may see and do what: workspace roles decide every read and write.

What the caller cannot see answers 404 exactly like what does not exist (so ids leak
nothing); what the caller can see but not change answers 403.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from uuid import UUID

from wavedb_core.db.connection import Connection
from wavedb_core.errors import Forbidden, NotFound
from wavedb_core.principal import Principal
from wavedb_core.repositories import access
from wavedb_core.vocabulary import MemberRole


class Role(IntEnum):
    """Workspace roles; a higher value may do everything a lower one may."""

    VIEWER = 1  # read
    MEMBER = 2  # read and write projects, runs, metrics
    ADMIN = 3  # also manage members and invitations
    OWNER = 4  # also rename and delete the workspace

    @classmethod
    def parse(cls, name: MemberRole) -> Role:
        return cls[name.upper()]

    @property
    def label(self) -> MemberRole:
        return _LABELS[self]


_LABELS: dict[Role, MemberRole] = {
    Role.VIEWER: "viewer",
    Role.MEMBER: "member",
    Role.ADMIN: "admin",
    Role.OWNER: "owner",
}


READ = Role.VIEWER
WRITE = Role.MEMBER
MANAGE = Role.ADMIN


@dataclass(frozen=True)
class WorkspaceAccess:
    workspace_id: UUID
    role: Role


@dataclass(frozen=True)
class ProjectAccess:
    project_id: UUID
    workspace_id: UUID
    role: Role


@dataclass(frozen=True)
class RunAccess:
    run_id: UUID
    project_id: UUID
    workspace_id: UUID
    role: Role


def _require(role: Role, minimum: Role, what: str) -> None:
    if role < minimum:
        raise Forbidden(
            f"your role ({role.label}) may not do this to the {what}; {minimum.label} or above"
            " is needed",
            code="insufficient_role",
            details={"role": role.label, "required": minimum.label},
        )


def require_workspace(
    connection: Connection, principal: Principal, workspace_id: UUID, minimum: Role = READ
) -> WorkspaceAccess:
    """The caller's access to the workspace; 404 if not a member, 403 if below `minimum`."""
    role_name = access.workspace_role(connection, principal.user_id, workspace_id)
    if role_name is None:
        raise NotFound("workspace not found", code="workspace_not_found")
    role = Role.parse(role_name)
    _require(role, minimum, "workspace")
    return WorkspaceAccess(workspace_id, role)


def require_project(
    connection: Connection, principal: Principal, project_id: UUID, minimum: Role = READ
) -> ProjectAccess:
    """The caller's access to the project; 404 if not visible, 403 if below `minimum`."""
    found = access.project_role(connection, principal.user_id, project_id)
    if found is None:
        raise NotFound("project not found", code="project_not_found")
    role = Role.parse(found.role)
    _require(role, minimum, "project")
    return ProjectAccess(project_id, found.workspace_id, role)


def require_run(
    connection: Connection, principal: Principal, run_id: UUID, minimum: Role = READ
) -> RunAccess:
    """The caller's access to the run; 404 if not visible, 403 if below `minimum`."""
    found = access.run_role(connection, principal.user_id, run_id)
    if found is None:
        raise NotFound("run not found", code="run_not_found")
    role = Role.parse(found.role)
    _require(role, minimum, "run")
    return RunAccess(run_id, found.project_id, found.workspace_id, role)
