"""The served OpenAPI document and the served code agree on the rules a generator of
requests cannot find by itself: a request the code refuses is one the document refuses (or
declares the refusal of), and the statuses the code answers are declared."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from jsonschema import Draft202012Validator  # type: ignore[import-untyped]  # schemathesis brings it

from tests.support.accounts import PASSWORD, SignedUpUser, sign_up
from wavedb_local.stack import LocalStack


@pytest.fixture(scope="module")
def document(served_stack: LocalStack) -> dict[str, Any]:
    answer = httpx.get(f"{served_stack.api_url}/openapi.json", trust_env=False, timeout=60)
    assert answer.status_code == 200
    body: dict[str, Any] = answer.json()
    return body


def _body_schema(document: dict[str, Any], method: str, path: str) -> dict[str, Any]:
    content = document["paths"][path][method]["requestBody"]["content"]
    schema: dict[str, Any] = content["application/json"]["schema"]
    return schema


def _takes(document: dict[str, Any], method: str, path: str, body: dict[str, Any]) -> bool:
    """Whether the document's schema of the route's body accepts `body`."""
    schema = {**_body_schema(document, method, path), "components": document["components"]}
    return bool(Draft202012Validator(schema).is_valid(body))


def _query_pattern(document: dict[str, Any], path: str, name: str) -> str:
    [parameter] = [p for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    pattern: str = parameter["schema"]["pattern"]
    return pattern


def _declared(document: dict[str, Any], method: str, path: str) -> set[str]:
    return set(document["paths"][path][method]["responses"])


def _run(http: httpx.Client, owner: SignedUpUser) -> dict[str, Any]:
    workspace = http.post("/v1/workspaces", json={"name": "lab"}, headers=owner.bearer).json()
    project = http.post(
        f"/v1/workspaces/{workspace['id']}/projects", json={"name": "p"}, headers=owner.bearer
    ).json()
    run: dict[str, Any] = http.post(
        f"/v1/projects/{project['id']}/runs", json={}, headers=owner.bearer
    ).json()
    return run


def test_heartbeat_of_an_ended_run_is_a_409_the_document_declares(
    http: httpx.Client, document: dict[str, Any]
) -> None:
    owner = sign_up(http)
    run = _run(http, owner)
    http.patch(f"/v1/runs/{run['id']}", json={"status": "finished"}, headers=owner.bearer)

    answer = http.post(f"/v1/runs/{run['id']}/heartbeat", headers=owner.bearer)

    assert answer.status_code == 409
    assert answer.json()["code"] == "run_ended"
    assert "409" in _declared(document, "post", "/v1/runs/{run_id}/heartbeat")


def test_sole_owner_leaving_is_a_409_the_document_declares(
    http: httpx.Client, document: dict[str, Any]
) -> None:
    owner = sign_up(http)
    workspace = http.post("/v1/workspaces", json={"name": "lab"}, headers=owner.bearer).json()

    answer = http.post(f"/v1/workspaces/{workspace['id']}/leave", headers=owner.bearer)

    assert answer.status_code == 409
    assert answer.json()["code"] == "sole_owner"
    assert "409" in _declared(document, "post", "/v1/workspaces/{workspace_id}/leave")


def test_api_key_with_both_expiries_is_refused_by_the_code_and_the_document(
    http: httpx.Client, document: dict[str, Any]
) -> None:
    owner = sign_up(http)
    both = {"name": "ci", "expires_at": "2099-01-01T00:00:00Z", "expires_in_days": 5}
    one = {"name": "ci", "expires_at": None, "expires_in_days": 5}

    answer = http.post("/v1/api-keys", json=both, headers=owner.bearer)

    assert answer.status_code == 422
    assert not _takes(document, "post", "/v1/api-keys", both)
    assert _takes(document, "post", "/v1/api-keys", one)


def test_api_key_rate_limit_above_the_ceiling_is_refused_by_the_document_too(
    http: httpx.Client, document: dict[str, Any]
) -> None:
    owner = sign_up(http)
    body = {"name": "ci", "rate_limit_per_minute": 12_001}

    answer = http.post("/v1/api-keys", json=body, headers=owner.bearer)

    assert answer.status_code == 422
    assert not _takes(document, "post", "/v1/api-keys", body)
    assert _takes(document, "post", "/v1/api-keys", {**body, "rate_limit_per_minute": 12_000})


def test_register_without_name_or_username_is_refused_by_the_code_and_the_document(
    http: httpx.Client, document: dict[str, Any]
) -> None:
    body = {"email": f"u-{uuid.uuid4().hex[:8]}@example.com", "password": PASSWORD}

    answer = http.post("/auth/register", json=body)

    assert answer.status_code == 400
    assert not _takes(document, "post", "/auth/register", body)
    assert _takes(document, "post", "/auth/register", {**body, "username": "ada"})


@pytest.mark.parametrize(
    ("path", "named"), [("/v1/auth/signup", True), ("/signup", False), ("/auth/register", True)]
)
def test_password_under_the_minimum_is_refused_by_the_code_and_the_document(
    path: str, named: bool, http: httpx.Client, document: dict[str, Any]
) -> None:
    body = {"email": f"u-{uuid.uuid4().hex[:8]}@example.com", "password": "k7#Qz!p"}
    if named:
        body["name"] = "Ada"

    answer = http.post(path, json=body)

    assert answer.status_code in (400, 422), answer.text
    assert "8 characters" in answer.text
    assert not _takes(document, "post", path, body)
    assert _takes(document, "post", path, {**body, "password": PASSWORD})


@pytest.mark.parametrize("path", ["/api-keys", "/v1/api-keys"])
def test_key_name_over_the_limit_as_sent_is_refused_by_the_code_and_the_document(
    path: str, http: httpx.Client, document: dict[str, Any]
) -> None:
    owner = sign_up(http)
    body = {"name": " " + "k" * 100}  # 100 characters once stripped, 101 as sent

    answer = http.post(path, json=body, headers=owner.bearer)

    assert answer.status_code == 422, answer.text
    assert not _takes(document, "post", path, body)


@pytest.mark.parametrize("name", [" ", "\u3000\t"])
def test_blank_workspace_name_is_refused_by_the_code_and_the_document(
    name: str, http: httpx.Client, document: dict[str, Any]
) -> None:
    owner = sign_up(http)

    answer = http.post("/v1/workspaces", json={"name": name}, headers=owner.bearer)

    assert answer.status_code == 422
    assert not _takes(document, "post", "/v1/workspaces", {"name": name})


@pytest.mark.parametrize(
    ("run_ids", "status"),
    [
        ("0", 422),
        ("urn:uuid:12345678-1234-5678-1234-567812345678", 422),
        (", 12345678-1234-5678-1234-567812345678", 422),
        (" 12345678-1234-5678-1234-567812345678 ,12345678-1234-5678-1234-567812345678", 404),
    ],
)
def test_series_run_ids_follow_the_documented_pattern(
    run_ids: str, status: int, http: httpx.Client, document: dict[str, Any]
) -> None:
    owner = sign_up(http)

    answer = http.get(
        "/v1/series", params={"run_ids": run_ids, "name": "loss"}, headers=owner.bearer
    )

    assert answer.status_code == status, answer.text
    documented = re.search(_query_pattern(document, "/v1/series", "run_ids"), run_ids)
    assert (documented is not None) == (status != 422)


def test_tora_invitation_role_is_refused_by_the_code_and_the_document(
    http: httpx.Client, document: dict[str, Any]
) -> None:
    owner = sign_up(http)
    workspace = http.post("/v1/workspaces", json={"name": "lab"}, headers=owner.bearer).json()
    body = {"workspaceId": workspace["id"], "email": "x@example.com", "roleId": "owner"}

    refused = http.post("/workspace-invitations", json=body, headers=owner.bearer)
    taken = http.post(
        "/workspace-invitations", json={**body, "roleId": " Viewer "}, headers=owner.bearer
    )

    assert refused.status_code == 400
    assert not _takes(document, "post", "/workspace-invitations", body)
    assert taken.status_code == 201, taken.text
    assert _takes(document, "post", "/workspace-invitations", {**body, "roleId": " Viewer "})


def test_nul_in_any_request_text_is_refused_and_the_document_says_so(
    document: dict[str, Any], http: httpx.Client, owner: SignedUpUser, run_id: str
) -> None:
    """PostgreSQL cannot store a NUL: every route refuses one, and the document states it on
    every plain string a request takes and on its free-form JSON."""
    parameters = document["paths"]["/v1/runs"]["get"]["parameters"]
    [name_contains] = [p for p in parameters if p["name"] == "name_contains"]
    [pattern] = [o["pattern"] for o in name_contains["schema"]["anyOf"] if o["type"] == "string"]
    listing = http.get("/v1/runs", params={"name_contains": "a\x00"}, headers=owner.bearer)
    patched = http.patch(
        f"/v1/runs/{run_id}", json={"config": {"nested": ["ok", "a\x00"]}}, headers=owner.bearer
    )

    assert re.search(pattern, "a\x00") is None
    assert re.search(pattern, "resnet") is not None
    assert listing.status_code == 422, listing.text
    assert patched.status_code == 422, patched.text
    config = document["components"]["schemas"]["RunUpdateRequest"]["properties"]["config"]
    assert "NUL" in json.dumps(config)
