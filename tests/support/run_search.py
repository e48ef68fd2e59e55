"""Runs to search: four with different configs, metric summaries, results, tags, statuses
and times, created through the API (any client with `get` and `post`: the in-process test
client or an HTTP client of the served stack) and completed in the database."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.support.accounts import SignedUpUser
from tests.support.projects import add_metric_summary, add_result, set_run_ended, set_run_times

BASE_TIME = datetime(2027, 1, 1, tzinfo=UTC)


def create_run(client: Any, user: SignedUpUser, project_id: str, **fields: Any) -> str:
    response = client.post(f"/v1/projects/{project_id}/runs", json=fields, headers=user.bearer)
    assert response.status_code == 201, response.text
    run_id: str = response.json()["id"]
    return run_id


def search(client: Any, user: SignedUpUser, project_id: str, **params: Any) -> Any:
    return client.get(f"/v1/projects/{project_id}/runs", params=params, headers=user.bearer)


def run_names(response: Any) -> list[str]:
    """The names of the runs a successful listing answered, in its order."""
    assert response.status_code == 200, response.text
    return [run["name"] for run in response.json()["items"]]


def seed_searchable_runs(
    client: Any, user: SignedUpUser, project_id: str, database_url: str
) -> dict[str, str]:
    """The ids of `baseline`, `wide-net`, `smoke-test` and `nan-run`, by name."""
    ids = {
        "baseline": create_run(
            client,
            user,
            project_id,
            name="baseline",
            config={"lr": 0.001, "optimizer": {"name": "adam", "lr": 0.001}, "batch": 32},
            tags=["keep"],
        ),
        "wide-net": create_run(
            client,
            user,
            project_id,
            name="wide-net",
            config={"lr": 0.01, "optimizer": {"name": "sgd", "lr": 0.01}, "batch": 64},
            tags=["keep", "wide"],
        ),
        "smoke-test": create_run(
            client,
            user,
            project_id,
            name="smoke-test",
            config={"lr": 0.1, "optimizer": {"name": "adam"}},
        ),
        "nan-run": create_run(client, user, project_id, name="nan-run", config={"lr": "auto"}),
    }
    for offset, run_id in enumerate(ids.values()):
        set_run_times(database_url, run_id, created_at=BASE_TIME + timedelta(hours=offset))
    add_metric_summary(
        database_url, ids["baseline"], "loss", last=0.4, minimum=0.3, maximum=2.0, count=10
    )
    add_metric_summary(
        database_url, ids["wide-net"], "loss", last=0.8, minimum=0.6, maximum=3.0, count=5
    )
    add_metric_summary(
        database_url, ids["nan-run"], "loss", last=math.nan, minimum=0.2, maximum=0.2, count=3
    )
    add_metric_summary(database_url, ids["baseline"], "val/acc", last=0.7)
    add_result(database_url, ids["baseline"], "acc", 0.91)
    add_result(database_url, ids["wide-net"], "acc", 0.85)
    set_run_ended(database_url, ids["baseline"], BASE_TIME + timedelta(days=1))
    set_run_ended(database_url, ids["smoke-test"], BASE_TIME + timedelta(days=2), "failed")
    return ids
