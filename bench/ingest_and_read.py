"""WaveDB's half of the ingest and read benchmarks (bench/compare_with_mlflow.py runs it).

Everything goes through the local stack's HTTP API, as a user's code meets it, except
loading long series for the read benchmark and the COPY ceiling, which use PostgreSQL
directly:

- `measure_ingest`: several client threads send every point of a workload with the SDK's
  own API client (`wavedb.api.ApiClient.send_series`), in the columnar batches the SDK's
  sender cuts (`wavedb.points.encode_series`: up to 50,000 points or 1.5 MB of JSON a
  request, gzip-compressed), then poll
  each batch's status until it is `written` (API -> SQS -> ingest worker -> PostgreSQL).
- `measure_copy_ceiling`: one `COPY ... FROM STDIN` into metric_points, one connection.
- `load_series`: the worker's own chunk writes (`write_series`), in 1M-point
  transactions: the chunks the worker writes for the same points.
- `downsampled_read` / `whole_history_read`: the chart read (`points=1000`) and every raw
  point page by page (pages of columns, 80,000 points each), over HTTP.
"""

from __future__ import annotations

import math
import queue
import time
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import psycopg
from psycopg.rows import dict_row

if TYPE_CHECKING:
    from wavedb_core.services.chunk_codec import Columns

from bench.workload import metric_value, run_in_threads
from wavedb.api import ApiClient
from wavedb.points import MAX_SERIES_BATCH_BYTES, MAX_SERIES_BATCH_POINTS, encode_series

LOGGED_US = 1_795_428_930_000_000
CHART_POINTS = 1000
BATCH_POLL_SECONDS = 0.05
WRITTEN_TIMEOUT_SECONDS = 1800.0
SDK_BATCH = (
    f"columns, up to {MAX_SERIES_BATCH_POINTS:,} points or"
    f" {MAX_SERIES_BATCH_BYTES // 1000:,} KB of JSON a request, gzip"
)


# ---------------------------------------------------------------- HTTP setup


@dataclass(frozen=True)
class Account:
    api_key: str
    user_id: str
    project_id: str

    @property
    def headers(self) -> dict[str, str]:
        return {"x-api-key": self.api_key}


def _ok(response: httpx.Response, status: int) -> dict[str, Any]:
    if response.status_code != status:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


def create_account(api_url: str) -> Account:
    """A new user, an API key with room for the benchmark, a workspace and a project."""
    with httpx.Client(base_url=api_url, timeout=60, trust_env=False) as client:
        email = f"bench-{uuid.uuid4().hex[:8]}@example.com"
        signup = _ok(
            client.post(
                "/v1/auth/signup",
                json={"email": email, "password": "correct horse battery staple", "name": "Bench"},
            ),
            201,
        )
        bearer = {"Authorization": f"Bearer {signup['tokens']['access_token']}"}
        key = _ok(
            client.post(
                "/v1/api-keys",
                json={"name": "bench", "rate_limit_per_minute": 12_000},  # the ceiling
                headers=bearer,
            ),
            201,
        )["key"]
        workspace = _ok(client.post("/v1/workspaces", json={"name": "bench"}, headers=bearer), 201)
        project = _ok(
            client.post(
                f"/v1/workspaces/{workspace['id']}/projects",
                json={"name": "bench"},
                headers={"x-api-key": key},
            ),
            201,
        )
    return Account(api_key=key, user_id=signup["user"]["id"], project_id=project["id"])


def create_run(api_url: str, account: Account, name: str) -> str:
    with ApiClient(api_url, account.api_key) as client:
        return str(client.create_run(account.project_id, {"name": name})["id"])


# ---------------------------------------------------------------- ingest


@dataclass(frozen=True)
class Workload:
    """`runs` runs of `metrics` metrics x `steps` steps, several runs sent at once."""

    runs: int
    metrics: int
    steps: int
    threads: int

    @property
    def points(self) -> int:
        return self.runs * self.metrics * self.steps

    def describe(self) -> str:
        return (
            f"{self.runs} runs x {self.metrics} metrics x {self.steps:,} steps"
            f" = {self.points:,} points, {self.threads} client threads"
        )


def run_entries(workload: Workload) -> list[tuple[int, float, dict[str, float | int]]]:
    """One run's log calls as the SDK queues them: (step, time, {name: value})."""
    names = [f"train/metric_{index:02d}" for index in range(workload.metrics)]
    return [
        (
            step,
            time.time(),
            {name: metric_value(index, step) for index, name in enumerate(names)},
        )
        for step in range(workload.steps)
    ]


@dataclass
class IngestResult:
    points: int
    seconds: float  # until every batch is written
    accepted_seconds: float  # until the API had accepted every batch
    latencies_ms: list[float] = field(default_factory=list)  # POST, until 202
    points_readable: int = 0

    @property
    def rate(self) -> float:
        return self.points / self.seconds


def measure_ingest(api_url: str, account: Account, workload: Workload) -> IngestResult:
    """Send the workload with the SDK's client from `workload.threads` threads (one run at
    a time each); the clock stops when the last batch is written."""
    run_ids = [create_run(api_url, account, f"ingest-{index}") for index in range(workload.runs)]
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for run_id in run_ids:
        todo.put(run_id)
    latencies: list[float] = []
    sent: list[tuple[str, str, int]] = []  # run, batch id, points
    accepted: list[float] = []
    errors: list[BaseException] = []

    def client_thread() -> None:
        mine: list[tuple[str, str]] = []
        try:
            with ApiClient(api_url, account.api_key, timeout=120) as client:
                while True:
                    try:
                        run_id = todo.get_nowait()
                    except queue.Empty:
                        break
                    batches = encode_series(run_entries(workload))
                    for number, (encoded, count) in enumerate(batches):
                        batch_id = f"bench-{number:05d}"
                        started = time.perf_counter()
                        client.send_series(run_id, batch_id, encoded)
                        latencies.append((time.perf_counter() - started) * 1000)
                        sent.append((run_id, batch_id, count))
                        mine.append((run_id, batch_id))
                accepted.append(time.perf_counter())
                _wait_written(client, mine)
        except BaseException as error:
            errors.append(error)

    started = time.perf_counter()
    seconds = run_in_threads(client_thread, workload.threads)
    if errors:
        raise RuntimeError(f"an ingest client failed: {errors[0]!r}") from errors[0]
    result = IngestResult(
        points=sum(count for _, _, count in sent),
        seconds=seconds,
        accepted_seconds=max(accepted) - started,
        latencies_ms=latencies,
    )
    with ApiClient(api_url, account.api_key) as client:
        result.points_readable = sum(
            int(item["count"]) for run_id in run_ids for item in client.metric_summaries(run_id)
        )
    return result


def _wait_written(client: ApiClient, batches: list[tuple[str, str]]) -> None:
    deadline = time.monotonic() + WRITTEN_TIMEOUT_SECONDS
    for run_id, batch_id in batches:
        while True:
            status = client.batch_status(run_id, batch_id)["status"]
            if status == "written":
                break
            if status == "failed" or time.monotonic() > deadline:
                raise RuntimeError(f"batch {batch_id} of run {run_id}: {status}")
            time.sleep(BATCH_POLL_SECONDS)


# ---------------------------------------------------------------- direct loading (COPY)


def measure_copy_ceiling(database_url: str, run_id: str, points: int) -> float:
    """Points per second of one COPY (text) straight into metric_points, indexes included."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(
            "INSERT INTO run_metrics (run_id, name) VALUES (%s, 'copy/ceiling') RETURNING id",
            (run_id,),
        ).fetchone()
        assert row is not None
        metric_id = int(row[0])
        payload = "".join(
            f"{metric_id}\t{step}\t{math.sin(step)!r}\t2026-11-23 10:00:00+00\t\\N\t\\N\n"
            for step in range(points)
        )
        started = time.perf_counter()
        with (
            connection.transaction(),
            connection.cursor() as cursor,
            cursor.copy(
                "COPY metric_points (metric_id, step, value, logged_at, msg_id, metadata)"
                " FROM STDIN"
            ) as copy,
        ):
            copy.write(payload)
        return points / (time.perf_counter() - started)


def _series_columns(start: int, count: int) -> Columns:
    from wavedb_core.services.chunk_codec import Columns

    steps = list(range(start, start + count))
    values = [math.sin(step / 1000) + (50.0 if step % 100_003 == 0 else 0.0) for step in steps]
    return Columns(steps, values, [LOGGED_US + step for step in steps])


def load_series(database_url: str, run_id: str, name: str, points: int) -> float:
    """Load a series through the worker's own chunk writes (`write_series`: chunks, their
    aggregates, the summary), in 1M-point transactions; returns the seconds it took."""
    from wavedb_core.repositories import run_metrics
    from wavedb_core.services.ingest_writer import SeriesWrite, write_series

    started = time.perf_counter()
    part = 1_000_000
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as connection:
        metric_id = run_metrics.ensure_metrics(connection, uuid.UUID(run_id), [name])[name]
        for start in range(0, points, part):
            with connection.transaction():
                run_metrics.lock_metrics(connection, [metric_id])
                columns = _series_columns(start, min(part, points - start))
                write_series(connection, [SeriesWrite(metric_id, columns)])
        connection.execute("ANALYZE metric_chunks")
    return time.perf_counter() - started


# ---------------------------------------------------------------- reads


def downsampled_read(client: httpx.Client, run_id: str, name: str) -> int:
    """The chart read: at most CHART_POINTS buckets over the whole series; answers the
    number of buckets."""
    answer = _ok(
        client.get(f"/v1/runs/{run_id}/series", params={"name": name, "points": CHART_POINTS}),
        200,
    )
    return len(answer["buckets"])


def whole_history_read(client: httpx.Client, run_id: str, name: str, deadline: float) -> int:
    """Every raw point, a page of columns at a time (`layout=columns`, the API's default
    page of 80,000 points) following `next_cursor`, as `wavedb.api.ApiClient.series_columns`
    reads them; stops at `deadline` (time.monotonic). Answers the number of points read."""
    params: dict[str, Any] = {"name": name, "layout": "columns"}
    read = 0
    while time.monotonic() < deadline:
        page = _ok(client.get(f"/v1/runs/{run_id}/series", params=params), 200)
        read += len(page["columns"]["steps"])
        cursor = page.get("next_cursor")
        if not cursor:
            return read
        params["cursor"] = cursor
    return read


def api_client(api_url: str, account: Account) -> httpx.Client:
    return httpx.Client(base_url=api_url, timeout=600, headers=account.headers, trust_env=False)


def server_version(database_url: str) -> str:
    with psycopg.connect(database_url) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"
