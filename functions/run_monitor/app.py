"""Crash monitor, run every minute: running runs that stopped sending signs of life
(heartbeat, else start, else creation) for RUN_HEARTBEAT_TIMEOUT_SECONDS become `crashed`."""

from datetime import timedelta
from typing import Any

from wavedb_core.db.connection import transaction
from wavedb_core.scheduled import scheduled_handler
from wavedb_core.services.runs import mark_silent_runs_crashed
from wavedb_core.settings import get_settings


def mark_crashed_runs(seconds_left: float) -> dict[str, Any]:
    timeout = timedelta(seconds=get_settings().run_heartbeat_timeout_seconds)
    with transaction() as connection:
        crashed = mark_silent_runs_crashed(connection, silent_for=timeout)
    return {"crashed": crashed}


handler = scheduled_handler(
    mark_crashed_runs, metrics={"crashed": "RunsMarkedCrashed"}, done="crash monitor ran"
)
