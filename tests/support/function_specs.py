"""FunctionSpec objects for tests of the local stack, with plain defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wavedb_local.model import FunctionSpec


def function_spec(logical_id: str, **fields: Any) -> FunctionSpec:
    """A function named after its logical id; any field may be given."""
    defaults: dict[str, Any] = {
        "name": logical_id,
        "arn": f"arn:{logical_id}",
        "code_dir": Path("."),
        "handler": "app.handler",
        "timeout_seconds": 3,
        "memory_mb": 128,
        "environment": {},
    }
    return FunctionSpec(logical_id=logical_id, **{**defaults, **fields})
