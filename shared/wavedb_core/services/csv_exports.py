"""CSV text of exports, written from streamed columns in chunks of bytes (never a whole run
in memory): a run's metrics long (one row per point) or wide (one row per step, one column
per metric), and a project's run table.

Values are written exactly as stored: the shortest text that reads back as the same float
(Python's repr), and NaN, Infinity and -Infinity by name. Times are RFC 3339 in UTC with
microseconds (left out when zero).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Generator, Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

from wavedb_core.models.metric_columns import StoredColumns

LONG_COLUMNS = ("run_id", "name", "step", "value", "timestamp")
RUN_TABLE_COLUMNS = ("run_id", "name", "status", "tags", "created_at", "started_at", "ended_at")
SUMMARY_FIELDS = ("last", "min", "max")

_SPECIAL_VALUES = {"nan": "NaN", "inf": "Infinity", "-inf": "-Infinity"}
# The longest a long row can be besides its name: a run id (36), a step (19 digits), a
# value (24 characters, e.g. -2.2250738585072014e-308), a time (27), four commas and a line
# end, which a Lambda answer's JSON writes as two characters.
_LONG_ROW_BOUND = 36 + 19 + 24 + 27 + 4 + 2


def value_text(value: float) -> str:
    """A stored value as CSV text: repr (it reads back as the same float) or a name."""
    text = repr(value)
    return _SPECIAL_VALUES.get(text, text)


def cell(text: str) -> str:
    """One CSV cell, quoted when it must be (as the csv module quotes: commas, quotes,
    line breaks)."""
    if any(char in text for char in ',"\r\n'):
        return '"' + text.replace('"', '""') + '"'
    return text


def _row(cells: Iterable[str]) -> str:
    return ",".join(cell(text) for text in cells) + "\n"


def moment_text(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# The logged times a CSV can write (years 1 to 9999, as every read clamps them): a stored
# time may be anything PostgreSQL holds.
_EARLIEST_US = -62_135_596_800 * 1_000_000
_LATEST_US = 253_402_300_800 * 1_000_000 - 1


class _TimeText:
    """µs since the epoch as RFC 3339 text; the text of the second is kept, since
    consecutive points are mostly logged within the same one."""

    def __init__(self) -> None:
        self._second: int | None = None
        self._prefix = ""

    def __call__(self, time_us: int) -> str:
        second, micros = divmod(min(max(time_us, _EARLIEST_US), _LATEST_US), 1_000_000)
        if second != self._second:
            self._second = second
            self._prefix = datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        return f"{self._prefix}.{micros:06d}Z" if micros else f"{self._prefix}Z"


# ---------------------------------------------------------------- long


def long_csv_answer_bound(run_id: str, metrics: Sequence[tuple[str, int]]) -> int:
    """An upper bound of the long CSV's size as JSON text (what a Lambda answer carries),
    from (name, point count) of each metric."""
    header = len(json.dumps(_row(LONG_COLUMNS))) - 2
    return header + sum(
        count * (len(json.dumps(cell(name))) - 2 + _LONG_ROW_BOUND) for name, count in metrics
    )


def long_csv(run_id: str, blocks: Iterable[StoredColumns]) -> Generator[bytes, None, None]:
    """run_id,name,step,value,timestamp: one row per point, by name, step and time."""
    yield _row(LONG_COLUMNS).encode()
    time_text = _TimeText()
    for block in blocks:
        prefix = f"{run_id},{cell(block.name)},"
        yield "".join(
            [
                f"{prefix}{step},{value_text(value)},{time_text(time_us)}\n"
                for step, value, time_us in zip(
                    block.steps, block.values, block.times_us, strict=True
                )
            ]
        ).encode()


# ---------------------------------------------------------------- wide


def wide_header(names: Sequence[str]) -> bytes:
    return _row(["step", *names]).encode()


def wide_rows(names: Sequence[str], blocks: Iterable[StoredColumns]) -> bytes:
    """step,<metric>,...: the rows of every step the blocks hold, by step; a metric without
    a point at a step has an empty cell, and of two points at one step the later logged
    one is kept (the blocks come by name, step and time)."""
    column = {name: index for index, name in enumerate(names)}
    rows: dict[int, list[str]] = {}
    width = len(names)
    for block in blocks:
        index = column.get(block.name)
        if index is None:  # a metric that appeared after the header was written
            continue
        for step, value in zip(block.steps, block.values, strict=True):
            row = rows.get(step)
            if row is None:
                row = rows[step] = [""] * width
            row[index] = value_text(value)
    return "".join(f"{step},{','.join(rows[step])}\n" for step in sorted(rows)).encode()


# ---------------------------------------------------------------- project run table


def flatten_config(config: Any, prefix: str = "") -> dict[str, str]:
    """A run's config as dotted keys (nested objects opened) and cell text: strings as they
    are, every other value as JSON."""
    cells: dict[str, str] = {}
    if isinstance(config, dict) and (config or not prefix):
        for key, value in config.items():
            cells.update(flatten_config(value, f"{prefix}{key}."))
        return cells
    key = prefix[:-1]
    cells[key] = config if isinstance(config, str) else json.dumps(config, ensure_ascii=False)
    return cells


def run_table_header(
    config_keys: Sequence[str], metrics: Sequence[str], results: Sequence[str]
) -> bytes:
    return _row(
        [
            *RUN_TABLE_COLUMNS,
            *(f"config.{key}" for key in config_keys),
            *(f"summary.{name}.{field}" for name in metrics for field in SUMMARY_FIELDS),
            *(f"result.{name}" for name in results),
        ]
    ).encode()


def _numbers(names: Sequence[str] | None, values: Sequence[float | None] | None) -> dict[str, str]:
    if not names or not values:
        return {}
    return {
        name: "" if value is None else value_text(value)
        for name, value in zip(names, values, strict=True)
    }


def run_table_row(
    run: dict[str, Any],
    config_keys: Sequence[str],
    metrics: Sequence[str],
    results: Sequence[str],
) -> str:
    """One run of the table: the run's own fields, its config, the last/min/max of each
    metric and its results, in the header's columns."""
    config = flatten_config(run["config"])
    lasts = _numbers(run["metric_names"], run["lasts"])
    mins = _numbers(run["metric_names"], run["mins"])
    maxs = _numbers(run["metric_names"], run["maxs"])
    summary = {"last": lasts, "min": mins, "max": maxs}
    result_values = _numbers(run["result_names"], run["result_values"])
    return _row(
        [
            str(run["id"]),
            run["name"],
            run["status"],
            ";".join(run["tags"] or []),
            moment_text(run["created_at"]),
            moment_text(run["started_at"]),
            moment_text(run["ended_at"]),
            *(config.get(key, "") for key in config_keys),
            *(summary[field].get(name, "") for name in metrics for field in SUMMARY_FIELDS),
            *(result_values.get(name, "") for name in results),
        ]
    )


# ---------------------------------------------------------------- Tora's logs


TORA_COLUMNS = ("id", "experiment_id", "name", "value", "step", "metadata", "created_at")


def tora_header() -> bytes:
    return (",".join(TORA_COLUMNS) + "\r\n").encode()


def tora_point_id(experiment_id: uuid.UUID, name: str, step: int | None) -> uuid.UUID:
    """The id of a log stored without a msg_id: stable for its experiment, name and step."""
    return uuid.uuid5(experiment_id, f"{name}\x00{'' if step is None else step}")


def tora_row(
    log_id: uuid.UUID,
    experiment_id: str,
    name: str,
    value: float,
    step: int | None,
    metadata: dict[str, Any] | None,
    created_at: str,
) -> str:
    """One log as Tora's CSV writes it (quoted as needed, CRLF line ends)."""
    return (
        f"{log_id},{experiment_id},{cell(name)},{value_text(value)},"
        f"{'' if step is None else step},"
        f"{'' if metadata is None else cell(json.dumps(metadata, separators=(',', ':')))},"
        f"{created_at}\r\n"
    )


def tora_point_rows(
    experiment_id: uuid.UUID, blocks: Iterable[StoredColumns]
) -> list[tuple[int, int, str]]:
    """The points as (time µs, step, row), to be sorted oldest first."""
    experiment = str(experiment_id)
    time_text = _TimeText()
    rows: list[tuple[int, int, str]] = []
    for block in blocks:
        for step, value, time_us in zip(block.steps, block.values, block.times_us, strict=True):
            log_id = tora_point_id(experiment_id, block.name, step)
            rows.append(
                (
                    time_us,
                    step,
                    tora_row(log_id, experiment, block.name, value, step, None, time_text(time_us)),
                )
            )
    return rows
