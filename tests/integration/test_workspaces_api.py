"""Workspaces and their members through the API: personal workspaces, roles, owners."""

from __future__ import annotations

import uuid
from typing import Any
from uuid import UUID

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support.accounts import SignedUpUser, create_api_key, sign_up
from tests.support.invitations import join_workspace
from tests.support.workspaces import create_workspace
from wavedb_core.services.workspaces import personal_workspace_id


def _join(
    api: Any, inviter: SignedUpUser, workspace_id: str, user: SignedUpUser, role: str
) -> None:
    """Make `user` a member with `role` (owners are promoted after joining as admins)."""
    join_workspace(api, inviter, workspace_id, user, "admin" if role == "owner" else role)
    if role == "owner":
        _set_role(api, inviter, workspace_id, user, "owner", expect=200)


def _ada_with_grace_as(api: Any, role: str) -> tuple[SignedUpUser, SignedUpUser, dict[str, Any]]:
    """Ada's new team workspace, which Grace has joined with `role`: (ada, grace, workspace)."""
    ada, grace = sign_up(api), sign_up(api)
    workspace = create_workspace(api, ada)
    _join(api, ada, workspace["id"], grace, role)
    return ada, grace, workspace


def _set_role(
    api: Any, caller: SignedUpUser, workspace_id: str, user: SignedUpUser, role: str, expect: int
) -> dict[str, Any]:
    response = api.patch(
        f"/v1/workspaces/{workspace_id}/members/{user.id}",
        json={"role": role},
        headers=caller.bearer,
    )
    assert response.status_code == expect, response.text
    body: dict[str, Any] = response.json()
    return body


def _remove_member(api: Any, caller: SignedUpUser, workspace_id: str, user: SignedUpUser) -> Any:
    return api.delete(f"/v1/workspaces/{workspace_id}/members/{user.id}", headers=caller.bearer)


def _roles(api: Any, user: SignedUpUser, workspace_id: str) -> dict[str, str]:
    response = api.get(f"/v1/workspaces/{workspace_id}/members", headers=user.bearer)
    assert response.status_code == 200, response.text
    return {member["user_id"]: member["role"] for member in response.json()["items"]}


# ------------------------------------------------------------------ personal workspace


def test_signup_creates_personal_workspace_owned_by_new_user(api: Any) -> None:
    user = sign_up(api, name="Ada")

    response = api.get("/v1/workspaces", headers=user.bearer)

    assert response.status_code == 200
    body = response.json()
    assert body["next_cursor"] is None
    [workspace] = body["items"]
    assert workspace["name"] == "Ada's workspace"
    assert workspace["is_personal"] is True
    assert workspace["role"] == "owner"
    assert _roles(api, user, workspace["id"]) == {user.id: "owner"}


def test_personal_workspace_id_for_user_without_one_creates_it_once(
    api: Any, clean_database: str
) -> None:
    user = sign_up(api, name="Grace")
    with psycopg.connect(clean_database, autocommit=True, row_factory=dict_row) as connection:
        connection.execute("DELETE FROM workspaces WHERE created_by = %s", (user.id,))

        first = personal_workspace_id(connection, UUID(user.id))
        second = personal_workspace_id(connection, UUID(user.id))

    assert first == second
    [workspace] = api.get("/v1/workspaces", headers=user.bearer).json()["items"]
    assert workspace["id"] == str(first)
    assert workspace["is_personal"] is True
    assert workspace["role"] == "owner"


def test_delete_personal_workspace_is_refused_with_409(api: Any) -> None:
    user = sign_up(api)
    [personal] = api.get("/v1/workspaces", headers=user.bearer).json()["items"]

    response = api.delete(f"/v1/workspaces/{personal['id']}", headers=user.bearer)

    assert response.status_code == 409
    assert response.json()["code"] == "personal_workspace"
    assert api.get(f"/v1/workspaces/{personal['id']}", headers=user.bearer).status_code == 200


def test_personal_workspace_creator_cannot_be_removed_by_co_owner(api: Any) -> None:
    ada, grace = sign_up(api), sign_up(api)
    [personal] = api.get("/v1/workspaces", headers=ada.bearer).json()["items"]
    _join(api, ada, personal["id"], grace, "owner")

    removed = _remove_member(api, grace, personal["id"], ada)
    demoted = _set_role(api, grace, personal["id"], ada, "member", expect=409)
    left = api.post(f"/v1/workspaces/{personal['id']}/leave", headers=ada.bearer)

    assert removed.status_code == 409
    assert removed.json()["code"] == "personal_workspace"
    assert demoted["code"] == "personal_workspace"
    assert left.status_code == 409
    assert _roles(api, ada, personal["id"])[ada.id] == "owner"


# ------------------------------------------------------------------ workspaces


def test_create_workspace_returns_it_with_caller_as_owner(api: Any) -> None:
    user = sign_up(api)

    response = api.post(
        "/v1/workspaces",
        json={"name": "  Vision team ", "description": "Image models"},
        headers=user.bearer,
    )

    assert response.status_code == 201
    workspace = response.json()
    assert set(workspace) == {
        "id",
        "name",
        "description",
        "is_personal",
        "role",
        "created_at",
        "updated_at",
    }
    assert workspace["name"] == "Vision team"
    assert workspace["description"] == "Image models"
    assert workspace["is_personal"] is False
    assert workspace["role"] == "owner"
    assert _roles(api, user, workspace["id"]) == {user.id: "owner"}


def test_list_workspaces_newest_first_with_callers_role(api: Any) -> None:
    ada, grace = sign_up(api), sign_up(api)
    first = create_workspace(api, ada, "first")
    second = create_workspace(api, grace, "second")
    _join(api, grace, second["id"], ada, "viewer")

    items = api.get("/v1/workspaces", headers=ada.bearer).json()["items"]

    assert [item["name"] for item in items][:2] == ["second", "first"]
    assert [item["role"] for item in items] == ["viewer", "owner", "owner"]
    assert items[2]["is_personal"] is True
    assert first["id"] not in {
        item["id"] for item in api.get("/v1/workspaces", headers=grace.bearer).json()["items"]
    }


def test_get_workspace_member_sees_it_with_own_role(api: Any) -> None:
    _, grace, workspace = _ada_with_grace_as(api, "member")

    response = api.get(f"/v1/workspaces/{workspace['id']}", headers=grace.bearer)

    assert response.status_code == 200
    assert response.json()["name"] == "Vision team"
    assert response.json()["role"] == "member"


def test_update_workspace_owner_renames_and_describes(api: Any) -> None:
    user = sign_up(api)
    workspace = create_workspace(api, user)

    renamed = api.patch(
        f"/v1/workspaces/{workspace['id']}", json={"name": "Audio team"}, headers=user.bearer
    )
    described = api.patch(
        f"/v1/workspaces/{workspace['id']}", json={"description": "Speech"}, headers=user.bearer
    )

    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Audio team"
    assert described.json() | {"updated_at": None} == renamed.json() | {
        "description": "Speech",
        "updated_at": None,
    }
    assert described.json()["updated_at"] >= workspace["updated_at"]


def test_update_workspace_admin_gets_403(api: Any) -> None:
    _, grace, workspace = _ada_with_grace_as(api, "admin")

    response = api.patch(
        f"/v1/workspaces/{workspace['id']}", json={"name": "mine now"}, headers=grace.bearer
    )

    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_role"


def test_delete_workspace_owner_deletes_it_and_its_projects(api: Any) -> None:
    user = sign_up(api)
    workspace = create_workspace(api, user)
    project = api.post(
        f"/v1/workspaces/{workspace['id']}/projects", json={"name": "p"}, headers=user.bearer
    ).json()

    response = api.delete(f"/v1/workspaces/{workspace['id']}", headers=user.bearer)

    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"/v1/workspaces/{workspace['id']}", headers=user.bearer).status_code == 404
    assert api.get(f"/v1/projects/{project['id']}", headers=user.bearer).status_code == 404


def test_delete_workspace_admin_gets_403(api: Any) -> None:
    ada, grace, workspace = _ada_with_grace_as(api, "admin")

    response = api.delete(f"/v1/workspaces/{workspace['id']}", headers=grace.bearer)

    assert response.status_code == 403
    assert api.get(f"/v1/workspaces/{workspace['id']}", headers=ada.bearer).status_code == 200


# ------------------------------------------------------------------ members


def test_list_members_shows_account_details_and_roles(api: Any) -> None:
    ada, grace = sign_up(api, name="Ada"), sign_up(api, name="Grace")
    workspace = create_workspace(api, ada)
    _join(api, ada, workspace["id"], grace, "viewer")

    response = api.get(f"/v1/workspaces/{workspace['id']}/members", headers=grace.bearer)

    assert response.status_code == 200
    items = response.json()["items"]
    assert [(m["user_id"], m["email"], m["name"], m["role"]) for m in items] == [
        (ada.id, ada.email, "Ada", "owner"),
        (grace.id, grace.email, "Grace", "viewer"),
    ]
    assert all(member["joined_at"] for member in items)


def test_set_member_role_admin_changes_member_to_viewer(api: Any) -> None:
    ada, grace, alan = sign_up(api), sign_up(api), sign_up(api)
    workspace = create_workspace(api, ada)
    _join(api, ada, workspace["id"], grace, "admin")
    _join(api, ada, workspace["id"], alan, "member")

    member = _set_role(api, grace, workspace["id"], alan, "viewer", expect=200)

    assert member["user_id"] == alan.id
    assert member["role"] == "viewer"
    assert _roles(api, ada, workspace["id"])[alan.id] == "viewer"


def test_set_member_role_admin_cannot_make_or_unmake_owners(api: Any) -> None:
    ada, grace, alan = sign_up(api), sign_up(api), sign_up(api)
    workspace = create_workspace(api, ada)
    _join(api, ada, workspace["id"], grace, "admin")
    _join(api, ada, workspace["id"], alan, "member")

    promote = _set_role(api, grace, workspace["id"], alan, "owner", expect=403)
    demote = _set_role(api, grace, workspace["id"], ada, "member", expect=403)

    assert promote["code"] == demote["code"] == "insufficient_role"
    assert _roles(api, ada, workspace["id"]) == {
        ada.id: "owner",
        grace.id: "admin",
        alan.id: "member",
    }


def test_set_member_role_sole_owner_demoting_self_gets_409_last_owner(api: Any) -> None:
    ada = sign_up(api)
    workspace = create_workspace(api, ada)

    body = _set_role(api, ada, workspace["id"], ada, "admin", expect=409)

    assert body["code"] == "last_owner"
    assert _roles(api, ada, workspace["id"]) == {ada.id: "owner"}


def test_set_member_role_with_two_owners_demotes_one_then_keeps_the_last(api: Any) -> None:
    ada, grace, workspace = _ada_with_grace_as(api, "owner")

    _set_role(api, grace, workspace["id"], ada, "member", expect=200)
    last = _set_role(api, grace, workspace["id"], grace, "admin", expect=409)

    assert last["code"] == "last_owner"
    assert _roles(api, grace, workspace["id"]) == {ada.id: "member", grace.id: "owner"}


@pytest.mark.parametrize("role", ["member", "viewer"])
def test_member_management_below_admin_gets_403(api: Any, role: str) -> None:
    ada, grace, alan = sign_up(api), sign_up(api), sign_up(api)
    workspace = create_workspace(api, ada)
    _join(api, ada, workspace["id"], grace, role)
    _join(api, ada, workspace["id"], alan, "viewer")

    change = _set_role(api, grace, workspace["id"], alan, "member", expect=403)
    remove = _remove_member(api, grace, workspace["id"], alan)

    assert change["code"] == "insufficient_role"
    assert remove.status_code == 403
    assert _roles(api, ada, workspace["id"])[alan.id] == "viewer"


def test_remove_member_admin_removes_member_who_then_gets_404(api: Any) -> None:
    ada, grace, alan = sign_up(api), sign_up(api), sign_up(api)
    workspace = create_workspace(api, ada)
    _join(api, ada, workspace["id"], grace, "admin")
    _join(api, ada, workspace["id"], alan, "member")

    response = _remove_member(api, grace, workspace["id"], alan)

    assert response.status_code == 204
    assert api.get(f"/v1/workspaces/{workspace['id']}", headers=alan.bearer).status_code == 404
    assert alan.id not in _roles(api, ada, workspace["id"])


def test_remove_member_admin_cannot_remove_owner(api: Any) -> None:
    ada, grace, workspace = _ada_with_grace_as(api, "admin")

    response = _remove_member(api, grace, workspace["id"], ada)

    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_role"
    assert _roles(api, ada, workspace["id"])[ada.id] == "owner"


def test_remove_member_owner_removes_other_owner_but_not_the_last(api: Any) -> None:
    ada, grace, workspace = _ada_with_grace_as(api, "owner")

    removed = _remove_member(api, ada, workspace["id"], grace)
    last = _remove_member(api, ada, workspace["id"], ada)

    assert removed.status_code == 204
    assert last.status_code == 409
    assert last.json()["code"] == "last_owner"
    assert _roles(api, ada, workspace["id"]) == {ada.id: "owner"}


def test_remove_member_unknown_user_gets_404(api: Any) -> None:
    ada, grace = sign_up(api), sign_up(api)
    workspace = create_workspace(api, ada)

    response = _remove_member(api, ada, workspace["id"], grace)

    assert response.status_code == 404
    assert response.json()["code"] == "member_not_found"


# ------------------------------------------------------------------ leaving


def test_leave_workspace_member_leaves_and_loses_access(api: Any) -> None:
    ada, grace, workspace = _ada_with_grace_as(api, "member")

    response = api.post(f"/v1/workspaces/{workspace['id']}/leave", headers=grace.bearer)

    assert response.status_code == 204
    assert api.get(f"/v1/workspaces/{workspace['id']}", headers=grace.bearer).status_code == 404
    assert _roles(api, ada, workspace["id"]) == {ada.id: "owner"}


def test_leave_workspace_sole_owner_gets_409_sole_owner(api: Any) -> None:
    ada, _, workspace = _ada_with_grace_as(api, "admin")

    response = api.post(f"/v1/workspaces/{workspace['id']}/leave", headers=ada.bearer)

    assert response.status_code == 409
    assert response.json()["code"] == "sole_owner"
    assert _roles(api, ada, workspace["id"])[ada.id] == "owner"


def test_leave_workspace_one_of_two_owners_may_leave(api: Any) -> None:
    ada, grace, workspace = _ada_with_grace_as(api, "owner")

    response = api.post(f"/v1/workspaces/{workspace['id']}/leave", headers=ada.bearer)

    assert response.status_code == 204
    assert _roles(api, grace, workspace["id"]) == {grace.id: "owner"}


# ------------------------------------------------------------------ visibility and roles


_WORKSPACE_ROUTES = [
    ("GET", "/v1/workspaces/{ws}", None),
    ("PATCH", "/v1/workspaces/{ws}", {"name": "x"}),
    ("DELETE", "/v1/workspaces/{ws}", None),
    ("POST", "/v1/workspaces/{ws}/leave", None),
    ("GET", "/v1/workspaces/{ws}/members", None),
    ("PATCH", "/v1/workspaces/{ws}/members/{user}", {"role": "viewer"}),
    ("DELETE", "/v1/workspaces/{ws}/members/{user}", None),
    ("POST", "/v1/workspaces/{ws}/invitations", {"email": "x@example.com", "role": "member"}),
    ("GET", "/v1/workspaces/{ws}/invitations", None),
    ("DELETE", "/v1/workspaces/{ws}/invitations/{invitation}", None),
    ("POST", "/v1/workspaces/{ws}/projects", {"name": "p"}),
    ("GET", "/v1/workspaces/{ws}/projects", None),
]


@pytest.mark.parametrize("existing", [True, False], ids=["existing", "random"])
@pytest.mark.parametrize(("method", "path", "body"), _WORKSPACE_ROUTES)
def test_workspace_routes_non_member_gets_404(
    api: Any, method: str, path: str, body: dict[str, Any] | None, existing: bool
) -> None:
    owner, outsider = sign_up(api), sign_up(api)
    workspace = create_workspace(api, owner)
    invitation = api.post(
        f"/v1/workspaces/{workspace['id']}/invitations",
        json={"email": "someone@example.com", "role": "member"},
        headers=owner.bearer,
    ).json()
    workspace_id = workspace["id"] if existing else str(uuid.uuid4())
    url = path.format(ws=workspace_id, user=owner.id, invitation=invitation["id"])

    response = api.request(method, url, json=body, headers=outsider.bearer)

    assert response.status_code == 404, response.text
    assert response.json()["code"] == "workspace_not_found"
    assert api.get(f"/v1/workspaces/{workspace['id']}", headers=owner.bearer).status_code == 200
    assert _roles(api, owner, workspace["id"]) == {owner.id: "owner"}


_WRITES = [
    ("PATCH", "/v1/workspaces/{ws}", {"name": "x"}),
    ("DELETE", "/v1/workspaces/{ws}", None),
    ("PATCH", "/v1/workspaces/{ws}/members/{user}", {"role": "viewer"}),
    ("DELETE", "/v1/workspaces/{ws}/members/{user}", None),
    ("POST", "/v1/workspaces/{ws}/invitations", {"email": "x@example.com", "role": "member"}),
    ("GET", "/v1/workspaces/{ws}/invitations", None),
    ("POST", "/v1/workspaces/{ws}/projects", {"name": "p"}),
]


@pytest.mark.parametrize(("method", "path", "body"), _WRITES)
def test_workspace_writes_by_viewer_get_403(
    api: Any, method: str, path: str, body: dict[str, Any] | None
) -> None:
    owner, viewer = sign_up(api), sign_up(api)
    workspace = create_workspace(api, owner)
    _join(api, owner, workspace["id"], viewer, "viewer")

    response = api.request(
        method, path.format(ws=workspace["id"], user=owner.id), json=body, headers=viewer.bearer
    )

    assert response.status_code == 403, response.text
    assert response.json()["code"] == "insufficient_role"
    assert api.get(f"/v1/workspaces/{workspace['id']}", headers=viewer.bearer).status_code == 200


def test_workspaces_read_only_api_key_reads_but_cannot_create(api: Any) -> None:
    user = sign_up(api)
    key = {"x-api-key": create_api_key(api, user, scopes=["read"])["key"]}

    listed = api.get("/v1/workspaces", headers=key)
    created = api.post("/v1/workspaces", json={"name": "w"}, headers=key)

    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1
    assert created.status_code == 403
    assert created.json()["code"] == "insufficient_scope"


def test_workspaces_without_credentials_get_401(api: Any) -> None:
    assert api.get("/v1/workspaces").status_code == 401


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": "   "},
        {"name": "x" * 101},
        {"name": "ok", "description": "x" * 2001},
        {"name": "ok", "owner": "me"},
        {"name": 5},
        {"name": "a\u0000b"},
    ],
    ids=["missing", "empty", "blank", "long", "long-description", "unknown", "number", "nul"],
)
def test_create_workspace_bad_body_gets_422(api: Any, body: dict[str, Any]) -> None:
    user = sign_up(api)

    response = api.post("/v1/workspaces", json=body, headers=user.bearer)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert len(api.get("/v1/workspaces", headers=user.bearer).json()["items"]) == 1


def test_create_workspace_malformed_json_gets_400(api: Any) -> None:
    user = sign_up(api)

    response = api.post(
        "/v1/workspaces",
        content=b"{not json",
        headers={**user.bearer, "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"


@pytest.mark.parametrize("body", [{"role": "king"}, {"role": None}, {}, {"role": "owner", "x": 1}])
def test_set_member_role_bad_role_gets_422(api: Any, body: dict[str, Any]) -> None:
    ada, grace, workspace = _ada_with_grace_as(api, "member")

    response = api.patch(
        f"/v1/workspaces/{workspace['id']}/members/{grace.id}", json=body, headers=ada.bearer
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert _roles(api, ada, workspace["id"])[grace.id] == "member"


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/workspaces/not-a-uuid"),
        ("DELETE", "/v1/workspaces/123"),
        ("GET", "/v1/workspaces/not-a-uuid/members"),
        ("DELETE", "/v1/workspaces/{ws}/members/not-a-uuid"),
    ],
)
def test_workspace_routes_malformed_uuid_get_422_json(api: Any, method: str, path: str) -> None:
    user = sign_up(api)
    workspace = create_workspace(api, user)

    response = api.request(method, path.format(ws=workspace["id"]), headers=user.bearer)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_update_workspace_unknown_field_gets_422_and_changes_nothing(api: Any) -> None:
    user = sign_up(api)
    workspace = create_workspace(api, user)

    response = api.patch(
        f"/v1/workspaces/{workspace['id']}",
        json={"name": "renamed", "is_personal": True},
        headers=user.bearer,
    )

    assert response.status_code == 422
    assert api.get(f"/v1/workspaces/{workspace['id']}", headers=user.bearer).json() == workspace
