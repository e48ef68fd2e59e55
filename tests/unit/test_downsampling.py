"""Bucket plans: at most N buckets, edges on multiples of the width, O(N) rows to read."""

from __future__ import annotations

import pytest

from wavedb_core.services.downsampling import level_for, plan_buckets


@pytest.mark.parametrize(
    ("span", "buckets", "level"),
    [
        (10, 1_000, None),
        (7_999, 1_000, None),
        (8_000, 1_000, 1),
        (1_000_000, 1_000, 3),
        (10_000_000, 1_000, 4),
        (8**7 * 3, 1, 7),
        (10**15, 1, 7),
    ],
)
def test_level_for_picks_the_largest_level_not_wider_than_span_per_bucket(
    span: int, buckets: int, level: int | None
) -> None:
    assert level_for(span, buckets) == level


@pytest.mark.parametrize("step_min", [0, 1, 7, 999, 123_456_789])
@pytest.mark.parametrize("span", [1, 2, 9, 100, 4_097, 1_000_000, 10_000_001])
@pytest.mark.parametrize("buckets", [1, 3, 100, 1_000, 5_000])
def test_plan_buckets_stays_within_n_buckets_and_8n_rows(
    step_min: int, span: int, buckets: int
) -> None:
    step_max = step_min + span - 1

    plan = plan_buckets(step_min, step_max, buckets)

    slots = step_max // plan.width - step_min // plan.width + 1
    assert slots <= buckets
    assert plan.width % plan.unit == 0
    rows = plan.last_unit - plan.first_unit + 1
    assert rows <= 8 * buckets + 8 or plan.level is None
    first_start, _ = plan.slot_edges(step_min // plan.width)
    _, last_end = plan.slot_edges(step_max // plan.width)
    assert first_start <= step_min
    assert last_end >= step_max


def test_plan_buckets_refuses_an_empty_range() -> None:
    with pytest.raises(ValueError, match="step_max < step_min"):
        plan_buckets(10, 9, 5)
    with pytest.raises(ValueError, match="at least one bucket"):
        plan_buckets(0, 9, 0)
