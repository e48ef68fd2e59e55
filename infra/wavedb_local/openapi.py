"""One OpenAPI document for the whole HTTP API, merged from every function's FastAPI app.

Only the operations the template routes to a function are kept, so the document shows
what API Gateway actually serves; operations behind a Lambda authorizer say so.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping
from typing import Any

from wavedb_local.model import StackModel
from wavedb_local.routing import RouteTable
from wavedb_local.runtime import FunctionLoadError, FunctionRegistry

logger = logging.getLogger(__name__)

_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}
SECURITY_SCHEMES: dict[str, Any] = {
    "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
    "apiKeyAuth": {"type": "apiKey", "in": "header", "name": "x-api-key"},
}
AUTHORIZED_SECURITY: list[dict[str, list[str]]] = [{"bearerAuth": []}, {"apiKeyAuth": []}]


def _function_schemas(model: StackModel, registry: FunctionRegistry) -> dict[str, dict[str, Any]]:
    schemas: dict[str, dict[str, Any]] = {}
    for logical_id, spec in model.functions.items():
        if not spec.routes:
            continue
        try:
            module = registry.get(logical_id).module
        except FunctionLoadError as error:
            logger.warning("no OpenAPI for %s: %s", logical_id, error)
            continue
        app = getattr(module, "app", None)
        openapi = getattr(app, "openapi", None)
        if callable(openapi):
            schemas[logical_id] = copy.deepcopy(openapi())
    return schemas


def _merge_components(target: dict[str, Any], source: Mapping[str, Any], origin: str) -> None:
    for section, entries in source.items():
        merged = target.setdefault(section, {})
        for name, definition in entries.items():
            if name in merged and merged[name] != definition:
                logger.warning(
                    "OpenAPI component %s/%s differs in %s; kept the first", section, name, origin
                )
                continue
            merged.setdefault(name, definition)


def merge_openapi(
    model: StackModel,
    schemas: Mapping[str, Mapping[str, Any]],
    *,
    title: str,
    version: str = "1.0.0",
) -> dict[str, Any]:
    """Merge the functions' OpenAPI documents, keeping only the template's routes."""
    paths: dict[str, dict[str, Any]] = {}
    components: dict[str, Any] = {}
    openapi_version = "3.1.0"
    for logical_id, schema in schemas.items():
        spec = model.functions[logical_id]
        table = RouteTable(spec.routes)
        openapi_version = str(schema.get("openapi", openapi_version))
        for path, operations in (schema.get("paths") or {}).items():
            for method, operation in operations.items():
                if method not in _METHODS:
                    continue
                match = table.match(method.upper(), path)
                if match is None:
                    continue
                operation = dict(operation)
                if match.route.authorizer is not None:
                    operation["security"] = AUTHORIZED_SECURITY
                paths.setdefault(path, {})[method] = operation
        _merge_components(components, schema.get("components") or {}, logical_id)
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    return {
        "openapi": openapi_version,
        "info": {"title": title, "version": version},
        "paths": dict(sorted(paths.items())),
        "components": components,
    }


def build_openapi(model: StackModel, registry: FunctionRegistry, *, title: str) -> dict[str, Any]:
    """The merged OpenAPI document of the stack's HTTP functions."""
    schemas = _function_schemas(model, registry)
    versions = [str((schema.get("info") or {}).get("version", "")) for schema in schemas.values()]
    version = next((item for item in versions if item), "1.0.0")
    return merge_openapi(model, schemas, title=title, version=version)
