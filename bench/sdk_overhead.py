"""Per-call cost of logging three metrics at a step: the WaveDB SDK next to MLflow.

Times each `run.log({"loss": x, "acc": y, "lr": z}, step=i)` with time.perf_counter_ns
(the dict literal is inside the timed region, as it is in training code), then how long
`run.finish()` takes to send what is left, and reads the points back through the API to
check that every one arrived. Three WaveDB cases: the API up (the local stack on loopback),
the API unreachable (a closed loopback port: everything is spooled to disk in the
background; afterwards `wavedb.sync.sync_path` sends the spooled run to the live stack and
the points are counted there too), and a no-op function taking the same arguments (the
floor: loop, dict literal, call and timer).

MLflow runs in its own virtual environment (`.venv-bench-mlflow`, pins in
bench/requirements-mlflow.txt): bench/mlflow_overhead.py times `mlflow.log_metrics`
synchronously, with synchronous=False, and with synchronous=False plus MLflow's own
batching (MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS), against an `mlflow server` whose backend
store is a database on the local stack's embedded PostgreSQL server.

The local stack runs in a child process by default (bench/stack_process.py), as an MLflow
server does, so that the server's work (HTTP, JSON, the SQS worker) does not compete for
this interpreter's lock; `--stack in-process` runs it in this process instead (the MLflow
half is then skipped: it needs the stack's PostgreSQL). Nothing is written into the
repository (all data goes to a temporary directory) except the optional --json file.
`make bench` (bench/compare_with_mlflow.py) runs the same measurement next to the ingest
and read benchmarks.

    make bench-sdk
    .venv/bin/python bench/sdk_overhead.py [--calls 100000] [--json results.json]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "shared"), str(REPOSITORY / "infra"), str(REPOSITORY)]

import wavedb  # noqa: E402
from bench.mlflow_server import free_loopback_port, running_server  # noqa: E402
from bench.stack_process import StackEndpoints, stack_in_child_process  # noqa: E402
from wavedb.api import ApiClient  # noqa: E402
from wavedb.sync import sync_path  # noqa: E402

METRIC_KEYS = ("loss", "acc", "lr")
WARMUP_CALLS = 50
ARRIVAL_TIMEOUT_SECONDS = 600.0
MLFLOW_PYTHON = REPOSITORY / ".venv-bench-mlflow" / "bin" / "python"
MLFLOW_SCRIPT = REPOSITORY / "bench" / "mlflow_overhead.py"
MLFLOW_DATABASE = "mlflow"


# ---------------------------------------------------------------- measuring


def metric_values(step: int) -> tuple[float, float, float]:
    """Plausible training curves (the same in bench/mlflow_overhead.py)."""
    loss = 2.0 * math.exp(-step / 20_000) + 0.01 * math.sin(step)
    acc = 1.0 - 0.9 * math.exp(-step / 30_000)
    lr = 3e-4 * 0.5 * (1 + math.cos(math.pi * (step % 10_000) / 10_000))
    return loss, acc, lr


LogCall = Callable[..., object]


def timed_calls(log: LogCall, calls: int) -> list[int]:
    """Nanoseconds of each `log({...}, step=i)` for i in 0..calls-1, less the warm-up."""
    clock = time.perf_counter_ns
    durations = [0] * calls
    for step in range(calls):
        loss, acc, lr = metric_values(step)
        started = clock()
        log({"loss": loss, "acc": acc, "lr": lr}, step=step)
        durations[step] = clock() - started
    return durations[WARMUP_CALLS:]


@dataclass
class Row:
    """One line of the table; times per call in microseconds, others in seconds."""

    label: str
    total_calls: int  # per repeat
    timed_calls: int  # over all repeats, less the warm-up calls
    median_us: float
    mean_us: float
    p99_us: float
    max_us: float
    loop_seconds: float
    start_seconds: float | None = None
    flush_seconds: float | None = None
    points_expected: int | None = None
    points_arrived: int | None = None
    arrival_note: str = ""
    repeats: int = 1


def row_of(label: str, calls: int, durations: list[int], loop_seconds: float) -> Row:
    ordered = sorted(durations)
    count = len(ordered)
    return Row(
        label=label,
        total_calls=calls,
        timed_calls=count,
        median_us=ordered[count // 2] / 1000,
        mean_us=sum(ordered) / count / 1000,
        p99_us=ordered[min(count - 1, math.ceil(0.99 * count) - 1)] / 1000,
        max_us=ordered[-1] / 1000,
        loop_seconds=loop_seconds,
    )


def measure_loop(label: str, log: LogCall, calls: int) -> Row:
    started = time.perf_counter()
    durations = timed_calls(log, calls)
    return row_of(label, calls, durations, time.perf_counter() - started)


def noop_log(data: dict[str, float], step: int | None = None) -> None:
    """Takes what run.log takes and does nothing: the floor of the measurement."""


# ---------------------------------------------------------------- the local stack


@contextlib.contextmanager
def stack_in_this_process(workdir: Path) -> Iterator[StackEndpoints]:
    from wavedb_local.config import LocalStackConfig
    from wavedb_local.stack import LocalStack

    stack = LocalStack(
        LocalStackConfig(
            template_path=REPOSITORY / "template.yaml",
            data_dir=workdir / "stack",
            host="127.0.0.1",
            port=0,
            jwt_secret=uuid.uuid4().hex * 2,
        )
    )
    stack.start(serve_http=True, event_sources=True)
    try:
        yield StackEndpoints(stack.api_url, stack.database_url, os.getpid())
    finally:
        stack.stop()


def create_api_key(api_url: str) -> str:
    """Sign up a new user and create an API key with room for the benchmark's requests."""
    with httpx.Client(base_url=api_url, timeout=60, trust_env=False) as client:
        signup = client.post(
            "/v1/auth/signup",
            json={
                "email": f"bench-{uuid.uuid4().hex[:8]}@example.com",
                "password": "correct horse battery staple",
                "name": "Bench",
            },
        )
        signup.raise_for_status()
        access_token = signup.json()["tokens"]["access_token"]
        key = client.post(
            "/v1/api-keys",
            json={"name": "bench-sdk", "rate_limit_per_minute": 12_000},  # the ceiling
            headers={"Authorization": f"Bearer {access_token}"},
        )
        key.raise_for_status()
        return str(key.json()["key"])


# ---------------------------------------------------------------- WaveDB


def wait_for_points(client: ApiClient, run_id: str, expected_per_metric: int) -> int:
    """Polls the run's metric summaries until every metric has its points (ingest goes
    through SQS); answers the number of points readable then."""
    deadline = time.monotonic() + ARRIVAL_TIMEOUT_SECONDS
    while True:
        counts = {item["name"]: int(item["count"]) for item in client.metric_summaries(run_id)}
        arrived = sum(counts.get(key, 0) for key in METRIC_KEYS)
        if arrived >= expected_per_metric * len(METRIC_KEYS) or time.monotonic() > deadline:
            return arrived
        time.sleep(0.25)


@dataclass
class Trial:
    """One WaveDB run of timed calls, finished, and its points read back."""

    durations_ns: list[int]
    start_seconds: float
    loop_seconds: float
    finish_seconds: float
    points_expected: int
    points_arrived: int
    readable_seconds: float


def _timed_run(
    api_url: str, api_key: str, runs_dir: Path, name: str, calls: int
) -> tuple[wavedb.Run, float, list[int], float, float]:
    """init, the timed calls, finish: (run, start s, durations, loop s, finish s)."""
    started = time.perf_counter()
    run = wavedb.init(
        project="sdk-overhead",
        name=name,
        api_url=api_url,
        api_key=api_key,
        system_metrics=False,
        dir=str(runs_dir),
    )
    start_seconds = time.perf_counter() - started
    started = time.perf_counter()
    durations = timed_calls(run.log, calls)
    loop_seconds = time.perf_counter() - started
    started = time.perf_counter()
    run.finish()
    return run, start_seconds, durations, loop_seconds, time.perf_counter() - started


def online_trial(api_url: str, api_key: str, runs_dir: Path, calls: int) -> Trial:
    run, start, durations, loop, finish = _timed_run(api_url, api_key, runs_dir, "up", calls)
    started = time.perf_counter()
    with ApiClient(api_url, api_key) as client:
        arrived = wait_for_points(client, run.id, calls)
    readable = time.perf_counter() - started
    return Trial(durations, start, loop, finish, calls * len(METRIC_KEYS), arrived, readable)


def unreachable_trial(api_url: str, api_key: str, runs_dir: Path, calls: int) -> Trial:
    """The API at a closed loopback port; afterwards the spooled run is synced to the
    live API and its points counted there."""
    closed_url = f"http://127.0.0.1:{free_loopback_port()}"
    run, start, durations, loop, finish = _timed_run(
        closed_url, api_key, runs_dir, "unreachable", calls
    )
    started = time.perf_counter()
    with ApiClient(api_url, api_key) as client:
        report = sync_path(run.dir, client)
        if not report.ok:
            raise RuntimeError(f"wavedb sync of {run.dir} failed: {report}")
        arrived = wait_for_points(client, run.id, calls)
    readable = time.perf_counter() - started
    return Trial(durations, start, loop, finish, calls * len(METRIC_KEYS), arrived, readable)


def repeated(label: str, trials: list[Trial], calls: int, readable_after: str) -> Row:
    """One row for several trials: the per-call figures over all their calls pooled, the
    seconds averaged."""
    count = len(trials)
    row = row_of(
        label,
        calls,
        [duration for trial in trials for duration in trial.durations_ns],
        sum(trial.loop_seconds for trial in trials) / count,
    )
    row.repeats = count
    row.start_seconds = sum(trial.start_seconds for trial in trials) / count
    row.flush_seconds = sum(trial.finish_seconds for trial in trials) / count
    row.points_expected = sum(trial.points_expected for trial in trials)
    row.points_arrived = sum(trial.points_arrived for trial in trials)
    fastest = min(trial.readable_seconds for trial in trials)
    slowest = max(trial.readable_seconds for trial in trials)
    span = f"{fastest:.1f}" if count == 1 else f"{fastest:.1f}-{slowest:.1f}"
    row.arrival_note = f"all readable {span} s {readable_after}"
    return row


# ---------------------------------------------------------------- MLflow


def require_mlflow_venv() -> None:
    if not MLFLOW_PYTHON.exists():
        raise SystemExit(
            f"{MLFLOW_PYTHON} is missing: make .venv-bench-mlflow/.installed"
            " (or pass --skip-mlflow)"
        )


@dataclass(frozen=True)
class MlflowCalls:
    """log_metrics calls per MLflow mode."""

    sync: int
    asynchronous: int
    buffered: int


def measure_mlflow(tracking_uri: str, calls: MlflowCalls) -> tuple[list[Row], dict[str, Any]]:
    """bench/mlflow_overhead.py in MLflow's venv against the server at `tracking_uri`."""
    require_mlflow_venv()
    command = [
        str(MLFLOW_PYTHON),
        str(MLFLOW_SCRIPT),
        "--tracking-uri",
        tracking_uri,
        "--sync-calls",
        str(calls.sync),
        "--async-calls",
        str(calls.asynchronous),
        "--buffered-calls",
        str(calls.buffered),
    ]
    print("MLflow:", " ".join(command), flush=True)
    # Its progress goes to stderr (shown as it comes), its result to stdout.
    answer = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)  # noqa: S603
    if answer.returncode != 0:
        raise RuntimeError(f"the MLflow half failed with exit code {answer.returncode}")
    result: dict[str, Any] = json.loads(answer.stdout.strip().splitlines()[-1])
    labels = {
        "sync": "MLflow `log_metrics`, synchronous (default)",
        "async": "MLflow `log_metrics`, synchronous=False",
        "async-buffered": "MLflow `log_metrics`, synchronous=False + 1 s buffering",
    }
    rows = []
    for mode in result["modes"]:
        rows.append(
            Row(
                label=labels[mode["mode"]],
                total_calls=mode["total_calls"],
                timed_calls=mode["calls"],
                median_us=mode["median_us"],
                mean_us=mode["mean_us"],
                p99_us=mode["p99_us"],
                max_us=mode["max_us"],
                loop_seconds=mode["loop_seconds"],
                start_seconds=mode["start_seconds"],
                flush_seconds=mode["flush_seconds"] + mode["finish_seconds"],
                points_expected=mode["points_expected"],
                points_arrived=mode["points_arrived"],
                arrival_note=mode["note"],
            )
        )
    return rows, result


# ---------------------------------------------------------------- report


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return {
        "cpu": cpu,
        "cpus": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
    }


def _us(value: float) -> str:
    return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"


def _seconds(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def table(rows: list[Row]) -> str:
    lines = [
        "| what | calls (timed) | median µs | mean µs | p99 µs | max µs | start s | loop s"
        " | finish s | loop + finish s | points read back |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in rows:
        arrived = "-"
        if row.points_expected is not None:
            arrived = f"{row.points_arrived or 0:,} / {row.points_expected:,}"
            if row.arrival_note:
                arrived += f" ({row.arrival_note})"
        total = None if row.flush_seconds is None else row.loop_seconds + row.flush_seconds
        lines.append(
            f"| {row.label} | {row.total_calls:,}{f' x {row.repeats}' if row.repeats > 1 else ''}"
            f" ({row.timed_calls:,}) | {_us(row.median_us)}"
            f" | {_us(row.mean_us)} | {_us(row.p99_us)} | {_us(row.max_us)}"
            f" | {_seconds(row.start_seconds)} | {row.loop_seconds:.2f}"
            f" | {_seconds(row.flush_seconds)} | {_seconds(total)} | {arrived} |"
        )
    return "\n".join(lines)


def _reported(trial: Trial, what: str) -> Trial:
    row = row_of(what, len(trial.durations_ns), trial.durations_ns, trial.loop_seconds)
    print(
        f"  {what}: median {row.median_us:.2f} µs, mean {row.mean_us:.2f} µs,"
        f" p99 {row.p99_us:.2f} µs, max {row.max_us:,.0f} µs; finish {trial.finish_seconds:.2f} s;"
        f" {trial.points_arrived:,}/{trial.points_expected:,} points read back",
        flush=True,
    )
    return trial


def measure_wavedb(api_url: str, calls: int, repeat: int, workdir: Path) -> list[Row]:
    """The floor, then `repeat` runs with the API up and `repeat` with it unreachable."""
    os.environ["WAVEDB_CONFIG_DIR"] = str(workdir / "config")
    os.environ["WAVEDB_DIR"] = str(workdir / "runs")
    api_key = create_api_key(api_url)
    runs = workdir / "runs"
    baseline = measure_loop("no-op function, same arguments (floor)", noop_log, calls)
    print(table([baseline]), flush=True)
    online = repeated(
        "WaveDB `run.log`, API up",
        [_reported(online_trial(api_url, api_key, runs, calls), "API up") for _ in range(repeat)],
        calls,
        "after finish",
    )
    unreachable = repeated(
        "WaveDB `run.log`, API unreachable",
        [
            _reported(unreachable_trial(api_url, api_key, runs, calls), "unreachable")
            for _ in range(repeat)
        ],
        calls,
        "after `wavedb sync` of the spooled run",
    )
    print(table([online, unreachable]), flush=True)
    return [baseline, online, unreachable]


def parse_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=100_000, help="WaveDB run.log calls")
    parser.add_argument("--repeat", type=int, default=3, help="WaveDB runs per case (pooled)")
    parser.add_argument("--mlflow-sync-calls", type=int, default=1_000)
    parser.add_argument("--mlflow-async-calls", type=int, default=5_000)
    parser.add_argument("--mlflow-buffered-calls", type=int, default=100_000)
    parser.add_argument("--skip-mlflow", action="store_true")
    parser.add_argument(
        "--stack",
        choices=("child-process", "in-process"),
        default="child-process",
        help="where the local stack runs (default: a child process, like MLflow's server)",
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    options = parser.parse_args()
    if options.calls <= WARMUP_CALLS:
        parser.error(f"--calls must be more than {WARMUP_CALLS}")
    return options


def main() -> None:
    options = parse_options()
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    if not options.skip_mlflow:
        require_mlflow_venv()
    about = machine()
    print(
        f"machine: {about['cpu']}, {about['cpus']} CPUs, {about['system']};"
        f" Python {about['python']}; load average {about['load_average_at_start']}",
        flush=True,
    )
    rows: list[Row] = []
    mlflow_result: dict[str, Any] | None = None
    workdir = Path(tempfile.mkdtemp(prefix="wavedb-bench-sdk-"))
    try:
        serve = (
            stack_in_child_process if options.stack == "child-process" else stack_in_this_process
        )
        print(f"starting the local stack ({options.stack}) ...", flush=True)
        with serve(workdir / "stack") as stack:
            if not options.skip_mlflow:
                calls = MlflowCalls(
                    options.mlflow_sync_calls,
                    options.mlflow_async_calls,
                    options.mlflow_buffered_calls,
                )
                with mlflow_on_stack_postgres(stack, workdir / "mlflow") as tracking_uri:
                    mlflow_rows, mlflow_result = measure_mlflow(tracking_uri, calls)
                print(table(mlflow_rows), flush=True)
                rows.extend(mlflow_rows)
            rows[:0] = measure_wavedb(stack.api_url, options.calls, options.repeat, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)

    about["load_average_at_end"] = [round(value, 2) for value in os.getloadavg()]
    print()
    print(
        f"machine: {about['cpu']}, {about['cpus']} CPUs, {about['system']}; Python"
        f" {about['python']}; MLflow {mlflow_result['mlflow_version'] if mlflow_result else '-'};"
        f" stack: {options.stack}; load average {about['load_average_at_start']} at start,"
        f" {about['load_average_at_end']} at end"
    )
    print()
    print(table(rows))
    if options.json is not None:
        document = {
            "machine": about,
            "options": {key: str(value) for key, value in vars(options).items()},
            "rows": [asdict(row) for row in rows],
            "mlflow": mlflow_result,
        }
        options.json.write_text(json.dumps(document, indent=2))


@contextlib.contextmanager
def mlflow_on_stack_postgres(stack: StackEndpoints, workdir: Path) -> Iterator[str]:
    """`mlflow server` with its backend store in database `mlflow` on the stack's
    PostgreSQL server; answers its URL."""
    from bench.mlflow_reads import mlflow_database_urls
    from wavedb_local.postgres import ensure_database

    admin_url = psycopg.conninfo.make_conninfo(stack.database_url, dbname="postgres")
    ensure_database(admin_url, MLFLOW_DATABASE)
    _, backend_store_uri = mlflow_database_urls(stack.database_url, MLFLOW_DATABASE)
    with running_server(str(MLFLOW_PYTHON), backend_store_uri, workdir) as server:
        print(
            f"mlflow server healthy at {server.url} after {server.startup_seconds:.1f} s",
            flush=True,
        )
        yield server.url


if __name__ == "__main__":
    main()
