"""Workspaces and their members."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from psycopg.rows import class_row

from wavedb_core.db.connection import Connection
from wavedb_core.db.rows import scalar_of
from wavedb_core.vocabulary import MemberRole


@dataclass(frozen=True)
class MembershipRow:
    """A workspace as one member sees it (with that member's role)."""

    id: UUID
    name: str
    description: str
    is_personal: bool
    created_by: UUID | None
    role: MemberRole
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True)
class MemberRow:
    user_id: UUID
    email: str
    name: str
    role: MemberRole
    joined_at: datetime


_MEMBERSHIP_COLUMNS = (
    "w.id, w.name, w.description, w.is_personal, w.created_by, m.role, w.created_at, w.updated_at"
)
_MEMBERSHIP_FROM = (
    "FROM workspaces w JOIN workspace_members m ON m.workspace_id = w.id AND m.user_id = %s"
)


def insert_workspace(
    connection: Connection,
    *,
    workspace_id: UUID,
    name: str,
    description: str,
    created_by: UUID,
    is_personal: bool = False,
) -> None:
    connection.execute(
        "INSERT INTO workspaces (id, name, description, is_personal, created_by)"
        " VALUES (%s, %s, %s, %s, %s)",
        (workspace_id, name, description, is_personal, created_by),
    )


def insert_personal_workspace(
    connection: Connection, *, workspace_id: UUID, name: str, user_id: UUID
) -> bool:
    """Insert the user's personal workspace; False when the user already has one."""
    cursor = connection.execute(
        "INSERT INTO workspaces (id, name, is_personal, created_by) VALUES (%s, %s, true, %s)"
        " ON CONFLICT (created_by) WHERE is_personal DO NOTHING",
        (workspace_id, name, user_id),
    )
    return cursor.rowcount == 1


def find_personal_workspace_id(connection: Connection, user_id: UUID) -> UUID | None:
    with connection.cursor(row_factory=scalar_of(UUID)) as cursor:
        return cursor.execute(
            "SELECT id FROM workspaces WHERE created_by = %s AND is_personal", (user_id,)
        ).fetchone()


def add_member(
    connection: Connection, *, workspace_id: UUID, user_id: UUID, role: MemberRole
) -> bool:
    """Add a member; False (and nothing changed) when the user already is one."""
    cursor = connection.execute(
        "INSERT INTO workspace_members (workspace_id, user_id, role) VALUES (%s, %s, %s)"
        " ON CONFLICT (workspace_id, user_id) DO NOTHING",
        (workspace_id, user_id, role),
    )
    return cursor.rowcount == 1


def find_membership(
    connection: Connection, *, user_id: UUID, workspace_id: UUID
) -> MembershipRow | None:
    with connection.cursor(row_factory=class_row(MembershipRow)) as cursor:
        cursor.execute(
            f"SELECT {_MEMBERSHIP_COLUMNS} {_MEMBERSHIP_FROM} WHERE w.id = %s",
            (user_id, workspace_id),
        )
        return cursor.fetchone()


def list_memberships(connection: Connection, user_id: UUID) -> list[MembershipRow]:
    """The user's workspaces, newest first."""
    with connection.cursor(row_factory=class_row(MembershipRow)) as cursor:
        cursor.execute(
            f"SELECT {_MEMBERSHIP_COLUMNS} {_MEMBERSHIP_FROM}"
            " ORDER BY w.created_at DESC, w.id DESC",
            (user_id,),
        )
        return cursor.fetchall()


def lock_workspace(connection: Connection, workspace_id: UUID) -> bool:
    """Lock the workspace row for the rest of the transaction (serialises membership
    changes, so that two of them cannot both remove the last owner)."""
    row = connection.execute(
        "SELECT id FROM workspaces WHERE id = %s FOR UPDATE", (workspace_id,)
    ).fetchone()
    return row is not None


def update_workspace(
    connection: Connection, workspace_id: UUID, *, name: str | None, description: str | None
) -> None:
    connection.execute(
        "UPDATE workspaces SET name = coalesce(%s, name),"
        " description = coalesce(%s, description), updated_at = now() WHERE id = %s",
        (name, description, workspace_id),
    )


def delete_workspace(connection: Connection, workspace_id: UUID) -> None:
    connection.execute("DELETE FROM workspaces WHERE id = %s", (workspace_id,))


def list_members(connection: Connection, workspace_id: UUID) -> list[MemberRow]:
    """Members with their account details, most powerful first, then by joining date."""
    with connection.cursor(row_factory=class_row(MemberRow)) as cursor:
        cursor.execute(
            "SELECT m.user_id, u.email, u.name, m.role, m.joined_at FROM workspace_members m"
            " JOIN users u ON u.id = m.user_id WHERE m.workspace_id = %s"
            " ORDER BY array_position(ARRAY['owner', 'admin', 'member', 'viewer'], m.role),"
            " m.joined_at, m.user_id",
            (workspace_id,),
        )
        return cursor.fetchall()


def find_member(connection: Connection, *, workspace_id: UUID, user_id: UUID) -> MemberRow | None:
    with connection.cursor(row_factory=class_row(MemberRow)) as cursor:
        cursor.execute(
            "SELECT m.user_id, u.email, u.name, m.role, m.joined_at FROM workspace_members m"
            " JOIN users u ON u.id = m.user_id WHERE m.workspace_id = %s AND m.user_id = %s",
            (workspace_id, user_id),
        )
        return cursor.fetchone()


def count_owners(connection: Connection, workspace_id: UUID) -> int:
    with connection.cursor(row_factory=scalar_of(int)) as cursor:
        owners = cursor.execute(
            "SELECT count(*) FROM workspace_members WHERE workspace_id = %s AND role = 'owner'",
            (workspace_id,),
        ).fetchone()
    assert owners is not None
    return owners


def set_member_role(
    connection: Connection, *, workspace_id: UUID, user_id: UUID, role: MemberRole
) -> None:
    connection.execute(
        "UPDATE workspace_members SET role = %s WHERE workspace_id = %s AND user_id = %s",
        (role, workspace_id, user_id),
    )


def delete_member(connection: Connection, *, workspace_id: UUID, user_id: UUID) -> None:
    connection.execute(
        "DELETE FROM workspace_members WHERE workspace_id = %s AND user_id = %s",
        (workspace_id, user_id),
    )


def has_member_with_email(connection: Connection, *, workspace_id: UUID, email: str) -> bool:
    row = connection.execute(
        "SELECT 1 AS found FROM workspace_members m JOIN users u ON u.id = m.user_id"
        " WHERE m.workspace_id = %s AND lower(u.email) = lower(%s)",
        (workspace_id, email),
    ).fetchone()
    return row is not None


def count_workspaces_created_by(connection: Connection, user_id: UUID) -> int:
    """The workspaces the user made that still exist (the personal one included)."""
    with connection.cursor(row_factory=scalar_of(int)) as cursor:
        created = cursor.execute(
            "SELECT count(*) FROM workspaces WHERE created_by = %s", (user_id,)
        ).fetchone()
    assert created is not None
    return created
