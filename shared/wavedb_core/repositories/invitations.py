"""Invitations to join a workspace, addressed to an e-mail address."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import psycopg
from psycopg.rows import class_row

from wavedb_core.db.connection import Connection
from wavedb_core.vocabulary import InvitationStatus, InvitedRole


@dataclass(frozen=True)
class InvitationRow:
    id: UUID
    workspace_id: UUID
    workspace_name: str
    email: str
    role: InvitedRole
    invited_by_id: UUID | None
    invited_by_email: str | None
    invited_by_name: str | None
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime
    # SHA-256 of the secret token mailed to the address (None for invitations made before
    # invitations had tokens).
    token_hash: bytes | None


_SELECT = (
    "SELECT i.id, i.workspace_id, w.name AS workspace_name, i.email, i.role,"
    " i.invited_by AS invited_by_id, u.email AS invited_by_email, u.name AS invited_by_name,"
    " i.status, i.created_at, i.expires_at, i.token_hash"
    " FROM workspace_invitations i JOIN workspaces w ON w.id = i.workspace_id"
    " LEFT JOIN users u ON u.id = i.invited_by"
)
_PENDING = "i.status = 'pending' AND i.expires_at > now()"


def insert_invitation(
    connection: Connection,
    *,
    invitation_id: UUID,
    workspace_id: UUID,
    email: str,
    role: InvitedRole,
    invited_by: UUID,
    expires_at: datetime,
    token_hash: bytes,
) -> bool:
    """Insert a pending invitation; False when one is already pending for the address.
    Expired pending invitations to the address are dropped first: they no longer count."""
    connection.execute(
        "DELETE FROM workspace_invitations WHERE workspace_id = %s AND lower(email) = lower(%s)"
        " AND status = 'pending' AND expires_at <= now()",
        (workspace_id, email),
    )
    try:
        with connection.transaction():
            connection.execute(
                "INSERT INTO workspace_invitations"
                " (id, workspace_id, email, role, invited_by, expires_at, token_hash)"
                " VALUES (%s, %s, %s, %s, %s, %s, %s)",
                (invitation_id, workspace_id, email, role, invited_by, expires_at, token_hash),
            )
    except psycopg.errors.UniqueViolation:
        return False
    return True


def find_invitation(
    connection: Connection, invitation_id: UUID, *, for_update: bool = False
) -> InvitationRow | None:
    lock = " FOR UPDATE OF i" if for_update else ""
    with connection.cursor(row_factory=class_row(InvitationRow)) as cursor:
        cursor.execute(f"{_SELECT} WHERE i.id = %s{lock}", (invitation_id,))
        return cursor.fetchone()


def list_pending_for_email(connection: Connection, email: str) -> list[InvitationRow]:
    """Pending, unexpired invitations addressed to `email` (any case), newest first."""
    with connection.cursor(row_factory=class_row(InvitationRow)) as cursor:
        cursor.execute(
            f"{_SELECT} WHERE lower(i.email) = lower(%s) AND {_PENDING}"
            " ORDER BY i.created_at DESC, i.id DESC",
            (email,),
        )
        return cursor.fetchall()


def list_pending_for_workspace(connection: Connection, workspace_id: UUID) -> list[InvitationRow]:
    """The workspace's pending, unexpired invitations, newest first."""
    with connection.cursor(row_factory=class_row(InvitationRow)) as cursor:
        cursor.execute(
            f"{_SELECT} WHERE i.workspace_id = %s AND {_PENDING}"
            " ORDER BY i.created_at DESC, i.id DESC",
            (workspace_id,),
        )
        return cursor.fetchall()


def respond(connection: Connection, invitation_id: UUID, status: InvitationStatus) -> bool:
    """Close a pending invitation with `status`; False when it was not pending."""
    cursor = connection.execute(
        "UPDATE workspace_invitations SET status = %s, responded_at = now()"
        " WHERE id = %s AND status = 'pending'",
        (status, invitation_id),
    )
    return cursor.rowcount == 1


def revoke(connection: Connection, *, workspace_id: UUID, invitation_id: UUID) -> bool:
    """Revoke a pending invitation of the workspace; False when there is none."""
    cursor = connection.execute(
        "UPDATE workspace_invitations SET status = 'revoked', responded_at = now()"
        " WHERE id = %s AND workspace_id = %s AND status = 'pending'",
        (invitation_id, workspace_id),
    )
    return cursor.rowcount == 1
