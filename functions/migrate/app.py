"""Applies pending database migrations, then converts legacy metric rows into chunks for as
long as the invocation allows. Invoke once after each deploy (it is idempotent); when it
answers `"more_to_do": true`, invoke it again: the conversion resumes where it stopped."""

from typing import Any

from wavedb_core.db.connection import get_connection
from wavedb_core.db.migrations import apply_migrations
from wavedb_core.scheduled import scheduled_handler
from wavedb_core.services.chunk_conversion import convert_legacy_points

# Time left for the last conversion transaction (about 100k points) and the answer.
CONVERSION_MARGIN_SECONDS = 30.0


def migrate(seconds_left: float) -> dict[str, Any]:
    """Pending migrations, then as much conversion of legacy metric rows as time allows."""
    connection = get_connection()
    applied = apply_migrations(connection)
    progress = convert_legacy_points(
        connection, seconds=max(seconds_left - CONVERSION_MARGIN_SECONDS, 0.0)
    )
    return {
        "applied": applied,
        "converted_series": progress.series_done,
        "converted_points": progress.points_moved,
        "series_left": progress.series_left,
        "more_to_do": progress.more_to_do,
    }


handler = scheduled_handler(
    migrate,
    metrics={"applied": "MigrationsApplied", "converted_points": "LegacyPointsConverted"},
    done="migrations applied, legacy metric rows converted",
)
