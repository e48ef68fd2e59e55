"""Rows the metrics events refer to (see tests/integration/test_events.py)."""

from __future__ import annotations

from typing import Any

import psycopg
from psycopg.rows import dict_row

from tests.support import event_rows_runs
from tests.support.event_files import http_body
from wavedb_core.repositories import metric_points, run_metrics
from wavedb_core.services.ingest_writer import write_staged_points

RUN_ID = event_rows_runs.RUN_ID
SECOND_RUN_ID = "2f7c1d9e-8b3a-4c6d-a5e4-1b0c9d8e7f6a"
BATCH_ID = "b-000001"


def run_with_points(database_url: str) -> None:
    """The events' run and a second run of the same project, each with a short loss curve."""
    event_rows_runs.project_with_run(database_url)
    with psycopg.connect(database_url, autocommit=True, row_factory=dict_row) as connection:
        connection.execute(
            "INSERT INTO runs (id, project_id, workspace_id, name, created_by)"
            " SELECT %s, project_id, workspace_id, 'resnet50-lr-0.1', created_by"
            " FROM runs WHERE id = %s",
            (SECOND_RUN_ID, RUN_ID),
        )
        for run_id in (RUN_ID, SECOND_RUN_ID):
            with connection.transaction():
                ids = run_metrics.ensure_metrics(connection, run_id, ["train/loss"])  # type: ignore[arg-type]
                metric_points.create_staging_table(connection)
                metric_points.stage_points(
                    connection,
                    (
                        (
                            ids["train/loss"],
                            step,
                            2.0 / (step + 1),
                            1_795_428_930_000_000,
                            None,
                            None,
                        )
                        for step in range(100)
                    ),
                )
                write_staged_points(connection, [ids["train/loss"]], False)


def queued_batch(database_url: str) -> None:
    """The events' run with batch b-000001 queued (one part of three points)."""
    event_rows_runs.project_with_run(database_url)
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(
            "INSERT INTO ingest_batches (run_id, batch_id, parts, point_count)"
            " VALUES (%s, %s, 1, 3)",
            (RUN_ID, BATCH_ID),
        )


def no_failures(answer: Any) -> bool:
    return bool(answer == {"batchItemFailures": []})


def lists_items(answer: dict[str, Any]) -> bool:
    return len(http_body(answer)["items"]) > 0


def has_point_columns(answer: dict[str, Any]) -> bool:
    columns = http_body(answer)["columns"]
    return bool(
        columns["steps"] == list(range(100))
        and len(columns["values"]) == len(columns["timestamps_us"]) == 100
    )


def has_buckets(answer: dict[str, Any]) -> bool:
    return len(http_body(answer)["buckets"]) > 0


def compares_two_runs(answer: dict[str, Any]) -> bool:
    series = http_body(answer)["series"]
    return len(series) == 2 and all(item["buckets"] for item in series)


def is_csv(answer: dict[str, Any]) -> bool:
    return str(answer["body"]).startswith("run_id,name,step,value,timestamp")
