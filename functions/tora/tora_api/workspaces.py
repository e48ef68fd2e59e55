"""Tora's workspace routes: workspaces, members, their experiments, and invitations."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status

from wavedb_core.errors import BadRequest, Conflict, ValidationFailed
from wavedb_core.http import answers
from wavedb_core.services import invitations, workspaces

import tora_api.shapes as tora_shapes
from tora_api.experiments import all_experiments
from tora_api.models import (
    Envelope,
    ExperimentOut,
    InvitationAction,
    InvitationIn,
    InvitationOut,
    MemberOut,
    StatusOnly,
    WorkspaceIn,
    WorkspaceOut,
)
from tora_api.security import ToraPrincipal

router = APIRouter(tags=["tora: workspaces"])


@router.get("/workspaces")
def list_workspaces(principal: ToraPrincipal) -> Envelope[list[WorkspaceOut]]:
    views = workspaces.list_workspaces(principal)
    return Envelope(status=200, data=[tora_shapes.workspace(view) for view in views])


@router.post("/workspaces", status_code=status.HTTP_201_CREATED, responses=answers(409))
def create_workspace(principal: ToraPrincipal, body: WorkspaceIn) -> Envelope[WorkspaceOut]:
    view = workspaces.create_workspace(
        principal, name=body.name, description=body.description or ""
    )
    return Envelope(status=201, data=tora_shapes.workspace(view))


@router.get("/workspaces/{workspace_id}")
def get_workspace(principal: ToraPrincipal, workspace_id: UUID) -> Envelope[WorkspaceOut]:
    view = workspaces.get_workspace(principal, workspace_id)
    return Envelope(status=200, data=tora_shapes.workspace(view))


@router.delete("/workspaces/{workspace_id}", responses=answers(409))
def delete_workspace(principal: ToraPrincipal, workspace_id: UUID) -> StatusOnly:
    workspaces.delete_workspace(principal, workspace_id)
    return StatusOnly(status=200)


@router.post(
    "/workspaces/{workspace_id}/leave",
    responses={
        400: {"description": "The caller is the workspace's sole owner, who cannot leave."},
        **answers(409),
    },
)
def leave_workspace(principal: ToraPrincipal, workspace_id: UUID) -> StatusOnly:
    try:
        workspaces.leave_workspace(principal, workspace_id)
    except Conflict as refused:
        if refused.code != workspaces.SOLE_OWNER:
            raise
        # Tora's contract: the sole owner cannot leave (400).
        raise BadRequest(refused.message, code=refused.code) from refused
    return StatusOnly(status=200)


@router.get("/workspaces/{workspace_id}/members")
def list_members(principal: ToraPrincipal, workspace_id: UUID) -> Envelope[list[MemberOut]]:
    views = workspaces.list_members(principal, workspace_id)
    return Envelope(status=200, data=[tora_shapes.member(view) for view in views])


@router.get("/workspaces/{workspace_id}/experiments")
def list_workspace_experiments(
    principal: ToraPrincipal, workspace_id: UUID
) -> Envelope[list[ExperimentOut]]:
    return Envelope(status=200, data=all_experiments(principal, workspace_id=workspace_id))


# ------------------------------------------------------------------ invitations


@router.put("/workspaces/any/invitations", responses=answers(403, 404, 409))
def respond_to_invitation(
    principal: ToraPrincipal,
    invitation_id: Annotated[UUID, Query(alias="invitationId")],
    action: Annotated[InvitationAction, Query()],
    token: Annotated[
        str | None,
        Query(
            max_length=256,
            description="The token of the invitation's e-mail; needed unless the caller's"
            " address is confirmed (our addition to Tora's route).",
        ),
    ] = None,
) -> StatusOnly:
    # Tora's clients send the id alone: that answers only for a confirmed address.
    if action == "accept":
        invitations.accept_invitation(principal, invitation_id, token=token)
    else:
        invitations.decline_invitation(principal, invitation_id, token=token)
    return StatusOnly(status=200)


@router.post(
    "/workspace-invitations", status_code=status.HTTP_201_CREATED, responses=answers(404, 409)
)
def create_invitation(principal: ToraPrincipal, body: InvitationIn) -> Envelope[InvitationOut]:
    role = tora_shapes.role_from_id(body.roleId)
    if role is None:
        raise ValidationFailed(
            "roleId: not a role of GET /workspace-roles",
            details=[{"location": "body.roleId", "message": "unknown role"}],
        )
    view = invitations.invite(
        principal, body.workspaceId, email=str(body.email), role=role.label
    ).view
    return Envelope(status=201, data=tora_shapes.invitation(view))


@router.get("/workspace-invitations")
def list_invitations(principal: ToraPrincipal) -> Envelope[list[InvitationOut]]:
    views = invitations.list_my_invitations(principal)
    return Envelope(status=200, data=[tora_shapes.invitation(view) for view in views])
