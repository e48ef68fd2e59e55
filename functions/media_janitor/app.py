"""Media janitor, on a schedule: items whose upload grants ran out become `rejected`, and
objects whose items were deleted (with their runs, projects, workspaces) leave the bucket."""

from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from wavedb_core.services.media_janitor import sweep
from wavedb_core.tracing import function_tracer

logger = Logger()
tracer = function_tracer()
metrics = Metrics()


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    report = sweep()
    metrics.add_metric(name="MediaGrantsAbandoned", unit=MetricUnit.Count, value=report.abandoned)
    metrics.add_metric(name="MediaObjectsPurged", unit=MetricUnit.Count, value=report.purged)
    return {"abandoned": report.abandoned, "purged": report.purged}
