"""Tora's error bodies: `{"status", "error", "message", "details"?}` for every failure, and
`{"status": 401, "data": {"error", "message"}}` with `WWW-Authenticate` when the caller is
not authenticated. Every error is JSON, whatever raised it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wavedb_core.errors import ValidationFailed, WaveDBError
from wavedb_core.http.error_policy import ErrorShape, is_malformed_json

AUTHENTICATE_HEADER = {"WWW-Authenticate": 'Bearer realm="api"'}

# Tora's codes by HTTP status; statuses Tora never answered keep a descriptive code.
_CODES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    405: "METHOD_NOT_ALLOWED",
    409: "CONFLICT",
    413: "PAYLOAD_TOO_LARGE",
    415: "UNSUPPORTED_MEDIA_TYPE",
    422: "UNPROCESSABLE_ENTITY",
    429: "TOO_MANY_REQUESTS",
    500: "INTERNAL_SERVER_ERROR",
    503: "SERVICE_UNAVAILABLE",
}
_UUID_ERRORS = frozenset({"uuid_parsing", "uuid_type", "uuid_version"})
_MAX_DETAILS = 5


class ToraAuthenticationFailed(Exception):
    """The caller sent no usable credentials (answered in Tora's 401 shape)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def error_body(status: int, code: str, message: str, details: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"status": status, "error": code, "message": message}
    if details:
        body["details"] = details
    return body


def error_response(
    status: int,
    code: str,
    message: str,
    *,
    details: str | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    return JSONResponse(
        status_code=status, content=error_body(status, code, message, details), headers=headers
    )


def authentication_failed_response(message: str) -> JSONResponse:
    return JSONResponse(
        status_code=401,
        content={"status": 401, "data": {"error": "Authentication failed", "message": message}},
        headers=AUTHENTICATE_HEADER,
    )


def _location(error: dict[str, Any]) -> str:
    return ".".join(str(part) for part in error.get("loc", ())) or "request"


def _describe(errors: Sequence[dict[str, Any]]) -> str:
    """Where and what, never the input itself (it may be a password)."""
    described = [f"{_location(error)}: {error.get('msg', 'invalid')}" for error in errors]
    return "; ".join(described[:_MAX_DETAILS])


def _domain_error(error: WaveDBError) -> JSONResponse:
    if isinstance(error, ValidationFailed):
        # Tora answers its own validation failures as 400 VALIDATION_ERROR.
        return error_response(400, "VALIDATION_ERROR", error.message)
    status = error.status_code
    return error_response(
        status,
        _CODES.get(status, error.code.upper()),
        error.message,
        headers=error.headers or None,
    )


def _invalid_request(errors: list[dict[str, Any]]) -> JSONResponse:
    if is_malformed_json(errors):
        return error_response(400, "BAD_REQUEST", "the request body is not valid JSON")
    malformed_ids = [item for item in errors if item.get("type") in _UUID_ERRORS]
    if malformed_ids:
        where = ", ".join(_location(item) for item in malformed_ids[:_MAX_DETAILS])
        return error_response(
            400, "INVALID_UUID", f"not a valid UUID: {where}", details=_describe(malformed_ids)
        )
    details = _describe(errors)
    message = details.split("; ", 1)[0] if details else "the request is invalid"
    return error_response(422, "UNPROCESSABLE_ENTITY", message, details=details)


def _http_error(error: StarletteHTTPException) -> JSONResponse:
    status = error.status_code
    code = _CODES.get(status, "HTTP_ERROR")
    message = str(error.detail) if error.detail else code.replace("_", " ").lower()
    return error_response(status, code, message, headers=dict(error.headers or {}) or None)


def _authentication_failed(error: ToraAuthenticationFailed) -> JSONResponse:
    return authentication_failed_response(error.message)


TORA_ERROR_SHAPE = ErrorShape(
    domain_error=_domain_error,
    invalid_request=_invalid_request,
    http_error=_http_error,
    own_errors={ToraAuthenticationFailed: _authentication_failed},
)
