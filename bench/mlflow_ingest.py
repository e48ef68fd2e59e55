"""MLflow's half of the ingest benchmark: `MlflowClient.log_batch` from several threads.

Runs in MLflow's own virtual environment (`.venv-bench-mlflow`) against a running
`mlflow server` (started by bench/compare_with_mlflow.py); prints one JSON object on
stdout. The workload is the one the WaveDB half sends: `runs` runs of `metrics` metrics
x `steps` steps, in step order, each run sent by one of `threads` client threads, in
requests of at most 1,000 metrics (MLflow's limit per log_batch). A log_batch call
returns once the server has committed its rows, so the clock stops when the last call
returns.

    .venv-bench-mlflow/bin/python bench/mlflow_ingest.py --tracking-uri http://127.0.0.1:5000
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

from mlflow.entities import Metric  # type: ignore[import-not-found]
from mlflow.tracking import MlflowClient  # type: ignore[import-not-found]

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.workload import metric_value, run_in_threads

MAX_METRICS_PER_LOG_BATCH = 1000


def send_run(
    client: Any, run_id: str, metrics: int, steps: int, batch: int, latencies: list[float]
) -> int:
    """log_batch every point of one run, in step order; answers the points sent."""
    names = [f"train/metric_{index:02d}" for index in range(metrics)]
    pending: list[Any] = []
    sent = 0

    def flush() -> None:
        started = time.perf_counter()
        client.log_batch(run_id, metrics=pending)
        latencies.append((time.perf_counter() - started) * 1000)

    for step in range(steps):
        timestamp = int(time.time() * 1000)
        for index, name in enumerate(names):
            pending.append(Metric(name, metric_value(index, step), timestamp, step))
            if len(pending) == batch:
                flush()
                sent += len(pending)
                pending = []
    if pending:
        flush()
        sent += len(pending)
    return sent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracking-uri", required=True)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--metrics", type=int, default=50)
    parser.add_argument("--steps", type=int, default=2000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--batch", type=int, default=MAX_METRICS_PER_LOG_BATCH)
    options = parser.parse_args()
    if not 1 <= options.batch <= MAX_METRICS_PER_LOG_BATCH:
        parser.error(f"--batch must be between 1 and {MAX_METRICS_PER_LOG_BATCH}")

    client = MlflowClient(options.tracking_uri)
    experiment_id = client.create_experiment(f"ingest-{int(time.time() * 1000)}")
    run_ids = [
        client.create_run(experiment_id, run_name=f"ingest-{index}").info.run_id
        for index in range(options.runs)
    ]
    todo: queue.SimpleQueue[str] = queue.SimpleQueue()
    for run_id in run_ids:
        todo.put(run_id)
    latencies: list[float] = []
    sent: list[int] = []
    errors: list[str] = []

    def worker() -> None:
        while True:
            try:
                run_id = todo.get_nowait()
            except queue.Empty:
                return
            try:
                sent.append(
                    send_run(
                        client, run_id, options.metrics, options.steps, options.batch, latencies
                    )
                )
            except Exception as error:  # reported in the JSON, the run counted as failed
                errors.append(f"{run_id}: {error!r}")

    seconds = run_in_threads(worker, options.threads)
    print(f"mlflow ingest: {sum(sent):,} points in {seconds:.1f} s", file=sys.stderr)
    print(
        json.dumps(
            {
                "experiment_id": experiment_id,
                "run_ids": run_ids,
                "points": sum(sent),
                "seconds": seconds,
                "requests": len(latencies),
                "latencies_ms": latencies,
                "errors": errors,
            }
        )
    )


if __name__ == "__main__":
    main()
