"""The crash monitor: running runs silent for longer than the heartbeat timeout (60 s in the
template) become `crashed`, ended at their last sign of life; nothing else changes."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.conftest import REPOSITORY
from tests.support.projects import make_project
from wavedb_local.stack import LocalStack

Invoke = Callable[[str, Any], Any]
SCHEDULED_EVENT: dict[str, Any] = json.loads(
    (REPOSITORY / "events" / "run_monitor_schedule.json").read_text()
)


@pytest.fixture
def project(clean_database: str) -> tuple[str, str]:
    """(workspace id, project id) of a user made straight in the database."""
    user_id = str(uuid.uuid4())
    with psycopg.connect(clean_database) as connection:
        connection.execute(
            "INSERT INTO users (id, email, name, password_hash) VALUES (%s, %s, 'Ada', 'x')",
            (user_id, f"{user_id}@example.com"),
        )
    return make_project(clean_database, user_id)


def _run(
    database_url: str,
    project: tuple[str, str],
    *,
    status: str,
    created_ago: timedelta,
    started_ago: timedelta | None = None,
    heartbeat_ago: timedelta | None = None,
) -> str:
    """A run whose timestamps lie the given durations in the past; its id."""
    now = datetime.now(UTC)
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "INSERT INTO runs (project_id, workspace_id, name, status, created_at, started_at,"
            " heartbeat_at) VALUES (%s, %s, 'run', %s, %s, %s, %s) RETURNING id",
            (
                project[1],
                project[0],
                status,
                now - created_ago,
                None if started_ago is None else now - started_ago,
                None if heartbeat_ago is None else now - heartbeat_ago,
            ),
        ).fetchone()
    assert row is not None
    return str(row[0])


def _state(database_url: str, run_id: str) -> tuple[str, datetime | None, datetime | None]:
    """(status, ended_at, last sign of life) of a run."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT status, ended_at, coalesce(heartbeat_at, started_at, created_at)"
            " FROM runs WHERE id = %s",
            (run_id,),
        ).fetchone()
    assert row is not None
    return row[0], row[1], row[2]


def test_run_monitor_marks_only_silent_running_runs_crashed(
    invoke: Invoke, clean_database: str, project: tuple[str, str]
) -> None:
    hour, minute = timedelta(hours=1), timedelta(minutes=1)
    silent_heartbeat = _run(
        clean_database,
        project,
        status="running",
        created_ago=2 * hour,
        started_ago=2 * hour,
        heartbeat_ago=2 * minute,
    )
    silent_since_start = _run(
        clean_database, project, status="running", created_ago=hour, started_ago=hour
    )
    silent_since_creation = _run(clean_database, project, status="running", created_ago=hour)
    beating = _run(
        clean_database,
        project,
        status="running",
        created_ago=hour,
        started_ago=hour,
        heartbeat_ago=minute / 2,
    )
    just_started = _run(
        clean_database, project, status="running", created_ago=hour, started_ago=minute / 2
    )
    untouched = {
        status: _run(clean_database, project, status=status, created_ago=hour)
        for status in ("pending", "finished", "failed", "canceled")
    }

    answer = invoke("RunMonitorFunction", SCHEDULED_EVENT)

    assert answer == {"crashed": 3}
    for run_id in (silent_heartbeat, silent_since_start, silent_since_creation):
        status, ended_at, last_sign_of_life = _state(clean_database, run_id)
        assert status == "crashed"
        assert ended_at == last_sign_of_life
    for run_id in (beating, just_started):
        assert _state(clean_database, run_id)[:2] == ("running", None)
    for status, run_id in untouched.items():
        assert _state(clean_database, run_id)[:2] == (status, None)


def test_run_monitor_second_tick_changes_nothing(
    invoke: Invoke, clean_database: str, project: tuple[str, str]
) -> None:
    run_id = _run(clean_database, project, status="running", created_ago=timedelta(days=1))
    assert invoke("RunMonitorFunction", SCHEDULED_EVENT) == {"crashed": 1}
    _, ended_at, _ = _state(clean_database, run_id)

    answer = invoke("RunMonitorFunction", SCHEDULED_EVENT)

    assert answer == {"crashed": 0}
    assert _state(clean_database, run_id)[:2] == ("crashed", ended_at)


def test_run_monitor_runs_every_minute_on_a_schedule(local_stack: LocalStack) -> None:
    assert local_stack.model is not None

    monitor = local_stack.model.functions["RunMonitorFunction"]

    assert [schedule.expression for schedule in monitor.schedules] == ["rate(1 minute)"]
    assert monitor.routes == ()


def test_run_monitor_defaults_crash_a_killed_run_within_two_minutes(
    local_stack: LocalStack,
) -> None:
    from wavedb.settings import Settings as SdkSettings

    assert local_stack.model is not None
    monitor = local_stack.model.functions["RunMonitorFunction"]
    threshold = int(monitor.environment["RUN_HEARTBEAT_TIMEOUT_SECONDS"])
    every_minute = 60

    # Silent past the threshold, then found by the next scheduled look.
    assert threshold + every_minute <= 120
    # A live run beats several times within the threshold (one lost beat is no crash).
    assert SdkSettings().heartbeat_interval * 3 <= threshold
