"""How to cut a step range into at most N buckets so that a read costs O(N), not O(points).

Rollup level k holds aggregates of 8^k consecutive steps. For a range of R steps and N
buckets, the plan uses the largest level whose width W = 8^k is at most R / N, and gives
each output bucket `per_slot` whole rollups (so every bucket edge is a multiple of the
bucket width, itself a multiple of W). It then reads about R / W ≤ 8N rollup rows.
When R / N < 8 the raw points are aggregated instead (there are few of them).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from wavedb_core.repositories.rollups import BRANCHING, LEVELS


@dataclass(frozen=True)
class BucketPlan:
    """Output bucket i (slot) covers steps [slot * width, (slot + 1) * width - 1]."""

    level: int | None  # None: aggregate raw points
    unit: int  # steps per source row: 8^level, or 1 for raw points
    per_slot: int  # source units per output bucket
    first_unit: int  # first rollup bucket (or step) read
    last_unit: int  # last rollup bucket (or step) read

    @property
    def width(self) -> int:
        return self.unit * self.per_slot

    def slot_edges(self, slot: int) -> tuple[int, int]:
        return slot * self.width, (slot + 1) * self.width - 1


def level_for(span: int, buckets: int) -> int | None:
    """The largest rollup level whose width is at most span / buckets (None: raw)."""
    chosen = None
    for level in LEVELS:
        if BRANCHING**level * buckets <= span:
            chosen = level
    return chosen


def plan_buckets(step_min: int, step_max: int, buckets: int) -> BucketPlan:
    """The plan for at most `buckets` buckets over [step_min, step_max] (inclusive)."""
    if buckets < 1:
        raise ValueError("at least one bucket")
    if step_max < step_min:
        raise ValueError("step_max < step_min")
    span = step_max - step_min + 1
    level = level_for(span, buckets)
    unit = 1 if level is None else BRANCHING**level
    first_unit, last_unit = step_min // unit, step_max // unit
    units = last_unit - first_unit + 1
    per_slot = max(1, math.ceil(units / buckets))
    # Edges at multiples of the bucket width can add one bucket at the start: widen until
    # the count fits.
    while last_unit // per_slot - first_unit // per_slot + 1 > buckets:
        per_slot += 1
    return BucketPlan(level, unit, per_slot, first_unit, last_unit)
