"""The time of `wavedb export --csv` of a 1M-point run (100 metrics x 10,000 steps) on the
local stack, laid out as in AWS (bench/stack_process.py: the API and the queue side with the
export worker in processes of their own, moto's S3 and SQS in another).

The points are loaded with COPY and the ingest worker's own SQL (bench/ingest_and_read.py's
`load_series`); then the CLI's own code path is timed: the export job is created, the
worker writes the CSV into a multipart upload, the job is polled until done, and the file
is downloaded from its presigned URL. Every exported value is checked against what was
loaded (bit for bit), and the direct route GET /v1/runs/{id}/metrics.csv is shown to refuse
the run (413 export_required) instead of answering more than a Lambda response may carry.

    .venv/bin/python bench/exports.py [--metrics 100] [--steps 10000]
"""

from __future__ import annotations

import argparse
import csv
import math
import struct
import sys
import tempfile
import time
from pathlib import Path

import httpx

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [
    str(REPOSITORY / "shared"),
    str(REPOSITORY / "infra"),
    str(REPOSITORY / "sdk" / "src"),
    str(REPOSITORY),
]

from bench.ingest_and_read import create_account, create_run, load_series  # noqa: E402
from bench.stack_process import stack_in_child_process  # noqa: E402
from wavedb.api import ApiClient  # noqa: E402
from wavedb.cli.export import write_csv  # noqa: E402

GOAL_SECONDS = 30.0


def loaded_value(step: int) -> float:
    """What load_series logs at `step` (bench/ingest_and_read.py's _copy_lines)."""
    return math.sin(step / 1000) + (50.0 if step % 100_003 == 0 else 0.0)


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def check_export(path: Path, run_id: str, names: list[str], steps: int) -> int:
    """Every row is a loaded point, exactly; answers the number of rows."""
    expected = {step: _bits(loaded_value(step)) for step in range(steps)}
    seen: dict[str, int] = dict.fromkeys(names, 0)
    rows = 0
    with path.open(newline="") as file:
        reader = csv.reader(file)
        assert next(reader) == ["run_id", "name", "step", "value", "timestamp"]
        for row_run, name, step, value, _ in reader:
            assert row_run == run_id, row_run
            assert _bits(float(value)) == expected[int(step)], (name, step, value)
            seen[name] += 1
            rows += 1
    assert seen == dict.fromkeys(names, steps), "a metric lost or gained points"
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, default=100)
    parser.add_argument("--steps", type=int, default=10_000)
    arguments = parser.parse_args()
    points = arguments.metrics * arguments.steps
    with tempfile.TemporaryDirectory(prefix="wavedb-bench-exports-") as folder:
        workdir = Path(folder)
        with stack_in_child_process(workdir / "stack") as stack:
            account = create_account(stack.api_url)
            run_id = create_run(stack.api_url, account, "export-1m")
            names = [f"train/metric_{index:03d}" for index in range(arguments.metrics)]
            load_seconds = sum(
                load_series(stack.database_url, run_id, name, arguments.steps) for name in names
            )
            print(f"loaded {points:,} points ({len(names)} metrics) in {load_seconds:.1f} s")

            direct = httpx.get(
                f"{stack.api_url}/v1/runs/{run_id}/metrics.csv",
                headers=account.headers,
                timeout=60,
            )
            answer = (
                f"{len(direct.content):,} bytes of CSV"
                if direct.status_code == 200
                else direct.json()["code"]
            )
            print(f"GET /v1/runs/{{id}}/metrics.csv: {direct.status_code} {answer}")

            target = workdir / "export.csv"
            started = time.perf_counter()
            with (
                ApiClient(stack.api_url, account.api_key, timeout=120) as client,
                target.open("wb") as out,
            ):
                write_csv(client, run_id, out)
            seconds = time.perf_counter() - started

            rows = check_export(target, run_id, names, arguments.steps)
            size = target.stat().st_size
    verdict = "within" if seconds <= GOAL_SECONDS else "OVER"
    print(
        f"wavedb export --csv, {points:,} points ({arguments.metrics} metrics x"
        f" {arguments.steps:,} steps): {seconds:.1f} s, {size / 1e6:.1f} MB, {rows:,} rows,"
        f" every value as loaded ({verdict} the {GOAL_SECONDS:.0f} s goal)"
    )


if __name__ == "__main__":
    main()
