"""The WaveDB error bodies: `{"name"?, "message"}`, validation errors as 400 with reasons,
and 401 as `{"message": "unauthorized"}`, whatever the failure behind it."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pydantic
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wavedb_core.errors import InternalError, Unauthorized, ValidationFailed, WaveDBError
from wavedb_core.http.error_policy import ErrorShape, is_malformed_json

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


def _invalid_request(errors: list[dict[str, Any]]) -> JSONResponse:
    if is_malformed_json(errors):
        return validation_response(
            [{"name": "body", "message": "the request body is not valid JSON"}]
        )
    return validation_response(_reasons_of(errors))


def _invalid_model(error: pydantic.ValidationError) -> JSONResponse:
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


def _domain_error(error: WaveDBError) -> JSONResponse:
    if isinstance(error, ValidationFailed):
        return validation_response(_reasons_of_domain_error(error))
    if isinstance(error, Unauthorized):
        return JSONResponse(
            status_code=401, content=error_body("unauthorized"), headers=error.headers or None
        )
    # An internal error names nothing; the others name their kind (ServiceUnavailable...).
    name = None if isinstance(error, InternalError) else type(error).__name__
    return JSONResponse(
        status_code=error.status_code,
        content=error_body(error.message, name=name),
        headers=error.headers or None,
    )


def _compat_error(error: WaveDBCompatError) -> JSONResponse:
    return JSONResponse(
        status_code=error.status_code, content=error_body(error.message, name=error.name)
    )


def _compat_validation(error: WaveDBValidationError) -> JSONResponse:
    return validation_response(error.reasons)


def _http_error(error: StarletteHTTPException) -> JSONResponse:
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


WAVEDB_ERROR_SHAPE = ErrorShape(
    domain_error=_domain_error,
    invalid_request=_invalid_request,
    http_error=_http_error,
    own_errors={
        pydantic.ValidationError: _invalid_model,
        WaveDBCompatError: _compat_error,
        WaveDBValidationError: _compat_validation,
    },
)
