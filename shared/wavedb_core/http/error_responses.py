"""The error answers each route can give, declared in its OpenAPI operation.

Which errors a route can answer follows from what it takes: a route behind the authorizer
can answer 401 (no valid credentials), 403 (an API key without the scope) and 429 (the
caller's rate limit); a route that throttles by address (it reads the client's IP) 429;
a route with parameters or a body 400 (a value the database refuses, malformed JSON) and
a validation error; a route with a body 413 (answered before the app runs); a route with
an id in its path 404; and every route 503 while the database is unreachable. A route
declares the others itself (`responses=answers(409)`); a body it declares is kept.

The declarations are added when the OpenAPI document is generated (the local stack's
/openapi.json), never while a function starts or serves a request.
"""

from __future__ import annotations

import functools
import json
import typing
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from fastapi import FastAPI
from fastapi.dependencies.models import Dependant
from fastapi.routing import iter_route_contexts
from pydantic import BaseModel, TypeAdapter

from wavedb_core.http.security import client_ip
from wavedb_core.http.text_rules import state_no_nul
from wavedb_core.principal import Principal

DESCRIPTIONS: dict[int, str] = {
    400: "The request is malformed, or holds a value that cannot be stored",
    401: "Missing or invalid credentials",
    403: "Not allowed: a viewer's write, or an API key without the needed scope",
    404: "Not found, or not visible to the caller",
    409: "Conflicts with the current state",
    413: "The request body is too large",
    422: "The request is invalid",
    429: "Rate limit exceeded (see Retry-After)",
    503: "A dependency is unreachable; retry shortly (see Retry-After)",
}
_REF = "#/components/schemas/{model}"
# FastAPI's own validation error, which none of our apps answers.
_FASTAPI_VALIDATION = {"$ref": "#/components/schemas/HTTPValidationError"}
_FASTAPI_COMPONENTS = ("HTTPValidationError", "ValidationError")
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


def answers(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """A route's own error answers, beyond those its shape implies (`responses=`); their
    bodies are the app's error shape."""
    return {status: {"description": DESCRIPTIONS[status]} for status in statuses}


@dataclass(frozen=True)
class ErrorShapes:
    """The body models of one app's error answers: `default` for every status but those in
    `by_status`; `validation_status` is the status of a request that fails validation."""

    default: Any
    by_status: Mapping[int, Any] = field(default_factory=dict)
    validation_status: int = 422

    def model(self, status: int) -> Any:
        return self.by_status.get(status, self.default)


@dataclass(frozen=True)
class _Caller:
    authenticated: bool
    throttled_by_address: bool


def _dependencies(dependant: Dependant) -> Iterator[Dependant]:
    pending = list(dependant.dependencies)
    while pending:
        item = pending.pop()
        yield item
        pending.extend(item.dependencies)


@functools.cache
def _returns_principal(call: Callable[..., Any]) -> bool:
    try:
        hints = typing.get_type_hints(call)
    except (NameError, TypeError):
        return False
    answer = hints.get("return")
    return answer is Principal or Principal in typing.get_args(answer)


def _caller(dependant: Dependant) -> _Caller:
    calls = [item.call for item in _dependencies(dependant) if item.call is not None]
    return _Caller(
        authenticated=any(_returns_principal(call) for call in calls),
        throttled_by_address=client_ip in calls,
    )


def _callers(app: FastAPI) -> dict[tuple[str, str], _Caller]:
    """Who may call each operation, by (path, method)."""
    found: dict[tuple[str, str], _Caller] = {}
    for route in iter_route_contexts(app.routes):
        dependant = getattr(route, "dependant", None)
        if not isinstance(dependant, Dependant) or route.path_format is None:
            continue
        caller = _caller(dependant)
        for method in route.methods or ():
            found[(route.path_format, method.lower())] = caller
    return found


def _statuses(operation: Mapping[str, Any], caller: _Caller, shapes: ErrorShapes) -> set[int]:
    places = {parameter.get("in") for parameter in operation.get("parameters", [])}
    takes_body = "requestBody" in operation
    statuses = {503}
    if caller.authenticated:
        statuses |= {401, 403, 429}
    if caller.throttled_by_address:
        statuses.add(429)
    if places & {"path", "query", "header"} or takes_body:
        statuses |= {400, shapes.validation_status}
    if takes_body:
        statuses.add(413)
    if "path" in places:
        statuses.add(404)
    return statuses


def _schema_of(model: Any, components: dict[str, Any]) -> dict[str, Any]:
    """A reference to the model's schema, added to the components with what it uses."""
    if isinstance(model, type) and issubclass(model, BaseModel):
        schema = model.model_json_schema(ref_template=_REF, mode="serialization")
        components.update(schema.pop("$defs", {}))
        components.setdefault(model.__name__, schema)
        return {"$ref": _REF.format(model=model.__name__)}
    schema = TypeAdapter(model).json_schema(ref_template=_REF, mode="serialization")
    components.update(schema.pop("$defs", {}))
    return schema


def _declare(
    operation: dict[str, Any], statuses: set[int], shapes: ErrorShapes, components: dict[str, Any]
) -> None:
    responses = operation.setdefault("responses", {})
    if shapes.validation_status != 422 and responses.get("422", {}).get("content"):
        responses.pop("422")  # FastAPI's default: this app answers validation otherwise
    own = {int(code) for code in responses if code.isdigit() and int(code) >= 400}
    for status in sorted(statuses | own):
        declared = responses.setdefault(str(status), {})
        declared.setdefault("description", DESCRIPTIONS.get(status, "Error"))
        json_body = declared.get("content", {}).get("application/json", {})
        if not json_body or json_body.get("schema") == _FASTAPI_VALIDATION:
            schema = _schema_of(shapes.model(status), components)
            declared["content"] = {"application/json": {"schema": schema}}


def _without_unused_fastapi_components(document: dict[str, Any]) -> None:
    schemas = document.get("components", {}).get("schemas", {})
    for name in _FASTAPI_COMPONENTS:
        definition = schemas.pop(name, None)
        if definition is not None and f'"#/components/schemas/{name}"' in json.dumps(document):
            schemas[name] = definition


def with_error_responses(document: dict[str, Any], app: FastAPI, shapes: ErrorShapes) -> None:
    """Declare, on every operation of the app's document, the errors it can answer."""
    callers = _callers(app)
    components = document.setdefault("components", {}).setdefault("schemas", {})
    nobody = _Caller(authenticated=False, throttled_by_address=False)
    for path, operations in document.get("paths", {}).items():
        for method, operation in operations.items():
            if method in _METHODS:
                caller = callers.get((path, method), nobody)
                _declare(operation, _statuses(operation, caller, shapes), shapes, components)
    _without_unused_fastapi_components(document)


def declare_error_responses(app: FastAPI, shapes: ErrorShapes) -> None:
    """Have the app's OpenAPI document declare each route's error answers (see above)."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            document = generate()
            with_error_responses(document, app, shapes)
            state_no_nul(document)
            app.openapi_schema = document
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
