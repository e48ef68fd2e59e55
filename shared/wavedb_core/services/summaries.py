"""Run summaries: each metric's latest value, range and count, and the run's results.

The caller has already checked that the runs are visible; this only reads.
"""

from __future__ import annotations

from collections.abc import Sequence
from uuid import UUID

from wavedb_core.db.connection import Connection
from wavedb_core.models.metrics import MetricDigest, RunSummary
from wavedb_core.models.numbers import format_metric_value
from wavedb_core.repositories import run_metrics, run_results


def _json_value(value: float | None) -> float | str | None:
    return None if value is None else format_metric_value(value)


def run_summaries(connection: Connection, run_ids: Sequence[UUID]) -> dict[UUID, RunSummary]:
    """A JSON-ready summary of every given run (an empty one for runs without metrics)."""
    summaries: dict[UUID, RunSummary] = {
        run_id: {"metrics": {}, "results": {}} for run_id in run_ids
    }
    if not summaries:
        return summaries
    for metric in run_metrics.metrics_of_runs(connection, list(summaries)):
        digest: MetricDigest = {
            "last": _json_value(metric.last_value),
            "last_step": metric.last_step,
            "min": _json_value(metric.min),
            "max": _json_value(metric.max),
            "count": metric.count,
        }
        summaries[metric.run_id]["metrics"][metric.name] = digest
    for result in run_results.results_of_runs(connection, list(summaries)):
        summaries[result.run_id]["results"][result.name] = format_metric_value(result.value)
    return summaries
