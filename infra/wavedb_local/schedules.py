"""`Schedule`/`ScheduleV2` events: a ticker thread invokes the function at the schedule's rate.

`rate(...)` expressions run at their rate; `cron(...)` expressions run every minute.
LOCAL_SCHEDULE_INTERVAL_SECONDS replaces every interval (handy to see a schedule fire).
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from wavedb_local.background import BackgroundLoop
from wavedb_local.model import ScheduleEventSource
from wavedb_local.naming import LocalNaming

logger = logging.getLogger("wavedb_local.schedule")

Invoke = Callable[[str, Any], Any]

_RATE = re.compile(r"rate\(\s*(\d+)\s+(minute|minutes|hour|hours|day|days)\s*\)", re.IGNORECASE)
_UNIT_SECONDS = {"minute": 60, "hour": 3600, "day": 86400}
CRON_INTERVAL_SECONDS = 60.0


def schedule_interval_seconds(expression: str) -> float:
    """The period of a schedule expression (a `cron(...)` runs every minute locally)."""
    match = _RATE.fullmatch(expression.strip())
    if match is not None:
        unit = match.group(2).lower().rstrip("s")
        return float(int(match.group(1)) * _UNIT_SECONDS[unit])
    if expression.strip().lower().startswith(("cron(", "at(")):
        return CRON_INTERVAL_SECONDS
    raise ValueError(f"unsupported schedule expression {expression!r}")


def scheduled_event(source: ScheduleEventSource, naming: LocalNaming) -> Any:
    """The event EventBridge sends: the schedule's Input, else a "Scheduled Event"."""
    if source.input is not None:
        return json.loads(source.input)
    rule = f"{naming.stack_name}-{source.function_id}{source.event_name}"
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": naming.account_id,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": naming.region,
        "resources": [f"arn:aws:events:{naming.region}:{naming.account_id}:rule/{rule}"],
        "detail": {},
    }


class ScheduleTicker(BackgroundLoop):
    """Invokes one function on one schedule until stopped (the first run after one period)."""

    thread_prefix = "schedule"

    def __init__(
        self,
        *,
        source: ScheduleEventSource,
        invoke: Invoke,
        naming: LocalNaming,
        interval_seconds: float | None = None,
    ) -> None:
        super().__init__()
        self.source = source
        self.interval_seconds = interval_seconds or schedule_interval_seconds(source.expression)
        self._invoke = invoke
        self._naming = naming

    @property
    def name(self) -> str:
        return f"{self.source.function_id}.{self.source.event_name}"

    def tick(self) -> None:
        """Invoke the function once with the scheduled event (errors are logged)."""
        try:
            self._invoke(self.source.function_id, scheduled_event(self.source, self._naming))
        except Exception:
            logger.exception("scheduled invocation of %s failed", self.name)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_seconds):
            self.tick()
