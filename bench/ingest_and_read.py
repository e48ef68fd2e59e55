"""Metric ingest and downsampled-read benchmark on the local stack.

Starts the local stack (embedded PostgreSQL, emulated SQS, the real handlers, HTTP on
loopback, the SQS event source driving the ingest worker), creates a user, an API key, a
workspace, a project and runs through the HTTP API, then measures:

1. end-to-end ingest (client -> API -> SQS -> worker -> PostgreSQL, until every batch
   reports `written`) for batches of 1,000 and 10,000 points and several concurrent runs,
   next to the rate of a plain COPY into metric_points on the same server;
2. downsampled read latency (points=1000) for series of 10k, 1M and 10M points, in-process
   (the service call) and over HTTP. Long series are loaded with COPY plus the worker's own
   rollup SQL.

    .venv/bin/python bench/ingest_and_read.py            # everything (10M takes minutes)
    .venv/bin/python bench/ingest_and_read.py --skip-10m
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
from psycopg.rows import dict_row

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "shared"), str(REPOSITORY / "infra"), str(REPOSITORY)]

from wavedb_local.config import LocalStackConfig  # noqa: E402
from wavedb_local.stack import LocalStack  # noqa: E402

LOGGED_US = 1_795_428_930_000_000


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


def create_account(client: httpx.Client) -> Account:
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
            json={"name": "bench", "rate_limit_per_minute": 1_000_000},
            headers=bearer,
        ),
        201,
    )["key"]
    headers = {"x-api-key": key}
    workspace = _ok(client.post("/v1/workspaces", json={"name": "bench"}, headers=bearer), 201)
    project = _ok(
        client.post(
            f"/v1/workspaces/{workspace['id']}/projects", json={"name": "bench"}, headers=headers
        ),
        201,
    )
    return Account(api_key=key, user_id=signup["user"]["id"], project_id=project["id"])


def create_run(client: httpx.Client, account: Account, name: str) -> str:
    run = _ok(
        client.post(
            f"/v1/projects/{account.project_id}/runs", json={"name": name}, headers=account.headers
        ),
        201,
    )
    return str(run["id"])


# ---------------------------------------------------------------- ingest


def _batch(batch_id: str, start_step: int, size: int, metrics: int) -> bytes:
    points = [
        {
            "name": f"train/metric_{index % metrics}",
            "value": math.sin(start_step + index) / (1 + index % 7),
            "step": start_step + index // metrics,
        }
        for index in range(size)
    ]
    return json.dumps({"batch_id": batch_id, "points": points}, separators=(",", ":")).encode()


@dataclass(frozen=True)
class IngestResult:
    batch_size: int
    runs: int
    points: int
    seconds: float
    api_seconds: float

    @property
    def rate(self) -> float:
        return self.points / self.seconds


def _wait_written(
    client: httpx.Client, account: Account, run_id: str, batch_ids: list[str], timeout: float
) -> None:
    deadline = time.monotonic() + timeout
    pending = list(batch_ids)
    while pending:
        batch_id = pending[0]
        status = _ok(
            client.get(f"/v1/runs/{run_id}/metrics/batches/{batch_id}", headers=account.headers),
            200,
        )["status"]
        if status == "written":
            pending.pop(0)
            continue
        if status == "failed" or time.monotonic() > deadline:
            raise RuntimeError(f"batch {batch_id} of run {run_id}: {status}")
        time.sleep(0.02)


def measure_ingest(
    api_url: str, account: Account, *, batch_size: int, runs: int, batches_per_run: int
) -> IngestResult:
    metrics = 10
    with httpx.Client(base_url=api_url, timeout=60) as setup:
        run_ids = [create_run(setup, account, f"ingest-{batch_size}-{i}") for i in range(runs)]
    bodies = {
        run_id: [
            _batch(f"b{n}", n * batch_size // metrics, batch_size, metrics)
            for n in range(batches_per_run)
        ]
        for run_id in run_ids
    }
    api_done: list[float] = []

    def client_of_one_run(run_id: str) -> None:
        with httpx.Client(base_url=api_url, timeout=60) as client:
            for body in bodies[run_id]:
                answer = client.post(
                    f"/v1/runs/{run_id}/metrics",
                    content=body,
                    headers={**account.headers, "content-type": "application/json"},
                )
                _ok(answer, 202)
            api_done.append(time.perf_counter())
            _wait_written(
                client, account, run_id, [f"b{n}" for n in range(batches_per_run)], timeout=600
            )

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=runs) as pool:
        list(pool.map(client_of_one_run, run_ids))
    elapsed = time.perf_counter() - started
    return IngestResult(
        batch_size=batch_size,
        runs=runs,
        points=batch_size * batches_per_run * runs,
        seconds=elapsed,
        api_seconds=max(api_done) - started,
    )


# ---------------------------------------------------------------- direct loading (COPY)


def _seed_run(database_url: str, project_run_source: str, name: str) -> str:
    with psycopg.connect(database_url, autocommit=True) as connection:
        row = connection.execute(
            "INSERT INTO runs (project_id, workspace_id, name)"
            " SELECT project_id, workspace_id, %s FROM runs WHERE id = %s RETURNING id",
            (name, project_run_source),
        ).fetchone()
    assert row is not None
    return str(row[0])


def _copy_lines(metric_id: int, start: int, count: int) -> Iterator[str]:
    for step in range(start, start + count):
        value = math.sin(step / 1000) + (50.0 if step % 100_003 == 0 else 0.0)
        yield f"{metric_id}\t{step}\t{value!r}\t{LOGGED_US + step}\t\\N\t\\N\n"


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


def load_series(database_url: str, run_id: str, name: str, points: int) -> float:
    """Load a series with COPY and the worker's SQL (summaries, rollups), in 1M-point
    transactions; returns the seconds it took."""
    from wavedb_core.repositories import metric_points, run_metrics
    from wavedb_core.services.ingest_writer import write_staged_points

    started = time.perf_counter()
    chunk = 1_000_000
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as connection:
        metric_id = run_metrics.ensure_metrics(connection, uuid.UUID(run_id), [name])[name]
        for start in range(0, points, chunk):
            count = min(chunk, points - start)
            with connection.transaction():
                metric_points.create_staging_table(connection)
                with (
                    connection.cursor() as cursor,
                    cursor.copy(
                        f"COPY {metric_points.STAGING_TABLE}"
                        " (metric_id, step, value, logged_us, msg_id, metadata) FROM STDIN"
                    ) as copy,
                ):
                    copy.write("".join(_copy_lines(metric_id, start, count)))
                write_staged_points(connection, [metric_id], False)
        connection.execute("ANALYZE metric_points")
        connection.execute("ANALYZE metric_rollups")
    return time.perf_counter() - started


# ---------------------------------------------------------------- reads


def _median_ms(action: Callable[[], object], repeat: int) -> tuple[float, float]:
    action()  # warm
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1000)
    times.sort()
    return statistics.median(times), times[int(len(times) * 0.95) - 1]


@dataclass(frozen=True)
class ReadResult:
    points: int
    load_seconds: float
    buckets: int
    in_process_ms: tuple[float, float]
    http_ms: tuple[float, float]


def measure_read(
    stack: LocalStack, api_url: str, account: Account, run_id: str, points: int, repeat: int
) -> ReadResult:
    from wavedb_core.principal import Principal
    from wavedb_core.services import metric_reads

    name = f"series/{points}"
    load_seconds = load_series(stack.database_url, run_id, name, points)
    principal = Principal(
        user_id=uuid.UUID(account.user_id),
        method="api_key",
        scopes=frozenset({"read"}),
        rate_limit_per_minute=1_000_000,
    )

    def in_process() -> object:
        return metric_reads.downsampled_series(principal, uuid.UUID(run_id), name, points=1000)

    answer = in_process()
    buckets = len(answer.buckets)  # type: ignore[attr-defined]
    with httpx.Client(base_url=api_url, timeout=60) as client:

        def over_http() -> object:
            return _ok(
                client.get(
                    f"/v1/runs/{run_id}/series",
                    params={"name": name, "points": 1000},
                    headers=account.headers,
                ),
                200,
            )

        http_ms = _median_ms(over_http, repeat)
    return ReadResult(points, load_seconds, buckets, _median_ms(in_process, repeat), http_ms)


# ---------------------------------------------------------------- report


def _machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        kib = int(Path("/proc/meminfo").read_text().split()[1])
        memory = f", {kib / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{cpu}, {os.cpu_count()} CPUs{memory}, {platform.system()} {platform.release()}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--skip-10m", action="store_true", help="skip the 10M-point series")
    parser.add_argument("--runs", type=int, default=4, help="concurrent runs while ingesting")
    parser.add_argument("--points-per-run", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=30, help="reads per latency figure")
    options = parser.parse_args()

    data_dir = Path(tempfile.mkdtemp(prefix="wavedb-bench-"))
    config = LocalStackConfig(
        template_path=REPOSITORY / "template.yaml",
        data_dir=data_dir,
        host="127.0.0.1",
        port=0,
        jwt_secret=uuid.uuid4().hex * 2,
    )
    stack = LocalStack(config)
    print("starting the local stack...", flush=True)
    stack.start(serve_http=True, event_sources=True)
    try:
        run_benchmark(stack, options)
    finally:
        stack.stop()


def run_benchmark(stack: LocalStack, options: argparse.Namespace) -> None:
    api_url = stack.api_url
    with httpx.Client(base_url=api_url, timeout=60) as client:
        account = create_account(client)
        anchor_run = create_run(client, account, "anchor")

    postgres = psycopg.connect(stack.database_url).execute("SHOW server_version").fetchone()
    print(f"machine: {_machine()}; PostgreSQL {postgres[0] if postgres else '?'}", flush=True)

    ceiling_run = _seed_run(stack.database_url, anchor_run, "copy-ceiling")
    ceiling = measure_copy_ceiling(stack.database_url, ceiling_run, 1_000_000)
    print(f"COPY ceiling: {ceiling:,.0f} points/s", flush=True)

    ingest_rows = []
    for batch_size in (1_000, 10_000):
        batches = max(1, options.points_per_run // batch_size)
        result = measure_ingest(
            api_url, account, batch_size=batch_size, runs=options.runs, batches_per_run=batches
        )
        ingest_rows.append(result)
        print(
            f"ingest batch={batch_size}: {result.points:,} points in {result.seconds:.2f} s"
            f" = {result.rate:,.0f} points/s ({result.rate / ceiling:.0%} of COPY);"
            f" API accepted all in {result.api_seconds:.2f} s",
            flush=True,
        )

    sizes = [10_000, 1_000_000] + ([] if options.skip_10m else [10_000_000])
    read_rows = []
    for size in sizes:
        run_id = _seed_run(stack.database_url, anchor_run, f"read-{size}")
        read = measure_read(stack, api_url, account, run_id, size, options.repeat)
        read_rows.append(read)
        print(
            f"read {size:,} points -> {read.buckets} buckets: in-process median"
            f" {read.in_process_ms[0]:.2f} ms (p95 {read.in_process_ms[1]:.2f}),"
            f" HTTP median {read.http_ms[0]:.2f} ms (p95 {read.http_ms[1]:.2f});"
            f" loaded in {read.load_seconds:.1f} s",
            flush=True,
        )

    print()
    print("| ingest | points | concurrent runs | seconds | points/s | % of COPY ceiling |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| COPY into metric_points (1 connection) | 1,000,000 | - | - | {ceiling:,.0f} | 100% |")
    for ingested in ingest_rows:
        print(
            f"| API -> SQS -> worker, batches of {ingested.batch_size:,} | {ingested.points:,}"
            f" | {ingested.runs} | {ingested.seconds:.2f} | {ingested.rate:,.0f}"
            f" | {ingested.rate / ceiling:.0%} |"
        )
    print()
    print("| series length | buckets | in-process median (p95) | HTTP median (p95) |")
    print("|---:|---:|---:|---:|")
    for row in read_rows:
        print(
            f"| {row.points:,} | {row.buckets} | {row.in_process_ms[0]:.2f} ms"
            f" ({row.in_process_ms[1]:.2f}) | {row.http_ms[0]:.2f} ms ({row.http_ms[1]:.2f}) |"
        )
    if len(read_rows) >= 2:
        growth = read_rows[-1].in_process_ms[0] / read_rows[0].in_process_ms[0]
        print(f"\ngrowth {read_rows[0].points:,} -> {read_rows[-1].points:,}: {growth:.2f}x")


if __name__ == "__main__":
    threading.current_thread().name = "bench"
    main()
