"""MLflow's half of the read benchmark, from the project's venv: its REST API over HTTP
and its tables in PostgreSQL.

- `load_mlflow_series` writes a series straight into MLflow's own `metrics` and
  `latest_metrics` tables with COPY (loading 10M points through log_batch would take
  hours): the rows `SqlAlchemyStore.log_batch` writes for the same points (key, value,
  timestamp in ms, run_uuid, step, is_nan; latest_metrics holds the point with the
  highest step).
- `bulk_interval_read`: `GET /api/2.0/mlflow/metrics/get-history-bulk-interval`, the read
  behind MLflow's charts, `max_results` points of one run.
- `whole_history_read`: `GET /api/2.0/mlflow/metrics/get-history` page by page
  (`max_results` 25,000 per page and `page_token`, as `MlflowClient.get_metric_history`
  pages).
"""

from __future__ import annotations

import math
import time
from typing import Any

import httpx
import psycopg
from psycopg import sql

API = "/api/2.0/mlflow"
HISTORY_PAGE = 25_000  # mlflow.store.tracking.GET_METRIC_HISTORY_MAX_RESULTS
BULK_INTERVAL_MAX_RESULTS = 2_500  # the largest max_results the server accepts
LOGGED_MS = 1_795_428_930_000
COPY_CHUNK = 1_000_000


def mlflow_database_urls(wavedb_database_url: str, name: str) -> tuple[str, str]:
    """(psycopg URL, SQLAlchemy URL) of database `name` on the same PostgreSQL server,
    which listens on a Unix socket only (`host` is the socket's directory)."""
    parts = psycopg.conninfo.conninfo_to_dict(wavedb_database_url)
    host = str(parts.get("host") or "")
    user = str(parts.get("user") or "postgres")
    port = parts.get("port")
    port_query = f"&port={port}" if port else ""
    sqlalchemy_url = f"postgresql+psycopg2://{user}@/{name}?host={host}{port_query}"
    return psycopg.conninfo.make_conninfo(wavedb_database_url, dbname=name), sqlalchemy_url


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    body: dict[str, Any] = response.json()
    return body


def mlflow_client(tracking_uri: str) -> httpx.Client:
    return httpx.Client(base_url=tracking_uri, timeout=600, trust_env=False)


def create_experiment(client: httpx.Client, name: str) -> str:
    return str(_ok(client.post(f"{API}/experiments/create", json={"name": name}))["experiment_id"])


def create_run(client: httpx.Client, experiment_id: str, name: str) -> str:
    answer = _ok(
        client.post(
            f"{API}/runs/create",
            json={
                "experiment_id": experiment_id,
                "run_name": name,
                "start_time": int(time.time() * 1000),
            },
        )
    )
    return str(answer["run"]["info"]["run_id"])


def load_mlflow_series(database_url: str, run_id: str, key: str, points: int) -> float:
    """COPY a series of `points` steps into MLflow's tables; answers the seconds it took."""
    started = time.perf_counter()
    with psycopg.connect(database_url, autocommit=True) as connection:
        for start in range(0, points, COPY_CHUNK):
            count = min(COPY_CHUNK, points - start)
            lines = "".join(
                f"{key}\t{_value(step)!r}\t{LOGGED_MS + step}\t{run_id}\t{step}\tf\n"
                for step in range(start, start + count)
            )
            with (
                connection.transaction(),
                connection.cursor() as cursor,
                cursor.copy(
                    "COPY metrics (key, value, timestamp, run_uuid, step, is_nan) FROM STDIN"
                ) as copy,
            ):
                copy.write(lines)
        last = points - 1
        connection.execute(
            "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid)"
            " VALUES (%s, %s, %s, %s, false, %s)"
            " ON CONFLICT (key, run_uuid) DO UPDATE SET value = excluded.value,"
            " timestamp = excluded.timestamp, step = excluded.step, is_nan = excluded.is_nan",
            (key, _value(last), LOGGED_MS + last, last, run_id),
        )
        for table in ("metrics", "latest_metrics"):
            connection.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
    return time.perf_counter() - started


def _value(step: int) -> float:
    """The same curve as the WaveDB series (bench/ingest_and_read.py)."""
    return math.sin(step / 1000) + (50.0 if step % 100_003 == 0 else 0.0)


def count_points(database_url: str, run_ids: list[str]) -> int:
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*) FROM metrics WHERE run_uuid = ANY(%s)", (run_ids,)
        ).fetchone()
    return int(row[0]) if row else 0


def bulk_interval_read(client: httpx.Client, run_id: str, key: str, max_results: int) -> int:
    """The chart read; answers the number of points returned."""
    answer = _ok(
        client.get(
            f"{API}/metrics/get-history-bulk-interval",
            params={"run_ids": run_id, "metric_key": key, "max_results": max_results},
        )
    )
    return len(answer.get("metrics", []))


def whole_history_read(client: httpx.Client, run_id: str, key: str, deadline: float) -> int:
    """Every point, HISTORY_PAGE at a time following `next_page_token`; stops at
    `deadline` (time.monotonic). Answers the number of points read."""
    params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": HISTORY_PAGE}
    read = 0
    while time.monotonic() < deadline:
        page = _ok(client.get(f"{API}/metrics/get-history", params=params))
        read += len(page.get("metrics", []))
        token = page.get("next_page_token")
        if not token:
            return read
        params["page_token"] = token
    return read
