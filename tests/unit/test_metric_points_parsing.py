"""The one-pass check of a batch's points: any JSON a client sends is named, never a crash."""

from __future__ import annotations

import pytest

from wavedb_core.models.metrics import PointProblem, points_from_json


@pytest.mark.parametrize("name", [{"": {}}, ["loss"], 3, None, True])
def test_points_from_json_name_of_another_type_is_named(name: object) -> None:
    with pytest.raises(PointProblem) as raised:
        points_from_json([{"name": name, "value": 1.0, "step": 0}])

    assert raised.value.location == "points[0].name"


def test_points_from_json_name_repeated_is_checked_once_and_kept() -> None:
    points = points_from_json([{"name": "loss", "value": 1.0, "step": s} for s in range(3)])

    assert [point.name for point in points] == ["loss"] * 3
