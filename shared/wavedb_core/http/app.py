"""The FastAPI application of a function."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from wavedb_core.http.error_responses import ErrorShapes, declare_error_responses
from wavedb_core.http.errors import install_error_handlers
from wavedb_core.models.base import ErrorBody

API_VERSION = "1.0.0"
ERRORS = ErrorShapes(default=ErrorBody)


def create_app(*routers: APIRouter, title: str) -> FastAPI:
    """An app for one function: its routers plus the shared error mapping, each route
    declaring the errors it can answer (see `error_responses`).

    The per-function docs routes are off: API Gateway routes only the template's paths to a
    function; the local stack serves one merged OpenAPI document for all of them.
    """
    app = FastAPI(
        title=f"WaveDB {title}",
        version=API_VERSION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    declare_error_responses(app, ERRORS)
    return app
