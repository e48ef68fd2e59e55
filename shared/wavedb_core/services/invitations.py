"""Invitations: admins invite an e-mail address with a role; its owner accepts or declines.

An invitation is pending for 14 days. At most one is pending per workspace and address (a
second one is refused with 409 `invitation_pending`). Invitations are found by the caller's
account e-mail (any case); one addressed to someone else answers 404 like a missing one.

Signing up does not prove an address, so answering an invitation needs proof that the
caller owns the invited address: the one-time secret token of the invitation's e-mail
(stored only as a hash), or an account address confirmed through its confirmation link.
Without either the answer is 403 `address_not_proven`; a token that is not this
invitation's is 403 `invalid_invitation_token`. Accepting with the token also confirms the
account's address (the token reached that mailbox).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from aws_lambda_powertools import Logger

from wavedb_core.db.connection import Connection, transaction
from wavedb_core.errors import Conflict, Forbidden, NotFound, ValidationFailed
from wavedb_core.principal import Principal
from wavedb_core.repositories import invitations as repository
from wavedb_core.repositories import users
from wavedb_core.repositories import workspaces as workspace_repository
from wavedb_core.services.access import MANAGE, Role, require_workspace
from wavedb_core.services.mailer import can_send_email, send_email
from wavedb_core.services.opaque_tokens import digest_matches, new_token, parse_token
from wavedb_core.services.workspaces import WorkspaceView
from wavedb_core.settings import get_settings
from wavedb_core.vocabulary import MemberRole

logger = Logger(child=True)

INVITATION_TTL = timedelta(days=14)
INVITATION_TOKEN_KIND = "wdi"
INVITABLE_ROLES = frozenset({Role.ADMIN, Role.MEMBER, Role.VIEWER})


# What the services answer: the stored invitation with its workspace and inviter.
InvitationView = repository.InvitationRow


@dataclass(frozen=True)
class NewInvitation:
    view: InvitationView
    # The secret link, for the inviter to pass on when no e-mail carried it (no mail is
    # configured, or sending failed); None once the e-mail is on its way.
    invite_url: str | None


def invite(
    principal: Principal, workspace_id: UUID, *, email: str, role: MemberRole
) -> NewInvitation:
    """Invite `email` to the workspace with `role` (admins and owners), and mail the invitee
    the secret link; where no mail can be sent the link is answered for the inviter to pass on
    (it works only for an account with the invited address)."""
    if role == "owner":  # the one role not in INVITABLE_ROLES
        raise ValidationFailed(
            "invitations give the admin, member or viewer role; make owners from members",
            details=[{"location": "body.role", "message": "must be admin, member or viewer"}],
        )
    email = email.strip()
    invitation_id = uuid.uuid4()
    token = new_token(INVITATION_TOKEN_KIND, lookup=invitation_id.hex)
    with transaction() as connection:
        require_workspace(connection, principal, workspace_id, MANAGE)
        if workspace_repository.has_member_with_email(
            connection, workspace_id=workspace_id, email=email
        ):
            raise Conflict(
                "this address already belongs to a member of the workspace", code="already_member"
            )
        inserted = repository.insert_invitation(
            connection,
            invitation_id=invitation_id,
            workspace_id=workspace_id,
            email=email,
            role=role,
            invited_by=principal.user_id,
            expires_at=datetime.now(UTC) + INVITATION_TTL,
            token_hash=token.digest,
        )
        if not inserted:
            raise Conflict(
                "an invitation to this address is already pending; revoke it to invite again",
                code="invitation_pending",
            )
        row = repository.find_invitation(connection, invitation_id)
    assert row is not None
    logger.info(
        "invitation created",
        extra={"workspace_id": str(workspace_id), "invitation_id": str(invitation_id)},
    )
    link = f"{get_settings().public_base_url.rstrip('/')}/#/invitations?token={token.value}"
    mailed = _notify(row, link, token.value)
    return NewInvitation(view=row, invite_url=None if mailed else link)


def list_workspace_invitations(principal: Principal, workspace_id: UUID) -> list[InvitationView]:
    """The workspace's pending invitations (admins and owners)."""
    with transaction() as connection:
        require_workspace(connection, principal, workspace_id, MANAGE)
        return repository.list_pending_for_workspace(connection, workspace_id)


def revoke_invitation(principal: Principal, workspace_id: UUID, invitation_id: UUID) -> None:
    with transaction() as connection:
        require_workspace(connection, principal, workspace_id, MANAGE)
        if not repository.revoke(
            connection, workspace_id=workspace_id, invitation_id=invitation_id
        ):
            raise NotFound("no pending invitation with this id", code="invitation_not_found")
    logger.info("invitation revoked", extra={"invitation_id": str(invitation_id)})


def list_my_invitations(principal: Principal) -> list[InvitationView]:
    """Pending, unexpired invitations addressed to the caller's e-mail address."""
    with transaction() as connection:
        return repository.list_pending_for_email(connection, _caller(connection, principal).email)


def accept_invitation(
    principal: Principal, invitation_id: UUID, *, token: str | None = None
) -> WorkspaceView:
    """Join the workspace with the invitation's role (a member already keeps their role)."""
    with transaction() as connection:
        invitation = _open_invitation_of_caller(connection, principal, invitation_id, token)
        if token is not None:
            users.mark_email_confirmed(connection, principal.user_id)
        workspace_repository.add_member(
            connection,
            workspace_id=invitation.workspace_id,
            user_id=principal.user_id,
            role=invitation.role,
        )
        repository.respond(connection, invitation_id, "accepted")
        membership = workspace_repository.find_membership(
            connection, user_id=principal.user_id, workspace_id=invitation.workspace_id
        )
    assert membership is not None
    logger.info("invitation accepted", extra={"invitation_id": str(invitation_id)})
    return membership


def decline_invitation(
    principal: Principal, invitation_id: UUID, *, token: str | None = None
) -> None:
    with transaction() as connection:
        _open_invitation_of_caller(connection, principal, invitation_id, token)
        repository.respond(connection, invitation_id, "declined")
    logger.info("invitation declined", extra={"invitation_id": str(invitation_id)})


# ------------------------------------------------------------------ internals


def _caller(connection: Connection, principal: Principal) -> users.User:
    user = users.find_user(connection, principal.user_id)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    return user


def _open_invitation_of_caller(
    connection: Connection, principal: Principal, invitation_id: UUID, token: str | None
) -> repository.InvitationRow:
    """The invitation, locked, when it is addressed to the caller, the caller proves the
    address (the invitation's token, or a confirmed address), and it can still be answered."""
    caller = _caller(connection, principal)
    row = repository.find_invitation(connection, invitation_id, for_update=True)
    if row is None or row.email.lower() != caller.email.lower():
        raise NotFound("invitation not found", code="invitation_not_found")
    if token is not None:
        if not _token_opens(row, token):
            raise Forbidden(
                "this token is not the one of this invitation's e-mail",
                code="invalid_invitation_token",
            )
    elif not caller.email_confirmed:
        raise Forbidden(
            "open the link in the invitation e-mail sent to this address (or confirm the"
            " address) to answer this invitation",
            code="address_not_proven",
        )
    if row.status != "pending":
        raise Conflict(
            f"this invitation was already {row.status}",
            code="invitation_not_pending",
            details={"status": row.status},
        )
    if row.expires_at <= datetime.now(UTC):
        raise Conflict("this invitation has expired; ask for a new one", code="invitation_expired")
    return row


def _token_opens(row: repository.InvitationRow, value: str) -> bool:
    token = parse_token(value, INVITATION_TOKEN_KIND)
    return (
        token is not None
        and row.token_hash is not None
        and token.lookup == row.id.hex
        and digest_matches(row.token_hash, token)
    )


def _notify(row: repository.InvitationRow, link: str, token: str) -> bool:
    """E-mail the invitee their secret link, when e-mail can be sent; whether it was. The
    invitation stands even if the message cannot be sent: the inviter gets the link, and an
    invitee with a confirmed address accepts it from the app."""
    if not can_send_email():
        return False
    workspace = " ".join(row.workspace_name.split())
    inviter = row.invited_by_name or "A WaveDB user"
    try:
        send_email(
            to=row.email,
            subject=f"You are invited to {workspace} on WaveDB",
            text=(
                f'Hello,\n\n{inviter} invited you to join the workspace "{workspace}" on'
                f" WaveDB as {row.role}.\n\nOpen this link and sign in (or sign up) with this"
                f" e-mail address to accept or decline:\n{link}\n\n"
                f"Or send this token to POST /v1/invitations/{row.id}/accept:\n{token}\n\n"
                f"The link is yours alone: it lets whoever signs in as {row.email} join the"
                f" workspace. The invitation expires on {row.expires_at:%Y-%m-%d}. If you did"
                " not expect it, ignore this message.\n"
            ),
        )
    except Exception:
        logger.exception("invitation e-mail not sent", extra={"invitation_id": str(row.id)})
        return False
    return True
