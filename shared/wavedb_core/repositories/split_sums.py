"""Sums kept and added up in two parts, so that adding the largest floats cannot overflow
(which PostgreSQL answers with an error, as it does a product that underflows): values
under LARGE_SUM as they are (the sum of fewer than 10^38 of them fits), the others scaled
down by SUM_SCALE (a power of two: no bit of them changes) in `large_sum_scaled`. Chunk
aggregates and the legacy rollups store them alike."""

from __future__ import annotations

from wavedb_core.services.chunk_codec import LARGE_SUM, SUM_SCALE

__all__ = ["LARGE_SUM", "STORED_SPLIT_SUM", "SUM_SCALE"]

# Stored two-part sums added up: a stored `sum` that has grown past LARGE_SUM moves to the
# scaled part as it is read.
STORED_SPLIT_SUM = (
    f"sum(sum) FILTER (WHERE abs(sum) < {LARGE_SUM!r}) AS small_sum,"
    f" CASE WHEN count(large_sum_scaled) + count(sum) FILTER (WHERE abs(sum) >= {LARGE_SUM!r})"
    " > 0 THEN coalesce(sum(large_sum_scaled), 0)"
    f" + coalesce(sum(sum * {SUM_SCALE!r}) FILTER (WHERE abs(sum) >= {LARGE_SUM!r}), 0)"
    " END AS large_sum_scaled"
)
