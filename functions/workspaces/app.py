"""Workspaces: create, list, read, rename, delete, leave; members and their roles;
invitations (sent by a workspace's admins, answered by the invitee)."""

from uuid import UUID

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter, Response, status

from wavedb_core.http import AuthenticatedPrincipal, answers, create_app, http_handler
from wavedb_core.models.workspaces import (
    InvitationAnswerRequest,
    InvitationCreateRequest,
    InvitationList,
    InvitationOut,
    MemberList,
    MemberOut,
    MemberRoleRequest,
    UserSummary,
    WorkspaceCreateRequest,
    WorkspaceList,
    WorkspaceOut,
    WorkspaceUpdateRequest,
)
from wavedb_core.services import invitations, workspaces
from wavedb_core.services.invitations import InvitationView

router = APIRouter(prefix="/v1/workspaces", tags=["workspaces"])
invitations_router = APIRouter(prefix="/v1/invitations", tags=["invitations"])


def _no_content() -> Response:
    return Response(status_code=status.HTTP_204_NO_CONTENT)


def _invitation_out(view: InvitationView, *, invite_url: str | None = None) -> InvitationOut:
    invited_by = None
    if view.invited_by_id is not None:
        invited_by = UserSummary(
            id=view.invited_by_id,
            email=view.invited_by_email or "",
            name=view.invited_by_name or "",
        )
    return InvitationOut(
        id=view.id,
        workspace_id=view.workspace_id,
        workspace_name=view.workspace_name,
        email=view.email,
        role=view.role,
        invited_by=invited_by,
        status=view.status,
        created_at=view.created_at,
        expires_at=view.expires_at,
        invite_url=invite_url,
    )


# ------------------------------------------------------------------ workspaces


@router.post("", status_code=status.HTTP_201_CREATED, responses=answers(409))
def create_workspace(
    principal: AuthenticatedPrincipal, body: WorkspaceCreateRequest
) -> WorkspaceOut:
    view = workspaces.create_workspace(principal, name=body.name, description=body.description)
    return WorkspaceOut.model_validate(view)


@router.get("")
def list_workspaces(principal: AuthenticatedPrincipal) -> WorkspaceList:
    views = workspaces.list_workspaces(principal)
    return WorkspaceList(items=[WorkspaceOut.model_validate(view) for view in views])


@router.get("/{workspace_id}")
def get_workspace(principal: AuthenticatedPrincipal, workspace_id: UUID) -> WorkspaceOut:
    return WorkspaceOut.model_validate(workspaces.get_workspace(principal, workspace_id))


@router.patch("/{workspace_id}")
def update_workspace(
    principal: AuthenticatedPrincipal, workspace_id: UUID, body: WorkspaceUpdateRequest
) -> WorkspaceOut:
    view = workspaces.update_workspace(
        principal, workspace_id, name=body.name, description=body.description
    )
    return WorkspaceOut.model_validate(view)


@router.delete("/{workspace_id}", status_code=status.HTTP_204_NO_CONTENT, responses=answers(409))
def delete_workspace(principal: AuthenticatedPrincipal, workspace_id: UUID) -> Response:
    workspaces.delete_workspace(principal, workspace_id)
    return _no_content()


@router.post(
    "/{workspace_id}/leave", status_code=status.HTTP_204_NO_CONTENT, responses=answers(409)
)
def leave_workspace(principal: AuthenticatedPrincipal, workspace_id: UUID) -> Response:
    workspaces.leave_workspace(principal, workspace_id)
    return _no_content()


# ------------------------------------------------------------------ members


@router.get("/{workspace_id}/members")
def list_members(principal: AuthenticatedPrincipal, workspace_id: UUID) -> MemberList:
    views = workspaces.list_members(principal, workspace_id)
    return MemberList(items=[MemberOut.model_validate(view) for view in views])


@router.patch("/{workspace_id}/members/{user_id}", responses=answers(409))
def set_member_role(
    principal: AuthenticatedPrincipal, workspace_id: UUID, user_id: UUID, body: MemberRoleRequest
) -> MemberOut:
    view = workspaces.set_member_role(principal, workspace_id, user_id, role=body.role)
    return MemberOut.model_validate(view)


@router.delete(
    "/{workspace_id}/members/{user_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=answers(409),
)
def remove_member(principal: AuthenticatedPrincipal, workspace_id: UUID, user_id: UUID) -> Response:
    workspaces.remove_member(principal, workspace_id, user_id)
    return _no_content()


# ------------------------------------------------------------------ invitations


@router.post(
    "/{workspace_id}/invitations", status_code=status.HTTP_201_CREATED, responses=answers(409)
)
def invite(
    principal: AuthenticatedPrincipal, workspace_id: UUID, body: InvitationCreateRequest
) -> InvitationOut:
    created = invitations.invite(principal, workspace_id, email=str(body.email), role=body.role)
    return _invitation_out(created.view, invite_url=created.invite_url)


@router.get("/{workspace_id}/invitations")
def list_workspace_invitations(
    principal: AuthenticatedPrincipal, workspace_id: UUID
) -> InvitationList:
    views = invitations.list_workspace_invitations(principal, workspace_id)
    return InvitationList(items=[_invitation_out(view) for view in views])


@router.delete(
    "/{workspace_id}/invitations/{invitation_id}", status_code=status.HTTP_204_NO_CONTENT
)
def revoke_invitation(
    principal: AuthenticatedPrincipal, workspace_id: UUID, invitation_id: UUID
) -> Response:
    invitations.revoke_invitation(principal, workspace_id, invitation_id)
    return _no_content()


@invitations_router.get("")
def list_my_invitations(principal: AuthenticatedPrincipal) -> InvitationList:
    views = invitations.list_my_invitations(principal)
    return InvitationList(items=[_invitation_out(view) for view in views])


def _token(body: InvitationAnswerRequest | None) -> str | None:
    return body.token if body else None


@invitations_router.post("/{invitation_id}/accept", responses=answers(403, 409))
def accept_invitation(
    principal: AuthenticatedPrincipal,
    invitation_id: UUID,
    body: InvitationAnswerRequest | None = None,
) -> WorkspaceOut:
    view = invitations.accept_invitation(principal, invitation_id, token=_token(body))
    return WorkspaceOut.model_validate(view)


@invitations_router.post(
    "/{invitation_id}/decline",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=answers(403, 409),
)
def decline_invitation(
    principal: AuthenticatedPrincipal,
    invitation_id: UUID,
    body: InvitationAnswerRequest | None = None,
) -> Response:
    invitations.decline_invitation(principal, invitation_id, token=_token(body))
    return _no_content()


app = create_app(router, invitations_router, title="workspaces")
handler = http_handler(app)
