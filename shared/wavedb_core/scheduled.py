"""The Lambda entry point of a function that runs one job (on a schedule, or when invoked):
Powertools around the job, one metric per count it reports."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sized
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.typing import LambdaContext

from wavedb_core.tracing import function_tracer

# What a job reports: counts (or lists, counted by their length) by name.
Report = dict[str, Any]
JobHandler = Callable[[dict[str, Any], LambdaContext], Report]


def _count(value: Any) -> int:
    return len(value) if isinstance(value, Sized) else int(value)


def scheduled_handler(
    job: Callable[[float], Report], *, metrics: Mapping[str, str], done: str | None = None
) -> JobHandler:
    """A handler running `job` (given the seconds the invocation has left) and answering
    its report. `metrics` names the metric that records each of the report's counts (by the
    report's key); `done`, when given, is the log message that carries the report."""
    logger = Logger()
    tracer = function_tracer()
    recorder = Metrics()

    @recorder.log_metrics
    @tracer.capture_lambda_handler
    @logger.inject_lambda_context
    def handler(event: dict[str, Any], context: LambdaContext) -> Report:
        report = job(context.get_remaining_time_in_millis() / 1000)
        for key, metric in metrics.items():
            recorder.add_metric(name=metric, unit=MetricUnit.Count, value=_count(report[key]))
        if done is not None:
            logger.info(done, extra=report)
        return report

    return cast(JobHandler, handler)
