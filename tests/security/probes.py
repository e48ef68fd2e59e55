"""Routes of each function behind the authorizer to probe with: a reading one (for
credentials) and one taking a JSON body (for bodies)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from tests.security.objects import fill_path, path_parameters
from wavedb_local.stack import LocalStack


@dataclass(frozen=True)
class Probe:
    """A reading route of one function."""

    function_id: str
    method: str
    path: str


def _needs_query(document: dict[str, Any], method: str, path: str) -> bool:
    operation = document["paths"][path][method.lower()]
    return any(
        parameter["in"] == "query" and parameter.get("required")
        for parameter in operation.get("parameters", [])
    )


def _probes(stack: LocalStack, document: dict[str, Any]) -> list[Probe]:
    """Of each function behind the authorizer, a GET route without required query
    parameters (not the API key routes, which keys may not use), with the fewest ids."""
    assert stack.model is not None
    probes = []
    for function_id, spec in sorted(stack.model.functions.items()):
        secured = [route for route in spec.routes if route.authorizer is not None]
        if not secured:
            continue
        reads = [
            route
            for route in secured
            if route.method == "GET" and not _needs_query(document, route.method, route.path)
        ]
        assert reads, f"{function_id} has no GET route to probe its credentials with"
        best = min(
            reads,
            key=lambda route: (
                "api-keys" in route.path,
                len(path_parameters(route.path)),
                route.path,
            ),
        )
        probes.append(Probe(function_id, best.method, best.path))
    return probes


def probes_of(stack: LocalStack) -> list[Probe]:
    """One probe per function behind the authorizer (every one of them has a GET route)."""
    document = httpx.get(f"{stack.api_url}/openapi.json", timeout=30).json()
    found = _probes(stack, document)
    assert len(found) >= 9, found
    return found


def send_probe(
    http: httpx.Client, probe: Probe, path_values: dict[str, str], headers: dict[str, str]
) -> httpx.Response:
    return http.request(probe.method, fill_path(probe.path, path_values), headers=headers)


def json_routes_by_function(stack: LocalStack, document: dict[str, Any]) -> dict[str, str]:
    """One route taking a JSON body (`METHOD path`) of each function that has one."""
    assert stack.model is not None
    chosen: dict[str, str] = {}
    for function_id, spec in sorted(stack.model.functions.items()):
        for route in sorted(spec.routes, key=lambda route: route.path):
            operation = document["paths"].get(route.path, {}).get(route.method.lower(), {})
            if "application/json" in operation.get("requestBody", {}).get("content", {}):
                chosen.setdefault(function_id, f"{route.method} {route.path}")
    return chosen
