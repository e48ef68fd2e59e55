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
# API Gateway answers a body over its payload limit itself, before any function runs.
GATEWAY_MESSAGE = "GatewayMessage"
GATEWAY_MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "title": GATEWAY_MESSAGE,
    "description": "An answer of API Gateway itself, e.g. to a body over 10 MB.",
    "properties": {"message": {"type": "string"}},
    "required": ["message"],
}


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


def _prefix(logical_id: str) -> str:
    """`ToraFunction` -> `Tora`: how a function's own components are told apart."""
    return logical_id.removesuffix("Function") or logical_id


def _renamed_refs(value: Any, renames: Mapping[str, str]) -> Any:
    """`value` with every reference to a renamed component pointing at its new name: each
    `$ref`, and each schema a discriminator's `mapping` names."""
    if isinstance(value, dict):
        return {
            key: renames.get(item, item)
            if key == "$ref" and isinstance(item, str)
            else _renamed_mapping(item, renames)
            if key == "discriminator" and isinstance(item, dict)
            else _renamed_refs(item, renames)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_renamed_refs(item, renames) for item in value]
    return value


def _renamed_mapping(discriminator: dict[str, Any], renames: Mapping[str, str]) -> dict[str, Any]:
    mapping = discriminator.get("mapping")
    if not isinstance(mapping, dict):
        return discriminator
    renamed = {tag: renames.get(target, target) for tag, target in mapping.items()}
    return {**discriminator, "mapping": renamed}


def _conflicts(merged: Mapping[str, Any], schema: Mapping[str, Any], origin: str) -> dict[str, str]:
    """New names for the function's components that differ from merged ones of their name."""
    renames: dict[str, str] = {}
    for section, entries in (schema.get("components") or {}).items():
        taken = merged.get(section, {})
        for name, definition in entries.items():
            if name in taken and taken[name] != definition:
                new_name = f"{_prefix(origin)}{name}"
                while new_name in taken or new_name in entries:
                    new_name = f"{_prefix(origin)}{new_name}"
                renames[f"#/components/{section}/{name}"] = f"#/components/{section}/{new_name}"
    return renames


def _without_conflicts(
    merged: Mapping[str, Any], schema: Mapping[str, Any], origin: str
) -> dict[str, Any]:
    """The function's document with each component that differs from a merged one of the
    same name renamed (`Tora` + `WorkspaceOut`), and its references with it: two functions
    may use one name for different shapes, and each operation must keep its own. A
    component that refers to a renamed one may differ in its turn: repeat until none does."""
    document = dict(schema)
    while renames := _conflicts(merged, document, origin):
        document = _renamed_refs(document, renames)
        for old, new in renames.items():
            section, name = old.removeprefix("#/components/").split("/", 1)
            entries = document["components"][section]
            entries[new.rsplit("/", 1)[1]] = entries.pop(name)
    return document


def _merge_components(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for section, entries in source.items():
        target.setdefault(section, {}).update(entries)


def _with_gateway_too_large(responses: Mapping[str, Any]) -> dict[str, Any]:
    """The operation's answers, its 413 also in API Gateway's own words (a body over the
    gateway's limit never reaches the function)."""
    gateway = {"$ref": f"#/components/schemas/{GATEWAY_MESSAGE}"}
    answers = dict(responses)
    declared = copy.deepcopy(answers.get("413", {"description": "The request body is too large"}))
    content = declared.setdefault("content", {}).setdefault("application/json", {})
    own = content.get("schema")
    content["schema"] = {"anyOf": [own, gateway]} if own else gateway
    answers["413"] = declared
    return answers


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
    for logical_id, original in schemas.items():
        spec = model.functions[logical_id]
        schema = _without_conflicts(components, original, logical_id)
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
                if "requestBody" in operation:
                    operation["responses"] = _with_gateway_too_large(operation.get("responses", {}))
                paths.setdefault(path, {})[method] = operation
        _merge_components(components, schema.get("components") or {})
    components.setdefault("securitySchemes", {}).update(SECURITY_SCHEMES)
    components.setdefault("schemas", {})[GATEWAY_MESSAGE] = GATEWAY_MESSAGE_SCHEMA
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
