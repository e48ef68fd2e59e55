"""Our views in Tora's shapes: a run is an experiment, a metric point or result is a log."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

from wavedb_core.services.access import Role
from wavedb_core.services.invitations import InvitationView
from wavedb_core.services.runs import RunView
from wavedb_core.services.workspaces import MemberView, WorkspaceView
from wavedb_core.settings import get_settings

from tora_api.models import (
    ExperimentOut,
    HyperparamOut,
    InvitationOut,
    MemberOut,
    RoleOut,
    WorkspaceOut,
)

# Stable ids for the roles, so that a client may keep a role's id (Tora's `roleId`).
_ROLE_NAMESPACE = uuid.UUID("6f1c1f3e-8d0a-4f4e-9a43-5d2f7c1b0e21")
ROLE_IDS: dict[Role, UUID] = {
    role: uuid.uuid5(_ROLE_NAMESPACE, role.name) for role in sorted(Role, reverse=True)
}


def role_name(role: str) -> str:
    """Tora spells roles in capitals (OWNER, VIEWER...)."""
    return role.upper()


def roles() -> list[RoleOut]:
    return [RoleOut(id=role_id, name=role.name) for role, role_id in ROLE_IDS.items()]


def role_from_id(value: str) -> Role | None:
    """A role named by its id or by its name (any case); None when unknown."""
    for role, role_id in ROLE_IDS.items():
        if value.lower() in (str(role_id), role.name.lower()):
            return role
    return None


def experiment_url(run_id: UUID) -> str:
    return f"{get_settings().public_base_url.rstrip('/')}/runs/{run_id}"


def experiment(run: RunView) -> ExperimentOut:
    return ExperimentOut(
        id=run.id,
        name=run.name,
        description=run.description,
        hyperparams=[HyperparamOut(key=key, value=value) for key, value in run.config.items()],
        tags=run.tags,
        created_at=run.created_at,
        updated_at=run.updated_at,
        workspace_id=run.workspace_id,
        url=experiment_url(run.id),
    )


def hyperparams_config(hyperparams: list[Any] | None) -> dict[str, Any]:
    """Tora's `[{"key", "value"}]` as a run's config (a repeated key keeps its last value)."""
    return {item.key: item.value for item in hyperparams or []}


def workspace(view: WorkspaceView) -> WorkspaceOut:
    return WorkspaceOut(
        id=view.id,
        name=view.name,
        description=view.description,
        createdAt=view.created_at,
        role=role_name(view.role),
    )


def member(view: MemberView) -> MemberOut:
    return MemberOut(
        id=view.user_id, email=view.email, role=role_name(view.role), joined_at=view.joined_at
    )


def invitation(view: InvitationView) -> InvitationOut:
    return InvitationOut(
        id=view.id,
        workspaceId=view.workspace_id,
        workspaceName=view.workspace_name,
        email=view.email,
        role=role_name(view.role),
        from_=view.invited_by_email,
        created_at=view.created_at,
    )
