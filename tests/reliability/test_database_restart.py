"""The database restarts between two requests: the next request is answered, not refused.

Every execution environment keeps its PostgreSQL connection between invocations. After a
restart (or a failover, or a proxy's idle timeout) the server has closed it, and psycopg only
finds out on the next query: without a check the authorizer refused the next request (403)
and a function answered 503, once per warm environment.
"""

from __future__ import annotations

import time

import httpx
import pytest

from tests.conftest import reset_cached_settings
from tests.reliability.delivery import IngestQueues
from tests.reliability.postgres_control import ControlledPostgres
from tests.reliability.writers import MetricWriter, steps

pytestmark = pytest.mark.timeout(90)

IDLE_CHECK_SECONDS = 0.5


def test_requests_after_a_database_restart_are_answered(
    queues: IngestQueues,
    writer: MetricWriter,
    postgres: ControlledPostgres,
    http: httpx.Client,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DATABASE_IDLE_CHECK_SECONDS", str(IDLE_CHECK_SECONDS))
    reset_cached_settings()
    run_id = writer.new_run()
    # Every environment that will serve the requests below has its connection open.
    for _ in range(3):
        assert http.get("/v1/me", headers=writer.user.bearer).status_code == 200
        assert http.get(f"/v1/runs/{run_id}", headers=writer.user.bearer).status_code == 200

    postgres.stop()
    postgres.start()
    time.sleep(IDLE_CHECK_SECONDS)

    me = http.get("/v1/me", headers=writer.user.bearer)
    assert me.status_code == 200, me.text
    run = http.get(f"/v1/runs/{run_id}", headers=writer.user.bearer)
    assert run.status_code == 200, run.text
    writer.accept(run_id, "after-restart", {"loss": steps(0, 10)})
    assert queues.waiting() == 1
    reset_cached_settings()
