"""One error mapping for every function: each error is JSON with a code and a message."""

from __future__ import annotations

from typing import Any

import psycopg
from aws_lambda_powertools import Logger
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wavedb_core.errors import ServiceUnavailable, WaveDBError

logger = Logger(child=True)

_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
}


def error_response(
    status_code: int,
    code: str,
    message: str,
    *,
    details: Any = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {"code": code, "message": message}
    if details is not None:
        body["details"] = details
    return JSONResponse(status_code=status_code, content=body, headers=headers)


def _location(parts: tuple[int | str, ...] | list[int | str]) -> str:
    return ".".join(str(part) for part in parts)


def _message(error: Any) -> str:
    message = str(error.get("msg", "invalid"))
    # pydantic prefixes the text of a ValueError raised by a validator; the text says it all.
    return message.removeprefix("Value error, ")


def validation_details(errors: Any) -> list[dict[str, str]]:
    """Where and what, never the input itself (it may be a password)."""
    return [
        {"location": _location(error.get("loc", ())), "message": _message(error)}
        for error in errors
    ]


async def _on_domain_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, WaveDBError)
    return error_response(
        error.status_code,
        error.code,
        error.message,
        details=error.details,
        headers=error.headers or None,
    )


async def _on_validation_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = list(error.errors())
    if any(item.get("type") == "json_invalid" for item in errors):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    details = validation_details(errors)
    first = details[0] if details else {"location": "request", "message": "invalid"}
    return error_response(
        422,
        "validation_error",
        f"{first['location']}: {first['message']}",
        details=details,
    )


async def _on_http_error(_: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, StarletteHTTPException)
    code = _HTTP_CODES.get(error.status_code, "http_error")
    message = str(error.detail) if error.detail else code.replace("_", " ")
    return error_response(
        error.status_code, code, message.lower(), headers=dict(error.headers or {}) or None
    )


async def _on_database_unavailable(request: Request, error: Exception) -> JSONResponse:
    # The environment's connection is re-opened on next use (see db.connection).
    logger.warning("database unavailable", extra={"error_type": type(error).__name__})
    return await _on_domain_error(
        request,
        ServiceUnavailable(
            "the database cannot be reached; retry shortly", code="database_unavailable"
        ),
    )


async def _on_unstorable_value(_: Request, error: Exception) -> JSONResponse:
    # Data the database refuses (a NUL byte, a number out of range) came from the request.
    logger.info("value refused by the database", extra={"error_type": type(error).__name__})
    return error_response(400, "invalid_value", "a value in the request cannot be stored")


async def _on_unexpected_error(_: Request, error: Exception) -> JSONResponse:
    logger.exception("unhandled error", extra={"error_type": type(error).__name__})
    return error_response(500, "internal_error", "internal error; the request was not completed")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(WaveDBError, _on_domain_error)
    app.add_exception_handler(RequestValidationError, _on_validation_error)
    app.add_exception_handler(StarletteHTTPException, _on_http_error)
    app.add_exception_handler(psycopg.OperationalError, _on_database_unavailable)
    app.add_exception_handler(psycopg.DataError, _on_unstorable_value)
    app.add_exception_handler(Exception, _on_unexpected_error)
