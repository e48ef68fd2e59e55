"""Run search on a large project: the server-side time of a filtered, sorted first page.

Seeds one project of 100,000 runs (configs with nested keys, tags, statuses, end times,
two metric summaries and a result each) beside another workspace of 20,000 runs, on the
embedded PostgreSQL (or TEST_DATABASE_URL's server) with every migration applied, then times
the service call the run listing makes (`services.runs.list_runs`: access check, filter
parsing and resolution, the query) plus the summaries of the page, as the route answers
them, for a few representative searches. The goal: <= 100 ms for a first page.

    .venv/bin/python bench/run_search.py [--runs 100000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import time
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPOSITORY / "shared"), str(REPOSITORY / "infra"), str(REPOSITORY)]

from bench.timing import describe_machine, timed_repeats  # noqa: E402
from tests.support.postgres import running_postgres  # noqa: E402

# (what it shows, filter, sort)
SEARCHES: list[tuple[str, str | None, str]] = [
    ("newest first, no filter", None, "-created_at"),
    ("config range, newest first", "config.optimizer.lr < 1e-3", "-created_at"),
    ("dashboard box: bare names", "lr>0.001 optimizer.name=adam loss<0.5", "-created_at"),
    ("metric summary, newest first", "loss.min < 0.05", "-created_at"),
    ("best by a result", "config.batch = 64", "-results.acc"),
    ("best by a metric's min, filtered", "status = finished and tags = sweep-3", "loss.min"),
    ("rare match (1 in 1,000)", "config.seed = 17 and not status = failed", "-created_at"),
    ("rare match, by a metric", "config.seed = 17", "-val/acc"),
    ("or, not, parentheses", "(status = failed or loss.last > 2.9) and not name ~ smoke", "name"),
    ("by end time", "ended_at > 2026-01-20T00:00:00Z", "-ended_at"),
]
STATUSES = ["finished", "finished", "finished", "failed", "crashed", "running"]
OPTIMIZERS = ["adam", "sgd", "adamw", "lion"]


def _copy_rows(
    connection: psycopg.Connection[tuple[object, ...]],
    table: str,
    columns: str,
    rows: Sequence[tuple[object, ...]],
) -> None:
    with connection.cursor() as cursor, cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def seed(database_url: str, runs: int, rng: random.Random) -> tuple[uuid.UUID, uuid.UUID]:
    """(user id, project id) of a user whose project holds `runs` runs."""
    user_id, other_user = uuid.uuid4(), uuid.uuid4()
    workspace_id, other_workspace = uuid.uuid4(), uuid.uuid4()
    project_id, other_project = uuid.uuid4(), uuid.uuid4()
    start = datetime(2026, 1, 1, tzinfo=UTC)
    with psycopg.connect(database_url) as connection:
        for user, workspace, project in (
            (user_id, workspace_id, project_id),
            (other_user, other_workspace, other_project),
        ):
            connection.execute(
                "INSERT INTO users (id, email, name, password_hash) VALUES (%s, %s, 'bench', 'x')",
                (user, f"{user}@example.com"),
            )
            connection.execute(
                "INSERT INTO workspaces (id, name, created_by) VALUES (%s, 'bench', %s)",
                (workspace, user),
            )
            connection.execute(
                "INSERT INTO workspace_members (workspace_id, user_id, role)"
                " VALUES (%s, %s, 'owner')",
                (workspace, user),
            )
            connection.execute(
                "INSERT INTO projects (id, workspace_id, name) VALUES (%s, %s, 'bench')",
                (project, workspace),
            )
        for project, workspace, count in (
            (project_id, workspace_id, runs),
            (other_project, other_workspace, runs // 5),
        ):
            run_rows, metric_rows, result_rows = [], [], []
            for index in range(count):
                run_id = uuid.uuid4()
                status = rng.choice(STATUSES)
                created = start + timedelta(seconds=30 * index)
                ended = created + timedelta(hours=2) if status != "running" else None
                config = {
                    "lr": round(10 ** rng.uniform(-5, -1), 8),
                    "optimizer": {"name": rng.choice(OPTIMIZERS), "lr": 10 ** rng.uniform(-5, -1)},
                    "batch": rng.choice([16, 32, 64, 128]),
                    "seed": index % 1000,
                    "model": {"layers": rng.randint(2, 48), "width": rng.choice([256, 512, 1024])},
                }
                tags = [f"sweep-{index % 10}"] + (["smoke"] if index % 50 == 0 else [])
                name = f"{'smoke' if index % 50 == 0 else 'run'}-{index}"
                run_rows.append(
                    (
                        run_id,
                        project,
                        workspace,
                        name,
                        json.dumps(config),
                        "{" + ",".join(tags) + "}",
                        status,
                        created,
                        created,
                        created,
                        ended,
                    )
                )
                low = rng.uniform(0, 1)
                metric_rows.append(
                    (run_id, "loss", 1000, low, 3 * rng.random() + low, low + 0.1, 999, 0)
                )
                metric_rows.append((run_id, "val/acc", 100, 0.1, 0.99, rng.random(), 99, 0))
                result_rows.append((run_id, "acc", rng.random(), created))
            _copy_rows(
                connection,
                "runs",
                "id, project_id, workspace_id, name, config, tags, status, created_at,"
                " updated_at, started_at, ended_at",
                run_rows,
            )
            _copy_rows(
                connection,
                "run_metrics",
                "run_id, name, count, min, max, last_value, last_step, first_step",
                metric_rows,
            )
            _copy_rows(connection, "run_results", "run_id, name, value, logged_at", result_rows)
        connection.execute("ANALYZE")
    return user_id, project_id


def _bound(
    action: Callable[[str | None, str], int], query: str | None, sort: str
) -> Callable[[], int]:
    return lambda: action(query, sort)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    arguments = parser.parse_args()
    rng = random.Random(15)  # noqa: S311 (reproducible data, not secrets)
    with running_postgres() as database_url:
        os.environ.update(
            {"DATABASE_URL": database_url, "JWT_SECRET": "bench-" + "x" * 40, "LOG_LEVEL": "ERROR"}
        )
        from wavedb_core.db.connection import transaction
        from wavedb_core.db.migrations import apply_migrations
        from wavedb_core.principal import Principal
        from wavedb_core.services import runs

        with psycopg.connect(database_url, row_factory=psycopg.rows.dict_row) as connection:
            apply_migrations(connection)
        began = time.perf_counter()
        user_id, project_id = seed(database_url, arguments.runs, rng)
        print(
            f"seeded {arguments.runs:,} runs (+{arguments.runs // 5:,} elsewhere)"
            f" in {time.perf_counter() - began:.1f} s"
        )
        print(describe_machine())
        principal = Principal(
            user_id=user_id,
            method="api_key",
            scopes=frozenset({"read"}),
            rate_limit_per_minute=10_000,
        )
        with transaction():
            pass

        def first_page(query: str | None, sort: str) -> int:
            page = runs.list_runs(principal, project_id=project_id, filter=query, sort=sort)
            runs.run_summaries(page.items)
            return len(page.items)

        print(f"\n{'search':<40} {'rows':>5} {'median':>9} {'p95':>9}  filter / sort")
        for label, query, sort in SEARCHES:
            rows = first_page(query, sort)
            timings = timed_repeats(_bound(first_page, query, sort), arguments.repeat, 30)
            print(
                f"{label:<40} {rows:>5} {timings.median_ms:>7.1f}ms {timings.p95_ms:>7.1f}ms"
                f"  {query or '-'} / {sort}"
            )


if __name__ == "__main__":
    main()
