"""Per-call cost of `mlflow.log_metrics` against a local MLflow tracking server.

Runs in its own virtual environment (`.venv-bench-mlflow`, pins in
bench/requirements-mlflow.txt) because MLflow's dependencies clash with the project's.
bench/sdk_overhead.py starts it with `--tracking-uri` (a server whose backend store is on
the local stack's PostgreSQL) and reads the one JSON object it prints on stdout; it also
runs alone, starting its own `mlflow server` (SQLite backend, everything in a temporary
directory, loopback only, telemetry off):

    .venv-bench-mlflow/bin/python bench/mlflow_overhead.py --sync-calls 1000 --async-calls 5000

It times each `mlflow.log_metrics({...}, step=i)` call with
time.perf_counter_ns in three modes: the default (synchronous: one REST call per call),
synchronous=False (queued; MLflow's logging thread still sends one request per call), and
synchronous=False with MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS=1 (MLflow's own batching:
queued calls are merged into batches of up to 1,000 metrics). It measures how long the
queue takes to flush and reads the metric history back to check that every point arrived.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

# Client and server: no usage reports leave the machine.
os.environ["MLFLOW_DISABLE_TELEMETRY"] = "true"
os.environ["DO_NOT_TRACK"] = "true"

import mlflow  # type: ignore[import-not-found]
from mlflow.tracking import MlflowClient  # type: ignore[import-not-found]

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from bench.mlflow_server import running_server  # noqa: E402

METRIC_KEYS = ("loss", "acc", "lr")
WARMUP_CALLS = 50


@contextlib.contextmanager
def tracking_server(tracking_uri: str | None, workers: int) -> Iterator[str]:
    """The given server, or a new one on SQLite in a temporary directory."""
    if tracking_uri:
        yield tracking_uri
        return
    workdir = Path(tempfile.mkdtemp(prefix="wavedb-bench-mlflow-"))
    try:
        with running_server(
            sys.executable, f"sqlite:///{workdir / 'mlflow.db'}", workdir, workers=workers
        ) as server:
            print(
                f"mlflow server healthy at {server.url} after {server.startup_seconds:.1f} s",
                file=sys.stderr,
            )
            yield server.url
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def metric_values(step: int) -> tuple[float, float, float]:
    loss = 2.0 * math.exp(-step / 20_000) + 0.01 * math.sin(step)
    acc = 1.0 - 0.9 * math.exp(-step / 30_000)
    lr = 3e-4 * 0.5 * (1 + math.cos(math.pi * (step % 10_000) / 10_000))
    return loss, acc, lr


def summarize(durations_ns: list[int]) -> dict[str, float]:
    ordered = sorted(durations_ns)
    count = len(ordered)
    return {
        "calls": count,
        "median_us": ordered[count // 2] / 1000,
        "mean_us": sum(ordered) / count / 1000,
        "p99_us": ordered[min(count - 1, math.ceil(0.99 * count) - 1)] / 1000,
        "max_us": ordered[-1] / 1000,
    }


def timed_calls(calls: int, synchronous: bool) -> list[int]:
    """Calls log_metrics for steps 0..calls-1; the first WARMUP_CALLS are not kept."""
    clock = time.perf_counter_ns
    log_metrics = mlflow.log_metrics
    durations = [0] * calls
    for step in range(calls):
        loss, acc, lr = metric_values(step)
        started = clock()
        log_metrics({"loss": loss, "acc": acc, "lr": lr}, step=step, synchronous=synchronous)
        durations[step] = clock() - started
    return durations[WARMUP_CALLS:]


def points_arrived(client: Any, run_id: str) -> int:
    return sum(len(client.get_metric_history(run_id, key)) for key in METRIC_KEYS)


MODES = {
    # mode: (synchronous, MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS)
    "sync": (True, None),
    "async": (False, None),
    "async-buffered": (False, "1"),
}


def measure_mode(client: Any, mode: str, calls: int) -> dict[str, Any]:
    synchronous, buffering = MODES[mode]
    # Read by MLflow's logging thread each time it takes from its queue.
    os.environ.pop("MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS", None)
    if buffering is not None:
        os.environ["MLFLOW_ASYNC_LOGGING_BUFFERING_SECONDS"] = buffering
    started = time.perf_counter()
    run = mlflow.start_run(run_name=f"overhead-{mode}")
    start_seconds = time.perf_counter() - started
    run_id: str = run.info.run_id
    loop_started = time.perf_counter()
    durations = timed_calls(calls, synchronous)
    loop_seconds = time.perf_counter() - loop_started
    flush_started = time.perf_counter()
    if not synchronous:
        mlflow.flush_async_logging()
    flush_seconds = time.perf_counter() - flush_started
    end_started = time.perf_counter()
    mlflow.end_run()
    end_seconds = time.perf_counter() - end_started
    read_started = time.perf_counter()
    arrived = points_arrived(client, run_id)
    note = "read back right after end_run"
    return {
        "mode": mode,
        **summarize(durations),
        "total_calls": calls,
        "loop_seconds": loop_seconds,
        "start_seconds": start_seconds,
        "flush_seconds": flush_seconds,
        "finish_seconds": end_seconds,
        "points_expected": calls * len(METRIC_KEYS),
        "points_arrived": arrived,
        "read_seconds": time.perf_counter() - read_started,
        "note": note,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracking-uri", help="a running server (default: start one on SQLite)")
    parser.add_argument("--sync-calls", type=int, default=1_000)
    parser.add_argument("--async-calls", type=int, default=5_000)
    parser.add_argument("--buffered-calls", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=4, help="server worker processes")
    options = parser.parse_args()

    with tracking_server(options.tracking_uri, options.workers) as url:
        mlflow.set_tracking_uri(url)
        mlflow.set_experiment("overhead")
        client = MlflowClient(url)
        rows = []
        counts = {
            "sync": options.sync_calls,
            "async": options.async_calls,
            "async-buffered": options.buffered_calls,
        }
        for mode, calls in counts.items():
            if calls <= WARMUP_CALLS:
                continue
            row = measure_mode(client, mode, calls)
            print(json.dumps(row), file=sys.stderr)
            rows.append(row)
        result = {
            "mlflow_version": mlflow.__version__,
            "python": sys.version.split()[0],
            "modes": rows,
        }
        print(json.dumps(result))


if __name__ == "__main__":
    main()
