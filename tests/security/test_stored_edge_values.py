"""No stored value can make a read fail.

Values are written straight into the tables, past every ingest check (as data stored by an
older version, a restore or a manual fix would be): PostgreSQL's extreme times and
±infinity, NaN and ±Infinity, the largest finite values (whose sums overflow), steps up to
the largest bigint, and names no ingest path accepts. Then every read route of a run, ours
and the compatibility ones, answers 200 with the data."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from typing import Any

import httpx
import psycopg
import pytest
from psycopg.rows import dict_row

from tests.support.accounts import SignedUpUser, sign_up

pytestmark = pytest.mark.timeout(180)

BIGGEST = 1.7976931348623157e308
# (step, value, logged_at) of the metric "edge".
EDGE_POINTS: list[tuple[int, float | str, str]] = [
    (0, BIGGEST, "-infinity"),
    (1, "NaN", "4713-01-01 00:00:00+00 BC"),
    (2, "Infinity", "0001-01-01 00:00:00+14"),
    (3, "-Infinity", "1969-12-31 23:59:59+00"),
    (4, BIGGEST, "2026-01-01 00:00:00+00"),
    (2**53, BIGGEST, "9999-12-31 23:59:59-14"),
    (2**62, 5e-324, "294276-12-30 00:00:00+00"),
    (2**63 - 1, -BIGGEST, "infinity"),
]
# Names no ingest path accepts, each with one point.
ODD_NAMES = ["loss\n", " ", "", "n" * 1_000, "名前/😀", 'a,"b"\r\nc']
RESULTS: list[tuple[str, float | str, str]] = [
    ("best", "NaN", "-infinity"),
    ("worst", "Infinity", "infinity"),
    ("odd\n", -BIGGEST, "0001-01-01 00:00:00+14"),
]


def _created(http: httpx.Client, user: SignedUpUser, path: str, body: object) -> str:
    answer = http.post(path, json=body, headers=user.bearer)
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


def _run_named_edges(http: httpx.Client, user: SignedUpUser) -> tuple[str, str, str]:
    """A workspace, a project in it and a run in that, all named "edges": their ids."""
    workspace = _created(http, user, "/v1/workspaces", {"name": "edges"})
    project = _created(http, user, f"/v1/workspaces/{workspace}/projects", {"name": "edges"})
    run = _created(http, user, f"/v1/projects/{project}/runs", {"name": "edges"})
    return workspace, project, run


def _metric(connection: psycopg.Connection[Any], run_id: str, name: str) -> int:
    row = connection.execute(
        "INSERT INTO run_metrics (run_id, name) VALUES (%s, %s) RETURNING id", (run_id, name)
    ).fetchone()
    assert row is not None
    return int(row[0])


def _store_edge_values(database_url: str, run_id: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        edge = _metric(connection, run_id, "edge")
        for step, value, logged_at in EDGE_POINTS:
            connection.execute(
                "INSERT INTO metric_points (metric_id, step, value, logged_at, metadata)"
                ' VALUES (%s, %s, %s::float8, %s::timestamptz, \'{"k": "\\u00e9"}\')',
                (edge, step, str(value), logged_at),
            )
        for name in ODD_NAMES:
            metric = _metric(connection, run_id, name)
            connection.execute(
                "INSERT INTO metric_points (metric_id, step, value, logged_at)"
                " VALUES (%s, 7, 'NaN', '-infinity')",
                (metric,),
            )
        # Summaries as the worker would keep them, with the extreme times they hold.
        connection.execute(
            "UPDATE run_metrics m SET count = s.n, min = s.min, max = s.max,"
            " first_step = s.first_step, last_step = s.last_step, last_value = s.last_value,"
            " last_logged_at = s.last_logged_at FROM ("
            "  SELECT metric_id, count(*) AS n, min(value) FILTER (WHERE value <> 'NaN') AS min,"
            "   max(value) FILTER (WHERE value <> 'NaN') AS max, min(step) AS first_step,"
            "   max(step) AS last_step,"
            "   (array_agg(value ORDER BY step DESC))[1] AS last_value,"
            "   max(logged_at) AS last_logged_at"
            "  FROM metric_points GROUP BY metric_id) s WHERE m.id = s.metric_id"
        )
        # Rollups of every level; a bucket's sum saturates at the largest float, so that
        # adding two buckets overflows.
        connection.execute(
            "INSERT INTO metric_rollups (metric_id, level, bucket, count, finite_count, sum,"
            " min, max, last_step, last_value, last_logged_at)"
            " SELECT metric_id, level, step >> (3 * level), count(*),"
            "  count(*) FILTER (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')),"
            "  LEAST(GREATEST(sum(value::numeric) FILTER"
            "   (WHERE value NOT IN ('NaN', 'Infinity', '-Infinity')), %s::numeric),"
            "   %s::numeric)::float8,"
            "  min(value) FILTER (WHERE value <> 'NaN'), max(value) FILTER (WHERE value <> 'NaN'),"
            "  max(step), (array_agg(value ORDER BY step DESC))[1], max(logged_at)"
            " FROM metric_points, generate_series(1, 7) AS level"
            " GROUP BY metric_id, level, step >> (3 * level)",
            (repr(-BIGGEST), repr(BIGGEST)),
        )
        for name, value, logged_at in RESULTS:
            connection.execute(
                "INSERT INTO run_results (run_id, name, value, logged_at)"
                " VALUES (%s, %s, %s::float8, %s::timestamptz)",
                (run_id, name, str(value), logged_at),
            )


def _ok(answer: httpx.Response) -> Any:
    assert answer.status_code == 200, (str(answer.request.url), answer.status_code, answer.text)
    if answer.headers["content-type"].startswith("application/json"):
        return answer.json()
    return answer.text


@dataclass(frozen=True)
class _Reader:
    """GET as `user`, asserting 200: the JSON body, or the text of any other answer."""

    http: httpx.Client
    user: SignedUpUser

    def __call__(self, path: str, **params: Any) -> Any:
        return _ok(self.http.get(path, params=params, headers=self.user.bearer))


def _read_edge_series_downsampled(get: _Reader, run: str) -> None:
    """The metric "edge" cut to a few points and to many, as buckets and as columns, from the
    run's series route and from the route across runs."""
    for points in (1, 2, 1_000, 5_000):
        for layout in ("buckets", "columns"):
            get(f"/v1/runs/{run}/series", name="edge", points=points, layout=layout)
            get("/v1/series", run_ids=run, name="edge", points=points, layout=layout)


def test_reads_of_stored_edge_values_answer_200_on_every_read_route(
    http: httpx.Client, clean_database: str
) -> None:
    user = sign_up(http)
    workspace, project, run = _run_named_edges(http, user)
    _store_edge_values(clean_database, run)
    get = _Reader(http, user)

    summary = get(f"/v1/runs/{run}")["summary"]
    assert summary["metrics"]["edge"]["count"] == len(EDGE_POINTS)
    assert summary["metrics"]["edge"]["last_step"] == 2**63 - 1
    assert summary["results"]["best"] == "NaN"

    metrics = {item["name"]: item for item in get(f"/v1/runs/{run}/metrics")["items"]}
    assert set(metrics) == {"edge", *ODD_NAMES}
    assert metrics["edge"]["last_logged_at"].startswith("9999-12-31")
    assert metrics["loss\n"]["last_logged_at"].startswith("0001-01-01")

    raw = get(f"/v1/runs/{run}/series", name="edge", limit=100)
    assert [item["step"] for item in raw["items"]] == [step for step, _, _ in EDGE_POINTS]
    assert [item["value"] for item in raw["items"]][1:4] == ["NaN", "Infinity", "-Infinity"]
    for name in ("edge", "loss\n", " ", "名前/😀", 'a,"b"\r\nc'):
        assert len(get(f"/v1/runs/{run}/series", name=name)["items"]) >= 1
    _read_edge_series_downsampled(get, run)
    # Short ranges are summed from the raw points (two of the largest values overflow).
    for step_max in (4, 7, 100):
        get(f"/v1/runs/{run}/series", name="edge", points=1, step_min=0, step_max=step_max)
        get(f"/v1/runs/{run}/series", name="edge", points=1_000, step_max=step_max)
    get(f"/v1/runs/{run}/series", name="edge", step_min=2**53, step_max=2**53)

    rows = list(csv.reader(io.StringIO(get(f"/v1/runs/{run}/metrics.csv"))))
    assert rows[0] == ["run_id", "name", "step", "value", "timestamp"]
    assert len(rows) == 1 + len(EDGE_POINTS) + len(ODD_NAMES)

    assert len(get(f"/v1/runs/{run}/results")["items"]) == len(RESULTS)
    listed = get(f"/v1/projects/{project}/runs")["items"]
    assert listed[0]["summary"]["metrics"]["edge"]["max"] == "Infinity"
    assert get("/v1/runs", workspace_id=workspace)["items"][0]["id"] == run
    batch = http.post("/v1/runs/batch-get", json={"ids": [run]}, headers=user.bearer)
    assert _ok(batch)["items"][0]["id"] == run

    point_count = len(EDGE_POINTS) + len(ODD_NAMES)
    for prefix in ("", "/api"):
        logs = get(f"{prefix}/experiments/{run}/logs")["data"]
        assert len(logs) == point_count + len(RESULTS)
        assert len(get(f"{prefix}/experiments/{run}/metrics")["data"]) == point_count
        assert len(get(f"{prefix}/experiments/{run}/results")["data"]) == len(RESULTS)
        exported = list(csv.reader(io.StringIO(get(f"{prefix}/experiments/{run}/logs/csv"))))
        assert len(exported) == 1 + point_count + len(RESULTS)
        get(f"{prefix}/experiments/{run}")

    for order in ("timestamp", "step", "step_desc", "time_desc"):
        scalars = get(f"/metric/{run}", limit=5_000, orderBy=order)["data"]
        assert len(scalars) == point_count
    get(f"/runner/{run}")


# (step, value, logged µs) of the chunked metric "edge": the times run over the whole
# int64 range (each difference still fits one), far past what a datetime holds.
CHUNKED_EDGE_POINTS: list[tuple[int, float, int]] = [
    (0, BIGGEST, 0),
    (1, float("nan"), 2**63 - 1),
    (2, float("inf"), 2**63 - 1),
    (3, float("-inf"), 0),
    (4, BIGGEST, -(2**63)),
    (2**53, BIGGEST, -1),
    (2**62, 5e-324, 5),
    (2**63 - 1, -BIGGEST, 7),
]


def _store_chunked_edge_values(database_url: str, run_id: str) -> None:
    from wavedb_core.repositories.metric_chunks import insert_chunks
    from wavedb_core.services.chunk_codec import Columns, cut_chunks

    steps, values, times = (list(column) for column in zip(*CHUNKED_EDGE_POINTS, strict=True))
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as connection:
        row = connection.execute(
            "INSERT INTO run_metrics (run_id, name) VALUES (%s, 'edge') RETURNING id", (run_id,)
        ).fetchone()
        assert row is not None
        edge = int(row["id"])
        insert_chunks(connection, edge, cut_chunks(Columns(steps, values, times), size=3))
        connection.execute(
            "UPDATE run_metrics SET count = %s, min = %s, max = 'Infinity', first_step = 0,"
            " last_step = %s, last_value = %s, last_logged_at = 'infinity' WHERE id = %s",
            (len(steps), -BIGGEST, 2**63 - 1, -BIGGEST, edge),
        )


def test_reads_of_edge_values_stored_in_chunks_answer_200_on_every_read_route(
    http: httpx.Client, clean_database: str
) -> None:
    user = sign_up(http)
    _, _, run = _run_named_edges(http, user)
    _store_chunked_edge_values(clean_database, run)
    get = _Reader(http, user)

    expected_steps = [step for step, _, _ in CHUNKED_EDGE_POINTS]
    raw = get(f"/v1/runs/{run}/series", name="edge", limit=3)
    assert [item["step"] for item in raw["items"]] == expected_steps[:3]
    columns = get(f"/v1/runs/{run}/series", name="edge", layout="columns")["columns"]
    assert columns["steps"] == expected_steps
    assert columns["values"][1:4] == ["NaN", "Infinity", "-Infinity"]
    assert columns["timestamps_us"] == [us for _, _, us in CHUNKED_EDGE_POINTS]
    _read_edge_series_downsampled(get, run)
    for step_min, step_max in ((0, 4), (3, 2**53), (2**53, 2**53), (1, 2**53 - 1)):
        for points in (1, 1_000):
            get(
                f"/v1/runs/{run}/series",
                name="edge",
                points=points,
                step_min=step_min,
                step_max=step_max,
            )
        get(f"/v1/runs/{run}/series", name="edge", step_min=step_min, step_max=step_max)

    rows = list(csv.reader(io.StringIO(get(f"/v1/runs/{run}/metrics.csv"))))
    assert [int(row[2]) for row in rows[1:]] == expected_steps
    for prefix in ("", "/api"):
        assert len(get(f"{prefix}/experiments/{run}/logs")["data"]) == len(expected_steps)
        assert len(get(f"{prefix}/experiments/{run}/metrics")["data"]) == len(expected_steps)
        exported = list(csv.reader(io.StringIO(get(f"{prefix}/experiments/{run}/logs/csv"))))
        assert len(exported) == 1 + len(expected_steps)
    for order in ("timestamp", "step", "step_desc", "time_desc"):
        assert len(get(f"/metric/{run}", limit=5_000, orderBy=order)["data"]) == len(expected_steps)
