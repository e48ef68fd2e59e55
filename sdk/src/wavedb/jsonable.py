"""One conversion of the values training code hands the SDK (config, summary, what the
framework integrations record) into the JSON the API takes.

NumPy and PyTorch are never imported here: their types are only recognised when the
training code has imported them already (they are then in `sys.modules`).
"""

from __future__ import annotations

import dataclasses
import enum
import math
import os
import sys
from argparse import Namespace
from collections.abc import Mapping
from datetime import date, time
from typing import Any

# Deeper than this, a value is written as its text (and a structure that holds itself ends).
MAX_DEPTH = 32


def json_safe(value: object) -> Any:
    """`value` as JSON a run's config accepts: objects, lists, strings, finite numbers, null.

    - enums become their values; dataclasses, pydantic models and argparse namespaces
      objects of their fields; dicts objects with text keys; tuples and sets lists;
    - paths become their text, dates, times and datetimes ISO 8601 text;
    - NumPy and PyTorch scalars become numbers, arrays and tensors (nested) lists, dtypes
      their names ("float32", "torch.float32");
    - NaN and infinities become "nan", "inf" and "-inf"; classes and functions their
      qualified names; anything else its `str()`.
    """
    return _convert(value, 0)


def result_number(value: object) -> float | None:
    """A run result (summary value) as a finite number: a Python, NumPy or PyTorch scalar,
    a one-element array or tensor, or an enum with such a value; None if it is not one."""
    converted = _convert(value, 0)
    while isinstance(converted, list) and len(converted) == 1:
        converted = converted[0]
    if isinstance(converted, bool) or not isinstance(converted, int | float):
        return None
    number = float(converted)
    return number if math.isfinite(number) else None


def _convert(value: object, depth: int) -> Any:
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return _float(value)  # type: ignore[arg-type]
    if depth > MAX_DEPTH:
        return str(value)
    depth += 1
    if isinstance(value, enum.Enum):
        return _convert(value.value, depth)
    if isinstance(value, bool):
        return bool(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return _float(float(value))
    converted = _from_numpy(value, depth)
    if converted is not _UNKNOWN:
        return converted
    converted = _from_torch(value, depth)
    if converted is not _UNKNOWN:
        return converted
    if isinstance(value, Namespace):
        value = vars(value)
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        value = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    elif _is_pydantic_model(value):
        value = value.model_dump(mode="json")  # type: ignore[attr-defined]
    if isinstance(value, Mapping):
        return {_key(key, depth): _convert(item, depth) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_convert(item, depth) for item in value]
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, date | time):  # datetime is a date
        return value.isoformat()
    if isinstance(value, type) or callable(value):
        module = getattr(value, "__module__", None)
        name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
        if name is not None:
            return f"{module}.{name}" if module else str(name)
    return str(value)


_UNKNOWN = object()


def _float(value: float) -> float | str:
    return value if math.isfinite(value) else str(value)


def _key(key: object, depth: int) -> str:
    if isinstance(key, str) and not isinstance(key, enum.Enum):
        return str(key)
    converted = _convert(key, depth)
    return converted if isinstance(converted, str) else str(converted)


def _from_numpy(value: object, depth: int) -> Any:
    numpy = sys.modules.get("numpy")
    if numpy is None:
        return _UNKNOWN
    if isinstance(value, numpy.generic):
        return _convert(value.item(), depth)
    if isinstance(value, numpy.ndarray):
        return _convert(value.tolist(), depth)
    if isinstance(value, numpy.dtype):
        return str(value)
    if isinstance(value, type) and issubclass(value, numpy.generic):
        return str(numpy.dtype(value))
    return _UNKNOWN


def _from_torch(value: object, depth: int) -> Any:
    torch = sys.modules.get("torch")
    if torch is None:
        return _UNKNOWN
    if isinstance(value, torch.Tensor):
        return _convert(value.detach().cpu().tolist(), depth)
    if isinstance(value, torch.dtype | torch.device):
        return str(value)
    return _UNKNOWN


def _is_pydantic_model(value: object) -> bool:
    pydantic = sys.modules.get("pydantic")
    return (
        pydantic is not None
        and isinstance(value, pydantic.BaseModel)
        and not isinstance(value, type)
    )
