"""Metric values in JSON: NaN and ±Infinity are real values a training run can log.

Requests may send them as JSON numbers (Python's `json` writes `NaN`, `Infinity`) or as
the strings "NaN", "Infinity", "-Infinity" (for strict JSON encoders). Responses always use
the strings, so that every JSON parser can read them.
"""

from __future__ import annotations

import math
from typing import Annotated

from pydantic import BeforeValidator, PlainSerializer

_NON_FINITE_NAMES = {
    "nan": math.nan,
    "infinity": math.inf,
    "+infinity": math.inf,
    "inf": math.inf,
    "-infinity": -math.inf,
    "-inf": -math.inf,
}


def parse_metric_value(value: object) -> object:
    """Accept the non-finite spellings as strings; anything else goes to float validation."""
    if isinstance(value, str):
        named = _NON_FINITE_NAMES.get(value.strip().lower())
        if named is not None:
            return named
    if isinstance(value, bool):
        raise ValueError("a metric value must be a number, not a boolean")
    return value


def format_metric_value(value: float) -> float | str:
    """The JSON form of a stored value."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def format_metric_values(values: list[float]) -> list[float | str]:
    """The JSON form of a list of stored values: as they are when all are finite (one
    C-speed sum tells), else each non-finite one by its name."""
    if math.isfinite(sum(values)):
        return values  # type: ignore[return-value]  # list is invariant; floats are fine
    return [format_metric_value(value) for value in values]


MetricValue = Annotated[
    float,
    BeforeValidator(parse_metric_value),
    PlainSerializer(format_metric_value, return_type=float | str),
]

# A column of values (history pages as arrays): serialised as one list, not value by value.
MetricValueColumn = Annotated[
    list[float],
    PlainSerializer(format_metric_values, return_type=list[float | str]),
]
