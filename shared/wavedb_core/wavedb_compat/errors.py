"""The WaveDB error bodies: `{"name"?, "message"}`, validation errors as 400 with reasons,
and 401 as `{"message": "unauthorized"}`, whatever the failure behind it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import psycopg
import pydantic
from aws_lambda_powertools import Logger
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wavedb_core.errors import Unauthorized, ValidationFailed, WaveDBError

logger = Logger(child=True)

VALIDATION_ERROR = "ValidationError"
_REQUEST_PARTS = frozenset({"body", "query", "path", "header"})


class WaveDBCompatError(Exception):
    """An answer these routes give in WaveDB's own words (e.g. a failed log-in)."""

    def __init__(self, status_code: int, message: str, *, name: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.name = name


class WaveDBValidationError(Exception):
    """A 400 ValidationError these routes find themselves, each reason with its own message."""

    def __init__(self, reasons: Sequence[Mapping[str, str]]) -> None:
        super().__init__("validation failed")
        self.reasons = [dict(reason) for reason in reasons]


def error_body(message: str, *, name: str | None = None) -> dict[str, Any]:
    return {"name": name, "message": message} if name else {"message": message}


def _field_name(location: Sequence[object]) -> str:
    """`("body", "projectId")` -> `projectId`; `("query", "limit")` -> `limit`."""
    parts = [str(part) for part in location]
    if len(parts) > 1 and parts[0] in _REQUEST_PARTS:
        parts = parts[1:]
    return ".".join(parts) or "body"


def validation_response(reasons: Iterable[Mapping[str, str]]) -> JSONResponse:
    return JSONResponse(
        status_code=400,
        content={
            "name": VALIDATION_ERROR,
            "message": "validation failed",
            "reasons": [dict(reason) for reason in reasons],
        },
    )


def malformed_body(_event: Mapping[str, Any], problem: str) -> dict[str, Any]:
    """A body that cannot be read, as the validation error malformed JSON is."""
    return {
        "name": VALIDATION_ERROR,
        "message": "validation failed",
        "reasons": [{"name": "body", "message": problem}],
    }


def _reasons_of(errors: Iterable[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Which field and why; never the input itself (it may be a password)."""
    return [
        {"name": _field_name(error.get("loc", ())), "message": str(error.get("msg", "invalid"))}
        for error in errors
    ]


async def _on_request_validation(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = list(error.errors())
    if any(item.get("type") == "json_invalid" for item in errors):
        return validation_response(
            [{"name": "body", "message": "the request body is not valid JSON"}]
        )
    return validation_response(_reasons_of(errors))


async def _on_model_validation(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, pydantic.ValidationError)
    return validation_response(_reasons_of(error.errors(include_input=False)))


def _reasons_of_domain_error(error: ValidationFailed) -> list[dict[str, str]]:
    details = error.details if isinstance(error.details, list) else []
    reasons = [
        {
            "name": _field_name(str(item.get("location", "")).split(".")),
            "message": error.message,
        }
        for item in details
        if isinstance(item, dict)
    ]
    return reasons or [{"name": "body", "message": error.message}]


async def _on_domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, WaveDBError)
    if isinstance(error, ValidationFailed):
        return validation_response(_reasons_of_domain_error(error))
    if isinstance(error, Unauthorized):
        return JSONResponse(
            status_code=401, content=error_body("unauthorized"), headers=error.headers or None
        )
    return JSONResponse(
        status_code=error.status_code,
        content=error_body(error.message, name=type(error).__name__),
        headers=error.headers or None,
    )


async def _on_compat_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, WaveDBCompatError)
    return JSONResponse(
        status_code=error.status_code, content=error_body(error.message, name=error.name)
    )


async def _on_compat_validation(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, WaveDBValidationError)
    return validation_response(error.reasons)


async def _on_http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    if error.status_code == 404:
        return JSONResponse(status_code=404, content=error_body("route not found"))
    if error.status_code == 405:
        return JSONResponse(
            status_code=405, content=error_body("method not allowed", name="MethodNotAllowed")
        )
    message = str(error.detail).lower() if error.detail else "request refused"
    return JSONResponse(
        status_code=error.status_code,
        content=error_body(message),
        headers=dict(error.headers or {}) or None,
    )


async def _on_database_unavailable(_: Request, error: Exception) -> JSONResponse:
    logger.warning("database unavailable", extra={"error_type": type(error).__name__})
    return JSONResponse(
        status_code=503,
        content=error_body(
            "the database cannot be reached; retry shortly", name="ServiceUnavailable"
        ),
        headers={"Retry-After": "1"},
    )


async def _on_unstorable_value(_: Request, error: Exception) -> JSONResponse:
    logger.info("value refused by the database", extra={"error_type": type(error).__name__})
    return JSONResponse(
        status_code=400,
        content=error_body("a value in the request cannot be stored", name="BadRequest"),
    )


async def _on_unexpected_error(_: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"error_type": type(error).__name__})
    return JSONResponse(
        status_code=500, content=error_body("internal error; the request was not completed")
    )


def install_wavedb_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _on_request_validation)
    app.add_exception_handler(pydantic.ValidationError, _on_model_validation)
    app.add_exception_handler(WaveDBError, _on_domain_error)
    app.add_exception_handler(WaveDBCompatError, _on_compat_error)
    app.add_exception_handler(WaveDBValidationError, _on_compat_validation)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(psycopg.OperationalError, _on_database_unavailable)
    app.add_exception_handler(psycopg.DataError, _on_unstorable_value)
    app.add_exception_handler(Exception, _on_unexpected_error)
