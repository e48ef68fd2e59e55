"""FunctionSpec objects for tests of the local stack, with plain defaults."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from wavedb_local.model import AuthorizerSpec, FunctionSpec, HttpRoute

AUTHORIZER = AuthorizerSpec(name="Auth", function_id="AuthorizerFunction")


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


def function_with_routes(
    logical_id: str, routes: list[tuple[str, str, bool]], **fields: Any
) -> FunctionSpec:
    """A function serving `(method, path, behind the authorizer)` routes of one HTTP API."""
    return function_spec(
        logical_id,
        routes=tuple(
            HttpRoute(
                method=method,
                path=path,
                function_id=logical_id,
                event_name=f"E{index}",
                api_id="api",
                authorizer=AUTHORIZER if secured else None,
            )
            for index, (method, path, secured) in enumerate(routes)
        ),
        **fields,
    )
