"""Chart layouts through the API: each user's own layout of a project, saved and read back,
kept apart from other users', refused when malformed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.accounts import SignedUpUser, sign_up
from tests.support.invitations import join_workspace


def _project(api: Any, user: SignedUpUser) -> str:
    workspace = api.post("/v1/workspaces", json={"name": "Vision"}, headers=user.bearer)
    assert workspace.status_code == 201, workspace.text
    project = api.post(
        f"/v1/workspaces/{workspace.json()['id']}/projects",
        json={"name": "resnet"},
        headers=user.bearer,
    )
    assert project.status_code == 201, project.text
    return str(project.json()["id"])


def _layout(**overrides: Any) -> dict[str, Any]:
    panel = {
        "id": "p1",
        "title": "Losses",
        "metrics": ["train/loss", "val/loss"],
        "pattern": "^acc",
        "x_axis": "relative",
        "log_scale": True,
        "smoothing": 0.6,
        "y_min": 0.0,
        "y_max": 2.5,
        "span": 2,
        "height": 320,
    }
    return {"panels": [panel], "group_by": ["optimizer.lr"], "group_band": "std", **overrides}


def test_get_layout_when_none_saved_returns_empty(api: Any) -> None:
    user = sign_up(api)
    project_id = _project(api, user)

    response = api.get(f"/v1/projects/{project_id}/layout", headers=user.bearer)

    assert response.status_code == 200, response.text
    assert response.json() == {
        "panels": [],
        "group_by": [],
        "group_band": "minmax",
        "updated_at": None,
    }


def test_put_layout_then_get_returns_it(api: Any) -> None:
    user = sign_up(api)
    project_id = _project(api, user)

    saved = api.put(f"/v1/projects/{project_id}/layout", json=_layout(), headers=user.bearer)
    read = api.get(f"/v1/projects/{project_id}/layout", headers=user.bearer)

    assert saved.status_code == 200, saved.text
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["updated_at"] is not None
    assert body["panels"] == _layout()["panels"]
    assert (body["group_by"], body["group_band"]) == (["optimizer.lr"], "std")


def test_put_layout_twice_keeps_the_last(api: Any) -> None:
    user = sign_up(api)
    project_id = _project(api, user)
    api.put(f"/v1/projects/{project_id}/layout", json=_layout(), headers=user.bearer)

    second = {"panels": [{"id": "only", "metrics": ["loss"]}]}
    api.put(f"/v1/projects/{project_id}/layout", json=second, headers=user.bearer)
    body = api.get(f"/v1/projects/{project_id}/layout", headers=user.bearer).json()

    assert [panel["id"] for panel in body["panels"]] == ["only"]
    assert body["panels"][0]["x_axis"] == "step"
    assert body["group_by"] == []


def test_layout_of_one_member_is_not_another_members(api: Any) -> None:
    owner = sign_up(api)
    viewer = sign_up(api)
    project_id = _project(api, owner)
    workspace_id = api.get(f"/v1/projects/{project_id}", headers=owner.bearer).json()[
        "workspace_id"
    ]
    join_workspace(api, owner, workspace_id, viewer, "viewer")
    api.put(f"/v1/projects/{project_id}/layout", json=_layout(), headers=owner.bearer)

    theirs = api.get(f"/v1/projects/{project_id}/layout", headers=viewer.bearer)
    own = api.put(
        f"/v1/projects/{project_id}/layout",
        json={"panels": [{"id": "mine", "pattern": "loss"}]},
        headers=viewer.bearer,
    )
    owners = api.get(f"/v1/projects/{project_id}/layout", headers=owner.bearer).json()

    assert theirs.status_code == 200
    assert theirs.json()["panels"] == []
    assert own.status_code == 200, own.text
    assert [panel["id"] for panel in owners["panels"]] == ["p1"]


def test_layout_of_a_project_not_visible_is_404(api: Any) -> None:
    owner = sign_up(api)
    stranger = sign_up(api)
    project_id = _project(api, owner)

    read = api.get(f"/v1/projects/{project_id}/layout", headers=stranger.bearer)
    write = api.put(f"/v1/projects/{project_id}/layout", json=_layout(), headers=stranger.bearer)

    assert (read.status_code, write.status_code) == (404, 404)
    assert read.json()["code"] == "project_not_found"


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"panels": [{"id": "p", "metrics": ["a"], "x_axis": "epoch"}]}, "unknown axis"),
        ({"panels": [{"id": "p", "metrics": ["a"], "smoothing": 1.5}]}, "smoothing above 0.99"),
        ({"panels": [{"id": "p", "metrics": ["a"], "y_max": "1e999"}]}, "range not a number"),
        ({"panels": [{"id": "p", "metrics": ["not a\u0000name"]}]}, "metric name with NUL"),
        ({"panels": [{"id": "p", "metrics": ["a"], "span": 9}]}, "span too wide"),
        ({"panels": [{"id": "p", "metrics": ["a"], "height": 10}]}, "too low"),
        ({"panels": [{"id": "p", "metrics": ["a"], "log_scale": "yes"}]}, "not a boolean"),
        ({"panels": [{"id": "p", "metrics": ["a"], "colour": "red"}]}, "unknown field"),
        ({"panels": [{"id": " ", "metrics": ["a"]}]}, "blank id"),
        ({"panels": [{"id": "p", "metrics": ["a"]}] * 101}, "too many panels"),
        ({"panels": [], "group_by": ["a", "b", "c", "d", "e", "f"]}, "too many group keys"),
        ({"panels": [], "group_band": "quartiles"}, "unknown band"),
        ({}, "no panels"),
    ],
)
def test_put_layout_malformed_is_422(api: Any, change: dict[str, Any], reason: str) -> None:
    user = sign_up(api)
    project_id = _project(api, user)

    response = api.put(f"/v1/projects/{project_id}/layout", json=change, headers=user.bearer)

    assert response.status_code == 422, f"{reason}: {response.text}"
    assert api.get(f"/v1/projects/{project_id}/layout", headers=user.bearer).json()["panels"] == []


def test_put_layout_with_nan_range_is_422(api: Any) -> None:
    user = sign_up(api)
    project_id = _project(api, user)
    body = '{"panels": [{"id": "p", "metrics": ["a"], "y_min": NaN}]}'

    response = api.put(
        f"/v1/projects/{project_id}/layout",
        content=body,
        headers={**user.bearer, "content-type": "application/json"},
    )

    assert 400 <= response.status_code < 500, response.text


def test_layout_goes_with_its_project(api: Any) -> None:
    user = sign_up(api)
    project_id = _project(api, user)
    api.put(f"/v1/projects/{project_id}/layout", json=_layout(), headers=user.bearer)

    deleted = api.delete(f"/v1/projects/{project_id}", headers=user.bearer)
    read = api.get(f"/v1/projects/{project_id}/layout", headers=user.bearer)

    assert deleted.status_code == 204
    assert read.status_code == 404
