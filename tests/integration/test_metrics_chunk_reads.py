"""Every read of points from series stored as chunks (written here with the codec and
insert_chunks, as the worker and the conversion write them), from a series being converted
(chunks and legacy rows: the point logged last wins at a step, in every read alike), and
NaN/±Infinity round trips."""

from __future__ import annotations

import csv
import io
import math
import random
import struct
import uuid
from bisect import bisect_left, bisect_right
from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.accounts import SignedUpUser
from tests.support.chunks import load_chunks, mark_converting
from tests.support.ingest import LOGGED_US, SeededRun, load_points
from wavedb_core.services import metric_reads

START_US = 1_795_000_000_000_000
STEP_US = 1_000  # one point per millisecond


def _number(value: Any) -> float:
    named = {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}
    return named[value] if value in named else float(value)


def _bits(value: float) -> bytes:
    return struct.pack("<d", value)


def _same(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is expected
    if math.isnan(expected):
        return math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-12)


def _noisy(length: int, *, seed: int, first_step: int = 0) -> tuple[list[int], list[float]]:
    rng = random.Random(seed)
    steps = list(range(first_step, first_step + length))
    values = [1 / (1 + step / 1000) + rng.gauss(0, 0.01) for step in steps]
    for index in rng.sample(range(length), min(length, 12)):
        values[index] = rng.choice([math.nan, math.inf, -math.inf, 1e6, -1e6, -0.0])
    return steps, values


def _times(steps: list[int]) -> list[int]:
    return [START_US + step * STEP_US for step in steps]


def _history(
    api: TestClient, user: SignedUpUser, run_id: str, layout: str, **query: Any
) -> list[tuple[int, float, int]]:
    """Every point of `loss` through the history pages: (step, value, time µs)."""
    points: list[tuple[int, float, int]] = []
    params: dict[str, Any] = {"name": "loss", **query}
    if layout == "columns":
        params["layout"] = "columns"
    while True:
        answer = api.get(f"/v1/runs/{run_id}/series", params=params, headers=user.bearer)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        if layout == "columns":
            columns = body["columns"]
            assert len(columns["steps"]) == len(columns["values"]) == len(columns["timestamps_us"])
            points += zip(
                columns["steps"],
                map(_number, columns["values"]),
                columns["timestamps_us"],
                strict=True,
            )
        else:
            points += [
                (
                    item["step"],
                    _number(item["value"]),
                    _micros(datetime.fromisoformat(item["timestamp"])),
                )
                for item in body["items"]
            ]
        if body["next_cursor"] is None:
            return points
        params["cursor"] = body["next_cursor"]


def _micros(moment: datetime) -> int:
    delta = moment - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


# ---------------------------------------------------------------- history


@pytest.mark.parametrize(
    ("layout", "limit"), [("points", 777), ("columns", 5_000), ("columns", None)]
)
def test_history_of_a_chunked_series_pages_every_point_bit_exact(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    layout: str,
    limit: int | None,
) -> None:
    steps, values = _noisy(10_000, seed=1)
    steps = [step * 3 for step in steps]  # not consecutive: the steps column is stored
    load_chunks(clean_database, run.id, "loss", steps, values, _times(steps))

    query = {} if limit is None else {"limit": limit}
    read = _history(api, user, run.id, layout, **query)

    assert [step for step, _, _ in read] == steps
    assert [_bits(value) for _, value, _ in read] == [_bits(value) for value in values]
    assert [us for _, _, us in read] == _times(steps)


@pytest.mark.parametrize("layout", ["points", "columns"])
def test_history_of_a_chunked_series_within_steps_cuts_chunks_at_the_edges(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str, layout: str
) -> None:
    steps, values = _noisy(20_000, seed=2)
    load_chunks(clean_database, run.id, "loss", steps, values, _times(steps))

    read = _history(api, user, run.id, layout, step_min=4_000, step_max=12_345, limit=1_000)
    after = _history(api, user, run.id, layout, after_step=19_990)

    assert [step for step, _, _ in read] == list(range(4_000, 12_346))
    assert [_bits(value) for _, value, _ in read] == [_bits(v) for v in values[4_000:12_346]]
    assert [step for step, _, _ in after] == list(range(19_991, 20_000))


def test_history_as_columns_refuses_a_page_above_its_limit_and_points_above_theirs(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    path = f"/v1/runs/{run.id}/series"

    columns = api.get(
        path, params={"name": "loss", "layout": "columns", "limit": 80_001}, headers=user.bearer
    )
    points = api.get(path, params={"name": "loss", "limit": 10_001}, headers=user.bearer)

    assert columns.status_code == 422
    assert points.status_code == 422
    assert "10000" in points.text


def test_history_page_of_the_widest_points_stays_under_the_lambda_response_limit() -> None:
    from wavedb_core.models.metrics import (
        MAX_COLUMNS_PAGE,
        PointColumns,
        RawSeriesColumnsPage,
    )

    widest = -2.2250738585072014e-308  # the longest repr a float64 has
    page = RawSeriesColumnsPage(
        run_id=uuid.uuid4(),
        name="n" * 256,
        columns=PointColumns(
            steps=[2**53] * MAX_COLUMNS_PAGE,
            values=[widest] * MAX_COLUMNS_PAGE,
            timestamps_us=[7_258_118_399_999_999] * MAX_COLUMNS_PAGE,
        ),
        next_cursor="c" * 200,
    )

    assert len(page.model_dump_json()) < 6_000_000


# ---------------------------------------------------------------- charts


def _expected_bucket(
    steps: list[int], values: list[float], times: list[int], start: int, end: int
) -> dict[str, Any]:
    low, high = bisect_left(steps, start), bisect_right(steps, end)
    inside = values[low:high]
    comparable = [value for value in inside if not math.isnan(value)]
    finite = [value for value in inside if math.isfinite(value)]
    return {
        "count": len(inside),
        "min": min(comparable, default=None),
        "max": max(comparable, default=None),
        "mean": math.fsum(finite) / len(finite) if finite else None,
        "last": inside[-1],
        "last_step": steps[high - 1],
        "last_us": max(times[low:high]),
    }


def _check_chart(
    body: dict[str, Any],
    steps: list[int],
    values: list[float],
    times: list[int],
    wanted: int,
    *,
    time_tolerance_us: int = 0,
) -> None:
    buckets = body["buckets"]
    assert 0 < len(buckets) <= wanted
    covered = 0
    for bucket in buckets:
        expected = _expected_bucket(steps, values, times, bucket["step_start"], bucket["step_end"])
        assert bucket["count"] == expected["count"], (bucket, expected)
        assert bucket["last_step"] == expected["last_step"], bucket
        logged_us = _micros(datetime.fromisoformat(bucket["last_logged_at"]))
        assert abs(logged_us - expected["last_us"]) <= time_tolerance_us, (bucket, expected)
        for key in ("min", "max", "mean", "last"):
            actual = None if bucket[key] is None else _number(bucket[key])
            assert _same(actual, expected[key]), (key, bucket, expected)
        covered += bucket["count"]
    low, high = body["step_min"], body["step_max"]
    assert covered == bisect_right(steps, high) - bisect_left(steps, low)


@pytest.mark.parametrize(
    ("length", "buckets", "source"),
    [
        (10_000, 100, "points"),  # 100 points per bucket
        (100_000, 100, "block summaries"),  # 1,024 per bucket
        (300_000, 20, "chunk aggregates"),  # 16,384 per bucket
    ],
)
def test_chart_of_a_chunked_series_matches_a_brute_force_computation(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    length: int,
    buckets: int,
    source: str,
) -> None:
    steps, values = _noisy(length, seed=length)
    times = _times(steps)
    load_chunks(clean_database, run.id, "loss", steps, values, times)

    answer = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "loss", "points": buckets}, headers=user.bearer
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["step_min"], body["step_max"]) == (0, length - 1)
    _check_chart(body, steps, values, times, buckets)


@pytest.mark.parametrize(("spacing", "buckets"), [(3, 100), (1, 100), (3, 7), (3, 1_000)])
def test_chart_of_sparse_steps_or_times_out_of_order_matches_a_brute_force_computation(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    spacing: int,
    buckets: int,
) -> None:
    steps, values = _noisy(20_000, seed=spacing + buckets)
    steps = [step * spacing for step in steps]
    rng = random.Random(9)
    times = [time + rng.randrange(-5_000, 5_000) for time in _times(steps)]  # out of order
    load_chunks(clean_database, run.id, "loss", steps, values, times)

    body = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "loss", "points": buckets}, headers=user.bearer
    ).json()

    # Buckets of block summaries take their time between the chunk's first and last times.
    _check_chart(body, steps, values, times, buckets, time_tolerance_us=20_000)


@pytest.mark.parametrize(
    ("step_min", "step_max", "buckets"), [(5_000, 95_000, 30), (777, 1_234, 10)]
)
def test_chart_of_a_chunked_series_within_steps_counts_only_points_in_them(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    step_min: int,
    step_max: int,
    buckets: int,
) -> None:
    steps, values = _noisy(100_000, seed=5)
    times = _times(steps)
    load_chunks(clean_database, run.id, "loss", steps, values, times)

    body = api.get(
        f"/v1/runs/{run.id}/series",
        params={"name": "loss", "points": buckets, "step_min": step_min, "step_max": step_max},
        headers=user.bearer,
    ).json()

    assert (body["step_min"], body["step_max"]) == (step_min, step_max)
    _check_chart(body, steps, values, times, buckets)


def test_chart_as_columns_and_compared_runs_read_chunks_and_legacy_rows_alike(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    from tests.support.ingest import seed_run

    other = seed_run(clean_database, user.id, name="legacy")
    steps = list(range(5_000))
    values = [float(step % 97) for step in steps]
    load_chunks(clean_database, run.id, "loss", steps, values, _times(steps))
    load_points(clean_database, other.id, "loss", list(zip(steps, values, strict=True)))

    compared = api.get(
        "/v1/series",
        params={"run_ids": f"{run.id},{other.id}", "name": "loss", "points": 50},
        headers=user.bearer,
    ).json()
    columns = api.get(
        f"/v1/runs/{run.id}/series",
        params={"name": "loss", "points": 50, "layout": "columns"},
        headers=user.bearer,
    ).json()

    chunked, legacy = compared["series"]
    summary = [
        (b["step_start"], b["count"], b["min"], b["max"], b["mean"], b["last"])
        for b in chunked["buckets"]
    ]
    assert summary == [
        (b["step_start"], b["count"], b["min"], b["max"], b["mean"], b["last"])
        for b in legacy["buckets"]
    ]
    assert columns["columns"]["count"] == [b["count"] for b in chunked["buckets"]]
    assert columns["columns"]["last_logged_ms"] == [
        _micros(datetime.fromisoformat(b["last_logged_at"])) // 1000 for b in chunked["buckets"]
    ]


# ---------------------------------------------------------------- CSV and compatibility reads


def test_csv_of_chunked_series_lists_every_point_by_name_and_step_with_nan_and_infinity(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    steps, values = _noisy(9_000, seed=7)
    load_chunks(clean_database, run.id, "loss", steps, values, _times(steps))
    load_chunks(clean_database, run.id, "acc", [1, 2], [math.inf, -math.inf], [START_US, START_US])

    response = api.get(f"/v1/runs/{run.id}/metrics.csv", headers=user.bearer)

    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.text)))
    assert rows[0] == ["run_id", "name", "step", "value", "timestamp"]
    assert rows[1:3] == [
        [run.id, "acc", "1", "Infinity", "2026-11-18T11:06:40Z"],
        [run.id, "acc", "2", "-Infinity", "2026-11-18T11:06:40Z"],
    ]
    loss = rows[3:]
    assert [int(row[2]) for row in loss] == steps
    assert [_bits(_number(row[3])) for row in loss] == [_bits(value) for value in values]


def test_compatibility_reads_of_chunked_series_carry_msg_id_and_metadata(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    logged = uuid.uuid4()
    load_chunks(
        clean_database,
        run.id,
        "loss",
        [1, 2, 3],
        [0.5, 0.25, math.nan],
        [START_US + 30, START_US + 20, START_US + 10],
        extras={2: (logged, {"type": "metric", "note": "x"})},
    )
    load_chunks(clean_database, run.id, "acc", [1], [0.9], [START_US + 40])
    principal = user.principal

    by_step = metric_reads.read_points(principal, uuid.UUID(run.id))
    newest = metric_reads.read_points(principal, uuid.UUID(run.id), order="time_desc", limit=2)
    backwards = metric_reads.read_points(
        principal, uuid.UUID(run.id), names=["loss"], order="step_desc", offset=1
    )
    tora = api.get(f"/experiments/{run.id}/metrics", headers=user.bearer)

    assert [(p.name, p.step) for p in by_step] == [
        ("acc", 1),
        ("loss", 1),
        ("loss", 2),
        ("loss", 3),
    ]
    assert (by_step[2].msg_id, by_step[2].metadata) == (logged, {"type": "metric", "note": "x"})
    assert by_step[1].msg_id is None
    assert math.isnan(by_step[3].value)
    assert [(p.name, p.step) for p in newest] == [("acc", 1), ("loss", 1)]
    assert [p.step for p in backwards] == [2, 1]
    assert tora.status_code == 200, tora.text
    tora_logs = tora.json()["data"]
    assert [(log["name"], log["step"]) for log in tora_logs] == [
        ("acc", 1),
        ("loss", 1),
        ("loss", 2),
        ("loss", 3),
    ]
    assert tora_logs[2]["msg_id"] == str(logged)


# ---------------------------------------------------------------- a series being converted


def _converting_series(
    clean_database: str, run_id: str, *, listed: bool = True
) -> tuple[list[int], list[float], list[int]]:
    """Legacy rows for steps 0..999 (step 100 logged twice), chunks for 500..1499: the
    chunks were logged later, except at step 700 where the legacy row was. Answers what
    every read must show: one point per step, the one logged last. Not `listed`: legacy
    rows the migration did not list (written by a version between it and the chunk
    writer)."""
    legacy = [(step, float(step)) for step in range(1_000)]
    legacy.insert(101, (100, -100.0))  # step 100 logged again, later (load_points: +1 µs each)
    load_points(clean_database, run_id, "loss", legacy)
    legacy_us = {step: LOGGED_US + index for index, (step, _) in enumerate(legacy)}
    chunk_steps = list(range(500, 1_500))
    chunk_values = [step + 0.5 for step in chunk_steps]
    chunk_times = [LOGGED_US + 10_000 + step for step in chunk_steps]
    chunk_times[200] = LOGGED_US + 600  # step 700: logged before its legacy row
    metric_id = load_chunks(clean_database, run_id, "loss", chunk_steps, chunk_values, chunk_times)
    if listed:
        mark_converting(clean_database, metric_id, None)

    steps = list(range(1_500))
    values = [float(step) if step < 500 else step + 0.5 for step in steps]
    values[100] = -100.0
    values[700] = 700.0
    times = [legacy_us[step] if step < 500 else LOGGED_US + 10_000 + step for step in steps]
    times[700] = legacy_us[700]
    return steps, values, times


@pytest.mark.parametrize("layout", ["points", "columns"])
def test_history_of_a_converting_series_keeps_the_point_logged_last_at_each_step(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str, layout: str
) -> None:
    steps, values, times = _converting_series(clean_database, run.id)

    read = _history(api, user, run.id, layout, limit=97)

    assert read == list(zip(steps, values, times, strict=True))


def test_chart_and_csv_of_a_converting_series_agree_with_its_history(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    steps, values, times = _converting_series(clean_database, run.id)

    chart = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "loss", "points": 300}, headers=user.bearer
    ).json()
    rows = list(
        csv.reader(io.StringIO(api.get(f"/v1/runs/{run.id}/metrics.csv", headers=user.bearer).text))
    )
    tora = metric_reads.read_points(user.principal, uuid.UUID(run.id), limit=100_000)

    _check_chart(chart, steps, values, times, 300)
    assert [(int(row[2]), float(row[3])) for row in rows[1:]] == list(
        zip(steps, values, strict=True)
    )
    assert [(p.step, p.value) for p in tora] == list(zip(steps, values, strict=True))


def test_reads_of_a_converting_series_skip_legacy_rows_already_converted(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    load_points(clean_database, run.id, "loss", [(step, -1.0) for step in range(10)])
    metric_id = load_chunks(
        clean_database, run.id, "loss", list(range(6)), [1.0] * 6, [START_US] * 6
    )
    mark_converting(clean_database, metric_id, 5)  # rows through step 5 are in chunks

    read = _history(api, user, run.id, "columns")

    assert [(step, value) for step, value, _ in read] == [(s, 1.0) for s in range(6)] + [
        (s, -1.0) for s in range(6, 10)
    ]


# ---------------------------------------------------------------- a long series


def test_a_ten_million_point_series_reads_in_pages_and_flat_charts(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    total, part = 10_000_000, 1_000_000
    pattern = [math.sin(index / 100) for index in range(part)]
    for first in range(0, total, part):
        steps = list(range(first, first + part))
        load_chunks(
            clean_database,
            run.id,
            "loss",
            steps,
            pattern,
            [START_US + step for step in steps],
        )
    path = f"/v1/runs/{run.id}/series"

    chart = api.get(path, params={"name": "loss", "points": 1_000}, headers=user.bearer).json()
    window = api.get(
        path,
        params={"name": "loss", "points": 1_000, "step_min": 4_000_000, "step_max": 4_500_000},
        headers=user.bearer,
    ).json()
    first_page = api.get(path, params={"name": "loss", "layout": "columns"}, headers=user.bearer)
    middle = api.get(
        path,
        params={"name": "loss", "layout": "columns", "after_step": 5_000_000 - 1},
        headers=user.bearer,
    ).json()
    last = api.get(
        path,
        params={"name": "loss", "layout": "columns", "after_step": total - 1_000 - 1},
        headers=user.bearer,
    ).json()

    assert 0 < len(chart["buckets"]) <= 1_000
    assert sum(bucket["count"] for bucket in chart["buckets"]) == total
    assert chart["buckets"][-1]["last_step"] == total - 1
    assert sum(bucket["count"] for bucket in window["buckets"]) == 500_001
    assert first_page.status_code == 200
    assert len(first_page.content) < 6_000_000
    page = first_page.json()
    assert page["columns"]["steps"][:3] == [0, 1, 2]
    assert len(page["columns"]["steps"]) == 80_000
    assert page["next_cursor"] is not None
    assert middle["columns"]["steps"][0] == 5_000_000
    assert middle["columns"]["values"][0] == pattern[0]
    assert last["columns"]["steps"] == list(range(total - 1_000, total))
    assert last["next_cursor"] is None


def test_reads_of_a_series_with_chunks_and_unlisted_legacy_rows_merge_them_by_the_rule(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    steps, values, times = _converting_series(clean_database, run.id, listed=False)

    read = _history(api, user, run.id, "columns", limit=333)
    chart = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "loss", "points": 40}, headers=user.bearer
    ).json()

    assert read == list(zip(steps, values, times, strict=True))
    _check_chart(chart, steps, values, times, 40)


def test_compatibility_reads_of_a_converting_series_keep_the_point_logged_last_in_every_order(
    user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    steps, values, times = _converting_series(clean_database, run.id)
    principal, run_id = user.principal, uuid.UUID(run.id)
    expected = list(zip(steps, values, times, strict=True))

    def read(order: str, **page: int) -> list[tuple[int, float, int]]:
        points = metric_reads.read_points(principal, run_id, order=order, **page)  # type: ignore[arg-type]
        return [(p.step, p.value, _micros(p.logged_at)) for p in points]

    assert read("step_desc", limit=100_000) == expected[::-1]
    assert read("step_desc", limit=10, offset=495) == expected[::-1][495:505]
    by_time = sorted(expected, key=lambda point: (point[2], point[0]))
    assert read("time_asc", limit=100_000) == by_time
    assert (
        read("time_desc", limit=7, offset=3)
        == sorted(expected, key=lambda point: (-point[2], -point[0]))[3:10]
    )


def test_csv_reads_one_snapshot_while_the_worker_rewrites_chunks(
    user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    import psycopg

    from wavedb_core.repositories import metric_chunks
    from wavedb_core.services.chunk_codec import Columns, cut_chunks

    steps = list(range(20_000))
    old_values = [1.0] * len(steps)
    metric_id = load_chunks(clean_database, run.id, "loss", steps, old_values, _times(steps))
    with psycopg.connect(clean_database, autocommit=True) as connection:
        # Small chunks: the series takes several reads of a batch of chunks.
        connection.execute("DELETE FROM metric_chunks WHERE metric_id = %s", (metric_id,))
        metric_chunks.insert_chunks(
            connection,  # type: ignore[arg-type]
            metric_id,
            cut_chunks(Columns(steps, old_values, _times(steps)), size=100),
        )

    def rewrite() -> None:  # what a worker's recut does: other chunks, other values
        with psycopg.connect(clean_database, autocommit=True) as connection:
            connection.execute("DELETE FROM metric_chunks WHERE metric_id = %s", (metric_id,))
            metric_chunks.insert_chunks(
                connection,  # type: ignore[arg-type]
                metric_id,
                cut_chunks(Columns(steps, [2.0] * len(steps), _times(steps)), size=150),
            )

    exported = metric_reads.iter_points_csv(user.principal, uuid.UUID(run.id))
    text = [next(exported), next(exported)]  # the header, then the first batch
    rewrite()
    text.extend(exported)

    rows = list(csv.reader(io.StringIO(b"".join(text).decode())))[1:]
    assert [int(row[2]) for row in rows] == steps
    assert {row[3] for row in rows} == {"1.0"}
