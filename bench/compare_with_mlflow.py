"""WaveDB next to MLflow: ingest, chart reads and per-call SDK cost, measured in one run.

Starts the local stack in a child process (embedded PostgreSQL on a Unix socket, emulated
SQS, the real handlers, HTTP on loopback, the SQS worker) and a real `mlflow server`
(from `.venv-bench-mlflow`, loopback, telemetry off, its default 4 workers) whose backend
store is a separate database (`mlflow`) on the same PostgreSQL server, then measures:

1. Ingest: the same workload for both (default 20 runs x 50 metrics x 2,000 steps = 2M
   points, 4 client threads, one run at a time each), sent by each system's own client:
   MLflow's `MlflowClient.log_batch` (1,000 metrics a request, its limit; in MLflow's venv,
   bench/mlflow_ingest.py) and the WaveDB SDK's `ApiClient.send_series` in the batches the
   SDK's sender cuts (bench/ingest_and_read.py). Points/s until every point is durable and
   readable (for WaveDB: every batch `written`, through SQS and the worker), request
   latency, WaveDB's share of a raw COPY into metric_points on the same server, and the
   bytes per point at rest: each database's growth over its ingest (`pg_database_size`
   after VACUUM and CHECKPOINT, indexes and TOAST included).
2. Reads: series of 10k, 1M and 10M points, loaded with SQL into each system's own tables
   (WaveDB: the worker's chunk writes; MLflow: COPY into `metrics` and `latest_metrics`,
   the rows log_batch writes), then over HTTP: the chart read (WaveDB `points=1000`,
   MLflow get-history-bulk-interval `max_results=1000`) and the whole history page by
   page (WaveDB raw pages of 80,000 points as columns, MLflow get-history pages of
   25,000), each measurement stopped after a time cap.
3. SDK: the per-call cost in the training thread (bench/sdk_overhead.py), with MLflow's
   server on the same PostgreSQL.
4. Serverless: bench/serverless.py, when present (cold imports, package sizes).

    make bench
    .venv/bin/python bench/compare_with_mlflow.py [--quick] [--steps 1000] [--skip-10m]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "shared"), str(REPOSITORY / "infra"), str(REPOSITORY)]

from bench import ingest_and_read as wavedb_side  # noqa: E402
from bench import mlflow_reads  # noqa: E402
from bench.cpu_usage import CpuMeter, wait_until_idle  # noqa: E402
from bench.ingest_and_read import Account, IngestResult, Workload  # noqa: E402
from bench.mlflow_reads import mlflow_database_urls  # noqa: E402
from bench.mlflow_server import running_server  # noqa: E402
from bench.sdk_overhead import (  # noqa: E402
    MLFLOW_PYTHON,
    MlflowCalls,
    Row,
    measure_mlflow,
    measure_wavedb,
    require_mlflow_venv,
    table,
)
from bench.stack_process import StackEndpoints, stack_in_child_process  # noqa: E402
from bench.timing import Timings, describe_machine, percentile, timed_repeats  # noqa: E402
from wavedb_local.postgres import ensure_database  # noqa: E402

MLFLOW_DATABASE = "mlflow"
MLFLOW_INGEST_SCRIPT = REPOSITORY / "bench" / "mlflow_ingest.py"
SERVERLESS_SCRIPT = REPOSITORY / "bench" / "serverless.py"
COPY_CEILING_POINTS = 1_000_000
MLFLOW_LOG_BATCH_LIMIT = 1000


# ---------------------------------------------------------------- options


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small sizes, for development")
    parser.add_argument("--runs", type=int, help="ingest: runs (default 20)")
    parser.add_argument("--metrics", type=int, help="ingest: metrics per run (default 50)")
    parser.add_argument("--steps", type=int, help="ingest: steps per metric (default 2,000)")
    parser.add_argument("--threads", type=int, help="ingest: client threads (default 4)")
    parser.add_argument("--skip-10m", action="store_true", help="reads: no 10M-point series")
    parser.add_argument("--repeat", type=int, help="reads: chart reads per figure (default 30)")
    parser.add_argument("--cap", type=float, help="reads: seconds per measurement (default 30)")
    parser.add_argument("--skip-ingest", action="store_true")
    parser.add_argument("--skip-reads", action="store_true")
    parser.add_argument("--skip-sdk", action="store_true")
    parser.add_argument("--skip-serverless", action="store_true")
    options = parser.parse_args()
    quick = options.quick
    defaults: dict[str, Any] = {
        "runs": 2 if quick else 20,
        "metrics": 10 if quick else 50,
        "steps": 500 if quick else 2000,
        "threads": 2 if quick else 4,
        "repeat": 5 if quick else 30,
        "cap": 10.0 if quick else 30.0,
    }
    for name, value in defaults.items():
        if getattr(options, name) is None:
            setattr(options, name, value)
    options.read_sizes = (
        [10_000, 100_000] if quick else [10_000, 1_000_000, *([] if options.skip_10m else [10**7])]
    )
    options.whole_history_repeat = 2 if quick else 5
    options.sdk_calls = 5_000 if quick else 100_000
    options.sdk_repeat = 1 if quick else 3
    options.mlflow_calls = (
        MlflowCalls(100, 200, 2_000) if quick else MlflowCalls(500, 2_000, 50_000)
    )
    return options


# ---------------------------------------------------------------- the two servers


@dataclass(frozen=True)
class Servers:
    stack: StackEndpoints
    mlflow_url: str
    mlflow_database_url: str  # psycopg, for loading and counting
    mlflow_pid: int
    postgres_data_dir: str  # the embedded server's data directory (and socket directory)
    postgres_version: str
    mlflow_version: str


@contextlib.contextmanager
def both_servers(workdir: Path) -> Iterator[Servers]:
    print("starting the local stack ...", flush=True)
    with stack_in_child_process(workdir / "stack") as stack:
        admin_url = _with_database(stack.database_url, "postgres")
        ensure_database(admin_url, MLFLOW_DATABASE)
        psycopg_url, sqlalchemy_url = mlflow_database_urls(stack.database_url, MLFLOW_DATABASE)
        print(f"starting mlflow server --backend-store-uri {sqlalchemy_url} ...", flush=True)
        with running_server(str(MLFLOW_PYTHON), sqlalchemy_url, workdir / "mlflow") as server:
            url = server.url
            print(f"mlflow server healthy at {url} after {server.startup_seconds:.1f} s")
            settled = wait_until_idle(server.pid)
            print(f"mlflow server's processes idle {settled:.0f} s later", flush=True)
            version = httpx.get(f"{url}/version", timeout=30, trust_env=False).text.strip()
            yield Servers(
                stack=stack,
                mlflow_url=url,
                mlflow_pid=server.pid,
                postgres_data_dir=str(
                    psycopg.conninfo.conninfo_to_dict(stack.database_url).get("host")
                ),
                mlflow_database_url=psycopg_url,
                postgres_version=wavedb_side.server_version(stack.database_url),
                mlflow_version=version,
            )


def _with_database(url: str, name: str) -> str:
    return psycopg.conninfo.make_conninfo(url, dbname=name)


# ---------------------------------------------------------------- 1. ingest


@dataclass(frozen=True)
class MlflowIngest:
    points: int
    seconds: float
    latencies_ms: list[float]
    points_readable: int

    @property
    def rate(self) -> float:
        return self.points / self.seconds


def mlflow_ingest(servers: Servers, workload: Workload) -> MlflowIngest:
    command = [
        str(MLFLOW_PYTHON),
        str(MLFLOW_INGEST_SCRIPT),
        "--tracking-uri",
        servers.mlflow_url,
        "--runs",
        str(workload.runs),
        "--metrics",
        str(workload.metrics),
        "--steps",
        str(workload.steps),
        "--threads",
        str(workload.threads),
    ]
    answer = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    if answer.returncode != 0:
        raise RuntimeError(f"MLflow's ingest client failed with exit code {answer.returncode}")
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    if result["errors"]:
        raise RuntimeError(f"MLflow's ingest client: {result['errors'][:3]}")
    readable = mlflow_reads.count_points(servers.mlflow_database_url, result["run_ids"])
    return MlflowIngest(result["points"], result["seconds"], result["latencies_ms"], readable)


@dataclass(frozen=True)
class IngestFigures:
    workload: Workload
    copy_ceiling: float
    wavedb: IngestResult
    mlflow: MlflowIngest
    wavedb_cpu: CpuMeter
    mlflow_cpu: CpuMeter
    wavedb_growth_bytes: int  # database growth over the ingest, after VACUUM and CHECKPOINT
    mlflow_growth_bytes: int


def database_bytes(database_url: str) -> int:
    """The database's size (`pg_database_size`: tables, indexes, TOAST) after VACUUM and
    CHECKPOINT, so that two sizes compare what the data holds at rest."""
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("VACUUM")
        connection.execute("CHECKPOINT")
        row = connection.execute("SELECT pg_database_size(current_database())").fetchone()
    assert row is not None
    return int(row[0])


def measure_ingest(servers: Servers, account: Account, workload: Workload) -> IngestFigures:
    api_url = servers.stack.api_url
    print(f"\n## 1. Ingest: {workload.describe()}", flush=True)
    ceiling_run = wavedb_side.create_run(api_url, account, "copy-ceiling")
    ceiling = wavedb_side.measure_copy_ceiling(
        servers.stack.database_url, ceiling_run, COPY_CEILING_POINTS
    )
    print(f"COPY ceiling: {ceiling:,.0f} points/s", flush=True)
    our_size = database_bytes(servers.stack.database_url)
    with CpuMeter(servers.stack.pid, servers.postgres_data_dir) as our_cpu:
        ours = wavedb_side.measure_ingest(api_url, account, workload)
    our_growth = database_bytes(servers.stack.database_url) - our_size
    print(
        f"WaveDB: {ours.points:,} points written in {ours.seconds:.1f} s"
        f" ({ours.rate:,.0f} points/s; accepted in {ours.accepted_seconds:.1f} s);"
        f" {ours.points_readable:,} readable",
        flush=True,
    )
    their_size = database_bytes(servers.mlflow_database_url)
    with CpuMeter(servers.mlflow_pid, servers.postgres_data_dir) as their_cpu:
        theirs = mlflow_ingest(servers, workload)
    their_growth = database_bytes(servers.mlflow_database_url) - their_size
    print(
        f"MLflow: {theirs.points:,} points in {theirs.seconds:.1f} s"
        f" ({theirs.rate:,.0f} points/s); {theirs.points_readable:,} in its metrics table",
        flush=True,
    )
    figures = IngestFigures(
        workload, ceiling, ours, theirs, our_cpu, their_cpu, our_growth, their_growth
    )
    print(ingest_table(figures), flush=True)
    return figures


def _cpu(meter: CpuMeter, points: int) -> str:
    per_million = 1_000_000 / points
    return (
        f"{meter.server_seconds * per_million:.1f} + {meter.postgres_seconds * per_million:.1f}"
        f" = {meter.total_seconds * per_million:.1f}"
    )


def ingest_table(figures: IngestFigures) -> str:
    ours, theirs, ceiling = figures.wavedb, figures.mlflow, figures.copy_ceiling
    expected = figures.workload.points
    header = (
        "| ingest | client, request size | requests | seconds | points/s | request p50 ms"
        " | request p99 ms | points readable | vs MLflow | % of COPY ceiling"
        " | server + PostgreSQL CPU s per 1M points | bytes per point at rest |\n"
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    rows = [
        f"| COPY into metric_points (1 connection) | - | 1 | - | {ceiling:,.0f} | - | - | - | -"
        " | 100% | - | - |",
        f"| **WaveDB** (API -> SQS -> worker -> PostgreSQL) | SDK `ApiClient.send_series`,"
        f" {ours.points / len(ours.latencies_ms):,.0f} points a request"
        f" | {len(ours.latencies_ms):,} | {ours.seconds:.1f} | **{ours.rate:,.0f}**"
        f" | {percentile(ours.latencies_ms, 0.5):.1f} | {percentile(ours.latencies_ms, 0.99):.1f}"
        f" | {ours.points_readable:,} / {expected:,}"
        f" | **{ours.rate / theirs.rate:.1f}x** | {ours.rate / ceiling:.0%}"
        f" | {_cpu(figures.wavedb_cpu, ours.points)}"
        f" | **{figures.wavedb_growth_bytes / ours.points:.1f}** |",
        f"| MLflow (server -> PostgreSQL) | `MlflowClient.log_batch`,"
        f" {theirs.points / len(theirs.latencies_ms):,.0f} metrics a request"
        f" | {len(theirs.latencies_ms):,} | {theirs.seconds:.1f} | {theirs.rate:,.0f}"
        f" | {percentile(theirs.latencies_ms, 0.5):.1f}"
        f" | {percentile(theirs.latencies_ms, 0.99):.1f}"
        f" | {theirs.points_readable:,} / {expected:,} | 1x | {theirs.rate / ceiling:.0%}"
        f" | {_cpu(figures.mlflow_cpu, theirs.points)}"
        f" | {figures.mlflow_growth_bytes / theirs.points:.1f} |",
    ]
    return "\n".join([header, *rows])


# ---------------------------------------------------------------- 2. reads


@dataclass(frozen=True)
class ReadFigures:
    points: int
    wavedb_load_seconds: float
    mlflow_load_seconds: float
    wavedb_buckets: int
    mlflow_sampled: int
    wavedb_chart: Timings
    mlflow_chart: Timings
    wavedb_history: Timings
    mlflow_history: Timings


def whole_history_timings(
    read: Callable[[float], int], expected: int, repeat: int, cap_seconds: float
) -> Timings:
    """Whole-history reads (each given a deadline) until `repeat` are done or the cap;
    a read stopped by the cap is not a sample: its progress goes into the note."""
    result = Timings(cap_seconds=cap_seconds)
    started = time.monotonic()
    while len(result.samples_ms) < repeat:
        remaining = cap_seconds - (time.monotonic() - started)
        if remaining <= 0:
            result.capped = True
            break
        clock = time.perf_counter()
        read_points = read(time.monotonic() + remaining)
        elapsed_ms = (time.perf_counter() - clock) * 1000
        if read_points < expected:
            result.capped = True
            if not result.samples_ms:
                result.unfinished_ms = elapsed_ms
                result.note = f"{read_points:,} of {expected:,} points read by then"
            break
        result.samples_ms.append(elapsed_ms)
    return result


def measure_reads(
    servers: Servers, account: Account, options: argparse.Namespace
) -> list[ReadFigures]:
    print(
        f"\n## 2. Reads: series of {', '.join(f'{size:,}' for size in options.read_sizes)}"
        f" points; chart reads: up to {options.repeat} per figure; whole history: up to"
        f" {options.whole_history_repeat}; each measurement capped at {options.cap:.0f} s",
        flush=True,
    )
    api_url = servers.stack.api_url
    figures = []
    with (
        wavedb_side.api_client(api_url, account) as ours,
        mlflow_reads.mlflow_client(servers.mlflow_url) as theirs,
    ):
        experiment = mlflow_reads.create_experiment(theirs, f"reads-{int(time.time())}")
        for size in options.read_sizes:
            figure = _measure_size(servers, account, (ours, theirs), experiment, size, options)
            figures.append(figure)
            print(read_table([figure]), flush=True)
    return figures


def _measure_size(
    servers: Servers,
    account: Account,
    clients: tuple[httpx.Client, httpx.Client],
    experiment: str,
    size: int,
    options: argparse.Namespace,
) -> ReadFigures:
    ours, theirs = clients
    name = f"series/{size}"
    our_run = wavedb_side.create_run(servers.stack.api_url, account, f"read-{size}")
    their_run = mlflow_reads.create_run(theirs, experiment, f"read-{size}")
    our_load = wavedb_side.load_series(servers.stack.database_url, our_run, name, size)
    their_load = mlflow_reads.load_mlflow_series(servers.mlflow_database_url, their_run, name, size)
    print(f"{size:,} points loaded: WaveDB {our_load:.1f} s, MLflow {their_load:.1f} s", flush=True)
    chart = wavedb_side.CHART_POINTS

    def our_chart() -> int:
        return wavedb_side.downsampled_read(ours, our_run, name)

    def their_chart() -> int:
        return mlflow_reads.bulk_interval_read(theirs, their_run, name, chart)

    def our_history(deadline: float) -> int:
        return wavedb_side.whole_history_read(ours, our_run, name, deadline)

    def their_history(deadline: float) -> int:
        return mlflow_reads.whole_history_read(theirs, their_run, name, deadline)

    repeat, cap, history_repeat = options.repeat, options.cap, options.whole_history_repeat
    return ReadFigures(
        points=size,
        wavedb_load_seconds=our_load,
        mlflow_load_seconds=their_load,
        wavedb_buckets=our_chart(),
        mlflow_sampled=their_chart(),
        wavedb_chart=timed_repeats(our_chart, repeat, cap),
        mlflow_chart=timed_repeats(their_chart, repeat, cap),
        wavedb_history=whole_history_timings(our_history, size, history_repeat, cap),
        mlflow_history=whole_history_timings(their_history, size, history_repeat, cap),
    )


def _ratio(ours: Timings, theirs: Timings) -> str:
    if not ours.samples_ms:
        return "-"
    if not theirs.samples_ms:
        floor = theirs.unfinished_ms or theirs.cap_seconds * 1000
        return f"> {_times(floor / ours.median_ms)}"
    return f"**{_times(theirs.median_ms / ours.median_ms)}**"


def _times(ratio: float) -> str:
    return f"{ratio:,.1f}x" if ratio < 100 else f"{ratio:,.0f}x"


def read_table(figures: list[ReadFigures]) -> str:
    """The chart read next to MLflow's two ways to draw a chart, then whole histories."""
    header = (
        "| series | WaveDB chart read (`points=1000`) | MLflow get-history-bulk-interval"
        " (`max_results=1000`) | WaveDB faster by | MLflow get-history, whole (pages of"
        " 25,000) | WaveDB chart read faster by | WaveDB whole history (pages of 80,000,"
        " columns) | WaveDB whole history faster by |\n"
        "|---:|---:|---:|---:|---:|---:|---:|---:|"
    )
    rows = [
        f"| {row.points:,} | {row.wavedb_chart.describe()} [{row.wavedb_buckets} buckets]"
        f" | {row.mlflow_chart.describe()} [{row.mlflow_sampled} points]"
        f" | {_ratio(row.wavedb_chart, row.mlflow_chart)}"
        f" | {row.mlflow_history.describe()} | {_ratio(row.wavedb_chart, row.mlflow_history)}"
        f" | {row.wavedb_history.describe()} | {_ratio(row.wavedb_history, row.mlflow_history)} |"
        for row in figures
    ]
    return "\n".join([header, *rows])


def growth_lines(figures: list[ReadFigures]) -> list[str]:
    if len(figures) < 2:
        return []
    first, last = figures[0], figures[-1]

    def growth(pick: Callable[[ReadFigures], Timings]) -> str:
        start, end = pick(first), pick(last)
        if not start.samples_ms:
            return "-"
        if not end.samples_ms:
            floor = end.unfinished_ms or end.cap_seconds * 1000
            return f"> {_times(floor / start.median_ms)} (capped)"
        return _times(end.median_ms / start.median_ms)

    span = f"{first.points:,} -> {last.points:,} points"
    return [
        f"Growth of the median from {span}:"
        f" WaveDB chart read {growth(lambda row: row.wavedb_chart)},"
        f" MLflow get-history-bulk-interval {growth(lambda row: row.mlflow_chart)};"
        f" WaveDB whole history {growth(lambda row: row.wavedb_history)},"
        f" MLflow get-history {growth(lambda row: row.mlflow_history)}.",
        "Loading (SQL, not timed in the reads): "
        + "; ".join(
            f"{row.points:,}: WaveDB {row.wavedb_load_seconds:.1f} s,"
            f" MLflow {row.mlflow_load_seconds:.1f} s"
            for row in figures
        ),
    ]


# ---------------------------------------------------------------- 3. SDK


def measure_sdk(servers: Servers, options: argparse.Namespace, workdir: Path) -> list[Row]:
    calls = options.mlflow_calls
    print(
        f"\n## 3. SDK: per-call cost; WaveDB {options.sdk_calls:,} calls x {options.sdk_repeat}"
        f" per case; MLflow {calls.sync:,} synchronous, {calls.asynchronous:,} asynchronous,"
        f" {calls.buffered:,} buffered",
        flush=True,
    )
    mlflow_rows, _ = measure_mlflow(servers.mlflow_url, calls)
    print(table(mlflow_rows), flush=True)
    ours = measure_wavedb(servers.stack.api_url, options.sdk_calls, options.sdk_repeat, workdir)
    return [*ours, *mlflow_rows]


# ---------------------------------------------------------------- 4. serverless


def run_serverless() -> None:
    """`make bench-serverless` (it prepares the Lambda runtime's venv, then runs
    bench/serverless.py); a failure there is reported, not raised."""
    if not SERVERLESS_SCRIPT.exists():
        print(f"\n## 4. Serverless: {SERVERLESS_SCRIPT.name} is not there; skipped", flush=True)
        return
    print("\n## 4. Serverless: make bench-serverless", flush=True)
    answer = subprocess.run(
        ["make", "--no-print-directory", "bench-serverless"],  # noqa: S607
        cwd=REPOSITORY,
        check=False,
    )
    if answer.returncode != 0:
        print(f"make bench-serverless failed with exit code {answer.returncode}", flush=True)


# ---------------------------------------------------------------- main


def main() -> None:
    options = parse_options()
    require_mlflow_venv()
    started = time.perf_counter()
    command = shlex.join([os.path.relpath(sys.executable), *sys.argv])
    print(f"command: {command}", flush=True)
    print(f"machine: {describe_machine()}", flush=True)
    workload = Workload(options.runs, options.metrics, options.steps, options.threads)
    workdir = Path(tempfile.mkdtemp(prefix="wavedb-bench-"))
    try:
        with both_servers(workdir) as servers:
            versions = (
                f"PostgreSQL {servers.postgres_version} (embedded, one server for both);"
                f" MLflow {servers.mlflow_version}"
            )
            print(versions, flush=True)
            account = wavedb_side.create_account(servers.stack.api_url)
            ingest = None if options.skip_ingest else measure_ingest(servers, account, workload)
            reads = [] if options.skip_reads else measure_reads(servers, account, options)
            sdk_rows = [] if options.skip_sdk else measure_sdk(servers, options, workdir / "sdk")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print("\n# WaveDB next to MLflow (summary)\n")
    print(f"command: {command}")
    print(f"machine: {describe_machine()}; {versions}\n")
    if ingest is not None:
        print(f"Ingest: {workload.describe()}.\n")
        print(ingest_table(ingest))
    if reads:
        print("\nReads over HTTP: median (p95, calls).\n")
        print(read_table(reads))
        print()
        for line in growth_lines(reads):
            print(line)
    if sdk_rows:
        print("\nSDK: per-call cost in the training thread.\n")
        print(table(sdk_rows))
    print(f"\nWaveDB next to MLflow took {time.perf_counter() - started:,.0f} s.", flush=True)
    if not options.skip_serverless:
        run_serverless()
    total = time.perf_counter() - started
    print(f"\nIn all: {total // 60:.0f} min {total % 60:.0f} s.", flush=True)


if __name__ == "__main__":
    main()
