"""A poison message reaches the dead-letter queue after its retries while every other batch
is written; `python -m wavedb_local redrive IngestQueue` moves the dead letters back, and
what was fixed meanwhile is written, once.

Two poisons: a body that is no batch part (it can never be written) and a part the database
refuses (a test-only trigger standing for a bug or a rule that is fixed later).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.reliability.delivery import IngestQueues
from tests.reliability.faults import fault_on_batch
from tests.reliability.postgres_control import ControlledPostgres
from tests.reliability.tallies import assert_batches_written, assert_stored_once, batch_states
from tests.reliability.writers import MetricWriter, steps
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(90)

ROOT = Path(__file__).resolve().parents[2]
MALFORMED = '{"v": 1, "run": "not a uuid"}'
MAX_RECEIVE_COUNT = 5  # the IngestQueue's RedrivePolicy


def _redrive_command(aws_endpoint: str) -> subprocess.CompletedProcess[str]:
    """The command a developer runs against `make run` (AWS_ENDPOINT_URL as it prints it)."""
    environment = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("AWS_", "WAVEDB_")) and name != "DATABASE_URL"
    }
    environment["PYTHONPATH"] = os.pathsep.join([str(ROOT / "shared"), str(ROOT / "infra")])
    environment["AWS_ENDPOINT_URL"] = aws_endpoint
    return subprocess.run(
        [sys.executable, "-m", "wavedb_local", "redrive", "IngestQueue"],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_poison_is_dead_lettered_the_rest_written_and_a_redrive_writes_the_fixed_part_once(
    stack: LocalStack,
    queues: IngestQueues,
    writer: MetricWriter,
    postgres: ControlledPostgres,
    aws_endpoint: str,
) -> None:
    run_id = writer.new_run()
    good = [f"good-{number}" for number in range(8)]
    for number, batch_id in enumerate(good):
        writer.accept(run_id, batch_id, {"loss": steps(number * 50, 50)})
    writer.accept(run_id, "refused", {"loss": steps(1000, 50), "lr": steps(1000, 50)})
    received = queues.receive(9)
    bodies = {json.loads(message["Body"])["batch"]: message["Body"] for message in received}
    queues.release(received)
    queues.sqs.send_message(QueueUrl=queues.queue.url, MessageBody=MALFORMED)

    with fault_on_batch(postgres.url, "refused", "refused"):
        queues.drain()

    dead = queues.dead_lettered()
    assert sorted(message["Body"] for message in dead) == sorted([MALFORMED, bodies["refused"]])
    assert_stored_once(
        postgres.url, run_id, writer.posted(run_id, excluding=frozenset({"refused"}))
    )
    states = batch_states(postgres.url, run_id)
    assert {batch_id: states[batch_id][:2] for batch_id in good} == dict.fromkeys(
        good, ("written", 1)
    )
    assert states["refused"][:2] == ("failed", 0)  # marked on its last delivery

    # A part written whose delete never happened (the worker timed out) and that was
    # dead-lettered anyway: re-driven with the others, it must change nothing.
    queues.sqs.send_message(QueueUrl=queues.dead_letters.url, MessageBody=bodies["good-0"])

    redriven = _redrive_command(aws_endpoint)
    assert redriven.returncode == 0, redriven.stderr
    assert redriven.stdout.startswith("moved 3 messages from "), redriven.stdout
    assert queues.dead_lettered() == []
    queues.drain()

    (still_poison,) = queues.dead_lettered()
    assert still_poison["Body"] == MALFORMED
    assert queues.waiting() == 0
    assert_stored_once(postgres.url, run_id, writer.posted(run_id))
    assert_batches_written(postgres.url, run_id, [*good, "refused"])


def test_redrive_of_an_empty_dead_letter_queue_moves_nothing(
    stack: LocalStack, queues: IngestQueues, aws_endpoint: str
) -> None:
    redriven = _redrive_command(aws_endpoint)

    assert redriven.returncode == 0, redriven.stderr
    assert redriven.stdout.startswith("moved 0 messages"), redriven.stdout
    assert queues.waiting() == 0


def test_redrive_of_a_queue_without_dead_letter_queue_fails_clearly(
    stack: LocalStack, queues: IngestQueues
) -> None:
    from wavedb_local.redrive import RedriveError, redrive

    with pytest.raises(RedriveError, match="no dead-letter queue"):
        redrive(queues.sqs, queues.dead_letters.url)
