"""Workspaces, their members and invitations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import Field, StringConstraints

from wavedb_core.models.accounts import EmailAddress
from wavedb_core.models.base import (
    NonBlankText,
    RequestModel,
    ResponseModel,
    at_most_as_sent,
)
from wavedb_core.vocabulary import InvitationStatus, InvitedRole, MemberRole

WorkspaceName = Annotated[str, NonBlankText(100)]
Description = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=2000),
    at_most_as_sent(2000),
]


class WorkspaceCreateRequest(RequestModel):
    name: WorkspaceName
    description: Description = ""


class WorkspaceUpdateRequest(RequestModel):
    """Only the fields given change."""

    name: WorkspaceName | None = None
    description: Description | None = None


class WorkspaceOut(ResponseModel):
    id: UUID
    name: str
    description: str
    is_personal: bool
    role: MemberRole = Field(description="The caller's role in the workspace.")
    created_at: datetime
    updated_at: datetime


class WorkspaceList(ResponseModel):
    items: list[WorkspaceOut]
    next_cursor: str | None = None


class MemberRoleRequest(RequestModel):
    role: MemberRole


class MemberOut(ResponseModel):
    user_id: UUID
    email: str
    name: str
    role: MemberRole
    joined_at: datetime


class MemberList(ResponseModel):
    items: list[MemberOut]
    next_cursor: str | None = None


class InvitationCreateRequest(RequestModel):
    email: EmailAddress
    role: InvitedRole = "member"


class InvitationAnswerRequest(RequestModel):
    token: str | None = Field(
        default=None,
        max_length=256,
        description=(
            "The secret token of the invitation's e-mail. Needed unless the caller's address"
            " is confirmed."
        ),
    )


class UserSummary(ResponseModel):
    id: UUID
    email: str
    name: str


class InvitationOut(ResponseModel):
    id: UUID
    workspace_id: UUID
    workspace_name: str
    email: str
    role: InvitedRole
    invited_by: UserSummary | None = Field(
        description="Who sent the invitation (null once that account is deleted)."
    )
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    invite_url: str | None = Field(
        default=None,
        description=(
            "Only in the answer that creates the invitation, and only when no e-mail carried"
            " it (none configured, or sending failed): the secret link to pass on to the"
            " invitee. It works only for an account with the invited address."
        ),
    )


class InvitationList(ResponseModel):
    items: list[InvitationOut]
    next_cursor: str | None = None
