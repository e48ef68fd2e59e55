"""Crash monitor, run every minute: running runs that stopped sending signs of life
(heartbeat, else start, else creation) for RUN_HEARTBEAT_TIMEOUT_SECONDS become `crashed`."""

from datetime import timedelta
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from wavedb_core.db.connection import transaction
from wavedb_core.services.runs import mark_silent_runs_crashed
from wavedb_core.settings import get_settings
from wavedb_core.tracing import function_tracer

logger = Logger()
tracer = function_tracer()
metrics = Metrics()


@metrics.log_metrics
@tracer.capture_lambda_handler
@logger.inject_lambda_context
def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, int]:
    timeout = timedelta(seconds=get_settings().run_heartbeat_timeout_seconds)
    with transaction() as connection:
        crashed = mark_silent_runs_crashed(connection, silent_for=timeout)
    metrics.add_metric(name="RunsMarkedCrashed", unit=MetricUnit.Count, value=crashed)
    logger.info("crash monitor ran", extra={"crashed": crashed})
    return {"crashed": crashed}
