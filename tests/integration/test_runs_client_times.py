"""Runs keep the times of their training: a run created late (offline, or after an outage)
gives its own start and end, which the API takes within sane bounds; and it carries where it
came from (provenance)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.support.accounts import SignedUpUser
from tests.support.projects import make_project


def _moment(value: str) -> datetime:
    return datetime.fromisoformat(value)


@pytest.fixture
def project_id(owner: SignedUpUser, clean_database: str) -> str:
    return make_project(clean_database, owner.id)[1]


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


def _create(api: Any, owner: SignedUpUser, project_id: str, **fields: Any) -> Any:
    return api.post(f"/v1/projects/{project_id}/runs", json=fields, headers=owner.bearer)


def test_create_run_with_client_start_keeps_it_as_created_and_started(
    api: Any, owner: SignedUpUser, project_id: str
) -> None:
    started = datetime.now(UTC) - timedelta(hours=3)

    response = _create(api, owner, project_id, started_at=started.isoformat())

    assert response.status_code == 201, response.text
    run = response.json()
    assert _moment(run["started_at"]) == started
    assert _moment(run["created_at"]) == started


def test_update_run_ending_with_client_end_keeps_the_training_duration(
    api: Any, owner: SignedUpUser, project_id: str
) -> None:
    started = datetime.now(UTC) - timedelta(hours=3)
    run = _create(api, owner, project_id, started_at=started.isoformat()).json()
    ended = started + timedelta(seconds=20)

    response = api.patch(
        f"/v1/runs/{run['id']}",
        json={"status": "finished", "ended_at": ended.isoformat()},
        headers=owner.bearer,
    )

    assert response.status_code == 200, response.text
    assert _moment(response.json()["ended_at"]) - _moment(response.json()["started_at"]) == (
        timedelta(seconds=20)
    )


def test_update_run_client_end_after_a_crash_replaces_the_crash_time(
    api: Any, owner: SignedUpUser, project_id: str
) -> None:
    started = datetime.now(UTC) - timedelta(hours=3)
    run = _create(api, owner, project_id, started_at=started.isoformat()).json()
    api.patch(f"/v1/runs/{run['id']}", json={"status": "crashed"}, headers=owner.bearer)
    ended = started + timedelta(minutes=5)

    response = api.patch(
        f"/v1/runs/{run['id']}",
        json={"status": "finished", "ended_at": ended.isoformat()},
        headers=owner.bearer,
    )

    assert response.json()["status"] == "finished"
    assert _moment(response.json()["ended_at"]) == ended


def test_create_run_with_client_start_in_the_future_starts_now(
    api: Any, owner: SignedUpUser, project_id: str
) -> None:
    before = datetime.now(UTC)

    response = _create(api, owner, project_id, started_at=(before + timedelta(days=2)).isoformat())

    assert response.status_code == 201, response.text
    started = _moment(response.json()["started_at"])
    assert before - timedelta(seconds=5) <= started <= datetime.now(UTC) + timedelta(seconds=5)


def test_create_run_with_client_start_from_a_clock_never_set_starts_now(
    api: Any, owner: SignedUpUser, project_id: str
) -> None:
    before = datetime.now(UTC)

    response = _create(api, owner, project_id, started_at="1970-01-01T00:00:05Z")

    assert response.status_code == 201, response.text
    started = _moment(response.json()["started_at"])
    assert before - timedelta(seconds=5) <= started <= datetime.now(UTC) + timedelta(seconds=5)


@pytest.mark.parametrize(
    ("started_at", "problem"),
    [("2026-01-01T00:00:00", "time zone"), ("yesterday", "RFC 3339")],
)
def test_create_run_with_unusable_client_start_returns_422(
    api: Any, owner: SignedUpUser, project_id: str, started_at: str, problem: str
) -> None:
    response = _create(api, owner, project_id, started_at=started_at)

    assert response.status_code == 422, response.text
    assert problem in response.text


def test_update_run_client_end_without_ending_status_is_ignored(
    api: Any, owner: SignedUpUser, project_id: str
) -> None:
    run = _create(api, owner, project_id).json()

    response = api.patch(
        f"/v1/runs/{run['id']}",
        json={"notes": "still going", "ended_at": datetime.now(UTC).isoformat()},
        headers=owner.bearer,
    )

    assert response.status_code == 200, response.text
    assert response.json()["ended_at"] is None
    assert response.json()["status"] == "running"


def test_update_run_client_end_before_the_start_ends_at_the_start(
    api: Any, owner: SignedUpUser, project_id: str
) -> None:
    started = datetime.now(UTC) - timedelta(hours=1)
    run = _create(api, owner, project_id, started_at=started.isoformat()).json()

    response = api.patch(
        f"/v1/runs/{run['id']}",
        json={"status": "failed", "ended_at": (started - timedelta(hours=1)).isoformat()},
        headers=owner.bearer,
    )

    assert _moment(response.json()["ended_at"]) == started


def test_run_provenance_given_at_creation_and_extended_later_is_read_back(
    api: Any, owner: SignedUpUser, project_id: str
) -> None:
    run = _create(
        api, owner, project_id, provenance={"host": "gpu-7", "python": {"version": "3.11.9"}}
    ).json()

    api.patch(
        f"/v1/runs/{run['id']}",
        json={"provenance": {"git": {"commit": "abc123", "dirty": True}}},
        headers=owner.bearer,
    )

    read = api.get(f"/v1/runs/{run['id']}", headers=owner.bearer).json()
    assert read["provenance"] == {
        "host": "gpu-7",
        "python": {"version": "3.11.9"},
        "git": {"commit": "abc123", "dirty": True},
    }


def test_run_without_provenance_reads_null(api: Any, owner: SignedUpUser, project_id: str) -> None:
    run = _create(api, owner, project_id).json()

    assert api.get(f"/v1/runs/{run['id']}", headers=owner.bearer).json()["provenance"] is None


@pytest.mark.parametrize(
    ("provenance", "problem"),
    [
        ({"diff": "x" * 70_000}, "exceeds"),
        (_nested(65), "levels deep"),
        ("not an object", "provenance"),
        ({"host": "a\u0000b"}, "provenance"),
    ],
)
def test_create_run_with_unusable_provenance_returns_422(
    api: Any, owner: SignedUpUser, project_id: str, provenance: Any, problem: str
) -> None:
    response = _create(api, owner, project_id, provenance=provenance)

    assert response.status_code == 422, response.text
    assert problem in response.text
