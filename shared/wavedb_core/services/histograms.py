"""Histograms as stored: bin edges and counts, given by the client or binned from values."""

from __future__ import annotations

import math
from dataclasses import dataclass
from itertools import pairwise
from typing import Any

from wavedb_core.models.media import HistogramIn


@dataclass(frozen=True)
class HistogramProblem:
    field: str
    message: str


def _finite(values: list[float]) -> bool:
    return all(math.isfinite(value) for value in values)


def _from_values(values: list[float], num_bins: int) -> dict[str, Any]:
    low, high = min(values), max(values)
    if low == high:  # one value (or many equal ones): one bin around it
        low, high = low - 0.5, high + 0.5
        num_bins = 1
    width = (high - low) / num_bins
    edges = [low + width * index for index in range(num_bins)] + [high]
    counts = [0.0] * num_bins
    for value in values:
        index = min(int((value - low) / width), num_bins - 1)  # the top edge is inclusive
        counts[index] += 1
    return {"bins": edges, "counts": counts}


def build_histogram(histogram: HistogramIn) -> dict[str, Any] | HistogramProblem:
    """The stored histogram, or what is wrong with the request."""
    given_bins = histogram.bins is not None or histogram.counts is not None
    if given_bins == (histogram.values is not None):
        return HistogramProblem("histogram", "give either `bins` and `counts`, or `values`")
    if histogram.values is not None:
        if not histogram.values:
            return HistogramProblem("histogram.values", "at least one value")
        if not _finite(histogram.values):
            return HistogramProblem("histogram.values", "finite numbers only")
        return _from_values(histogram.values, histogram.num_bins)
    bins, counts = histogram.bins or [], histogram.counts or []
    if not counts or len(bins) != len(counts) + 1:
        return HistogramProblem(
            "histogram.bins", "one more bin edge than counts, and at least one count"
        )
    if not _finite(bins) or any(right <= left for left, right in pairwise(bins)):
        return HistogramProblem("histogram.bins", "finite and strictly increasing")
    if not _finite(counts) or any(count < 0 for count in counts):
        return HistogramProblem("histogram.counts", "finite and not negative")
    return {"bins": list(bins), "counts": list(counts)}
