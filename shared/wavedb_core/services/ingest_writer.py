"""The ingest worker's write of one batch part, in one transaction.

1. record the part (a part recorded before means a redelivery: nothing more to do);
2. create the metrics the part names;
3. insert its columns into a staging table (whole arrays, no object per point), drop points
   whose msg_id is already stored;
4. insert them into metric_points;
5. lock the metrics (in id order) and fold the points into their summaries and rollups;
6. count the part on its batch (written once all parts are).

A part that fails because PostgreSQL cannot be reached (`database_unreachable`) is not at
fault: the worker holds it back on the queue rather than spend its deliveries.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import psycopg
from aws_lambda_powertools import Logger

from wavedb_core.db.connection import Connection, get_connection
from wavedb_core.models.metric_columns import SeriesColumns
from wavedb_core.queue import BatchPart
from wavedb_core.repositories import ingest_batches, metric_points, rollups, run_metrics
from wavedb_core.repositories.metric_points import StagedColumns

logger = Logger(child=True)

Outcome = Literal["written", "duplicate", "orphaned"]


@dataclass(frozen=True)
class PartWritten:
    outcome: Outcome
    points: int = 0


def _json_array_items(values: list[int] | list[float] | list[int | None]) -> str:
    """`[1,2,NaN,null]` without its brackets: JSON's numbers, NaN, Infinity, -Infinity and
    null are what PostgreSQL's array input reads too."""
    return json.dumps(values, separators=(",", ":"))[1:-1]


def staged_columns(series: Sequence[SeriesColumns], metric_ids: Sequence[int]) -> StagedColumns:
    """The part's columns, concatenated, as the staging insert takes them."""
    ids = ",".join(
        ",".join([str(metric_id)] * len(item))
        for item, metric_id in zip(series, metric_ids, strict=True)
    )
    steps = ",".join(_json_array_items(item.steps) for item in series)
    values = ",".join(_json_array_items(item.values) for item in series)
    times = None
    if any(item.times_us is not None for item in series):
        times = (
            "{"
            + ",".join(
                _json_array_items(item.times_us)
                if item.times_us is not None
                else ",".join(["NULL"] * len(item))
                for item in series
            )
            + "}"
        )
    msg_ids: list[str | None] | None = None
    if any(item.msg_ids is not None for item in series):
        msg_ids = []
        for item in series:
            msg_ids.extend(item.msg_ids if item.msg_ids is not None else [None] * len(item))
    metadata: list[str | None] | None = None
    if any(item.metadata is not None for item in series):
        metadata = []
        for item in series:
            if item.metadata is None:
                metadata.extend([None] * len(item))
            else:
                metadata.extend(
                    None if entry is None else json.dumps(entry, separators=(",", ":"))
                    for entry in item.metadata
                )
    return StagedColumns(
        "{" + ids + "}", "{" + steps + "}", "{" + values + "}", times, msg_ids, metadata
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
        names = list(dict.fromkeys(item.name for item in part.series))
        ids_by_name = run_metrics.ensure_metrics(connection, part.run_id, names)
        metric_ids = [ids_by_name[item.name] for item in part.series]
        metric_points.create_staging_table(connection)
        columns = staged_columns(part.series, metric_ids)
        metric_points.stage_columns(connection, columns, part.received_us)
        inserted = write_staged_points(
            connection, sorted(set(metric_ids)), columns.msg_ids is not None
        )
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
