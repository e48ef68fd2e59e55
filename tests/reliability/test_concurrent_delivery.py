"""The same batch delivered twice at the same moment to two workers is written once.

SQS delivers at least once: the same message can reach two invocations (a visibility
timeout that ends while the first is still writing), and a client that sends a batch again
puts a second message with the same batch id on the queue. Two threads call the worker's
handler with them at once, several times over.
"""

from __future__ import annotations

import json

import pytest

from tests.reliability.concurrency import at_once
from tests.reliability.delivery import IngestQueues, Message
from tests.reliability.postgres_control import ControlledPostgres
from tests.reliability.tallies import assert_batches_written, assert_stored_once
from tests.reliability.writers import MetricWriter, Series, steps
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(90)

REPETITIONS = 6


def _series(repetition: int) -> Series:
    return {
        "loss": steps(0, 400, scale=1.0 + repetition),
        "acc": steps(0, 400, scale=0.001),
        f"only-{repetition}": steps(7, 30),
    }


def _deliver_both_at_once(queues: IngestQueues, first: Message, second: Message) -> None:
    answers = at_once([lambda: queues.invoke([first]), lambda: queues.invoke([second])])
    assert answers == [set(), set()]  # neither reports a failure
    queues.delete([first] if first is second else [first, second])


def test_same_message_delivered_to_two_workers_at_once_is_written_once(
    stack: LocalStack, queues: IngestQueues, writer: MetricWriter, postgres: ControlledPostgres
) -> None:
    for repetition in range(REPETITIONS):
        run_id = writer.new_run(f"twice-{repetition}")
        writer.accept(run_id, "the-batch", _series(repetition))
        (message,) = queues.receive(1)

        _deliver_both_at_once(queues, message, message)

        assert_stored_once(postgres.url, run_id, writer.posted(run_id))
        assert_batches_written(postgres.url, run_id, ["the-batch"])
    assert queues.waiting() == 0


def test_same_batch_id_in_two_messages_delivered_at_once_is_written_once(
    stack: LocalStack, queues: IngestQueues, writer: MetricWriter, postgres: ControlledPostgres
) -> None:
    for repetition in range(REPETITIONS):
        run_id = writer.new_run(f"resent-{repetition}")
        writer.accept(run_id, "resent", _series(repetition))
        writer.accept(run_id, "resent", _series(repetition))  # still queued: queued again
        first, second = queues.receive(2)
        assert first["MessageId"] != second["MessageId"]
        assert json.loads(first["Body"])["batch"] == json.loads(second["Body"])["batch"]

        _deliver_both_at_once(queues, first, second)

        assert_stored_once(postgres.url, run_id, writer.posted(run_id))
        assert_batches_written(postgres.url, run_id, ["resent"])
    assert queues.waiting() == 0
