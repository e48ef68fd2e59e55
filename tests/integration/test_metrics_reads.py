"""Metric summaries, results, CSV export, run summaries and the service reads."""

from __future__ import annotations

import csv
import io
import math
import uuid
from datetime import UTC, datetime

import psycopg
import pytest
from psycopg.rows import dict_row
from starlette.testclient import TestClient

from tests.support.accounts import SignedUpUser
from tests.support.ingest import LOGGED_US, SeededRun, load_points, seed_run
from wavedb_core.models.metrics import ResultIn
from wavedb_core.services import ingest, metric_reads
from wavedb_core.services.summaries import run_summaries


def test_metric_summaries_give_count_range_and_last_point_ignoring_nan(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    load_points(clean_database, run.id, "loss", [(5, 3.0), (2, math.nan), (9, 1.0), (9, 4.0)])
    load_points(clean_database, run.id, "acc", [(1, 0.5)])
    load_points(clean_database, run.id, "nan-only", [(3, math.nan)])

    answer = api.get(f"/v1/runs/{run.id}/metrics", headers=user.bearer)

    assert answer.status_code == 200
    items = answer.json()["items"]
    assert [item["name"] for item in items] == ["acc", "loss", "nan-only"]
    loss = items[1]
    assert {
        key: loss[key] for key in ("count", "min", "max", "last", "last_step", "first_step")
    } == {
        "count": 4,
        "min": 1.0,
        "max": 4.0,
        "last": 4.0,  # step 9 twice: the later one
        "last_step": 9,
        "first_step": 2,
    }
    assert items[2]["min"] is None
    assert items[2]["last"] == "NaN"


def test_run_summaries_are_json_ready_for_every_run_asked(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    empty = seed_run(clean_database, user.id)
    load_points(clean_database, run.id, "loss", [(0, 2.0), (1, math.inf), (2, 0.5)])
    ingest.record_results(user.principal, uuid.UUID(run.id), [ResultIn("best", math.nan)])

    with psycopg.connect(clean_database, row_factory=dict_row) as connection:
        summaries = run_summaries(connection, [uuid.UUID(run.id), uuid.UUID(empty.id)])

    assert summaries[uuid.UUID(run.id)] == {
        "metrics": {
            "loss": {"last": 0.5, "last_step": 2, "min": 0.5, "max": "Infinity", "count": 3}
        },
        "results": {"best": "NaN"},
    }
    assert summaries[uuid.UUID(empty.id)] == {"metrics": {}, "results": {}}


def test_results_are_recorded_replaced_by_name_and_listed(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    url = f"/v1/runs/{run.id}/results"

    first = api.post(url, json={"results": {"acc": 0.9, "loss": "Infinity"}}, headers=user.bearer)
    second = api.post(url, json={"results": {"acc": 0.95}}, headers=user.bearer)
    listed = api.get(url, headers=user.bearer)

    assert first.status_code == second.status_code == 200
    assert [(i["name"], i["value"]) for i in second.json()["items"]] == [("acc", 0.95)]
    assert [(i["name"], i["value"]) for i in listed.json()["items"]] == [
        ("acc", 0.95),
        ("loss", "Infinity"),
    ]


@pytest.mark.parametrize(
    "body",
    [{"results": {}}, {"results": {"bad,name": 1}}, {"results": {"x": "big"}}, {"results": [1]}],
)
def test_results_with_bad_input_are_refused(
    api: TestClient, user: SignedUpUser, run: SeededRun, body: object
) -> None:
    answer = api.post(f"/v1/runs/{run.id}/results", json=body, headers=user.bearer)

    assert answer.status_code == 422


def test_record_results_keeps_msg_id_and_metadata(user: SignedUpUser, run: SeededRun) -> None:
    msg_id = uuid.uuid4()

    recorded = ingest.record_results(
        user.principal,
        uuid.UUID(run.id),
        [ResultIn("f1", 0.7, msg_id=msg_id, metadata={"split": "test"})],
    )
    listed = metric_reads.read_results(user.principal, uuid.UUID(run.id))

    assert recorded == listed
    assert (listed[0].msg_id, listed[0].metadata) == (msg_id, {"split": "test"})


def test_metrics_csv_streams_every_point_quoted_with_a_header(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    load_points(clean_database, run.id, "b/loss: train", [(0, 1.5), (1, math.nan)])
    load_points(clean_database, run.id, "a", [(7, -math.inf)])

    answer = api.get(f"/v1/runs/{run.id}/metrics.csv", headers=user.bearer)

    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["content-disposition"].startswith("attachment;")
    rows = list(csv.reader(io.StringIO(answer.text)))
    assert rows == [
        ["run_id", "name", "step", "value", "timestamp"],
        [run.id, "a", "7", "-Infinity", _stamp(0)],
        [run.id, "b/loss: train", "0", "1.5", _stamp(0)],
        [run.id, "b/loss: train", "1", "NaN", _stamp(1)],
    ]


def _stamp(offset_us: int) -> str:
    """The CSV timestamp of the point load_points logged `offset_us` after the first."""
    seconds, micros = divmod(LOGGED_US + offset_us, 1_000_000)
    moment = datetime.fromtimestamp(seconds, UTC).replace(microsecond=micros)
    return moment.isoformat().replace("+00:00", "Z")


def test_metrics_csv_of_a_long_run_arrives_in_several_chunks(
    user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    load_points(clean_database, run.id, "x", [(step, step * 0.5) for step in range(12_000)])

    chunks = list(metric_reads.iter_points_csv(user.principal, uuid.UUID(run.id)))

    assert len(chunks) >= 3
    lines = b"".join(chunks).decode().splitlines()
    assert len(lines) == 12_001
    assert lines[-1].startswith(f"{run.id},x,11999,5999.5,")


def test_read_points_filters_orders_and_pages(
    user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    load_points(clean_database, run.id, "a", [(step, float(step)) for step in range(10)])
    load_points(clean_database, run.id, "b", [(step, -float(step)) for step in range(5)])
    principal = user.principal
    run_id = uuid.UUID(run.id)

    page = metric_reads.read_points(
        principal, run_id, names=["a"], order="step_desc", limit=3, offset=2
    )
    everything = metric_reads.read_points(principal, run_id)
    by_time = metric_reads.read_points(principal, run_id, names=["b"], order="time_desc", limit=2)

    assert [(p.name, p.step) for p in page] == [("a", 7), ("a", 6), ("a", 5)]
    assert len(everything) == 15
    assert everything[0].name == "a"
    assert everything[-1].name == "b"
    assert [p.step for p in by_time] == [4, 3]
