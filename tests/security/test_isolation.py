"""Isolation over every route that names an object in its path, taken from the OpenAPI
document the served stack publishes (a new route joins these checks by itself, and fails
them until the tables below know its ids and its body):

- another user's credentials get 404 for the first user's objects, reads and writes;
- a viewer of the workspace gets 403 on every writing route;
- nothing another user or a viewer sent changed the owner's objects.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from tests.security.objects import OwnedObjects, fill_path, make_objects, path_parameters
from tests.support.accounts import SignedUpUser, sign_up
from tests.support.invitations import join_workspace
from tests.support.media import png_bytes

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_IMAGE_ROUTE = "POST /metric/image/{projectId}/{runnerId}"


def _json_bodies() -> dict[str, Any]:
    """A valid JSON body for each writing route that takes one (by route key, Tora's routes
    without their `/api` prefix): validation passes, so only access decides the answer."""
    log = {"msg_id": str(uuid.uuid4()), "name": "loss", "value": 0.25, "step": 3}
    point = {"name": "loss", "value": 0.25, "step": 3}
    return {
        "PUT /experiments/{experiment_id}": {"name": "taken over"},
        "POST /experiments/{experiment_id}/logs": log,
        "POST /experiments/{experiment_id}/logs/batch": {"logs": [log]},
        "POST /metric/scalar/{runnerId}": point,
        "POST /v1/invitations/{invitation_id}/accept": {},
        "POST /v1/invitations/{invitation_id}/decline": {},
        "PATCH /v1/projects/{project_id}": {"name": "taken over"},
        "POST /v1/projects/{project_id}/exports": {"kind": "project_runs"},
        "PUT /v1/projects/{project_id}/layout": {"panels": [{"id": "p", "metrics": ["loss"]}]},
        "POST /v1/projects/{project_id}/runs": {"name": "intruder"},
        "PATCH /v1/runs/{run_id}": {"name": "taken over"},
        "POST /v1/runs/{run_id}/media": {"name": "notes", "kind": "text", "text": "mine now"},
        "POST /v1/runs/{run_id}/exports": {"kind": "run_metrics_long"},
        "POST /v1/runs/{run_id}/metrics": {"batch_id": uuid.uuid4().hex, "points": [point]},
        "POST /v1/runs/{run_id}/results": {"results": {"accuracy": 0.9}},
        "PATCH /v1/workspaces/{workspace_id}": {"name": "taken over"},
        "POST /v1/workspaces/{workspace_id}/invitations": {"email": "friend@example.com"},
        "PATCH /v1/workspaces/{workspace_id}/members/{user_id}": {"role": "viewer"},
        "POST /v1/workspaces/{workspace_id}/projects": {"name": "intruder"},
    }


# A value for each required query parameter.
_QUERY_VALUES = {"name": "loss"}

# Writing routes a viewer may call: their own membership, or objects that are not the
# workspace's (the owner's API key, an invitation to someone else), which are 404.
_VIEWER_LEAVES = {
    "POST /v1/workspaces/{workspace_id}/leave",
    "POST /workspaces/{workspace_id}/leave",
}
# Routes that POST but only read: a viewer may export what it may read.
_VIEWER_READS = {
    "POST /v1/projects/{project_id}/exports",
    "POST /v1/runs/{run_id}/exports",
}
# Writing routes that change only the caller's own view of an object: any reader may.
_VIEWER_OWN_VIEW = {"PUT /v1/projects/{project_id}/layout"}
_VIEWER_NOT_FOUND = {
    "DELETE /v1/api-keys/{key_id}",
    "DELETE /api-keys/{key_id}",
    "POST /v1/invitations/{invitation_id}/accept",
    "POST /v1/invitations/{invitation_id}/decline",
}


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    json_body: bool
    required_query: tuple[str, ...]

    @property
    def key(self) -> str:
        return f"{self.method} {self.path}"

    @property
    def table_key(self) -> str:
        """Tora's routes are served at the root and under `/api`: one entry serves both."""
        path = self.path.removeprefix("/api") if self.path.startswith("/api/") else self.path
        return f"{self.method} {path}"

    @property
    def writes(self) -> bool:
        return self.method not in _SAFE_METHODS


def routes_with_ids(document: dict[str, Any]) -> list[Route]:
    """Every operation behind the authorizer whose path names an object."""
    return [
        Route(
            method.upper(),
            path,
            json_body="application/json" in operation.get("requestBody", {}).get("content", {}),
            required_query=tuple(
                parameter["name"]
                for parameter in operation.get("parameters", [])
                if parameter["in"] == "query" and parameter.get("required")
            ),
        )
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
        if path_parameters(path) and operation.get("security")
    ]


@pytest.fixture(scope="module")
def routes(served_stack: Any) -> list[Route]:
    document = httpx.get(f"{served_stack.api_url}/openapi.json", timeout=30).json()
    found = routes_with_ids(document)
    assert len(found) > 60, "the document lost its routes"
    return found


@dataclass(frozen=True)
class Cast:
    owner: SignedUpUser
    stranger: SignedUpUser
    viewer: SignedUpUser
    objects: OwnedObjects


@pytest.fixture
def cast(http: httpx.Client, clean_database: str) -> Cast:
    owner = sign_up(http, name="Owner")
    objects = make_objects(http, owner)
    viewer = sign_up(http, name="Viewer")
    join_workspace(http, owner, objects.workspace_id, viewer, "viewer")
    return Cast(owner, sign_up(http, name="Stranger"), viewer, objects)


def _send(http: httpx.Client, route: Route, user: SignedUpUser, objects: OwnedObjects) -> Any:
    path = fill_path(route.path, objects.path_values())
    if route.key == _IMAGE_ROUTE:
        return http.post(
            path,
            data={"name": "samples", "step": "1"},
            files={"value": ("sample.png", png_bytes(), "image/png")},
            headers=user.bearer,
        )
    body = _json_bodies().get(route.table_key)
    query = {name: _QUERY_VALUES[name] for name in route.required_query}
    return http.request(route.method, path, json=body, params=query, headers=user.bearer)


def _unknown_routes(routes: list[Route], objects: OwnedObjects) -> Iterator[str]:
    """Routes whose ids or body the tables do not know yet."""
    values = objects.path_values()
    bodies = _json_bodies()
    for route in routes:
        missing = [name for name in path_parameters(route.path) if name not in values]
        if missing:
            yield f"{route.key}: no object for {missing}"
        if route.json_body and route.table_key not in bodies:
            yield f"{route.key}: no body"
        unknown = [name for name in route.required_query if name not in _QUERY_VALUES]
        if unknown:
            yield f"{route.key}: no value for the query parameters {unknown}"


def test_every_route_with_an_id_is_known_to_the_tables(routes: list[Route], cast: Cast) -> None:
    assert list(_unknown_routes(routes, cast.objects)) == []


def test_another_user_gets_404_for_every_object_of_the_owner(
    http: httpx.Client, routes: list[Route], cast: Cast
) -> None:
    answers = {route.key: _send(http, route, cast.stranger, cast.objects) for route in routes}

    wrong = {key: (got.status_code, got.text[:200]) for key, got in answers.items()}
    wrong = {key: seen for key, seen in wrong.items() if seen[0] != 404}
    assert wrong == {}
    _owner_still_has_everything(http, cast)


def test_a_viewer_gets_403_on_every_writing_route(
    http: httpx.Client, routes: list[Route], cast: Cast
) -> None:
    allowed = _VIEWER_LEAVES | _VIEWER_READS | _VIEWER_OWN_VIEW
    writing = [route for route in routes if route.writes and route.table_key not in allowed]
    answers = {route.key: _send(http, route, cast.viewer, cast.objects) for route in writing}

    expected = {
        route.key: 404 if route.table_key in _VIEWER_NOT_FOUND else 403 for route in writing
    }
    seen = {key: answer.status_code for key, answer in answers.items()}
    wrong = {
        key: (seen[key], answers[key].text[:200]) for key in seen if seen[key] != expected[key]
    }
    assert wrong == {}
    _owner_still_has_everything(http, cast)


def test_a_viewer_may_export_what_it_may_read(
    http: httpx.Client, routes: list[Route], cast: Cast
) -> None:
    reading = [route for route in routes if route.table_key in _VIEWER_READS]
    answers = {route.key: _send(http, route, cast.viewer, cast.objects) for route in reading}

    assert sorted(answers) == sorted(_VIEWER_READS)
    assert {key: answer.status_code for key, answer in answers.items()} == dict.fromkeys(
        answers, 202
    )


def test_a_viewer_saves_their_own_layout_and_not_the_owners(
    http: httpx.Client, routes: list[Route], cast: Cast
) -> None:
    own_view = [route for route in routes if route.table_key in _VIEWER_OWN_VIEW]
    answers = {route.key: _send(http, route, cast.viewer, cast.objects) for route in own_view}

    assert {key: answer.status_code for key, answer in answers.items()} == dict.fromkeys(
        _VIEWER_OWN_VIEW, 200
    )
    _owner_still_has_everything(http, cast)


def _owner_still_has_everything(http: httpx.Client, cast: Cast) -> None:
    """The refused requests changed nothing: names, the run's points and media, the key."""
    objects, owner = cast.objects, cast.owner
    workspace = http.get(f"/v1/workspaces/{objects.workspace_id}", headers=owner.bearer)
    project = http.get(f"/v1/projects/{objects.project_id}", headers=owner.bearer)
    run = http.get(f"/v1/runs/{objects.run_id}", headers=owner.bearer)
    media = http.get(f"/v1/runs/{objects.run_id}/media", headers=owner.bearer)
    results = http.get(f"/v1/runs/{objects.run_id}/results", headers=owner.bearer)
    runs = http.get(f"/v1/projects/{objects.project_id}/runs", headers=owner.bearer)
    keys = http.get("/v1/api-keys", headers=owner.bearer)
    layout = http.get(f"/v1/projects/{objects.project_id}/layout", headers=owner.bearer)
    members = http.get(f"/v1/workspaces/{objects.workspace_id}/members", headers=owner.bearer)
    assert workspace.json()["name"].startswith("lab-")
    assert project.json()["name"].startswith("vision-")
    assert run.json()["name"] == "baseline"
    assert [item["id"] for item in media.json()["items"]] == [objects.media_id]
    assert results.json()["items"] == []
    assert [item["id"] for item in runs.json()["items"]] == [objects.run_id]
    assert [key["id"] for key in keys.json()] == [objects.key_id]
    assert layout.json()["panels"] == []
    roles = {member["user_id"]: member["role"] for member in members.json()["items"]}
    assert roles[owner.id] == "owner"
