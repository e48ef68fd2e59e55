"""Media janitor, on a schedule: items whose upload grants ran out become `rejected`, and
objects whose items were deleted (with their runs, projects, workspaces) leave the bucket."""

from typing import Any

from wavedb_core.scheduled import scheduled_handler
from wavedb_core.services.media_janitor import sweep


def sweep_media(seconds_left: float) -> dict[str, Any]:
    report = sweep()
    return {"abandoned": report.abandoned, "purged": report.purged}


handler = scheduled_handler(
    sweep_media, metrics={"abandoned": "MediaGrantsAbandoned", "purged": "MediaObjectsPurged"}
)
