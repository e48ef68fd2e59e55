"""Workspaces: create, list, rename, delete, leave, and manage members and their roles.

Every user has one personal workspace (made at sign-up) that cannot be deleted and that its
creator always owns. A workspace always keeps at least one owner.
"""

from __future__ import annotations

import uuid
from uuid import UUID

from aws_lambda_powertools import Logger

from wavedb_core.db.connection import Connection, transaction
from wavedb_core.db.retries import retried_on_deadlock
from wavedb_core.errors import Conflict, Forbidden, NotFound
from wavedb_core.principal import Principal
from wavedb_core.repositories import users
from wavedb_core.repositories import workspaces as repository
from wavedb_core.services.access import MANAGE, READ, Role, require_workspace
from wavedb_core.services.quotas import reserve_workspace
from wavedb_core.vocabulary import MemberRole

logger = Logger(child=True)

PERSONAL_WORKSPACE_SUFFIX = "'s workspace"
# The code of the 409 that refuses the sole owner leaving.
SOLE_OWNER = "sole_owner"
_MAX_WORKSPACE_NAME = 100


# What the services answer, as stored: a workspace as the caller sees it (with the
# caller's role), and a member.
WorkspaceView = repository.MembershipRow
MemberView = repository.MemberRow


def personal_workspace_name(user_name: str) -> str:
    """ "<name>'s workspace", within the length allowed for workspace names."""
    room = _MAX_WORKSPACE_NAME - len(PERSONAL_WORKSPACE_SUFFIX)
    return f"{user_name.strip()[:room]}{PERSONAL_WORKSPACE_SUFFIX}"


# ------------------------------------------------------------------ personal workspaces


def create_personal_workspace(connection: Connection, *, user_id: UUID, user_name: str) -> UUID:
    """Create the user's personal workspace (owned by the user) inside the caller's
    transaction; the existing one when the user already has it."""
    workspace_id = uuid.uuid4()
    created = repository.insert_personal_workspace(
        connection,
        workspace_id=workspace_id,
        name=personal_workspace_name(user_name),
        user_id=user_id,
    )
    if not created:
        existing = repository.find_personal_workspace_id(connection, user_id)
        assert existing is not None
        workspace_id = existing
    repository.add_member(connection, workspace_id=workspace_id, user_id=user_id, role="owner")
    return workspace_id


def personal_workspace_id(connection: Connection, user_id: UUID) -> UUID:
    """The user's personal workspace, created now for accounts made before there was one."""
    existing = repository.find_personal_workspace_id(connection, user_id)
    if existing is not None:
        return existing
    user = users.find_user(connection, user_id)
    if user is None:
        raise NotFound("user not found", code="user_not_found")
    with connection.transaction():
        return create_personal_workspace(connection, user_id=user_id, user_name=user.name)


# ------------------------------------------------------------------ workspaces


def create_workspace(principal: Principal, *, name: str, description: str = "") -> WorkspaceView:
    workspace_id = uuid.uuid4()
    with transaction() as connection:
        reserve_workspace(connection, principal.user_id)
        repository.insert_workspace(
            connection,
            workspace_id=workspace_id,
            name=name,
            description=description,
            created_by=principal.user_id,
        )
        repository.add_member(
            connection, workspace_id=workspace_id, user_id=principal.user_id, role="owner"
        )
        row = repository.find_membership(
            connection, user_id=principal.user_id, workspace_id=workspace_id
        )
    assert row is not None
    logger.info("workspace created", extra={"workspace_id": str(workspace_id)})
    return row


def list_workspaces(principal: Principal) -> list[WorkspaceView]:
    """The caller's workspaces, newest first."""
    with transaction() as connection:
        return repository.list_memberships(connection, principal.user_id)


def get_workspace(principal: Principal, workspace_id: UUID) -> WorkspaceView:
    with transaction() as connection:
        return _visible_workspace(connection, principal, workspace_id)


def update_workspace(
    principal: Principal,
    workspace_id: UUID,
    *,
    name: str | None = None,
    description: str | None = None,
) -> WorkspaceView:
    """Rename or describe the workspace (owners only)."""
    with transaction() as connection:
        require_workspace(connection, principal, workspace_id, Role.OWNER)
        if name is not None or description is not None:
            repository.update_workspace(
                connection, workspace_id, name=name, description=description
            )
        return _visible_workspace(connection, principal, workspace_id)


@retried_on_deadlock
def delete_workspace(principal: Principal, workspace_id: UUID) -> None:
    """Delete the workspace with its projects and runs (owners only; not the personal one)."""
    with transaction() as connection:
        require_workspace(connection, principal, workspace_id, Role.OWNER)
        workspace = _visible_workspace(connection, principal, workspace_id)
        if workspace.is_personal:
            raise Conflict("the personal workspace cannot be deleted", code="personal_workspace")
        repository.delete_workspace(connection, workspace_id)
    logger.info("workspace deleted", extra={"workspace_id": str(workspace_id)})


def leave_workspace(principal: Principal, workspace_id: UUID) -> None:
    """Stop being a member. The sole owner cannot leave (hand ownership over first)."""
    with transaction() as connection:
        require_workspace(connection, principal, workspace_id, READ)
        repository.lock_workspace(connection, workspace_id)
        membership = _visible_workspace(connection, principal, workspace_id)
        if membership.role == "owner" and repository.count_owners(connection, workspace_id) == 1:
            raise Conflict(
                "you are the sole owner of this workspace; make another member an owner"
                " before leaving, or delete the workspace",
                code=SOLE_OWNER,
            )
        _refuse_personal_workspace_creator(connection, principal.user_id, workspace_id)
        repository.delete_member(connection, workspace_id=workspace_id, user_id=principal.user_id)


# ------------------------------------------------------------------ members


def list_members(principal: Principal, workspace_id: UUID) -> list[MemberView]:
    with transaction() as connection:
        require_workspace(connection, principal, workspace_id, READ)
        return repository.list_members(connection, workspace_id)


def set_member_role(
    principal: Principal, workspace_id: UUID, user_id: UUID, *, role: MemberRole
) -> MemberView:
    """Change a member's role (admins and owners; only owners make or unmake owners)."""
    new_role = Role.parse(role)
    with transaction() as connection:
        caller = require_workspace(connection, principal, workspace_id, MANAGE)
        repository.lock_workspace(connection, workspace_id)
        target = _member(connection, workspace_id, user_id)
        current_role = Role.parse(target.role)
        if Role.OWNER in (current_role, new_role) and caller.role < Role.OWNER:
            raise _owners_only("make or unmake owners", caller.role)
        if current_role == Role.OWNER and new_role != Role.OWNER:
            _refuse_last_owner(connection, workspace_id)
            _refuse_personal_workspace_creator(connection, user_id, workspace_id)
        repository.set_member_role(
            connection, workspace_id=workspace_id, user_id=user_id, role=new_role.label
        )
        updated = _member(connection, workspace_id, user_id)
    logger.info(
        "member role changed",
        extra={"workspace_id": str(workspace_id), "user_id": str(user_id), "role": role},
    )
    return updated


def remove_member(principal: Principal, workspace_id: UUID, user_id: UUID) -> None:
    """Remove a member (admins and owners; only owners remove owners; never the last one)."""
    with transaction() as connection:
        caller = require_workspace(connection, principal, workspace_id, MANAGE)
        repository.lock_workspace(connection, workspace_id)
        target = _member(connection, workspace_id, user_id)
        if Role.parse(target.role) == Role.OWNER:
            if caller.role < Role.OWNER:
                raise _owners_only("remove an owner", caller.role)
            _refuse_last_owner(connection, workspace_id)
        _refuse_personal_workspace_creator(connection, user_id, workspace_id)
        repository.delete_member(connection, workspace_id=workspace_id, user_id=user_id)
    logger.info(
        "member removed", extra={"workspace_id": str(workspace_id), "user_id": str(user_id)}
    )


# ------------------------------------------------------------------ internals


def _visible_workspace(
    connection: Connection, principal: Principal, workspace_id: UUID
) -> WorkspaceView:
    row = repository.find_membership(
        connection, user_id=principal.user_id, workspace_id=workspace_id
    )
    if row is None:
        raise NotFound("workspace not found", code="workspace_not_found")
    return row


def _member(connection: Connection, workspace_id: UUID, user_id: UUID) -> repository.MemberRow:
    row = repository.find_member(connection, workspace_id=workspace_id, user_id=user_id)
    if row is None:
        raise NotFound("no such member in this workspace", code="member_not_found")
    return row


def _owners_only(action: str, role: Role) -> Forbidden:
    return Forbidden(
        f"only an owner may {action}; your role is {role.label}",
        code="insufficient_role",
        details={"role": role.label, "required": Role.OWNER.label},
    )


def _refuse_last_owner(connection: Connection, workspace_id: UUID) -> None:
    if repository.count_owners(connection, workspace_id) <= 1:
        raise Conflict(
            "a workspace must keep at least one owner; make another member an owner first",
            code="last_owner",
        )


def _refuse_personal_workspace_creator(
    connection: Connection, user_id: UUID, workspace_id: UUID
) -> None:
    if repository.find_personal_workspace_id(connection, user_id) == workspace_id:
        raise Conflict(
            "a personal workspace always belongs to the user it was made for",
            code="personal_workspace",
        )
