"""Our API's error bodies: each error is JSON with a code and a message (the policy of
which failure answers which status is in error_policy)."""

from __future__ import annotations

from typing import Any

from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wavedb_core.errors import WaveDBError
from wavedb_core.http.error_policy import ErrorShape, is_malformed_json

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


def _domain_error(error: WaveDBError) -> JSONResponse:
    return error_response(
        error.status_code,
        error.code,
        error.message,
        details=error.details,
        headers=error.headers or None,
    )


def _invalid_request(errors: list[dict[str, Any]]) -> JSONResponse:
    if is_malformed_json(errors):
        return error_response(400, "malformed_json", "the request body is not valid JSON")
    details = validation_details(errors)
    first = details[0] if details else {"location": "request", "message": "invalid"}
    return error_response(
        422,
        "validation_error",
        f"{first['location']}: {first['message']}",
        details=details,
    )


def _http_error(error: StarletteHTTPException) -> JSONResponse:
    code = _HTTP_CODES.get(error.status_code, "http_error")
    message = str(error.detail) if error.detail else code.replace("_", " ")
    return error_response(
        error.status_code, code, message.lower(), headers=dict(error.headers or {}) or None
    )


# Our own API's bodies: `{"code", "message", "details"?}`.
ERROR_SHAPE = ErrorShape(
    domain_error=_domain_error, invalid_request=_invalid_request, http_error=_http_error
)
