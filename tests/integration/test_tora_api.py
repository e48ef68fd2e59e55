"""Tora's REST API, route by route, through the API Gateway emulation, the authorizer and
the Tora function: the envelope, Tora's field names, the root and /api forms, and the
rules we keep (membership, roles, idempotent logs, JSON errors)."""

from __future__ import annotations

import csv
import io
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.accounts import (
    PASSWORD,
    SignedUpUser,
    create_api_key,
    mark_address_confirmed,
    sign_up,
)
from tests.support.ingest import drain_ingest_queue
from tests.support.mail import printed_mail
from wavedb_local.stack import LocalStack

PREFIXES = ["", "/api"]
TORA_ERROR_KEYS = {"status", "error", "message"}
KeyOf = Callable[[SignedUpUser], dict[str, str]]


@pytest.fixture(params=PREFIXES, ids=["root", "api"])
def prefix(request: pytest.FixtureRequest) -> str:
    value: str = request.param
    return value


@pytest.fixture
def user(api: TestClient) -> SignedUpUser:
    return sign_up(api)


@pytest.fixture
def key_of(api: TestClient) -> KeyOf:
    """x-api-key headers of a new key of the user (made with the user's session)."""

    def make(user: SignedUpUser) -> dict[str, str]:
        return {"x-api-key": create_api_key(api, user)["key"]}

    return make


def _data(response: Any, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["status"] == status
    return body.get("data")


def _assert_tora_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body: dict[str, Any] = response.json()
    assert set(body) >= TORA_ERROR_KEYS, body
    assert body["status"] == status
    assert body["error"] == code, body
    return body


def _workspace(api: TestClient, user: SignedUpUser, name: str = "team", prefix: str = "") -> Any:
    response = api.post(
        f"{prefix}/workspaces", json={"name": name, "description": "d"}, headers=user.bearer
    )
    return _data(response, 201)


def _experiment(
    api: TestClient, headers: dict[str, str], prefix: str = "", **fields: Any
) -> dict[str, Any]:
    body = {"name": "exp", **fields}
    data: dict[str, Any] = _data(api.post(f"{prefix}/experiments", json=body, headers=headers), 201)
    return data


def _log(name: str, value: Any, step: int | None, kind: str = "metric") -> dict[str, Any]:
    return {
        "name": name,
        "msg_id": str(uuid.uuid4()),
        "value": value,
        "step": step,
        "metadata": {"type": kind},
    }


def _tora_invite(
    api: TestClient, owner: SignedUpUser, email: str, ws: str, role: str, prefix: str = ""
) -> tuple[dict[str, Any], str]:
    """A Tora invitation and the token of its (printed) e-mail."""
    with printed_mail() as mail:
        invitation: dict[str, Any] = _data(
            api.post(
                f"{prefix}/workspace-invitations",
                json={"workspaceId": ws, "email": email, "roleId": role},
                headers=owner.bearer,
            ),
            201,
        )
    return invitation, mail.invitation_token(invitation["id"])


def _join(api: TestClient, owner: SignedUpUser, member: SignedUpUser, ws: str, role: str) -> None:
    invitation, token = _tora_invite(api, owner, member.email, ws, role)
    response = api.put(
        "/workspaces/any/invitations",
        params={"invitationId": invitation["id"], "action": "accept", "token": token},
        headers=member.bearer,
    )
    _data(response)


# ------------------------------------------------------------------ accounts


def test_tora_signup_then_login_and_refresh_answer_tora_sessions(
    api: TestClient, prefix: str
) -> None:
    email = f"grace-{uuid.uuid4().hex[:8]}@example.com"

    signed_up = _data(api.post(f"{prefix}/signup", json={"email": email, "password": PASSWORD}))
    session = _data(api.post(f"{prefix}/login", json={"email": email, "password": PASSWORD}))
    refreshed = _data(
        api.post(f"{prefix}/refresh", json={"refresh_token": session["refresh_token"]})
    )

    assert signed_up["email"] == email
    assert isinstance(signed_up["message"], str)
    for answer in (session, refreshed):
        assert set(answer) == {
            "access_token",
            "token_type",
            "expires_in",
            "expires_at",
            "refresh_token",
            "user",
        }
        assert answer["token_type"] == "bearer"
        assert answer["user"]["email"] == email
        assert set(answer["user"]) == {"id", "email"}
    workspaces = _data(
        api.get("/workspaces", headers={"Authorization": f"Bearer {refreshed['access_token']}"})
    )
    assert [workspace["role"] for workspace in workspaces] == ["OWNER"]
    assert workspaces[0]["name"].startswith(email.split("@")[0])


def test_tora_login_with_a_wrong_password_is_401_json(api: TestClient, user: SignedUpUser) -> None:
    response = api.post("/api/login", json={"email": user.email, "password": "not it at all"})

    _assert_tora_error(response, 401, "UNAUTHORIZED")


def test_tora_signup_confirm_with_an_unknown_token_is_401_json(api: TestClient) -> None:
    response = api.get("/signup/confirm", params={"token_hash": "nope", "confirm_type": "email"})

    _assert_tora_error(response, 401, "UNAUTHORIZED")


@pytest.mark.parametrize(
    "headers",
    [{}, {"x-api-key": "wdk_0123456789abcdef.bogus"}, {"Authorization": "Bearer not-a-jwt"}],
    ids=["none", "bad-api-key", "bad-bearer"],
)
def test_tora_protected_route_without_valid_credentials_is_tora_401(
    api: TestClient, prefix: str, headers: dict[str, str]
) -> None:
    response = api.get(f"{prefix}/experiments", headers=headers)

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="api"'
    body = response.json()
    assert set(body) == {"status", "data"}
    assert body["status"] == 401
    assert body["data"]["error"] == "Authentication failed"
    assert isinstance(body["data"]["message"], str)
    assert body["data"]["message"]


def test_tora_invalid_api_key_is_refused_even_with_a_valid_bearer(
    api: TestClient, user: SignedUpUser
) -> None:
    response = api.get(
        "/experiments", headers={**user.bearer, "x-api-key": "wdk_0123456789abcdef.bogus"}
    )

    assert response.status_code == 401


def test_tora_api_keys_are_created_listed_and_revoked_with_a_session(
    api: TestClient, user: SignedUpUser, prefix: str
) -> None:
    created = _data(
        api.post(f"{prefix}/api-keys", json={"name": "laptop"}, headers=user.bearer), 201
    )
    listed = _data(api.get(f"{prefix}/api-keys", headers=user.bearer))
    revoked = api.delete(f"{prefix}/api-keys/{created['id']}", headers=user.bearer)
    after = _data(api.get(f"{prefix}/api-keys", headers=user.bearer))
    with_revoked_key = api.get(f"{prefix}/experiments", headers={"x-api-key": created["key"]})

    assert set(created) == {"id", "name", "created_at", "revoked", "key"}
    assert created["revoked"] is False
    assert [(key["id"], key["name"]) for key in listed] == [(created["id"], "laptop")]
    assert set(listed[0]) == {"id", "name", "created_at", "revoked"}
    assert revoked.status_code == 200
    assert revoked.json() == {"status": 200}
    assert after == []
    assert with_revoked_key.status_code == 401


def test_tora_api_keys_cannot_be_managed_with_an_api_key(
    api: TestClient, user: SignedUpUser, key_of: KeyOf
) -> None:
    response = api.post("/api-keys", json={"name": "more"}, headers=key_of(user))

    _assert_tora_error(response, 403, "FORBIDDEN")


def test_tora_workspace_roles_are_public_and_usable_as_role_ids(api: TestClient) -> None:
    roles = _data(api.get("/workspace-roles"))
    same = _data(api.get("/api/workspace-roles"))

    assert roles == same
    assert {role["name"] for role in roles} == {"OWNER", "ADMIN", "MEMBER", "VIEWER"}
    for role in roles:
        uuid.UUID(role["id"])


def test_tora_api_health_answers_in_the_envelope(api: TestClient) -> None:
    response = api.get("/api/health")

    assert response.status_code == 200, response.text
    assert response.json()["status"] == 200
    assert response.json()["data"]["status"] == "ok"


# ------------------------------------------------------------------ workspaces


def test_tora_workspaces_are_created_listed_read_and_deleted(
    api: TestClient, user: SignedUpUser, prefix: str
) -> None:
    first = _workspace(api, user, "first", prefix)
    second = _workspace(api, user, "second", prefix)

    listed = _data(api.get(f"{prefix}/workspaces", headers=user.bearer))
    read = _data(api.get(f"{prefix}/workspaces/{first['id']}", headers=user.bearer))
    members = _data(api.get(f"{prefix}/workspaces/{first['id']}/members", headers=user.bearer))
    deleted = api.delete(f"{prefix}/workspaces/{second['id']}", headers=user.bearer)
    gone = api.get(f"{prefix}/workspaces/{second['id']}", headers=user.bearer)

    assert set(first) == {"id", "name", "description", "createdAt", "role"}
    assert first["role"] == "OWNER"
    assert first["description"] == "d"
    assert [workspace["name"] for workspace in listed][:2] == ["second", "first"]
    assert read == first
    assert [(m["email"], m["role"]) for m in members] == [(user.email, "OWNER")]
    assert set(members[0]) == {"id", "email", "role", "joined_at"}
    assert deleted.status_code == 200
    assert deleted.json() == {"status": 200}
    _assert_tora_error(gone, 404, "NOT_FOUND")


def test_tora_workspace_of_another_user_is_404(api: TestClient, user: SignedUpUser) -> None:
    stranger = sign_up(api)
    workspace = _workspace(api, user)

    for path in ("", "/members", "/experiments"):
        response = api.get(f"/workspaces/{workspace['id']}{path}", headers=stranger.bearer)
        _assert_tora_error(response, 404, "NOT_FOUND")
    _assert_tora_error(
        api.delete(f"/workspaces/{workspace['id']}", headers=stranger.bearer), 404, "NOT_FOUND"
    )


def test_tora_sole_owner_cannot_leave_but_a_member_can(api: TestClient, user: SignedUpUser) -> None:
    member = sign_up(api)
    workspace = _workspace(api, user)
    _join(api, user, member, workspace["id"], "MEMBER")

    refused = api.post(f"/workspaces/{workspace['id']}/leave", headers=user.bearer)
    left = api.post(f"/api/workspaces/{workspace['id']}/leave", headers=member.bearer)
    after = api.get(f"/workspaces/{workspace['id']}", headers=member.bearer)

    _assert_tora_error(refused, 400, "BAD_REQUEST")
    assert left.status_code == 200
    assert left.json() == {"status": 200}
    assert after.status_code == 404


def test_tora_member_cannot_delete_the_workspace(api: TestClient, user: SignedUpUser) -> None:
    member = sign_up(api)
    workspace = _workspace(api, user)
    _join(api, user, member, workspace["id"], "MEMBER")

    response = api.delete(f"/workspaces/{workspace['id']}", headers=member.bearer)

    _assert_tora_error(response, 403, "FORBIDDEN")


# ------------------------------------------------------------------ invitations


def test_tora_invitation_is_listed_and_accepted(
    api: TestClient, user: SignedUpUser, prefix: str, clean_database: str
) -> None:
    invitee = sign_up(api)
    mark_address_confirmed(clean_database, invitee)  # Tora's accounts confirm their address
    workspace = _workspace(api, user, "lab")
    viewer_role = next(
        role["id"] for role in _data(api.get("/workspace-roles")) if role["name"] == "VIEWER"
    )

    invitation = _data(
        api.post(
            f"{prefix}/workspace-invitations",
            json={"workspaceId": workspace["id"], "email": invitee.email, "roleId": viewer_role},
            headers=user.bearer,
        ),
        201,
    )
    pending = _data(api.get(f"{prefix}/workspace-invitations", headers=invitee.bearer))
    accepted = api.put(
        f"{prefix}/workspaces/any/invitations",
        params={"invitationId": invitation["id"], "action": "accept"},
        headers=invitee.bearer,
    )
    workspaces = _data(api.get(f"{prefix}/workspaces", headers=invitee.bearer))

    assert set(invitation) == {
        "id",
        "workspaceId",
        "workspaceName",
        "email",
        "role",
        "from",
        "created_at",
    }
    assert invitation["workspaceName"] == "lab"
    assert invitation["role"] == "VIEWER"
    assert invitation["from"] == user.email
    assert pending == [invitation]
    assert accepted.status_code == 200
    assert {(w["id"], w["role"]) for w in workspaces} >= {(workspace["id"], "VIEWER")}
    assert _data(api.get(f"{prefix}/workspace-invitations", headers=invitee.bearer)) == []


def test_tora_invitation_by_unconfirmed_address_needs_the_token_of_its_mail(
    api: TestClient, user: SignedUpUser, prefix: str
) -> None:
    invitee = sign_up(api)
    workspace = _workspace(api, user, "lab")
    invitation, token = _tora_invite(api, user, invitee.email, workspace["id"], "ADMIN", prefix)

    without = api.put(
        f"{prefix}/workspaces/any/invitations",
        params={"invitationId": invitation["id"], "action": "accept"},
        headers=invitee.bearer,
    )
    with_token = api.put(
        f"{prefix}/workspaces/any/invitations",
        params={"invitationId": invitation["id"], "action": "accept", "token": token},
        headers=invitee.bearer,
    )

    _assert_tora_error(without, 403, "FORBIDDEN")
    assert with_token.status_code == 200, with_token.text
    workspaces = _data(api.get(f"{prefix}/workspaces", headers=invitee.bearer))
    assert {(w["id"], w["role"]) for w in workspaces} >= {(workspace["id"], "ADMIN")}


@pytest.mark.parametrize("action", ["deny", "decline"])
def test_tora_invitation_is_declined_with_deny_or_decline(
    api: TestClient, user: SignedUpUser, action: str
) -> None:
    invitee = sign_up(api)
    workspace = _workspace(api, user)
    invitation, token = _tora_invite(api, user, invitee.email, workspace["id"], "member")

    response = api.put(
        "/api/workspaces/any/invitations",
        params={"invitationId": invitation["id"], "action": action, "token": token},
        headers=invitee.bearer,
    )

    assert response.status_code == 200, response.text
    assert _data(api.get("/workspace-invitations", headers=invitee.bearer)) == []
    assert api.get(f"/workspaces/{workspace['id']}", headers=invitee.bearer).status_code == 404


def test_tora_invitation_needs_the_right_to_manage_the_workspace(
    api: TestClient, user: SignedUpUser
) -> None:
    member = sign_up(api)
    workspace = _workspace(api, user)
    _join(api, user, member, workspace["id"], "MEMBER")

    response = api.post(
        "/workspace-invitations",
        json={"workspaceId": workspace["id"], "email": "x@example.com", "roleId": "VIEWER"},
        headers=member.bearer,
    )

    _assert_tora_error(response, 403, "FORBIDDEN")


def test_tora_invitation_with_an_unknown_role_or_action_is_refused(
    api: TestClient, user: SignedUpUser
) -> None:
    workspace = _workspace(api, user)

    unknown_role = api.post(
        "/workspace-invitations",
        json={"workspaceId": workspace["id"], "email": "x@example.com", "roleId": "EMPEROR"},
        headers=user.bearer,
    )
    unknown_action = api.put(
        "/workspaces/any/invitations",
        params={"invitationId": str(uuid.uuid4()), "action": "maybe"},
        headers=user.bearer,
    )

    _assert_tora_error(unknown_role, 400, "VALIDATION_ERROR")
    _assert_tora_error(unknown_action, 422, "UNPROCESSABLE_ENTITY")


# ------------------------------------------------------------------ experiments

_EXPERIMENT_KEYS = {
    "id",
    "name",
    "description",
    "hyperparams",
    "tags",
    "created_at",
    "updated_at",
    "workspace_id",
    "url",
}


def test_tora_experiment_is_created_read_updated_and_deleted(
    api: TestClient, user: SignedUpUser, key_of: KeyOf, prefix: str
) -> None:
    headers = key_of(user)
    workspace = _workspace(api, user)

    created = _experiment(
        api,
        headers,
        prefix,
        workspaceId=workspace["id"],
        description="baseline",
        tags=["pytorch", "cnn"],
        hyperparams=[{"key": "lr", "value": 0.001}, {"key": "optimizer", "value": "adam"}],
    )
    read = _data(api.get(f"{prefix}/experiments/{created['id']}", headers=headers))
    updated = _data(
        api.put(f"{prefix}/experiments/{created['id']}", json={"name": "renamed"}, headers=headers)
    )
    deleted = api.delete(f"{prefix}/experiments/{created['id']}", headers=headers)
    gone = api.get(f"{prefix}/experiments/{created['id']}", headers=headers)

    assert set(created) == _EXPERIMENT_KEYS
    assert created["workspace_id"] == workspace["id"]
    assert created["hyperparams"] == [
        {"key": "lr", "value": 0.001},
        {"key": "optimizer", "value": "adam"},
    ]
    assert created["tags"] == ["pytorch", "cnn"]
    assert created["url"].endswith(f"/runs/{created['id']}")
    assert created["url"].startswith("http")
    assert read == created
    assert updated["name"] == "renamed"
    assert updated["description"] == ""
    assert updated["tags"] == []
    assert updated["hyperparams"] == created["hyperparams"]
    assert deleted.status_code == 204
    _assert_tora_error(gone, 404, "NOT_FOUND")


def test_tora_experiment_without_workspace_goes_to_the_personal_workspace(
    api: TestClient, user: SignedUpUser, key_of: KeyOf
) -> None:
    personal = _data(api.get("/workspaces", headers=user.bearer))

    created = _experiment(api, key_of(user), name="old-script")

    assert [workspace["id"] for workspace in personal] == [created["workspace_id"]]


def test_tora_experiments_are_listed_newest_first_and_by_workspace(
    api: TestClient, user: SignedUpUser, prefix: str
) -> None:
    team = _workspace(api, user)
    first = _experiment(api, user.bearer, name="first", workspaceId=team["id"])
    second = _experiment(api, user.bearer, name="second", workspaceId=team["id"])
    elsewhere = _experiment(api, user.bearer, name="personal")

    everything = _data(api.get(f"{prefix}/experiments", headers=user.bearer))
    in_team = _data(
        api.get(f"{prefix}/experiments", params={"workspace": team["id"]}, headers=user.bearer)
    )
    of_team = _data(api.get(f"{prefix}/workspaces/{team['id']}/experiments", headers=user.bearer))

    assert [e["id"] for e in everything] == [elsewhere["id"], second["id"], first["id"]]
    assert [e["id"] for e in in_team] == [second["id"], first["id"]]
    assert of_team == in_team


def test_tora_experiment_of_another_user_is_404(
    api: TestClient, user: SignedUpUser, prefix: str
) -> None:
    stranger = sign_up(api)
    experiment = _experiment(api, user.bearer)
    path = f"{prefix}/experiments/{experiment['id']}"

    _assert_tora_error(api.get(path, headers=stranger.bearer), 404, "NOT_FOUND")
    _assert_tora_error(
        api.put(path, json={"name": "mine"}, headers=stranger.bearer), 404, "NOT_FOUND"
    )
    _assert_tora_error(api.delete(path, headers=stranger.bearer), 404, "NOT_FOUND")
    _assert_tora_error(api.get(f"{path}/logs", headers=stranger.bearer), 404, "NOT_FOUND")
    _assert_tora_error(
        api.post(f"{path}/logs/batch", json={"logs": [_log("x", 1, 1)]}, headers=stranger.bearer),
        404,
        "NOT_FOUND",
    )
    assert _data(api.get(f"{prefix}/experiments", headers=stranger.bearer)) == []


def test_tora_experiment_in_another_users_workspace_is_404(
    api: TestClient, user: SignedUpUser
) -> None:
    stranger = sign_up(api)
    workspace = _workspace(api, user)

    response = api.post(
        "/experiments", json={"name": "x", "workspaceId": workspace["id"]}, headers=stranger.bearer
    )

    _assert_tora_error(response, 404, "NOT_FOUND")


def test_tora_viewer_reads_but_cannot_write(api: TestClient, user: SignedUpUser) -> None:
    viewer = sign_up(api)
    workspace = _workspace(api, user)
    experiment = _experiment(api, user.bearer, workspaceId=workspace["id"])
    _join(api, user, viewer, workspace["id"], "VIEWER")
    path = f"/experiments/{experiment['id']}"

    read = api.get(path, headers=viewer.bearer)
    create = api.post(
        "/experiments", json={"name": "x", "workspaceId": workspace["id"]}, headers=viewer.bearer
    )
    update = api.put(path, json={"name": "y"}, headers=viewer.bearer)
    delete = api.delete(path, headers=viewer.bearer)
    log = api.post(f"{path}/logs/batch", json={"logs": [_log("x", 1, 1)]}, headers=viewer.bearer)

    assert read.status_code == 200
    for response in (create, update, delete, log):
        _assert_tora_error(response, 403, "FORBIDDEN")


def test_tora_experiments_batch_returns_the_visible_ones(
    api: TestClient, user: SignedUpUser, prefix: str
) -> None:
    stranger = sign_up(api)
    mine = _experiment(api, user.bearer, name="mine")
    theirs = _experiment(api, stranger.bearer, name="theirs")

    found = _data(
        api.post(
            f"{prefix}/experiments/batch",
            json={"ids": [mine["id"], theirs["id"], str(uuid.uuid4())]},
            headers=user.bearer,
        )
    )

    assert [experiment["id"] for experiment in found] == [mine["id"]]
    assert set(found[0]) == _EXPERIMENT_KEYS


@pytest.mark.parametrize(
    ("method", "path", "body", "params"),
    [
        ("GET", "/experiments/not-a-uuid", None, None),
        ("GET", "/experiments/not-a-uuid/logs", None, None),
        ("GET", "/workspaces/42/members", None, None),
        ("GET", "/experiments", None, {"workspace": "nope"}),
        ("POST", "/experiments", {"name": "x", "workspaceId": "ws-123"}, None),
        ("POST", "/experiments/batch", {"ids": ["nope"]}, None),
        ("PUT", "/workspaces/any/invitations", None, {"invitationId": "x", "action": "accept"}),
    ],
)
def test_tora_malformed_ids_are_400_invalid_uuid(
    api: TestClient,
    user: SignedUpUser,
    prefix: str,
    method: str,
    path: str,
    body: Any,
    params: Any,
) -> None:
    response = api.request(method, f"{prefix}{path}", json=body, params=params, headers=user.bearer)

    _assert_tora_error(response, 400, "INVALID_UUID")


def test_tora_malformed_msg_id_is_400_invalid_uuid(api: TestClient, user: SignedUpUser) -> None:
    experiment = _experiment(api, user.bearer)
    log = {**_log("loss", 1.0, 1), "msg_id": "not-a-uuid"}

    response = api.post(
        f"/experiments/{experiment['id']}/logs/batch", json={"logs": [log]}, headers=user.bearer
    )

    _assert_tora_error(response, 400, "INVALID_UUID")


def test_tora_unknown_fields_and_bad_json_are_json_errors(
    api: TestClient, user: SignedUpUser
) -> None:
    unknown = api.post("/experiments", json={"name": "x", "color": "red"}, headers=user.bearer)
    broken = api.post(
        "/experiments",
        content=b"{not json",
        headers={**user.bearer, "content-type": "application/json"},
    )
    missing = api.post("/api/experiments", json={}, headers=user.bearer)

    _assert_tora_error(unknown, 422, "UNPROCESSABLE_ENTITY")
    _assert_tora_error(broken, 400, "BAD_REQUEST")
    _assert_tora_error(missing, 422, "UNPROCESSABLE_ENTITY")


def test_tora_unknown_route_is_a_json_404(api: TestClient, user: SignedUpUser) -> None:
    response = api.get("/experiments/batch", headers=user.bearer)

    assert response.status_code in (400, 404, 405)
    assert response.headers["content-type"].startswith("application/json")


# ------------------------------------------------------------------ logs


def test_tora_log_batch_resent_and_extended_is_stored_once(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, key_of: KeyOf, prefix: str
) -> None:
    headers = key_of(user)
    experiment = _experiment(api, headers, prefix)
    path = f"{prefix}/experiments/{experiment['id']}/logs/batch"
    first = [_log("loss", 1.0 / step, step) for step in range(1, 4)]
    more = [_log("loss", 0.1, 4), _log("best", 0.9, None, "result")]

    answers = [
        api.post(path, json={"logs": first}, headers=headers),
        api.post(path, json={"logs": first}, headers=headers),  # re-sent after a lost answer
        api.post(path, json={"logs": first + more}, headers=headers),  # the SDK's whole buffer
    ]
    drain_ingest_queue(local_stack)
    logs = _data(api.get(f"{prefix}/experiments/{experiment['id']}/logs", headers=headers))

    assert [answer.status_code for answer in answers] == [201, 201, 201]
    assert all(answer.json() == {"status": 201} for answer in answers)
    stored = sorted((log["name"], log["step"], log["value"]) for log in logs)
    assert stored == [
        ("best", None, 0.9),
        ("loss", 1, 1.0),
        ("loss", 2, 0.5),
        ("loss", 3, 1.0 / 3),
        ("loss", 4, 0.1),
    ]
    assert {log["msg_id"] for log in logs} == {log["msg_id"] for log in first + more}
    assert all(log["id"] == log["msg_id"] for log in logs)


def test_tora_logs_answer_tora_shapes_metrics_by_step_and_results_apart(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, prefix: str
) -> None:
    experiment = _experiment(api, user.bearer)
    base = f"{prefix}/experiments/{experiment['id']}"
    logs = [_log("acc", 0.3, 3), _log("acc", 0.1, 1), _log("acc", 0.2, 2)]
    single = _log("final_acc", 0.95, None, "result")

    _data(api.post(f"{base}/logs/batch", json={"logs": logs}, headers=user.bearer), 201)
    created = _data(api.post(f"{base}/logs", json=single, headers=user.bearer), 201)
    drain_ingest_queue(local_stack)
    everything = _data(api.get(f"{base}/logs", headers=user.bearer))
    metrics = _data(api.get(f"{base}/metrics", headers=user.bearer))
    results = _data(api.get(f"{base}/results", headers=user.bearer))

    log_keys = {"id", "experiment_id", "msg_id", "name", "value", "step", "metadata", "created_at"}
    assert set(created) == log_keys
    assert created["msg_id"] == single["msg_id"]
    assert created["experiment_id"] == experiment["id"]
    assert all(set(log) == log_keys for log in everything + metrics + results)
    assert [(log["step"], log["value"]) for log in metrics] == [(1, 0.1), (2, 0.2), (3, 0.3)]
    assert all(log["metadata"] == {"type": "metric"} for log in metrics)
    assert [(log["name"], log["value"], log["metadata"]) for log in results] == [
        ("final_acc", 0.95, {"type": "result"})
    ]
    assert len(everything) == 4
    created_times = [log["created_at"] for log in everything]
    assert created_times == sorted(created_times, reverse=True)


def test_tora_single_log_sent_twice_is_stored_once(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser
) -> None:
    experiment = _experiment(api, user.bearer)
    log = _log("loss", 0.5, 7)
    path = f"/api/experiments/{experiment['id']}/logs"

    answers = [api.post(path, json=log, headers=user.bearer) for _ in range(2)]
    drain_ingest_queue(local_stack)
    metrics = _data(api.get(f"/experiments/{experiment['id']}/metrics", headers=user.bearer))

    assert [answer.status_code for answer in answers] == [201, 201]
    assert [(m["msg_id"], m["step"], m["value"]) for m in metrics] == [(log["msg_id"], 7, 0.5)]


def test_tora_log_with_a_bad_name_or_step_is_refused(api: TestClient, user: SignedUpUser) -> None:
    experiment = _experiment(api, user.bearer)
    path = f"/experiments/{experiment['id']}/logs"

    negative = api.post(path, json=_log("loss", 1.0, -1), headers=user.bearer)
    unnamed = api.post(path, json=_log("", 1.0, 1), headers=user.bearer)

    _assert_tora_error(negative, 422, "UNPROCESSABLE_ENTITY")
    _assert_tora_error(unnamed, 422, "UNPROCESSABLE_ENTITY")


def test_tora_csv_export_has_tora_columns_quoted_cells_and_oldest_first(
    api: TestClient, local_stack: LocalStack, user: SignedUpUser, prefix: str
) -> None:
    experiment = _experiment(api, user.bearer)
    base = f"{prefix}/experiments/{experiment['id']}"
    tricky = {"type": "metric", "note": 'comma, "quote"\nnewline'}
    logs = [
        {**_log("loss", 0.5, 1), "metadata": tricky},
        _log("loss", 0.25, 2),
    ]
    _data(api.post(f"{base}/logs/batch", json={"logs": logs}, headers=user.bearer), 201)
    drain_ingest_queue(local_stack)

    response = api.get(f"{base}/logs/csv", headers=user.bearer)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        f'attachment; filename="metrics_{experiment["id"]}.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["id", "experiment_id", "name", "value", "step", "metadata", "created_at"]
    assert [(row[0], row[2], float(row[3]), row[4]) for row in rows[1:]] == [
        (logs[0]["msg_id"], "loss", 0.5, "1"),
        (logs[1]["msg_id"], "loss", 0.25, "2"),
    ]
    assert rows[1][1] == experiment["id"]
    assert json.loads(rows[1][5]) == tricky


# ------------------------------------------------------------------ settings


def test_tora_settings_gather_user_workspaces_keys_and_invitations(
    api: TestClient, user: SignedUpUser, key_of: KeyOf, prefix: str
) -> None:
    inviter = sign_up(api)
    workspace = _workspace(api, inviter, "theirs")
    _data(
        api.post(
            "/workspace-invitations",
            json={"workspaceId": workspace["id"], "email": user.email, "roleId": "VIEWER"},
            headers=inviter.bearer,
        ),
        201,
    )
    api_key = key_of(user)

    settings = api.get(f"{prefix}/settings", headers=user.bearer)
    with_key = api.get(f"{prefix}/settings", headers=api_key)

    assert settings.status_code == 200
    body = settings.json()
    assert set(body) == {"user", "workspaces", "apiKeys", "invitations"}
    assert body["user"] == {"id": user.id, "email": user.email}
    assert [w["role"] for w in body["workspaces"]] == ["OWNER"]
    assert [key["name"] for key in body["apiKeys"]] == ["ci"]
    assert [i["workspaceName"] for i in body["invitations"]] == ["theirs"]
    assert with_key.status_code == 200
    assert with_key.json()["apiKeys"] == []
