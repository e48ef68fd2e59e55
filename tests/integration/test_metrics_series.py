"""Series reads: downsampled buckets against a brute-force computation, raw pages, compare."""

from __future__ import annotations

import itertools
import math
import random
from bisect import bisect_left, bisect_right
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.support.accounts import SignedUpUser, sign_up
from tests.support.ingest import LOGGED_US, SeededRun, load_points, seed_run

Point = tuple[int, float]  # step, value (in the order they were logged)


def _series(length: int, *, seed: int) -> list[Point]:
    """A noisy curve with gaps, repeated steps, rare spikes and a few non-finite values."""
    rng = random.Random(seed)
    points: list[Point] = []
    step = rng.randrange(0, 50)
    for _ in range(length):
        value = 1 / (1 + step / 1000) + rng.gauss(0, 0.01)
        roll = rng.random()
        if roll < 0.0005:
            value = rng.choice([1e6, -1e6])  # spikes must survive in max / min
        elif roll < 0.001:
            value = rng.choice([math.nan, math.inf, -math.inf])
        points.append((step, value))
        step += rng.choice([0, 1, 1, 1, 1, 2, 5])
    return points


_sorted_cache: dict[int, tuple[list[tuple[int, int, float]], list[int]]] = {}


def _by_step(points: list[Point]) -> tuple[list[tuple[int, int, float]], list[int]]:
    """(step, index, value) sorted by step, and the steps alone (cached per list)."""
    cached = _sorted_cache.get(id(points))
    if cached is None or len(cached[0]) != len(points):
        ordered = sorted((step, index, value) for index, (step, value) in enumerate(points))
        cached = (ordered, [step for step, _, _ in ordered])
        _sorted_cache.clear()
        _sorted_cache[id(points)] = cached
    return cached


def _json_number(value: Any) -> float | None:
    if value is None:
        return None
    return {"NaN": math.nan, "Infinity": math.inf, "-Infinity": -math.inf}.get(value, value)  # type: ignore[no-any-return]


def _expected_bucket(points: list[Point], start: int, end: int) -> dict[str, Any]:
    by_step, steps = _by_step(points)
    inside = [
        (index, step, value)
        for step, index, value in by_step[bisect_left(steps, start) : bisect_right(steps, end)]
    ]
    comparable = [value for _, _, value in inside if not math.isnan(value)]
    finite = [value for _, _, value in inside if math.isfinite(value)]
    _, last_step, last = max(inside, key=lambda item: (item[1], item[0]))
    latest_index = max(index for index, _, _ in inside)
    return {
        "last_logged_at": datetime.fromtimestamp((LOGGED_US + latest_index) / 1e6, tz=UTC),
        "count": len(inside),
        "min": min(comparable, default=None),
        "max": max(comparable, default=None),
        "mean": sum(finite) / len(finite) if finite else None,
        "last": last,
        "last_step": last_step,
    }


def _same(actual: float | None, expected: float | None) -> bool:
    if actual is None or expected is None:
        return actual is expected
    if math.isnan(expected):
        return math.isnan(actual)
    return math.isclose(actual, expected, rel_tol=1e-9, abs_tol=1e-9)


def _check_buckets(answer: dict[str, Any], points: list[Point], buckets_wanted: int) -> None:
    buckets = answer["buckets"]
    assert 0 < len(buckets) <= buckets_wanted
    width = answer["bucket_width"]
    previous_end = -1
    covered = 0
    for bucket in buckets:
        assert bucket["step_start"] > previous_end
        assert bucket["step_end"] - bucket["step_start"] + 1 <= width
        previous_end = bucket["step_end"]
        expected = _expected_bucket(points, bucket["step_start"], bucket["step_end"])
        assert bucket["count"] == expected["count"], bucket
        assert bucket["last_step"] == expected["last_step"], bucket
        assert datetime.fromisoformat(bucket["last_logged_at"]) == expected["last_logged_at"]
        for key in ("min", "max", "mean", "last"):
            assert _same(_json_number(bucket[key]), expected[key]), (key, bucket, expected)
        covered += bucket["count"]
    low, high = answer["step_min"], answer["step_max"]
    assert covered >= sum(1 for step, _ in points if low <= step <= high)


@pytest.mark.parametrize(
    ("length", "buckets"),
    [
        (1, 10),
        (40, 7),
        (3_000, 100),
        (3_000, 2_000),
        (20_000, 1_000),
        (20_000, 13),
        (250_000, 1_000),
        (250_000, 5),
    ],
)
def test_downsampled_series_matches_a_brute_force_computation(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    length: int,
    buckets: int,
) -> None:
    points = _series(length, seed=length + buckets)
    load_points(clean_database, run.id, "loss", points)

    answer = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "loss", "points": buckets}, headers=user.bearer
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["step_min"], body["step_max"]) == (points[0][0], points[-1][0])
    _check_buckets(body, points, buckets)


def test_downsampled_series_keeps_a_single_spike_in_its_bucket(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    points = [(step, 1.0) for step in range(100_000)]
    points[61_234] = (61_234, 1e9)
    points[7_777] = (7_777, -1e9)
    load_points(clean_database, run.id, "loss", points)

    body = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "loss", "points": 100}, headers=user.bearer
    ).json()

    spikes = [b for b in body["buckets"] if b["max"] == 1e9 or b["min"] == -1e9]
    assert len(spikes) == 2
    assert spikes[0]["step_start"] <= 7_777 <= spikes[0]["step_end"]
    assert spikes[1]["step_start"] <= 61_234 <= spikes[1]["step_end"]


@pytest.mark.parametrize(("step_min", "step_max", "buckets"), [(100, 180, 20), (1_000, 9_000, 50)])
def test_downsampled_series_within_a_step_range_covers_that_range(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    step_min: int,
    step_max: int,
    buckets: int,
) -> None:
    points = _series(12_000, seed=3)
    load_points(clean_database, run.id, "loss", points)

    body = api.get(
        f"/v1/runs/{run.id}/series",
        params={"name": "loss", "points": buckets, "step_min": step_min, "step_max": step_max},
        headers=user.bearer,
    ).json()

    assert (body["step_min"], body["step_max"]) == (step_min, step_max)
    assert body["buckets"][0]["step_start"] <= step_min + body["bucket_width"]
    assert body["buckets"][-1]["step_end"] >= step_max - body["bucket_width"]
    _check_buckets(body, points, buckets)


def test_downsampled_series_of_an_unknown_metric_is_empty(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    body = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "nope", "points": 10}, headers=user.bearer
    ).json()

    assert body["buckets"] == []
    assert body["step_min"] is None


def _pages(
    api: TestClient, user: SignedUpUser, run_id: str, limit: int
) -> list[list[dict[str, Any]]]:
    pages = []
    params: dict[str, Any] = {"name": "loss", "limit": limit}
    while True:
        body = api.get(f"/v1/runs/{run_id}/series", params=params, headers=user.bearer).json()
        pages.append(body["items"])
        if body["next_cursor"] is None:
            return pages
        params = {"name": "loss", "limit": limit, "cursor": body["next_cursor"]}


def test_raw_series_pages_have_no_gaps_or_repeats_and_never_split_a_step(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    points = _series(500, seed=11)
    points += [(points[-1][0] + 1, float(i)) for i in range(12)]  # one step > a page
    points.append((points[-1][0] + 1, 0.5))
    load_points(clean_database, run.id, "loss", points)

    pages = _pages(api, user, run.id, limit=7)

    flat = [(item["step"], _json_number(item["value"])) for page in pages for item in page]
    assert len(flat) == len(points)
    assert all(_same(a[1], b[1]) and a[0] == b[0] for a, b in zip(flat, points, strict=True))
    for earlier, later in itertools.pairwise(pages):
        assert earlier[-1]["step"] < later[0]["step"]
    assert max(len(page) for page in pages) == 12


def test_raw_series_after_step_starts_after_it(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    load_points(clean_database, run.id, "loss", [(step, step / 2) for step in range(30)])

    body = api.get(
        f"/v1/runs/{run.id}/series",
        params={"name": "loss", "after_step": 20, "step_max": 25},
        headers=user.bearer,
    ).json()

    assert [item["step"] for item in body["items"]] == [21, 22, 23, 24, 25]
    assert body["next_cursor"] is None


def test_raw_series_with_a_forged_cursor_is_refused(
    api: TestClient, user: SignedUpUser, run: SeededRun
) -> None:
    answer = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "x", "cursor": "!!"}, headers=user.bearer
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid_cursor"


def test_compared_series_share_range_and_bucket_edges(
    api: TestClient, user: SignedUpUser, clean_database: str
) -> None:
    runs = [seed_run(clean_database, user.id, name=f"r{i}") for i in range(3)]
    short = [(step, 1.0 + step) for step in range(0, 1_000)]
    long = [(step, 2.0) for step in range(500, 40_000)]
    load_points(clean_database, runs[0].id, "val/loss", short)
    load_points(clean_database, runs[1].id, "val/loss", long)

    answer = api.get(
        "/v1/series",
        params={"run_ids": ",".join(r.id for r in runs), "name": "val/loss", "points": 200},
        headers=user.bearer,
    )

    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["step_min"], body["step_max"]) == (0, 39_999)
    assert [item["run_id"] for item in body["series"]] == [r.id for r in runs]
    first, second, third = (item["buckets"] for item in body["series"])
    assert third == []
    width = body["bucket_width"]
    assert all(b["step_start"] % width == 0 for b in first + second)
    assert sum(b["count"] for b in first) == 1_000
    assert sum(b["count"] for b in second) == 39_500
    _check_buckets({**body, "buckets": first}, short, 200)
    _check_buckets({**body, "buckets": second}, long, 200)


def test_compared_series_with_an_invisible_run_is_not_found(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    stranger = seed_run(clean_database, sign_up(api).id)

    answer = api.get(
        "/v1/series",
        params={"run_ids": f"{run.id},{stranger.id}", "name": "x"},
        headers=user.bearer,
    )

    assert answer.status_code == 404


@pytest.mark.parametrize(
    "run_ids", ["", "nope", ",".join(["00000000-0000-0000-0000-000000000000"] * 51)]
)
def test_compared_series_with_bad_run_ids_is_refused(
    api: TestClient, user: SignedUpUser, run_ids: str
) -> None:
    answer = api.get("/v1/series", params={"run_ids": run_ids, "name": "x"}, headers=user.bearer)

    assert answer.status_code == 422


def test_rollups_from_before_the_time_column_get_their_times_from_their_points(
    api: TestClient, user: SignedUpUser, run: SeededRun, clean_database: str
) -> None:
    import psycopg

    points = _series(5_000, seed=11)
    load_points(clean_database, run.id, "loss", points)
    migration = (
        Path(__file__).parents[2] / "shared/wavedb_core/migrations/0005_rollup_times.sql"
    ).read_text()
    backfill = migration[migration.index("UPDATE") :]
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute("UPDATE metric_rollups SET last_logged_at = NULL")
        connection.execute(backfill)

    body = api.get(
        f"/v1/runs/{run.id}/series", params={"name": "loss", "points": 40}, headers=user.bearer
    ).json()

    assert body["bucket_width"] >= 64  # read from rollups, not raw points
    _check_buckets(body, points, 40)


def _rows_of_columns(columns: dict[str, list[Any]]) -> list[dict[str, Any]]:
    """Column arrays back into bucket objects (time as an RFC 3339 string, as in buckets)."""
    rows = []
    for index in range(len(columns["step_start"])):
        row = {key: values[index] for key, values in columns.items() if key != "last_logged_ms"}
        logged_ms = columns["last_logged_ms"][index]
        row["last_logged_at"] = datetime.fromtimestamp(logged_ms / 1000, tz=UTC)
        rows.append(row)
    return rows


def _with_times(buckets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Buckets with their time cut to the millisecond, as the columns carry it."""
    cut = []
    for bucket in buckets:
        logged_at = datetime.fromisoformat(bucket["last_logged_at"])
        cut.append(
            {
                **bucket,
                "last_logged_at": logged_at.replace(
                    microsecond=logged_at.microsecond // 1000 * 1000
                ),
            }
        )
    return cut


@pytest.mark.parametrize(("length", "points"), [(300, 1000), (20_000, 150)])
def test_downsampled_series_as_columns_holds_the_same_buckets(
    api: TestClient,
    user: SignedUpUser,
    run: SeededRun,
    clean_database: str,
    length: int,
    points: int,
) -> None:
    series = _series(length, seed=5)
    series.append((series[-1][0] + 1, math.nan))  # a bucket whose last value is "NaN"
    load_points(clean_database, run.id, "loss", series)
    params: dict[str, Any] = {"name": "loss", "points": points}

    as_buckets = api.get(f"/v1/runs/{run.id}/series", params=params, headers=user.bearer).json()
    answer = api.get(
        f"/v1/runs/{run.id}/series", params={**params, "layout": "columns"}, headers=user.bearer
    )

    assert answer.status_code == 200, answer.text
    as_columns = answer.json()
    assert as_columns["bucket_width"] == as_buckets["bucket_width"]
    assert _rows_of_columns(as_columns["columns"]) == _with_times(as_buckets["buckets"])


def test_compared_series_as_columns_holds_the_same_buckets_per_run(
    api: TestClient, user: SignedUpUser, clean_database: str
) -> None:
    runs = [seed_run(clean_database, user.id, name=f"c{i}") for i in range(3)]
    load_points(clean_database, runs[0].id, "acc", _series(5_000, seed=1))
    load_points(clean_database, runs[1].id, "acc", _series(800, seed=2))
    params: dict[str, Any] = {"run_ids": ",".join(r.id for r in runs), "name": "acc", "points": 120}

    as_buckets = api.get("/v1/series", params=params, headers=user.bearer).json()
    as_columns = api.get(
        "/v1/series", params={**params, "layout": "columns"}, headers=user.bearer
    ).json()

    assert [s["run_id"] for s in as_columns["series"]] == [r.id for r in runs]
    assert as_columns["bucket_width"] == as_buckets["bucket_width"]
    for columns, buckets in zip(as_columns["series"], as_buckets["series"], strict=True):
        assert _rows_of_columns(columns["columns"]) == _with_times(buckets["buckets"])
    assert as_columns["series"][2]["columns"]["step_start"] == []
