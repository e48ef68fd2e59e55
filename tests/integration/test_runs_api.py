"""Runs: created in a project, listed with filters, sorts and cursors, read one by one or
in batches, changed through their life cycle, kept alive by heartbeats, and deleted."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.support.accounts import SignedUpUser, create_api_key, sign_up
from tests.support.projects import add_member, add_project, make_project, set_run_times


def _create(api: Any, user: SignedUpUser, project_id: str, **fields: Any) -> dict[str, Any]:
    response = api.post(f"/v1/projects/{project_id}/runs", json=fields, headers=user.bearer)
    assert response.status_code == 201, response.text
    run: dict[str, Any] = response.json()
    return run


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [run["id"] for run in response.json()["items"]]


@pytest.fixture
def project(owner: SignedUpUser, clean_database: str) -> tuple[str, str]:
    """(workspace id, project id) owned by `owner`."""
    return make_project(clean_database, owner.id)


# ---------------------------------------------------------------- create and read


def test_create_run_with_every_field_returns_201_and_the_run(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    workspace_id, project_id = project
    config = {"lr": 0.001, "layers": [64, 128], "optimizer": {"name": "adam", "betas": [0.9, 0.99]}}

    run = _create(
        api,
        owner,
        project_id,
        name="  baseline  ",
        description="first try",
        config=config,
        tags=["cnn", "baseline", "cnn"],
        notes="some notes",
    )

    assert uuid.UUID(run["id"])
    assert run["project_id"] == project_id
    assert run["workspace_id"] == workspace_id
    assert run["name"] == "baseline"
    assert run["description"] == "first try"
    assert run["config"] == config
    assert run["tags"] == ["cnn", "baseline"]
    assert run["notes"] == "some notes"
    assert run["status"] == "running"
    assert run["created_by"] == owner.id
    assert run["started_at"] is not None
    assert run["ended_at"] is None
    assert run["heartbeat_at"] is None
    for field in ("created_at", "updated_at", "started_at"):
        assert run[field].endswith("Z")
        assert _moment(run[field]).tzinfo is not None


def test_create_run_without_name_gets_readable_generated_name(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1])

    assert re.fullmatch(r"[a-z]+-[a-z]+-[0-9]{1,3}", run["name"]), run["name"]
    assert run["config"] == {}
    assert run["tags"] == []


def test_create_run_pending_has_not_started(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1], status="pending")

    assert run["status"] == "pending"
    assert run["started_at"] is None


def test_get_run_returns_the_run_with_a_summary(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    created = _create(api, owner, project[1], name="readable")

    response = api.get(f"/v1/runs/{created['id']}", headers=owner.bearer)

    assert response.status_code == 200
    run = response.json()
    assert {key: value for key, value in run.items() if key != "summary"} == {
        key: value for key, value in created.items() if key != "summary"
    }
    assert run["summary"] == {"metrics": {}, "results": {}}


def test_create_run_with_api_key_records_its_owner(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    key = create_api_key(api, owner)

    response = api.post(
        f"/v1/projects/{project[1]}/runs", json={"name": "k"}, headers={"x-api-key": key["key"]}
    )

    assert response.status_code == 201
    assert response.json()["created_by"] == owner.id


# ---------------------------------------------------------------- listing


def test_list_project_runs_returns_newest_first(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    first = _create(api, owner, project[1], name="first")
    second = _create(api, owner, project[1], name="second")

    response = api.get(f"/v1/projects/{project[1]}/runs", headers=owner.bearer)

    assert _ids(response) == [second["id"], first["id"]]
    assert response.json()["next_cursor"] is None
    assert response.json()["items"][0]["summary"] == {"metrics": {}, "results": {}}


def test_list_runs_everywhere_shows_only_visible_workspaces(
    api: Any, owner: SignedUpUser, project: tuple[str, str], clean_database: str
) -> None:
    stranger = sign_up(api, name="Stranger")
    _, other_project = make_project(clean_database, owner.id, "viewer")
    _, strangers_project = make_project(clean_database, stranger.id)
    mine = _create(api, owner, project[1])
    stranger_run = _create(api, stranger, strangers_project)
    add_member(clean_database, make_project(clean_database, stranger.id)[0], owner.id, "viewer")
    with psycopg.connect(clean_database) as connection:
        connection.execute(
            "INSERT INTO runs (id, project_id, workspace_id, name, created_by)"
            " SELECT gen_random_uuid(), id, workspace_id, 'visible', NULL FROM projects"
            " WHERE id = %s RETURNING id",
            (other_project,),
        )

    response = api.get("/v1/runs", headers=owner.bearer)

    items = response.json()["items"]
    assert response.status_code == 200
    assert {run["name"] for run in items} == {mine["name"], "visible"}
    assert stranger_run["id"] not in {run["id"] for run in items}


def test_list_runs_narrowed_to_workspace_or_project(
    api: Any, owner: SignedUpUser, project: tuple[str, str], clean_database: str
) -> None:
    workspace_id, project_id = project
    sibling_project = add_project(clean_database, workspace_id)
    other_workspace, other_project = make_project(clean_database, owner.id)
    in_project = _create(api, owner, project_id)
    in_sibling = _create(api, owner, sibling_project)
    elsewhere = _create(api, owner, other_project)

    by_workspace = api.get("/v1/runs", params={"workspace_id": workspace_id}, headers=owner.bearer)
    by_project = api.get("/v1/runs", params={"project_id": project_id}, headers=owner.bearer)
    other = api.get("/v1/runs", params={"workspace_id": other_workspace}, headers=owner.bearer)
    mismatched = api.get(
        "/v1/runs",
        params={"workspace_id": other_workspace, "project_id": project_id},
        headers=owner.bearer,
    )

    assert set(_ids(by_workspace)) == {in_project["id"], in_sibling["id"]}
    assert _ids(by_project) == [in_project["id"]]
    assert _ids(other) == [elsewhere["id"]]
    assert _ids(mismatched) == []


def test_list_runs_filters_by_status_repeated_or_comma_separated(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    running = _create(api, owner, project[1])
    pending = _create(api, owner, project[1], status="pending")
    finished = _create(api, owner, project[1])
    api.patch(f"/v1/runs/{finished['id']}", json={"status": "finished"}, headers=owner.bearer)
    url = f"/v1/projects/{project[1]}/runs"

    repeated = api.get(
        url, params=[("status", "running"), ("status", "finished")], headers=owner.bearer
    )
    comma = api.get(url, params={"status": "pending,finished"}, headers=owner.bearer)
    single = api.get(url, params={"status": "running"}, headers=owner.bearer)

    assert set(_ids(repeated)) == {running["id"], finished["id"]}
    assert set(_ids(comma)) == {pending["id"], finished["id"]}
    assert _ids(single) == [running["id"]]


def test_list_runs_tag_filter_needs_every_tag(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    both = _create(api, owner, project[1], tags=["cnn", "sweep", "gpu"])
    one = _create(api, owner, project[1], tags=["cnn"])
    _create(api, owner, project[1], tags=[])

    cnn = api.get("/v1/runs", params={"tag": "cnn"}, headers=owner.bearer)
    cnn_and_sweep = api.get(
        "/v1/runs", params=[("tag", "cnn"), ("tag", "sweep")], headers=owner.bearer
    )

    assert set(_ids(cnn)) == {both["id"], one["id"]}
    assert _ids(cnn_and_sweep) == [both["id"]]


def test_list_runs_name_contains_ignores_case(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    match = _create(api, owner, project[1], name="ResNet-50 baseline")
    _create(api, owner, project[1], name="vit-small")
    _create(api, owner, project[1], name="100%_done")

    found = api.get("/v1/runs", params={"name_contains": "resnet"}, headers=owner.bearer)
    wildcard = api.get("/v1/runs", params={"name_contains": "%"}, headers=owner.bearer)

    assert _ids(found) == [match["id"]]
    assert len(_ids(wildcard)) == 1


@pytest.mark.parametrize("moment", ["-1728121011", "1733500000", "yesterday"])
def test_list_runs_created_after_of_other_than_rfc_3339_gets_422(
    api: Any, owner: SignedUpUser, moment: str
) -> None:
    """A bare number is not read as seconds since the epoch: the document says date-time."""
    answer = api.get("/v1/runs", params={"created_after": moment}, headers=owner.bearer)

    assert answer.status_code == 422, answer.text
    assert "RFC 3339" in answer.json()["message"]


def test_list_runs_created_after_and_before_bound_the_creation_time(
    api: Any, owner: SignedUpUser, project: tuple[str, str], clean_database: str
) -> None:
    now = datetime.now(UTC)
    old = _create(api, owner, project[1], name="old")
    middle = _create(api, owner, project[1], name="middle")
    new = _create(api, owner, project[1], name="new")
    set_run_times(clean_database, old["id"], created_at=now - timedelta(days=10))
    set_run_times(clean_database, middle["id"], created_at=now - timedelta(days=5))

    after = api.get(
        "/v1/runs",
        params={"created_after": (now - timedelta(days=7)).isoformat()},
        headers=owner.bearer,
    )
    before = api.get(
        "/v1/runs",
        params={"created_before": (now - timedelta(days=7)).strftime("%Y-%m-%dT%H:%M:%SZ")},
        headers=owner.bearer,
    )
    between = api.get(
        "/v1/runs",
        params={
            "created_after": (now - timedelta(days=7)).isoformat(),
            "created_before": (now - timedelta(days=1)).isoformat(),
        },
        headers=owner.bearer,
    )

    assert _ids(after) == [new["id"], middle["id"]]
    assert _ids(before) == [old["id"]]
    assert _ids(between) == [middle["id"]]


def _runs_for_sorting(
    api: Any, owner: SignedUpUser, project_id: str, database_url: str
) -> list[dict[str, Any]]:
    """Seven runs with repeated names, statuses and creation times (ties need the id)."""
    base = datetime(2026, 1, 1, tzinfo=UTC)
    specs = [
        ("delta", "running", 3),
        ("alpha", "finished", 1),
        ("charlie", "failed", 3),
        ("alpha", "running", 2),
        ("bravo", "finished", 3),
        ("echo", "pending", 0),
        ("bravo", "canceled", 5),
    ]
    runs = []
    for name, status, day in specs:
        run = _create(api, owner, project_id, name=name)
        if status != "running":
            api.patch(f"/v1/runs/{run['id']}", json={"status": status}, headers=owner.bearer)
        set_run_times(database_url, run["id"], created_at=base + timedelta(days=day))
        runs.append(api.get(f"/v1/runs/{run['id']}", headers=owner.bearer).json())
    return runs


def _expected_order(runs: list[dict[str, Any]], sort: str) -> list[str]:
    field = sort.lstrip("-")

    def key(run: dict[str, Any]) -> tuple[Any, str]:
        value = _moment(run[field]) if field.endswith("_at") else run[field]
        return value, run["id"]

    ordered = sorted(runs, key=key, reverse=sort.startswith("-"))
    return [run["id"] for run in ordered]


SORTS = [
    "created_at",
    "-created_at",
    "name",
    "-name",
    "updated_at",
    "-updated_at",
    "status",
    "-status",
]


@pytest.mark.parametrize("sort", SORTS)
def test_list_runs_sorted_by_each_sort_key_then_id(
    sort: str, api: Any, owner: SignedUpUser, project: tuple[str, str], clean_database: str
) -> None:
    runs = _runs_for_sorting(api, owner, project[1], clean_database)

    response = api.get(
        f"/v1/projects/{project[1]}/runs", params={"sort": sort}, headers=owner.bearer
    )

    assert _ids(response) == _expected_order(runs, sort)


@pytest.mark.parametrize("sort", SORTS)
def test_list_runs_cursor_pages_cover_every_run_once(
    sort: str, api: Any, owner: SignedUpUser, project: tuple[str, str], clean_database: str
) -> None:
    runs = _runs_for_sorting(api, owner, project[1], clean_database)
    seen: list[str] = []
    cursor: str | None = None
    pages = 0

    while True:
        params: dict[str, Any] = {"sort": sort, "limit": 2}
        if cursor is not None:
            params["cursor"] = cursor
        response = api.get("/v1/runs", params=params, headers=owner.bearer)
        seen.extend(_ids(response))
        cursor = response.json()["next_cursor"]
        pages += 1
        if cursor is None:
            break

    assert pages == 4
    assert seen == _expected_order(runs, sort)


def test_list_runs_cursor_stable_when_runs_are_added_between_pages(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    existing = [_create(api, owner, project[1], name=f"run-{index}")["id"] for index in range(5)]
    first = api.get("/v1/runs", params={"limit": 2}, headers=owner.bearer)
    _create(api, owner, project[1], name="newcomer")
    _create(api, owner, project[1], name="newcomer-2")
    seen = _ids(first)
    cursor = first.json()["next_cursor"]

    while cursor is not None:
        page = api.get("/v1/runs", params={"limit": 2, "cursor": cursor}, headers=owner.bearer)
        seen.extend(_ids(page))
        cursor = page.json()["next_cursor"]

    assert seen == list(reversed(existing))


def test_list_runs_limit_bounds_the_page(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    for _ in range(3):
        _create(api, owner, project[1])

    response = api.get("/v1/runs", params={"limit": 1}, headers=owner.bearer)

    assert len(_ids(response)) == 1
    assert response.json()["next_cursor"] is not None


# ---------------------------------------------------------------- batch get


def test_batch_get_returns_visible_runs_in_request_order(
    api: Any, owner: SignedUpUser, project: tuple[str, str], clean_database: str
) -> None:
    stranger = sign_up(api, name="Stranger")
    _, strangers_project = make_project(clean_database, stranger.id)
    first = _create(api, owner, project[1])
    second = _create(api, owner, project[1])
    hidden = _create(api, stranger, strangers_project)
    missing = str(uuid.uuid4())

    response = api.post(
        "/v1/runs/batch-get",
        json={"ids": [second["id"], hidden["id"], missing, first["id"], second["id"]]},
        headers=owner.bearer,
    )

    assert _ids(response) == [second["id"], first["id"]]
    assert response.json()["items"][0]["summary"] == {"metrics": {}, "results": {}}


# ---------------------------------------------------------------- changes


def test_update_run_changes_only_given_fields(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1], name="before", description="d", tags=["a"], notes="n")

    response = api.patch(
        f"/v1/runs/{run['id']}",
        json={"name": "after", "config": {"lr": 0.1}, "tags": ["b", "c"]},
        headers=owner.bearer,
    )

    assert response.status_code == 200, response.text
    updated = response.json()
    assert updated["name"] == "after"
    assert updated["config"] == {"lr": 0.1}
    assert updated["tags"] == ["b", "c"]
    assert updated["description"] == "d"
    assert updated["notes"] == "n"
    assert updated["status"] == "running"
    assert _moment(updated["updated_at"]) > _moment(run["updated_at"])
    assert api.get(f"/v1/runs/{run['id']}", headers=owner.bearer).json()["name"] == "after"


@pytest.mark.parametrize("final", ["finished", "failed", "crashed", "canceled"])
def test_update_run_to_ending_status_sets_ended_at(
    final: str, api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1])

    ended = api.patch(f"/v1/runs/{run['id']}", json={"status": final}, headers=owner.bearer)

    assert ended.status_code == 200
    assert ended.json()["status"] == final
    assert ended.json()["ended_at"] is not None
    assert _moment(ended.json()["ended_at"]) >= _moment(run["started_at"])
    assert ended.json()["started_at"] == run["started_at"]


def test_update_run_ending_twice_keeps_first_ended_at(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1])
    first = api.patch(f"/v1/runs/{run['id']}", json={"status": "finished"}, headers=owner.bearer)

    second = api.patch(f"/v1/runs/{run['id']}", json={"status": "failed"}, headers=owner.bearer)

    assert second.json()["status"] == "failed"
    assert second.json()["ended_at"] == first.json()["ended_at"]


def test_update_run_pending_to_running_sets_started_at(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1], status="pending")

    started = api.patch(f"/v1/runs/{run['id']}", json={"status": "running"}, headers=owner.bearer)

    assert started.json()["status"] == "running"
    assert started.json()["started_at"] is not None
    assert started.json()["ended_at"] is None


def test_update_run_resumed_keeps_started_at_and_clears_ended_at(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1])
    api.patch(f"/v1/runs/{run['id']}", json={"status": "finished"}, headers=owner.bearer)

    resumed = api.patch(f"/v1/runs/{run['id']}", json={"status": "running"}, headers=owner.bearer)

    assert resumed.json()["status"] == "running"
    assert resumed.json()["started_at"] == run["started_at"]
    assert resumed.json()["ended_at"] is None


def test_delete_run_returns_204_and_run_is_gone(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1])

    deleted = api.delete(f"/v1/runs/{run['id']}", headers=owner.bearer)

    assert deleted.status_code == 204
    assert api.get(f"/v1/runs/{run['id']}", headers=owner.bearer).status_code == 404
    assert _ids(api.get("/v1/runs", headers=owner.bearer)) == []


# ---------------------------------------------------------------- heartbeats


def test_heartbeat_records_sign_of_life(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1])

    response = api.post(f"/v1/runs/{run['id']}/heartbeat", headers=owner.bearer)

    assert response.status_code == 200
    beat = response.json()
    assert set(beat) == {"id", "status", "heartbeat_at"}
    assert beat["id"] == run["id"]
    assert beat["status"] == "running"
    assert _moment(beat["heartbeat_at"]) >= _moment(run["created_at"])
    assert (
        api.get(f"/v1/runs/{run['id']}", headers=owner.bearer).json()["heartbeat_at"]
        == (beat["heartbeat_at"])
    )


def test_heartbeat_on_crashed_run_brings_it_back_to_running(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1])
    api.patch(f"/v1/runs/{run['id']}", json={"status": "crashed"}, headers=owner.bearer)

    response = api.post(f"/v1/runs/{run['id']}/heartbeat", headers=owner.bearer)

    assert response.status_code == 200
    assert response.json()["status"] == "running"
    after = api.get(f"/v1/runs/{run['id']}", headers=owner.bearer).json()
    assert after["status"] == "running"
    assert after["ended_at"] is None
    assert after["started_at"] == run["started_at"]


@pytest.mark.parametrize("final", ["finished", "failed", "canceled"])
def test_heartbeat_on_ended_run_is_409(
    final: str, api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1])
    api.patch(f"/v1/runs/{run['id']}", json={"status": final}, headers=owner.bearer)

    response = api.post(f"/v1/runs/{run['id']}/heartbeat", headers=owner.bearer)

    assert response.status_code == 409
    assert response.json()["code"] == "run_ended"
    assert api.get(f"/v1/runs/{run['id']}", headers=owner.bearer).json()["status"] == final


# ---------------------------------------------------------------- access


def test_viewer_may_read_but_not_write_runs(
    api: Any, owner: SignedUpUser, project: tuple[str, str], clean_database: str
) -> None:
    viewer = sign_up(api, name="Viewer")
    add_member(clean_database, project[0], viewer.id, "viewer")
    run = _create(api, owner, project[1])
    run_url = f"/v1/runs/{run['id']}"

    reads = [
        api.get(run_url, headers=viewer.bearer),
        api.get(f"/v1/projects/{project[1]}/runs", headers=viewer.bearer),
        api.post("/v1/runs/batch-get", json={"ids": [run["id"]]}, headers=viewer.bearer),
    ]
    writes = [
        api.post(f"/v1/projects/{project[1]}/runs", json={}, headers=viewer.bearer),
        api.patch(run_url, json={"name": "mine"}, headers=viewer.bearer),
        api.delete(run_url, headers=viewer.bearer),
        api.post(f"{run_url}/heartbeat", headers=viewer.bearer),
    ]

    assert [response.status_code for response in reads] == [200, 200, 200]
    assert len(reads[2].json()["items"]) == 1
    assert [response.status_code for response in writes] == [403, 403, 403, 403]
    assert {response.json()["code"] for response in writes} == {"insufficient_role"}
    assert api.get(run_url, headers=owner.bearer).json()["name"] == run["name"]


def test_member_may_write_runs(
    api: Any, owner: SignedUpUser, project: tuple[str, str], clean_database: str
) -> None:
    member = sign_up(api, name="Member")
    add_member(clean_database, project[0], member.id, "member")

    run = _create(api, member, project[1])
    patched = api.patch(f"/v1/runs/{run['id']}", json={"notes": "x"}, headers=member.bearer)
    deleted = api.delete(f"/v1/runs/{run['id']}", headers=member.bearer)

    assert patched.status_code == 200
    assert deleted.status_code == 204


@pytest.mark.parametrize("existing", [True, False], ids=["existing", "random"])
def test_non_member_gets_404_on_every_id_route(
    existing: bool, api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    outsider = sign_up(api, name="Outsider")
    run_id = _create(api, owner, project[1])["id"] if existing else str(uuid.uuid4())
    project_id = project[1] if existing else str(uuid.uuid4())
    workspace_id = project[0] if existing else str(uuid.uuid4())
    headers = outsider.bearer

    responses = {
        "get": api.get(f"/v1/runs/{run_id}", headers=headers),
        "patch": api.patch(f"/v1/runs/{run_id}", json={"name": "x"}, headers=headers),
        "delete": api.delete(f"/v1/runs/{run_id}", headers=headers),
        "heartbeat": api.post(f"/v1/runs/{run_id}/heartbeat", headers=headers),
        "create": api.post(f"/v1/projects/{project_id}/runs", json={}, headers=headers),
        "list project": api.get(f"/v1/projects/{project_id}/runs", headers=headers),
        "list by project": api.get("/v1/runs", params={"project_id": project_id}, headers=headers),
        "list by workspace": api.get(
            "/v1/runs", params={"workspace_id": workspace_id}, headers=headers
        ),
    }

    assert {name: response.status_code for name, response in responses.items()} == dict.fromkeys(
        responses, 404
    )
    assert all(response.json()["code"].endswith("_not_found") for response in responses.values())
    if existing:
        assert api.get(f"/v1/runs/{run_id}", headers=owner.bearer).json()["name"] != "x"


def test_runs_need_credentials(api: Any) -> None:
    response = api.get("/v1/runs")

    assert response.status_code == 401
    assert response.json()["code"] == "missing_credentials"


# ---------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("body", "location"),
    [
        ({"colour": "red"}, "body.colour"),
        ({"status": "finished"}, "body.status"),
        ({"status": "sleeping"}, "body.status"),
        ({"name": ""}, "body.name"),
        ({"name": "x" * 201}, "body.name"),
        ({"description": "x" * 5001}, "body.description"),
        ({"notes": "x" * 20001}, "body.notes"),
        ({"tags": [f"t{index}" for index in range(51)]}, "body.tags"),
        ({"tags": ["x" * 65]}, "body.tags.0"),
        ({"tags": [""]}, "body.tags.0"),
        ({"config": [1, 2]}, "body.config"),
        ({"config": {"blob": "x" * 70_000}}, "body.config"),
        ({"config": {"lr": "NaN", "bad": float("inf")}}, "body.config"),
        ({"name": "nul\u0000"}, "body.name"),
    ],
)
def test_create_run_with_bad_body_is_422_naming_the_field(
    body: dict[str, Any],
    location: str,
    api: Any,
    owner: SignedUpUser,
    project: tuple[str, str],
) -> None:
    import json

    response = api.post(
        f"/v1/projects/{project[1]}/runs",
        content=json.dumps(body),
        headers={**owner.bearer, "content-type": "application/json"},
    )

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"
    assert location in {detail["location"] for detail in response.json()["details"]}
    assert _ids(api.get("/v1/runs", headers=owner.bearer)) == []


@pytest.mark.parametrize(
    "body",
    [
        {"status": "paused"},
        {"unknown": 1},
        {"tags": ["x"] * 10 + [f"t{index}" for index in range(51)]},
        {"config": "lr=1"},
    ],
)
def test_update_run_with_bad_body_is_422(
    body: dict[str, Any], api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    run = _create(api, owner, project[1])

    response = api.patch(f"/v1/runs/{run['id']}", json=body, headers=owner.bearer)

    assert response.status_code == 422, response.text
    assert response.json()["code"] == "validation_error"


def test_create_run_with_deeply_nested_config_is_refused(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    nested: Any = 1
    for depth in range(600):
        nested = {"a": nested} if depth % 2 else [nested]

    response = api.post(
        f"/v1/projects/{project[1]}/runs", json={"config": nested}, headers=owner.bearer
    )

    assert response.status_code == 422
    assert "nest" in response.json()["message"]


@pytest.mark.parametrize(
    "path",
    ["/v1/runs/not-a-uuid", "/v1/runs/not-a-uuid/heartbeat", "/v1/projects/nope/runs"],
)
def test_malformed_uuid_in_path_is_422(path: str, api: Any, owner: SignedUpUser) -> None:
    method = api.post if path.endswith(("heartbeat", "runs")) else api.get
    kwargs: dict[str, Any] = {"json": {}} if method == api.post else {}

    response = method(path, headers=owner.bearer, **kwargs)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"sort": "colour"}, 400, "unknown_field"),
        ({"sort": "name;drop"}, 400, "invalid_sort"),
        ({"filter": "lr >"}, 400, "invalid_filter"),
        ({"status": "running,sleeping"}, 422, "validation_error"),
        ({"limit": 0}, 422, "validation_error"),
        ({"limit": 501}, 422, "validation_error"),
        ({"created_after": "yesterday"}, 422, "validation_error"),
        ({"created_after": "2026-01-01T00:00:00"}, 422, "validation_error"),
        ({"workspace_id": "nope"}, 422, "validation_error"),
        ({"cursor": "not a cursor!"}, 400, "invalid_cursor"),
        ({"cursor": "eyJhIjoxfQ"}, 400, "invalid_cursor"),
        ({"tag": "x" * 65}, 422, "validation_error"),
    ],
)
def test_list_runs_with_bad_query_is_4xx_json(
    params: dict[str, Any], status: int, code: str, api: Any, owner: SignedUpUser
) -> None:
    response = api.get("/v1/runs", params=params, headers=owner.bearer)

    assert response.status_code == status, response.text
    assert response.json()["code"] == code


def test_list_runs_cursor_of_another_sort_is_400(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    for _ in range(2):
        _create(api, owner, project[1])
    cursor = api.get("/v1/runs", params={"limit": 1}, headers=owner.bearer).json()["next_cursor"]

    response = api.get("/v1/runs", params={"cursor": cursor, "sort": "name"}, headers=owner.bearer)

    assert response.status_code == 400
    assert response.json()["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "body",
    [
        {"ids": []},
        {"ids": [str(uuid.uuid4()) for _ in range(101)]},
        {"ids": ["not-a-uuid"]},
        {"ids": [], "extra": True},
        {},
    ],
)
def test_batch_get_with_bad_body_is_422(
    body: dict[str, Any], api: Any, owner: SignedUpUser
) -> None:
    response = api.post("/v1/runs/batch-get", json=body, headers=owner.bearer)

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_create_run_with_a_client_id_is_safe_to_retry(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    project_id = project[1]
    run_id = str(uuid.uuid4())
    body = {"id": run_id, "name": "retried", "config": {"lr": 0.1}}
    first = api.post(f"/v1/projects/{project_id}/runs", json=body, headers=owner.bearer)
    assert first.status_code == 201, first.text
    assert first.json()["id"] == run_id
    # A retry (even with other fields) answers the run created the first time, unchanged.
    again = api.post(
        f"/v1/projects/{project_id}/runs",
        json={**body, "name": "renamed", "config": {"lr": 0.2}},
        headers=owner.bearer,
    )
    assert again.status_code == 200, again.text
    assert again.json()["name"] == "retried"
    assert again.json()["config"] == {"lr": 0.1}
    listed = api.get(f"/v1/projects/{project_id}/runs", headers=owner.bearer).json()["items"]
    assert [run["id"] for run in listed] == [run_id]


def test_create_run_with_an_id_used_in_another_project_is_a_conflict(
    api: Any, owner: SignedUpUser, project: tuple[str, str], clean_database: str
) -> None:
    workspace_id, project_id = project
    other = add_project(clean_database, workspace_id, name="other")
    run_id = str(uuid.uuid4())
    created = api.post(f"/v1/projects/{project_id}/runs", json={"id": run_id}, headers=owner.bearer)
    assert created.status_code == 201
    clash = api.post(f"/v1/projects/{other}/runs", json={"id": run_id}, headers=owner.bearer)
    assert clash.status_code == 409
    assert clash.json()["code"] == "run_id_conflict"
    stranger = sign_up(api)
    _, stranger_project = make_project(clean_database, stranger.id)
    hidden = api.post(
        f"/v1/projects/{stranger_project}/runs", json={"id": run_id}, headers=stranger.bearer
    )
    assert hidden.status_code == 409
    assert api.get(f"/v1/runs/{run_id}", headers=stranger.bearer).status_code == 404


def test_create_run_name_and_tags_of_characters_the_document_does_not_strip_are_kept(
    api: Any, owner: SignedUpUser, project: tuple[str, str]
) -> None:
    response = api.post(
        f"/v1/projects/{project[1]}/runs",
        json={"name": " \x1frun\x1c ", "tags": ["\x1d", " a "]},
        headers=owner.bearer,
    )

    assert response.status_code == 201, response.text
    assert response.json()["name"] == "\x1frun\x1c"
    assert response.json()["tags"] == ["\x1d", "a"]
