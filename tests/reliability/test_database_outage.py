"""The database stops while the ingest queue holds batches: nothing is lost, no good batch is
dead-lettered, and everything is written exactly once when the database returns.

How the queue fills during an outage: the API records each batch in PostgreSQL before it
queues it (and its authorizer checks the caller's session there), so while the database is
down it refuses new batches, and the SDK keeps them on disk and offers them again later (as
in tests/sdk/test_outage.py, where the API itself goes away). What the
queue holds through an outage is the backlog of batches accepted just before it that the
worker has not written yet (its mapping writes at most 4 batches at once), and the batch an
invocation is writing when the connection drops (the second test).

The tests hand the messages to the worker the way Lambda's event source mapping does
(`IngestQueues.deliver`): reported failures are left on the queue untouched.
"""

from __future__ import annotations

import json
import time

import pytest

from tests.reliability.delivery import IngestQueues
from tests.reliability.faults import fault_on_batch
from tests.reliability.postgres_control import ControlledPostgres
from tests.reliability.tallies import assert_batches_written, assert_stored_once, batch_states
from tests.reliability.writers import MetricWriter, steps
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(90)

BACKLOG = 14  # two deliveries of up to 10 messages each
OUTAGE_RECEIVES = 4  # one fewer than the queue's maxReceiveCount
# The test's receives hide a message for 1 s only: one the worker did not hold back would be
# visible again within the test.
RECEIVE_VISIBILITY_SECONDS = 1


def _accept_backlog(writer: MetricWriter, run_id: str, count: int, prefix: str) -> list[str]:
    batch_ids = [f"{prefix}-{number}" for number in range(count)]
    for number, batch_id in enumerate(batch_ids):
        first = number * 100
        writer.accept(
            run_id, batch_id, {"loss": steps(first, 100), "acc": steps(first, 100, scale=0.01)}
        )
    return batch_ids


def _assert_everything_written_once(
    queues: IngestQueues,
    postgres: ControlledPostgres,
    writer: MetricWriter,
    run_id: str,
    batch_ids: list[str],
) -> None:
    assert queues.dead_lettered() == []
    assert_stored_once(postgres.url, run_id, writer.posted(run_id))
    assert_batches_written(postgres.url, run_id, batch_ids)


def test_database_stopped_with_a_backlog_holds_it_and_writes_it_once_when_back(
    stack: LocalStack,
    queues: IngestQueues,
    writer: MetricWriter,
    postgres: ControlledPostgres,
) -> None:
    run_id = writer.new_run()
    batch_ids = _accept_backlog(writer, run_id, BACKLOG, "backlog")
    assert queues.waiting() == BACKLOG

    postgres.stop()
    # The authorizer cannot check the session without its database: the API refuses the
    # batch with a 503 and Retry-After (the SDK keeps it and offers it again then); it
    # accepts nothing it cannot record.
    refused = writer.post(run_id, "during-outage", {"loss": steps(10_000, 10)})
    assert refused.status_code == 503, refused.text
    assert int(refused.headers["retry-after"]) >= 1

    for receive in range(1, OUTAGE_RECEIVES + 1):
        messages = queues.receive(BACKLOG, visibility_seconds=RECEIVE_VISIBILITY_SECONDS)
        assert len(messages) == BACKLOG
        counts = {int(message["Attributes"]["ApproximateReceiveCount"]) for message in messages}
        assert counts == {receive}
        for batch in (messages[:10], messages[10:]):
            # Every message is reported failed; none is deleted.
            assert queues.deliver(batch) == {message["MessageId"] for message in batch}
        time.sleep(RECEIVE_VISIBILITY_SECONDS + 0.5)
        # The worker held them back beyond the receive's own timeout.
        assert queues.visible() == 0
        assert queues.waiting() == BACKLOG
        queues.release(messages)  # the hold ends (minutes to hours in AWS)
    assert queues.dead_lettered() == []

    postgres.start()
    assert {status for status, _, _ in batch_states(postgres.url, run_id).values()} == {"queued"}
    queues.drain()

    assert queues.waiting() == 0
    _assert_everything_written_once(queues, postgres, writer, run_id, batch_ids)


def test_connection_lost_mid_batch_reports_exactly_the_unwritten_messages(
    stack: LocalStack,
    queues: IngestQueues,
    writer: MetricWriter,
    postgres: ControlledPostgres,
) -> None:
    run_id = writer.new_run()
    batch_ids = _accept_backlog(writer, run_id, 6, "part")
    by_batch = {json.loads(message["Body"])["batch"]: message for message in queues.receive(6)}
    ordered = [by_batch[batch_id] for batch_id in batch_ids]

    with fault_on_batch(postgres.url, "part-2", "connection_cut"):
        failed = queues.deliver(ordered)

    # part-0 and part-1 were written; part-2 lost its connection (twice: the worker tries
    # once more on a new connection); the rest were not tried.
    assert failed == {message["MessageId"] for message in ordered[2:]}
    states = batch_states(postgres.url, run_id)
    assert [states[batch_id][:2] for batch_id in batch_ids] == [
        ("written", 1),
        ("written", 1),
        ("queued", 0),
        ("queued", 0),
        ("queued", 0),
        ("queued", 0),
    ]
    assert queues.waiting() == 4

    queues.release(ordered[2:])
    queues.drain()

    _assert_everything_written_once(queues, postgres, writer, run_id, batch_ids)


def test_database_restarted_between_invocations_the_next_batch_is_written_at_once(
    stack: LocalStack,
    queues: IngestQueues,
    writer: MetricWriter,
    postgres: ControlledPostgres,
) -> None:
    """The worker's connection outlives its invocations; after a restart it is dead, and the
    first write on it fails. The worker writes again on a new connection, at once."""
    run_id = writer.new_run()
    first, second = _accept_backlog(writer, run_id, 2, "restart")
    by_batch = {json.loads(message["Body"])["batch"]: message for message in queues.receive(2)}
    assert queues.deliver([by_batch[first]]) == set()  # opens the worker's connection

    postgres.stop()
    postgres.start()

    assert queues.deliver([by_batch[second]]) == set()
    assert_stored_once(postgres.url, run_id, writer.posted(run_id))
    assert_batches_written(postgres.url, run_id, [first, second])


def test_outage_hold_grows_with_each_receive_and_spans_many_hours(stack: LocalStack) -> None:
    assert stack.registry is not None
    worker = stack.registry.get("IngestWorkerFunction").module
    holds = [worker.outage_hold_seconds(receive) for receive in range(1, 6)]

    assert holds == sorted(holds)
    assert holds[0] >= 60
    assert max(holds) <= 12 * 3600  # SQS's longest visibility timeout
    # With the queue's 5 receives, a message survives at least half a day of outage.
    assert sum(holds) >= 12 * 3600
