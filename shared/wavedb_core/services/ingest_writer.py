"""The ingest worker's write of one batch part, in one transaction.

1. record the part (a part recorded before means a redelivery: nothing more to do);
2. create the metrics the part names and lock their run_metrics rows, in id order (a
   second writer of the same series waits here; chunks are only touched under this lock);
3. drop points whose msg_id is stored already (Tora logs sent again);
4. per series: the columns sorted by step with one point per step (the point logged last
   wins), merged with the stored chunks the steps overlap and the series' unfilled tail
   chunk, those chunks deleted and the merged points cut into chunks again
   (docs/columnar-store.md): whole lists from the message, no object per point;
5. the extras (msg_id, metadata) of the points written, the summaries from the chunks'
   aggregates;
6. count the part on its batch (written once all parts are).

A part that fails because PostgreSQL cannot be reached (`database_unreachable`) is not at
fault: the worker holds it back on the queue rather than spend its deliveries.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal
from uuid import UUID

import psycopg
from aws_lambda_powertools import Logger

from wavedb_core.db.connection import Connection, get_connection
from wavedb_core.models.metric_columns import SeriesColumns
from wavedb_core.queue import BatchPart
from wavedb_core.repositories import (
    chunk_migration,
    ingest_batches,
    metric_chunks,
    metric_point_extras,
    metric_points,
    rollups,
    run_metrics,
)
from wavedb_core.repositories.metric_chunks import SeriesRange, StoredChunk
from wavedb_core.repositories.metric_point_extras import PointExtras
from wavedb_core.repositories.run_metrics import SummaryChange
from wavedb_core.services.chunk_codec import (
    Columns,
    EncodedChunk,
    concatenated,
    cut_chunks,
    merge_latest,
    sorted_latest,
)

logger = Logger(child=True)

Outcome = Literal["written", "duplicate", "orphaned"]


@dataclass(frozen=True)
class PartWritten:
    outcome: Outcome
    points: int = 0


# ---------------------------------------------------------------- legacy rows


def write_staged_points(connection: Connection, metric_ids: list[int], has_msg_ids: bool) -> int:
    """Points already in the staging table as legacy rows (metric_points, rollups and
    summaries, as the worker wrote them before chunks): loads today's layout for the
    conversion's tests and the benchmarks. The worker no longer writes them."""
    if has_msg_ids:
        metric_points.drop_known_messages(connection)
    inserted = metric_points.insert_staged_points(connection)
    if inserted:
        run_metrics.lock_metrics(connection, metric_ids)
        metric_points.update_summaries_from_staging(connection)
        rollups.merge_staged_points(connection)
    return inserted


# ---------------------------------------------------------------- chunks


@dataclass
class SeriesWrite:
    """The points of one series in a part, as the rule keeps them (sorted, one per step),
    with the extras (msg_id, metadata) of the points that carry any, by step."""

    metric_id: int
    points: Columns
    extras: dict[int, tuple[str | None, dict[str, Any] | None]] = field(default_factory=dict)


@dataclass
class ChunkWrite:
    """What writing a part's series into chunks does, gathered so each kind of statement
    runs once for the whole part."""

    deleted: list[tuple[int, int]] = field(default_factory=list)
    inserted: list[tuple[int, EncodedChunk]] = field(default_factory=list)
    summaries: list[SummaryChange] = field(default_factory=list)
    extras_dropped: tuple[list[int], list[int]] = field(default_factory=lambda: ([], []))
    extras: list[PointExtras] = field(default_factory=list)


def _times(series: SeriesColumns, received_us: int) -> list[int]:
    times = series.times_us
    if times is None:
        return [received_us] * len(series)
    if None in times:
        return [received_us if time is None else time for time in times]
    return times  # type: ignore[return-value]  # no None left


def _merged_by_metric(
    series: Sequence[SeriesColumns], metric_ids: Sequence[int]
) -> dict[int, SeriesColumns]:
    """One SeriesColumns per metric (a name sent twice in a part: its points, in order)."""
    merged: dict[int, SeriesColumns] = {}
    for item, metric_id in zip(series, metric_ids, strict=True):
        kept = merged.get(metric_id)
        if kept is None:
            merged[metric_id] = item
            continue

        def joined(first: list[Any] | None, second: list[Any] | None, a: int, b: int) -> Any:
            if first is None and second is None:
                return None
            return (first or [None] * a) + (second or [None] * b)

        merged[metric_id] = SeriesColumns(
            kept.name,
            kept.steps + item.steps,
            kept.values + item.values,
            joined(kept.times_us, item.times_us, len(kept), len(item)),
            joined(kept.msg_ids, item.msg_ids, len(kept), len(item)),
            joined(kept.metadata, item.metadata, len(kept), len(item)),
        )
    return merged


def _without_known_messages(
    connection: Connection, by_metric: dict[int, SeriesColumns]
) -> dict[int, SeriesColumns]:
    """Drop the points whose msg_id is stored already for their metric, or came earlier in
    the part (a Tora log sent again is stored once)."""
    asked_metrics: list[int] = []
    asked_ids: list[str] = []
    for metric_id, item in by_metric.items():
        if item.msg_ids is not None:
            # One spelling per id (PostgreSQL's), whatever case the message carried.
            item.msg_ids = [
                None if msg_id is None else str(UUID(msg_id)) for msg_id in item.msg_ids
            ]
            for msg_id in item.msg_ids:
                if msg_id is not None:
                    asked_metrics.append(metric_id)
                    asked_ids.append(msg_id)
    if not asked_ids:
        return by_metric
    known = metric_point_extras.known_msg_ids(connection, asked_metrics, asked_ids)
    kept: dict[int, SeriesColumns] = {}
    for metric_id, item in by_metric.items():
        if item.msg_ids is None:
            kept[metric_id] = item
            continue
        seen: set[str] = set()
        keep: list[int] = []
        for index, msg_id in enumerate(item.msg_ids):
            if msg_id is None:
                keep.append(index)
            elif (metric_id, msg_id) not in known and msg_id not in seen:
                seen.add(msg_id)
                keep.append(index)
        if not keep:
            continue
        kept[metric_id] = item if len(keep) == len(item) else _picked(item, keep)
    return kept


def _picked(item: SeriesColumns, indexes: list[int]) -> SeriesColumns:
    def pick(column: list[Any] | None) -> Any:
        return None if column is None else [column[index] for index in indexes]

    return SeriesColumns(
        item.name,
        pick(item.steps),
        pick(item.values),
        pick(item.times_us),
        pick(item.msg_ids),
        pick(item.metadata),
    )


def series_writes(by_metric: dict[int, SeriesColumns], received_us: int) -> list[SeriesWrite]:
    """Each series' points as the rule keeps them, with the extras of the winners."""
    writes: list[SeriesWrite] = []
    for metric_id, item in by_metric.items():
        times = _times(item, received_us)
        points = sorted_latest(item.steps, item.values, times)
        write = SeriesWrite(metric_id, points)
        if item.msg_ids is not None or item.metadata is not None:
            winners: dict[int, int] = {}  # step -> index of the point the rule keeps
            for index, step in enumerate(item.steps):
                kept = winners.get(step)
                if kept is None or times[index] >= times[kept]:
                    winners[step] = index
            msg_ids = item.msg_ids or [None] * len(item)
            metadata = item.metadata or [None] * len(item)
            write.extras = {
                step: (msg_ids[index], metadata[index])
                for step, index in winners.items()
                if msg_ids[index] is not None or metadata[index] is not None
            }
        writes.append(write)
    return writes


def rewrite_series(
    write: SeriesWrite, stored: list[StoredChunk], in_conversion: bool, plan: ChunkWrite
) -> None:
    """Merge one series' points with the chunks they touch (by the rule) and plan the
    chunks' replacement, its extras and its summary change."""
    incoming = write.points
    before = concatenated([chunk.decoded() for chunk in stored])
    merged = merge_latest(before, incoming)
    replaced = len(merged) < len(before) + len(incoming)
    metric_id = write.metric_id
    plan.deleted.extend((metric_id, chunk.first_step) for chunk in stored)
    new_chunks = list(cut_chunks(merged))
    plan.inserted.extend((metric_id, chunk) for chunk in new_chunks)
    extras = write.extras
    if replaced:
        # Steps stored before and written again: the point logged later was kept. Where
        # the new one won, the old point's extras go; where the stored one won, the new
        # point's extras are not kept.
        stored_times = dict(zip(before.steps, before.times_us, strict=True))
        dropped_metrics, dropped_steps = plan.extras_dropped
        for step, time in zip(incoming.steps, incoming.times_us, strict=True):
            stored_time = stored_times.get(step)
            if stored_time is None:
                continue
            if time >= stored_time:
                dropped_metrics.append(metric_id)
                dropped_steps.append(step)
            else:
                extras.pop(step, None)
    plan.extras.extend(
        PointExtras(metric_id, step, msg_id, metadata)
        for step, (msg_id, metadata) in extras.items()
    )
    lows = [chunk.aggregates.min for chunk in new_chunks if chunk.aggregates.min is not None]
    highs = [chunk.aggregates.max for chunk in new_chunks if chunk.aggregates.max is not None]
    plan.summaries.append(
        SummaryChange(
            metric_id=metric_id,
            added=len(merged) - len(before),
            low=min(lows) if lows else None,
            high=max(highs) if highs else None,
            first_step=merged.steps[0],
            last_step=merged.steps[-1],
            last_value=merged.values[-1],
            last_us=merged.times_us[-1],
            # A series still partly in legacy rows keeps folding changes in: its summary is
            # taken again from its chunks once the conversion has moved every row.
            recompute=replaced and not in_conversion,
        )
    )


def write_series(connection: Connection, writes: Sequence[SeriesWrite]) -> int:
    """Write the series' points into chunks (run_metrics rows locked by the caller)."""
    writes = [write for write in writes if write.points]
    if not writes:
        return 0
    ranges = [
        SeriesRange(
            write.metric_id, write.points.steps[0], write.points.steps[-1], len(write.points)
        )
        for write in writes
    ]
    stored = metric_chunks.chunks_to_rewrite(connection, ranges)
    in_conversion = chunk_migration.series_in_conversion(
        connection, [write.metric_id for write in writes]
    )
    plan = ChunkWrite()
    for write in writes:
        rewrite_series(
            write, stored.get(write.metric_id, []), write.metric_id in in_conversion, plan
        )
    metric_chunks.delete_series_chunks(connection, plan.deleted)
    metric_chunks.insert_series_chunks(connection, plan.inserted)
    metric_point_extras.delete_extras(connection, *plan.extras_dropped)
    metric_point_extras.upsert_extras(connection, plan.extras)
    run_metrics.apply_summary_changes(connection, plan.summaries)
    return sum(len(write.points) for write in writes)


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
        run_metrics.lock_metrics(connection, sorted(set(metric_ids)))
        by_metric = _without_known_messages(connection, _merged_by_metric(part.series, metric_ids))
        written = write_series(connection, series_writes(by_metric, part.received_us))
        ingest_batches.count_written_part(connection, part.run_id, part.batch_id)
    return PartWritten("written", written)


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
