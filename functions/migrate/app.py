"""Applies pending database migrations, then converts legacy metric rows into chunks for as
long as the invocation allows. Invoke once after each deploy (it is idempotent); when it
answers `"more_to_do": true`, invoke it again: the conversion resumes where it stopped."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from wavedb_core.db.connection import get_connection
from wavedb_core.db.migrations import apply_migrations
from wavedb_core.services.chunk_conversion import convert_legacy_points
from wavedb_core.tracing import function_tracer

logger = Logger()
tracer = function_tracer()
metrics = Metrics()

# Time left for the last conversion transaction (about 100k points) and the answer.
CONVERSION_MARGIN_SECONDS = 30.0


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    connection = get_connection()
    applied = apply_migrations(connection)
    metrics.add_metric(name="MigrationsApplied", unit=MetricUnit.Count, value=len(applied))
    logger.info("migrations applied", extra={"applied": applied})
    budget = context.get_remaining_time_in_millis() / 1000 - CONVERSION_MARGIN_SECONDS
    progress = convert_legacy_points(connection, seconds=max(budget, 0.0))
    metrics.add_metric(
        name="LegacyPointsConverted", unit=MetricUnit.Count, value=progress.points_moved
    )
    logger.info(
        "legacy metric rows converted",
        extra={
            "series_done": progress.series_done,
            "points_moved": progress.points_moved,
            "series_left": progress.series_left,
        },
    )
    return {
        "applied": applied,
        "converted_series": progress.series_done,
        "converted_points": progress.points_moved,
        "series_left": progress.series_left,
        "more_to_do": progress.more_to_do,
    }
