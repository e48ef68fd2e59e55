"""Applies pending database migrations. Invoke once after each deploy (it is idempotent)."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from wavedb_core.db.connection import get_connection
from wavedb_core.db.migrations import apply_migrations
from wavedb_core.tracing import function_tracer

logger = Logger()
tracer = function_tracer()
metrics = Metrics()


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    applied = apply_migrations(get_connection())
    metrics.add_metric(name="MigrationsApplied", unit=MetricUnit.Count, value=len(applied))
    logger.info("migrations applied", extra={"applied": applied})
    return {"applied": applied}
