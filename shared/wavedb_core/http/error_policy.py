"""One exception-to-status policy for every function, written in the body shape of the
function's API (ours, Tora's or WaveDB's): which failure answers which status is decided
here once; an `ErrorShape` only writes the bodies.

A domain error answers its own status; a request that fails validation and an HTTP error
(unknown route, wrong method) are the shape's to word; a database that cannot be reached
is a 503 `ServiceUnavailable` (the environment's connection is re-opened on next use, see
db.connection), a value the database refuses came from the request and is a 400
`BadRequest`, and anything else is a 500 `InternalError`, logged with its traceback.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import psycopg
from aws_lambda_powertools import Logger
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from wavedb_core.errors import BadRequest, InternalError, ServiceUnavailable, WaveDBError

logger = Logger(child=True)

DATABASE_UNAVAILABLE = "the database cannot be reached; retry shortly"
UNSTORABLE_VALUE = "a value in the request cannot be stored"
NOT_COMPLETED = "internal error; the request was not completed"


@dataclass(frozen=True)
class ErrorShape:
    """How one API writes its error answers.

    `domain_error` answers every WaveDBError (the failures below become one first);
    `invalid_request` the errors of a request that fails validation (pydantic's list, a
    `json_invalid` one among them when the body is not JSON); `http_error` Starlette's;
    `own_errors` the API's own exceptions, by class.
    """

    domain_error: Callable[[WaveDBError], JSONResponse]
    invalid_request: Callable[[list[dict[str, Any]]], JSONResponse]
    http_error: Callable[[StarletteHTTPException], JSONResponse]
    own_errors: Mapping[type[Exception], Callable[[Any], JSONResponse]] = field(
        default_factory=dict
    )


def is_malformed_json(errors: list[dict[str, Any]]) -> bool:
    return any(item.get("type") == "json_invalid" for item in errors)


def install_error_policy(app: FastAPI, shape: ErrorShape) -> None:
    async def on_domain_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, WaveDBError)
        return shape.domain_error(error)

    async def on_invalid_request(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, RequestValidationError)
        return shape.invalid_request([dict(item) for item in error.errors()])

    async def on_http_error(_: Request, error: Exception) -> JSONResponse:
        assert isinstance(error, StarletteHTTPException)
        return shape.http_error(error)

    async def on_database_unavailable(_: Request, error: Exception) -> JSONResponse:
        logger.warning("database unavailable", extra={"error_type": type(error).__name__})
        unavailable = ServiceUnavailable(DATABASE_UNAVAILABLE, code="database_unavailable")
        return shape.domain_error(unavailable)

    async def on_unstorable_value(_: Request, error: Exception) -> JSONResponse:
        logger.info("value refused by the database", extra={"error_type": type(error).__name__})
        return shape.domain_error(BadRequest(UNSTORABLE_VALUE, code="invalid_value"))

    async def on_unexpected_error(_: Request, error: Exception) -> JSONResponse:
        logger.exception("unhandled error", extra={"error_type": type(error).__name__})
        return shape.domain_error(InternalError(NOT_COMPLETED))

    for kind, answer in shape.own_errors.items():
        app.add_exception_handler(kind, _own(answer))
    app.add_exception_handler(WaveDBError, on_domain_error)
    app.add_exception_handler(RequestValidationError, on_invalid_request)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(psycopg.OperationalError, on_database_unavailable)
    app.add_exception_handler(psycopg.DataError, on_unstorable_value)
    app.add_exception_handler(Exception, on_unexpected_error)


def _own(answer: Callable[[Any], JSONResponse]) -> Callable[[Request, Exception], Any]:
    async def handle(_: Request, error: Exception) -> JSONResponse:
        return answer(error)

    return handle
