"""Projects through the API: create, list, read, rename, delete, and who may do what."""

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
from wavedb_core.services.projects import default_project_id, list_visible_projects


def _create_project(
    api: Any, user: SignedUpUser, workspace_id: str, name: str = "resnet", **fields: Any
) -> dict[str, Any]:
    response = api.post(
        f"/v1/workspaces/{workspace_id}/projects",
        json={"name": name, **fields},
        headers=user.bearer,
    )
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()
    return project


def _project_names(api: Any, user: SignedUpUser, workspace_id: str) -> list[str]:
    response = api.get(f"/v1/workspaces/{workspace_id}/projects", headers=user.bearer)
    assert response.status_code == 200, response.text
    return [item["name"] for item in response.json()["items"]]


# ------------------------------------------------------------------ happy paths


def test_create_project_returns_it_with_creator(api: Any) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]

    response = api.post(
        f"/v1/workspaces/{workspace_id}/projects",
        json={"name": " resnet ", "description": "ResNet-50 sweeps"},
        headers=user.bearer,
    )

    assert response.status_code == 201
    project = response.json()
    assert set(project) == {
        "id",
        "workspace_id",
        "name",
        "description",
        "created_by",
        "created_at",
        "updated_at",
    }
    assert project["workspace_id"] == workspace_id
    assert project["name"] == "resnet"
    assert project["description"] == "ResNet-50 sweeps"
    assert project["created_by"] == user.id


def test_list_projects_newest_first_without_cursor(api: Any) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]
    other_workspace_id = create_workspace(api, user, "other")["id"]
    for name in ("first", "second", "third"):
        _create_project(api, user, workspace_id, name)
    _create_project(api, user, other_workspace_id, "elsewhere")

    response = api.get(f"/v1/workspaces/{workspace_id}/projects", headers=user.bearer)

    assert response.status_code == 200
    assert response.json()["next_cursor"] is None
    assert [item["name"] for item in response.json()["items"]] == ["third", "second", "first"]


def test_get_project_member_reads_it(api: Any) -> None:
    ada, grace = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    project = _create_project(api, ada, workspace_id)
    join_workspace(api, ada, workspace_id, grace, "viewer")

    response = api.get(f"/v1/projects/{project['id']}", headers=grace.bearer)

    assert response.status_code == 200
    assert response.json() == project


def test_update_project_renames_and_keeps_unsent_fields(api: Any) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]
    created = _create_project(api, user, workspace_id, description="kept")

    response = api.patch(
        f"/v1/projects/{created['id']}", json={"name": "ResNet-50"}, headers=user.bearer
    )

    assert response.status_code == 200
    assert response.json()["name"] == "ResNet-50"
    assert response.json()["description"] == "kept"
    assert response.json()["updated_at"] >= created["updated_at"]
    assert api.get(f"/v1/projects/{created['id']}", headers=user.bearer).json() == response.json()


def test_update_project_same_name_other_case_is_allowed(api: Any) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]
    project = _create_project(api, user, workspace_id, "resnet")

    response = api.patch(
        f"/v1/projects/{project['id']}", json={"name": "ResNet"}, headers=user.bearer
    )

    assert response.status_code == 200
    assert response.json()["name"] == "ResNet"


def test_delete_project_then_it_is_gone(api: Any) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]
    project = _create_project(api, user, workspace_id)

    response = api.delete(f"/v1/projects/{project['id']}", headers=user.bearer)

    assert response.status_code == 204
    assert response.content == b""
    assert api.get(f"/v1/projects/{project['id']}", headers=user.bearer).status_code == 404
    assert _project_names(api, user, workspace_id) == []


# ------------------------------------------------------------------ names


def test_create_project_duplicate_name_any_case_gets_409(api: Any) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]
    other_workspace_id = create_workspace(api, user, "other")["id"]
    _create_project(api, user, workspace_id, "resnet")

    duplicate = api.post(
        f"/v1/workspaces/{workspace_id}/projects", json={"name": "RESNET"}, headers=user.bearer
    )
    elsewhere = api.post(
        f"/v1/workspaces/{other_workspace_id}/projects",
        json={"name": "resnet"},
        headers=user.bearer,
    )

    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "project_name_taken"
    assert elsewhere.status_code == 201
    assert _project_names(api, user, workspace_id) == ["resnet"]


def test_update_project_to_taken_name_gets_409(api: Any) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]
    _create_project(api, user, workspace_id, "resnet")
    project = _create_project(api, user, workspace_id, "vit")

    response = api.patch(
        f"/v1/projects/{project['id']}", json={"name": "Resnet"}, headers=user.bearer
    )

    assert response.status_code == 409
    assert response.json()["code"] == "project_name_taken"
    assert api.get(f"/v1/projects/{project['id']}", headers=user.bearer).json()["name"] == "vit"


# ------------------------------------------------------------------ roles


def test_project_writes_by_viewer_get_403(api: Any) -> None:
    ada, viewer = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    project = _create_project(api, ada, workspace_id)
    join_workspace(api, ada, workspace_id, viewer, "viewer")

    created = api.post(
        f"/v1/workspaces/{workspace_id}/projects", json={"name": "mine"}, headers=viewer.bearer
    )
    updated = api.patch(f"/v1/projects/{project['id']}", json={"name": "x"}, headers=viewer.bearer)
    deleted = api.delete(f"/v1/projects/{project['id']}", headers=viewer.bearer)

    assert created.status_code == updated.status_code == deleted.status_code == 403
    assert {r.json()["code"] for r in (created, updated, deleted)} == {"insufficient_role"}
    assert _project_names(api, viewer, workspace_id) == ["resnet"]


def test_project_member_creates_edits_and_deletes_own_project(api: Any) -> None:
    ada, member = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    join_workspace(api, ada, workspace_id, member, "member")

    project = _create_project(api, member, workspace_id, "mine")
    updated = api.patch(
        f"/v1/projects/{project['id']}", json={"description": "d"}, headers=member.bearer
    )
    deleted = api.delete(f"/v1/projects/{project['id']}", headers=member.bearer)

    assert project["created_by"] == member.id
    assert updated.status_code == 200
    assert deleted.status_code == 204


def test_delete_project_member_cannot_delete_others_project_admin_can(api: Any) -> None:
    ada, member, admin = sign_up(api), sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    join_workspace(api, ada, workspace_id, member, "member")
    join_workspace(api, ada, workspace_id, admin, "admin")
    project = _create_project(api, ada, workspace_id)

    by_member = api.delete(f"/v1/projects/{project['id']}", headers=member.bearer)
    after_member = _project_names(api, ada, workspace_id)
    by_admin = api.delete(f"/v1/projects/{project['id']}", headers=admin.bearer)

    assert by_member.status_code == 403
    assert by_member.json()["code"] == "insufficient_role"
    assert after_member == ["resnet"]
    assert by_admin.status_code == 204
    assert _project_names(api, ada, workspace_id) == []


def test_delete_project_creator_demoted_to_viewer_gets_403(api: Any) -> None:
    ada, member = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    join_workspace(api, ada, workspace_id, member, "member")
    project = _create_project(api, member, workspace_id)
    api.patch(
        f"/v1/workspaces/{workspace_id}/members/{member.id}",
        json={"role": "viewer"},
        headers=ada.bearer,
    )

    response = api.delete(f"/v1/projects/{project['id']}", headers=member.bearer)

    assert response.status_code == 403
    assert _project_names(api, ada, workspace_id) == ["resnet"]


@pytest.mark.parametrize("existing", [True, False], ids=["existing", "random"])
@pytest.mark.parametrize(
    ("method", "body"), [("GET", None), ("PATCH", {"name": "x"}), ("DELETE", None)]
)
def test_project_routes_non_member_gets_404(
    api: Any, method: str, body: dict[str, Any] | None, existing: bool
) -> None:
    ada, outsider = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    project = _create_project(api, ada, workspace_id)
    project_id = project["id"] if existing else str(uuid.uuid4())

    response = api.request(method, f"/v1/projects/{project_id}", json=body, headers=outsider.bearer)

    assert response.status_code == 404
    assert response.json()["code"] == "project_not_found"
    assert api.get(f"/v1/projects/{project['id']}", headers=ada.bearer).json() == project


def test_project_after_member_removed_gets_404(api: Any) -> None:
    ada, member = sign_up(api), sign_up(api)
    workspace_id = create_workspace(api, ada)["id"]
    join_workspace(api, ada, workspace_id, member, "member")
    project = _create_project(api, member, workspace_id)
    api.delete(f"/v1/workspaces/{workspace_id}/members/{member.id}", headers=ada.bearer)

    response = api.get(f"/v1/projects/{project['id']}", headers=member.bearer)

    assert response.status_code == 404


def test_projects_read_only_api_key_lists_but_cannot_create(api: Any) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]
    _create_project(api, user, workspace_id)
    key = {"x-api-key": create_api_key(api, user, scopes=["read"])["key"]}

    listed = api.get(f"/v1/workspaces/{workspace_id}/projects", headers=key)
    created = api.post(f"/v1/workspaces/{workspace_id}/projects", json={"name": "n"}, headers=key)

    assert listed.status_code == 200
    assert len(listed.json()["items"]) == 1
    assert created.status_code == 403
    assert created.json()["code"] == "insufficient_scope"


# ------------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"name": ""},
        {"name": " "},
        {"name": "x" * 101},
        {"name": "ok", "description": "x" * 2001},
        {"name": "ok", "workspace_id": str(uuid.uuid4())},
        {"name": ["list"]},
    ],
    ids=["missing", "empty", "blank", "long", "long-description", "unknown", "list"],
)
def test_create_project_bad_body_gets_422(api: Any, body: dict[str, Any]) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]

    response = api.post(f"/v1/workspaces/{workspace_id}/projects", json=body, headers=user.bearer)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert _project_names(api, user, workspace_id) == []


@pytest.mark.parametrize(
    "body", [{"name": ""}, {"name": "x" * 101}, {"created_by": None}, {"description": 3}]
)
def test_update_project_bad_body_gets_422(api: Any, body: dict[str, Any]) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]
    project = _create_project(api, user, workspace_id)

    response = api.patch(f"/v1/projects/{project['id']}", json=body, headers=user.bearer)

    assert response.status_code == 422
    assert api.get(f"/v1/projects/{project['id']}", headers=user.bearer).json() == project


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/v1/projects/not-a-uuid"),
        ("PATCH", "/v1/projects/42"),
        ("DELETE", "/v1/projects/zz"),
        ("GET", "/v1/workspaces/not-a-uuid/projects"),
        ("POST", "/v1/workspaces/not-a-uuid/projects"),
    ],
)
def test_project_routes_malformed_uuid_get_422(api: Any, method: str, path: str) -> None:
    user = sign_up(api)

    response = api.request(method, path, json={"name": "p"}, headers=user.bearer)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


# ------------------------------------------------------------------ services used by adapters


def test_default_project_id_creates_default_project_once(api: Any, clean_database: str) -> None:
    user = sign_up(api)
    workspace_id = create_workspace(api, user)["id"]

    with psycopg.connect(clean_database, autocommit=True, row_factory=dict_row) as connection:
        first = default_project_id(
            connection, workspace_id=UUID(workspace_id), user_id=UUID(user.id)
        )
        second = default_project_id(
            connection, workspace_id=UUID(workspace_id), user_id=UUID(user.id)
        )

    assert first == second
    project = api.get(f"/v1/projects/{first}", headers=user.bearer).json()
    assert project["name"] == "Default"
    assert project["created_by"] == user.id
    assert _project_names(api, user, workspace_id) == ["Default"]


def test_list_visible_projects_spans_callers_workspaces_only(api: Any) -> None:
    ada, grace = sign_up(api), sign_up(api)
    own = create_workspace(api, ada)["id"]
    shared = create_workspace(api, grace, "shared")["id"]
    private = create_workspace(api, grace, "private")["id"]
    join_workspace(api, grace, shared, ada, "viewer")
    _create_project(api, ada, own, "own")
    _create_project(api, grace, shared, "shared")
    _create_project(api, grace, private, "private")

    names = [project.name for project in list_visible_projects(ada.principal)]

    assert names == ["shared", "own"]
