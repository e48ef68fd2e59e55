"""Export jobs through the local stack: the API creates the job, the export worker (fed from
the export queue, as the event source mapping would) writes the file into moto's S3, and the
job hands out a presigned GET."""

from __future__ import annotations

import csv
import io
import json
import math
import random
import struct
import uuid
from collections import defaultdict
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import psycopg
import pytest
from starlette.testclient import TestClient

from tests.conftest import reset_cached_settings
from tests.support.accounts import SignedUpUser, sign_up
from tests.support.exports import (
    download,
    drain_export_queue,
    export_objects,
    finished_export,
    incomplete_export_uploads,
    purge_export_queue,
)
from tests.support.ingest import LOGGED_US, SeededRun, load_points
from wavedb_core.models.metric_columns import StoredColumns
from wavedb_core.services import metric_reads
from wavedb_local.stack import LocalStack

LAMBDA_ANSWER_LIMIT = 6 * 1024 * 1024
SPECIAL_VALUES = [math.nan, math.inf, -math.inf, -0.0, 0.1 + 0.2, 1.7976931348623157e308, 5e-324]


@pytest.fixture(autouse=True)
def empty_export_queue(local_stack: LocalStack) -> Iterator[None]:
    """No job of another test is left for the export worker, before or after."""
    purge_export_queue(local_stack)
    yield
    purge_export_queue(local_stack)


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _logged_run(database_url: str, run: SeededRun, points_per_metric: int) -> dict[str, list[Any]]:
    """Three metrics of random full-precision values (and every special one)."""
    rng = random.Random(15)
    logged: dict[str, list[Any]] = {}
    for name in ("lr", "train/loss", "val/acc top-1"):
        values = [
            rng.uniform(-1, 1) * 10.0 ** rng.randint(-300, 300) for _ in range(points_per_metric)
        ]
        values[: len(SPECIAL_VALUES)] = SPECIAL_VALUES
        logged[name] = list(enumerate(values))
        load_points(database_url, run.id, name, logged[name])
    return logged


def test_export_of_a_run_above_the_response_limit_goes_through_s3_with_every_value_as_logged(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    local_stack: LocalStack,
) -> None:
    logged = _logged_run(clean_database, run, 25_000)

    direct = api.get(f"/v1/runs/{run.id}/metrics.csv", headers=user.bearer)
    job = finished_export(api, local_stack, user, f"/v1/runs/{run.id}/exports")

    assert direct.status_code == 413
    assert direct.json()["code"] == "export_required"
    assert direct.json()["details"]["export_route"] == f"/v1/runs/{run.id}/exports"
    assert job["status"] == "done", job
    assert export_objects(local_stack, user) == [
        f"exports/{user.id}/{job['id']}/run-{run.id}-metrics.csv"
    ]
    response = download(job["download_url"])
    assert len(response.content) == job["size_bytes"] > LAMBDA_ANSWER_LIMIT
    assert response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["run_id", "name", "step", "value", "timestamp"]
    assert job["row_count"] == len(rows) - 1 == 75_000
    exported: dict[str, list[tuple[int, bytes]]] = defaultdict(list)
    for run_id, name, step, value, _ in rows[1:]:
        assert run_id == run.id
        exported[name].append((int(step), _bits(float(value))))
    assert exported == {
        name: [(step, _bits(value)) for step, value in points] for name, points in logged.items()
    }


def test_export_of_a_run_wide_has_one_row_per_step_and_a_column_per_metric(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    local_stack: LocalStack,
) -> None:
    load_points(clean_database, run.id, "loss", [(0, 1.5), (1, math.nan), (5, 0.25)])
    load_points(clean_database, run.id, "acc", [(1, 0.5), (3_000_000_000, -math.inf)])

    job = finished_export(
        api, local_stack, user, f"/v1/runs/{run.id}/exports", {"kind": "run_metrics_wide"}
    )

    assert job["status"] == "done", job
    rows = list(csv.reader(io.StringIO(download(job["download_url"]).text)))
    assert rows == [
        ["step", "acc", "loss"],
        ["0", "", "1.5"],
        ["1", "0.5", "NaN"],
        ["5", "", "0.25"],
        ["3000000000", "-Infinity", ""],
    ]


def test_export_of_a_project_has_each_run_with_config_summaries_and_results(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    local_stack: LocalStack,
) -> None:
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute(
            "UPDATE runs SET config = %s::jsonb, tags = %s WHERE id = %s",
            ('{"lr": 0.001, "optimizer": {"name": "adam, fast"}}', ["base", "v2"], run.id),
        )
        connection.execute(
            "INSERT INTO run_results (run_id, name, value) VALUES (%s, 'f1', 0.875)", (run.id,)
        )
    load_points(clean_database, run.id, "loss", [(0, 2.0), (1, 0.5), (2, 1.0)])

    job = finished_export(api, local_stack, user, f"/v1/projects/{run.project_id}/exports")

    assert job["status"] == "done", job
    assert job["run_id"] is None
    rows = list(csv.DictReader(io.StringIO(download(job["download_url"]).text)))
    assert len(rows) == 1
    row = rows[0]
    assert (row["run_id"], row["name"], row["tags"]) == (run.id, "run", "base;v2")
    assert (row["config.lr"], row["config.optimizer.name"]) == ("0.001", "adam, fast")
    assert (row["summary.loss.last"], row["summary.loss.min"], row["summary.loss.max"]) == (
        "1.0",
        "0.5",
        "2.0",
    )
    assert row["result.f1"] == "0.875"


def test_export_that_fails_midway_says_why_and_leaves_no_readable_object(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    local_stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXPORT_PART_BYTES", str(5 * 1024 * 1024))
    reset_cached_settings()

    def breaks_after_a_part(*_: object, **__: object) -> Iterator[StoredColumns]:
        steps = list(range(100_000))
        for _block in range(2):  # about 15 MB of CSV: parts are uploaded before the failure
            yield StoredColumns("loss", steps, [0.123456789] * len(steps), [0] * len(steps))
        raise OSError("the database connection was lost")

    monkeypatch.setattr(metric_reads, "stream_stored_columns", breaks_after_a_part)
    try:
        created = api.post(f"/v1/runs/{run.id}/exports", headers=user.bearer)
        drain_export_queue(local_stack)
        job = api.get(f"/v1/exports/{created.json()['id']}", headers=user.bearer).json()
    finally:
        monkeypatch.undo()
        reset_cached_settings()

    assert job["status"] == "failed"
    assert job["error"] == "OSError: the database connection was lost"
    assert job["download_url"] is None
    assert export_objects(local_stack, user) == []
    assert incomplete_export_uploads(local_stack, user) == []


def test_export_of_another_users_job_or_run_is_404(
    api: TestClient, user: SignedUpUser, run: SeededRun, local_stack: LocalStack
) -> None:
    created = api.post(f"/v1/runs/{run.id}/exports", json={}, headers=user.bearer).json()
    stranger = sign_up(api)

    job = api.get(f"/v1/exports/{created['id']}", headers=stranger.bearer)
    run_export = api.post(f"/v1/runs/{run.id}/exports", json={}, headers=stranger.bearer)
    project_export = api.post(f"/v1/projects/{run.project_id}/exports", headers=stranger.bearer)
    unknown = api.get(f"/v1/exports/{uuid.uuid4()}", headers=user.bearer)

    assert [job.status_code, run_export.status_code, project_export.status_code] == [404] * 3
    assert job.json()["code"] == "export_not_found"
    assert unknown.status_code == 404


def test_export_of_a_small_run_still_answers_the_csv_directly(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    load_points(clean_database, run.id, "loss", [(step, 1 / (step + 1)) for step in range(5_000)])

    answer = api.get(f"/v1/runs/{run.id}/metrics.csv", headers=user.bearer)

    assert answer.status_code == 200
    assert len(answer.text.splitlines()) == 5_001


@pytest.mark.parametrize(
    "body",
    [{"kind": "project_runs"}, {"kind": "nope"}, {"format": "xlsx"}, {"kind": 1}, {"extra": 1}],
)
def test_export_with_a_bad_body_is_refused_with_a_4xx(
    api: TestClient, user: SignedUpUser, run: SeededRun, body: object
) -> None:
    answer = api.post(f"/v1/runs/{run.id}/exports", json=body, headers=user.bearer)

    assert answer.status_code == 422
    assert answer.json()["code"] == "validation_error"


def test_tora_csv_of_a_large_experiment_redirects_to_the_csv_the_worker_wrote(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    local_stack: LocalStack,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("EXPORT_WAIT_SECONDS", "0")
    reset_cached_settings()
    loss = [(step, 1 / (step + 1)) for step in range(30_000)]
    load_points(clean_database, run.id, "loss", loss)
    load_points(clean_database, run.id, "acc", [(step, math.nan) for step in range(12_000)])
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO run_results (run_id, name, value, logged_at)"
            " VALUES (%s, 'f1', 0.5, to_timestamp(%s / 1e6))",
            (run.id, LOGGED_US + 20_000),
        )
    path = f"/experiments/{run.id}/logs/csv"

    try:
        preparing = api.get(path, headers=user.bearer, follow_redirects=False)
        drain_export_queue(local_stack)
        ready = api.get(path, headers=user.bearer, follow_redirects=False)
    finally:
        monkeypatch.undo()
        reset_cached_settings()

    assert preparing.status_code == 503
    assert preparing.json()["error"] == "SERVICE_UNAVAILABLE"
    assert int(preparing.headers["retry-after"]) > 0
    assert ready.status_code == 303
    with psycopg.connect(clean_database) as connection:
        (jobs,) = connection.execute("SELECT count(*) FROM export_jobs").fetchone()  # type: ignore[misc]
    assert jobs == 1  # the second request was served by the first one's job
    exported = download(ready.headers["location"])
    assert exported.headers["content-disposition"] == (
        f'attachment; filename="metrics_{run.id}.csv"'
    )
    rows = list(csv.reader(io.StringIO(exported.text)))
    assert rows[0] == ["id", "experiment_id", "name", "value", "step", "metadata", "created_at"]
    assert len(rows) == 1 + 30_000 + 12_000 + 1
    times = [datetime.fromisoformat(row[6]) for row in rows[1:]]
    assert times == sorted(times)  # oldest first
    assert [float(row[3]) for row in rows[1:] if row[2] == "loss"] == [v for _, v in loss]
    assert {row[3] for row in rows[1:] if row[2] == "acc"} == {"NaN"}
    (result,) = [row for row in rows[1:] if row[2] == "f1"]
    assert (result[3], result[4], json.loads(result[5])) == ("0.5", "", {"type": "result"})


def test_export_left_unfinished_past_the_queues_retries_reads_as_failed(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    created = api.post(f"/v1/runs/{run.id}/exports", headers=user.bearer).json()
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute(
            "UPDATE export_jobs SET status = 'running', created_at = now() - interval '6 hours'"
            " WHERE id = %s",
            (created["id"],),
        )

    job = api.get(f"/v1/exports/{created['id']}", headers=user.bearer).json()

    assert (job["status"], job["poll_after_seconds"]) == ("failed", None)
    assert "did not finish" in job["error"]
