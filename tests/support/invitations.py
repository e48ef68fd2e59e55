"""Invitations the way an invitee meets them: the e-mail (printed by the local stack) carries
the invitation's secret token, and accepting with it proves the address."""

from __future__ import annotations

from typing import Any

from tests.support.accounts import HttpClient, SignedUpUser
from tests.support.mail import printed_mail


def invite_with_token(
    api: HttpClient, inviter: SignedUpUser, workspace_id: str, email: str, role: str = "member"
) -> tuple[dict[str, Any], str]:
    """Invite `email`: the created invitation and the token its e-mail carried."""
    with printed_mail() as mail:
        response = api.post(
            f"/v1/workspaces/{workspace_id}/invitations",
            json={"email": email, "role": role},
            headers=inviter.bearer,
        )
    assert response.status_code == 201, response.text
    invitation: dict[str, Any] = response.json()
    return invitation, mail.invitation_token(invitation["id"])


def accept_invitation(
    api: HttpClient, user: SignedUpUser, invitation_id: str, token: str | None
) -> Any:
    """`user` accepts the invitation with `token` (None: with no body at all); the answer."""
    body = {"token": token} if token is not None else None
    return api.post(f"/v1/invitations/{invitation_id}/accept", json=body, headers=user.bearer)


def join_workspace(
    api: HttpClient, inviter: SignedUpUser, workspace_id: str, user: SignedUpUser, role: str
) -> dict[str, Any]:
    """Make `user` a member with `role` through an invitation they accept from its e-mail."""
    invitation, token = invite_with_token(api, inviter, workspace_id, user.email, role)
    accepted = accept_invitation(api, user, invitation["id"], token)
    assert accepted.status_code == 200, accepted.text
    workspace: dict[str, Any] = accepted.json()
    return workspace
