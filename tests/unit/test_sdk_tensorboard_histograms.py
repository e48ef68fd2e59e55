"""TensorBoard histogram buckets as the API stores histograms: finite, strictly increasing
edges, one more than the counts, at most 512 bins, and no count lost."""

from __future__ import annotations

import itertools
import math

from wavedb.tensorboard_events import histogram_bins


def test_histogram_bins_contiguous_buckets_are_kept_as_they_are() -> None:
    assert histogram_bins([(0.0, 1.0, 2.0), (1.0, 2.0, 3.0)]) == ([0.0, 1.0, 2.0], [2.0, 3.0])


def test_histogram_bins_gap_between_buckets_becomes_an_empty_bin() -> None:
    assert histogram_bins([(0.0, 1.0, 2.0), (3.0, 4.0, 1.0)]) == (
        [0.0, 1.0, 3.0, 4.0],
        [2.0, 0.0, 1.0],
    )


def test_histogram_bins_infinite_or_empty_width_buckets_give_their_count_to_a_neighbour() -> None:
    edges, counts = histogram_bins(
        [(-math.inf, 0.0, 4.0), (0.0, 0.0, 1.0), (0.0, 1.0, 2.0), (1.0, math.inf, 5.0)]
    ) or ([], [])

    assert edges == [0.0, 1.0]
    assert counts == [12.0]


def test_histogram_bins_more_than_the_api_takes_are_merged_without_losing_counts() -> None:
    buckets = [(float(index), float(index + 1), 1.0) for index in range(1_025)]

    edges, counts = histogram_bins(buckets) or ([], [])

    assert len(counts) <= 512
    assert len(edges) == len(counts) + 1
    assert edges[0] == 0.0
    assert edges[-1] == 1_025.0
    assert all(right > left for left, right in itertools.pairwise(edges))
    assert sum(counts) == 1_025


def test_histogram_bins_without_a_finite_bucket_is_none() -> None:
    assert histogram_bins([(-math.inf, math.inf, 3.0)]) is None
    assert histogram_bins([]) is None
