"""The ingest worker's write of one batch part, in one transaction.

1. record the part (a part recorded before means a redelivery: nothing more to do);
2. create the metrics the part names;
3. COPY its points into a staging table, drop points whose msg_id is already stored;
4. insert them into metric_points;
5. lock the metrics (in id order) and fold the points into their summaries and rollups;
6. count the part on its batch (written once all parts are).

A part that fails because PostgreSQL cannot be reached (`database_unreachable`) is not at
fault: the worker holds it back on the queue rather than spend its deliveries.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Literal

import psycopg
from aws_lambda_powertools import Logger

from wavedb_core.db.connection import Connection, get_connection
from wavedb_core.queue import BatchPart
from wavedb_core.repositories import ingest_batches, metric_points, rollups, run_metrics
from wavedb_core.repositories.metric_points import StagedPoint

logger = Logger(child=True)

Outcome = Literal["written", "duplicate", "orphaned"]


@dataclass(frozen=True)
class PartWritten:
    outcome: Outcome
    points: int = 0


def _staged(part: BatchPart, metric_ids: list[int]) -> Iterator[StagedPoint]:
    received = part.received_us
    for row in part.points:
        size = len(row)
        yield (
            metric_ids[row[0]],
            row[1],
            float(row[2]),
            row[3] if size > 3 and row[3] is not None else received,
            row[4] if size > 4 else None,
            row[5] if size > 5 else None,
        )


def write_staged_points(connection: Connection, metric_ids: list[int], has_msg_ids: bool) -> int:
    """Steps 3b-5 for points already in the staging table (also used to bulk-load series)."""
    if has_msg_ids:
        metric_points.drop_known_messages(connection)
    inserted = metric_points.insert_staged_points(connection)
    if inserted:
        run_metrics.lock_metrics(connection, metric_ids)
        metric_points.update_summaries_from_staging(connection)
        rollups.merge_staged_points(connection)
    return inserted


def write_part(part: BatchPart) -> PartWritten:
    """Write one part of a batch, once, whatever how often it is delivered."""
    connection = get_connection()
    with connection.transaction():
        claimed = ingest_batches.claim_part(connection, part.run_id, part.batch_id, part.part)
        if claimed is None:
            logger.warning(
                "batch part of an unknown batch (its run was deleted?); dropped",
                extra={"run_id": str(part.run_id), "batch_id": part.batch_id},
            )
            return PartWritten("orphaned")
        if not claimed:
            return PartWritten("duplicate")
        ids_by_name = run_metrics.ensure_metrics(connection, part.run_id, part.names)
        metric_ids = [ids_by_name[name] for name in part.names]
        metric_points.create_staging_table(connection)
        has_msg_ids = metric_points.stage_points(connection, _staged(part, metric_ids))
        inserted = write_staged_points(connection, metric_ids, has_msg_ids)
        ingest_batches.count_written_part(connection, part.run_id, part.batch_id)
    return PartWritten("written", inserted)


def database_unreachable(error: BaseException) -> bool:
    """True when the error says the database cannot be reached (down, restarting, failing
    over, out of connection slots), not that this part cannot be written."""
    if not isinstance(error, psycopg.OperationalError):
        return False
    state = error.sqlstate
    # No SQLSTATE: the client lost or could not open the connection; class 08: connection
    # exception; 57P01-57P05: shut down, crashed or starting; 53300: too many connections.
    return state is None or state.startswith(("08", "57P")) or state == "53300"


def write_part_reconnecting(part: BatchPart) -> PartWritten:
    """`write_part`, tried once more on a new connection when the connection was lost.

    The environment's connection outlives invocations: after a database restart or failover
    its first use fails. Writing again is safe: a transaction that committed before the
    connection dropped recorded the part, and the second try finds it a duplicate.
    """
    try:
        return write_part(part)
    except psycopg.OperationalError as error:
        if not database_unreachable(error):
            raise
        logger.info("database connection lost; writing the part on a new connection")
    return write_part(part)


def mark_batch_failed(part: BatchPart, error: str) -> None:
    """The part gave up (its last delivery failed): the batch says so."""
    connection = get_connection()
    with connection.transaction():
        ingest_batches.mark_failed(connection, part.run_id, part.batch_id, error)
