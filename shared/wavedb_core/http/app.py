"""The FastAPI application of a function."""

from __future__ import annotations

from dataclasses import dataclass

from fastapi import APIRouter, FastAPI

from wavedb_core.http.error_policy import ErrorShape, install_error_policy
from wavedb_core.http.error_responses import ErrorShapes, declare_error_responses
from wavedb_core.http.errors import ERROR_SHAPE
from wavedb_core.models.base import ErrorBody

API_VERSION = "1.0.0"


@dataclass(frozen=True)
class ApiErrors:
    """An API's error answers: how they are written, and their bodies in the document."""

    shape: ErrorShape
    documented: ErrorShapes


ERRORS = ErrorShapes(default=ErrorBody)
OUR_ERRORS = ApiErrors(shape=ERROR_SHAPE, documented=ERRORS)


def create_app(
    *routers: APIRouter | tuple[APIRouter, str],
    title: str,
    errors: ApiErrors = OUR_ERRORS,
    redirect_slashes: bool = True,
) -> FastAPI:
    """An app for one function: its routers (each maybe under a path prefix) plus the
    error policy in the API's body shape, each route declaring the errors it can answer
    (see `error_responses`).

    The per-function docs routes are off: API Gateway routes only the template's paths to a
    function; the local stack serves one merged OpenAPI document for all of them.
    """
    app = FastAPI(
        title=f"WaveDB {title}",
        version=API_VERSION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=redirect_slashes,
    )
    install_error_policy(app, errors.shape)
    for item in routers:
        router, prefix = item if isinstance(item, tuple) else (item, "")
        app.include_router(router, prefix=prefix)
    declare_error_responses(app, errors.documented)
    return app
