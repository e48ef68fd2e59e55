"""Who may read and write a run's metrics, and what deleting a run leaves behind."""

from __future__ import annotations

import math
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.support.accounts import SignedUpUser, sign_up
from tests.support.ingest import (
    SeededRun,
    add_member,
    drain_ingest_queue,
    ingest_source,
    load_points,
    purge_queue,
    queued_message_count,
    seed_run,
)
from wavedb_local.stack import LocalStack

BATCH = {"batch_id": "b1", "points": [{"name": "loss", "value": 1.0, "step": 0}]}


def _routes(run_id: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(method, url, request options) of every metrics route, about one run."""
    return [
        ("POST", f"/v1/runs/{run_id}/metrics", {"json": BATCH}),
        ("GET", f"/v1/runs/{run_id}/metrics", {}),
        ("GET", f"/v1/runs/{run_id}/metrics/batches/b1", {}),
        ("GET", f"/v1/runs/{run_id}/series", {"params": {"name": "loss"}}),
        ("GET", f"/v1/runs/{run_id}/series", {"params": {"name": "loss", "points": 10}}),
        ("GET", "/v1/series", {"params": {"run_ids": run_id, "name": "loss"}}),
        ("GET", f"/v1/runs/{run_id}/metrics.csv", {}),
        ("POST", f"/v1/runs/{run_id}/results", {"json": {"results": {"acc": 1}}}),
        ("GET", f"/v1/runs/{run_id}/results", {}),
    ]


@pytest.fixture
def owner(user: SignedUpUser) -> SignedUpUser:
    """The user whose `run` it is (the shared `user` fixture, named for its part here)."""
    return user


@pytest.fixture
def written_run(
    api: TestClient, local_stack: LocalStack, owner: SignedUpUser, run: SeededRun
) -> SeededRun:
    purge_queue(local_stack, ingest_source(local_stack)[0])
    assert (
        api.post(f"/v1/runs/{run.id}/metrics", json=BATCH, headers=owner.bearer).status_code == 202
    )
    drain_ingest_queue(local_stack)
    return run


def test_every_metrics_route_answers_404_for_another_users_run(
    api: TestClient, local_stack: LocalStack, written_run: SeededRun
) -> None:
    stranger = sign_up(api)

    for method, url, options in _routes(written_run.id):
        answer = api.request(method, url, headers=stranger.bearer, **options)
        assert answer.status_code == 404, (method, url, answer.text)
        assert answer.json()["code"] == "run_not_found"
    assert queued_message_count(local_stack) == 0


def test_every_metrics_route_answers_404_for_a_run_that_does_not_exist(
    api: TestClient, owner: SignedUpUser
) -> None:
    for method, url, options in _routes("7d2c9e4a-1b3f-4e5d-8c6a-9f0e1d2c3b4a"):
        answer = api.request(method, url, headers=owner.bearer, **options)
        assert answer.status_code == 404, (method, url, answer.text)


@pytest.mark.parametrize("run_id", ["not-a-uuid", "1234"])
def test_metrics_routes_with_a_malformed_run_id_answer_422(
    api: TestClient, owner: SignedUpUser, run_id: str
) -> None:
    for method, url, options in _routes(run_id):
        answer = api.request(method, url, headers=owner.bearer, **options)
        assert answer.status_code in (404, 422), (method, url, answer.text)
        assert "code" in answer.json()


def test_viewer_reads_every_metrics_route_but_may_not_write(
    api: TestClient, local_stack: LocalStack, written_run: SeededRun, clean_database: str
) -> None:
    viewer = sign_up(api)
    add_member(clean_database, written_run.workspace_id, viewer.id, "viewer")

    for method, url, options in _routes(written_run.id):
        answer = api.request(method, url, headers=viewer.bearer, **options)
        if method == "GET":
            assert answer.status_code == 200, (url, answer.text)
        else:
            assert answer.status_code == 403, (url, answer.text)
            assert answer.json()["code"] == "insufficient_role"
    assert queued_message_count(local_stack) == 0


def test_member_may_write_metrics(
    api: TestClient, local_stack: LocalStack, run: SeededRun, clean_database: str
) -> None:
    member = sign_up(api)
    add_member(clean_database, run.workspace_id, member.id, "member")
    purge_queue(local_stack, ingest_source(local_stack)[0])

    answer = api.post(f"/v1/runs/{run.id}/metrics", json=BATCH, headers=member.bearer)
    drain_ingest_queue(local_stack)

    assert answer.status_code == 202
    assert (
        api.get(f"/v1/runs/{run.id}/metrics", headers=member.bearer).json()["items"][0]["count"]
        == 1
    )


def _leftovers(database_url: str) -> tuple[int, int, int, int]:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT (SELECT count(*) FROM metric_points), (SELECT count(*) FROM metric_rollups),"
            " (SELECT count(*) FROM run_metrics), (SELECT count(*) FROM run_results)"
        ).fetchone()
    assert row is not None
    return row


@pytest.mark.parametrize(
    "delete", ["DELETE FROM runs", "DELETE FROM projects", "DELETE FROM workspaces"]
)
def test_deleting_a_run_or_its_parents_leaves_no_metric_data(
    api: TestClient, owner: SignedUpUser, clean_database: str, delete: str
) -> None:
    doomed = seed_run(clean_database, owner.id)
    kept = seed_run(clean_database, owner.id)
    for target in (doomed, kept):
        load_points(clean_database, target.id, "loss", [(s, math.sin(s)) for s in range(1_000)])
        api.post(f"/v1/runs/{target.id}/results", json={"results": {"a": 1}}, headers=owner.bearer)
    column = {"runs": doomed.id, "projects": doomed.project_id, "workspaces": doomed.workspace_id}
    table = delete.split()[-1]

    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute(f"{delete} WHERE id = %s", (column[table],))

    points, rollups, metrics, results = _leftovers(clean_database)
    assert (points, metrics, results) == (1_000, 1, 1)
    assert rollups > 0
    with psycopg.connect(clean_database) as connection:
        orphans = connection.execute(
            "SELECT count(*) FROM metric_points p WHERE NOT EXISTS"
            " (SELECT 1 FROM run_metrics m WHERE m.id = p.metric_id)"
        ).fetchone()
    assert orphans == (0,)


def test_read_only_api_key_may_read_metrics_but_not_send_them(
    api: TestClient, owner: SignedUpUser, run: SeededRun
) -> None:
    from tests.support.accounts import create_api_key

    key = create_api_key(api, owner, scopes=["read"])["key"]

    sent = api.post(f"/v1/runs/{run.id}/metrics", json=BATCH, headers={"x-api-key": key})
    read = api.get(f"/v1/runs/{run.id}/metrics", headers={"x-api-key": key})

    assert sent.status_code == 403
    assert read.status_code == 200
