"""Many writers at once, through the served HTTP API, then the worker with as many batches in
flight as its mapping allows (MaximumConcurrency 4): every count exact."""

from __future__ import annotations

from functools import partial

import httpx
import pytest

from tests.reliability.concurrency import at_once
from tests.reliability.delivery import IngestQueues
from tests.reliability.postgres_control import ControlledPostgres
from tests.reliability.tallies import assert_batches_written, assert_stored_once
from tests.reliability.writers import MetricWriter, Series, steps
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(120)

WORKER_CONCURRENCY = 4  # the ingest worker's ScalingConfig.MaximumConcurrency


def _post_batches(
    writer: MetricWriter, run_id: str, batches: dict[str, Series]
) -> list[httpx.Response]:
    with httpx.Client(base_url=str(writer.http.base_url), timeout=30, trust_env=False) as client:
        return [
            writer.post(run_id, batch_id, series, client=client)
            for batch_id, series in batches.items()
        ]


def test_eight_writers_to_one_run_every_point_counted_once(
    stack: LocalStack, queues: IngestQueues, writer: MetricWriter, postgres: ControlledPostgres
) -> None:
    writers, batches_each, points = 8, 4, 60
    run_id = writer.new_run("shared")
    plans = [
        {
            f"writer-{number}-{batch}": {
                # every writer adds its own steps to the shared metrics...
                "loss": steps((number * batches_each + batch) * points, points),
                "acc": steps((number * batches_each + batch) * points, points, scale=0.01),
                # ...and to a metric of its own
                f"writer-{number}": steps(batch * points, points),
            }
            for batch in range(batches_each)
        }
        for number in range(writers)
    ]

    answers = at_once([partial(_post_batches, writer, run_id, plan) for plan in plans])
    assert [response.status_code for batch in answers for response in batch] == [202] * (
        writers * batches_each
    )
    queues.drain(workers=WORKER_CONCURRENCY)

    assert_stored_once(postgres.url, run_id, writer.posted(run_id))
    assert_batches_written(postgres.url, run_id, [b for plan in plans for b in plan])
    assert len(writer.posted(run_id)["loss"]) == writers * batches_each * points


def test_sixteen_runs_written_at_once_each_counted_exactly(
    stack: LocalStack, queues: IngestQueues, writer: MetricWriter, postgres: ControlledPostgres
) -> None:
    runs = [writer.new_run(f"parallel-{number}") for number in range(16)]
    plans = {
        run_id: {
            f"batch-{batch}": {
                "loss": steps(batch * 100, 100, scale=float(number + 1)),
                "val/acc": steps(batch * 100, 100, scale=0.001),
            }
            for batch in range(3)
        }
        for number, run_id in enumerate(runs)
    }

    answers = at_once([partial(_post_batches, writer, run_id, plans[run_id]) for run_id in runs])
    assert {response.status_code for batch in answers for response in batch} == {202}
    queues.drain(workers=WORKER_CONCURRENCY)

    for run_id in runs:
        assert_stored_once(postgres.url, run_id, writer.posted(run_id))
        assert_batches_written(postgres.url, run_id, list(plans[run_id]))
