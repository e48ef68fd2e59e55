"""The FastAPI application of a function."""

from __future__ import annotations

from fastapi import APIRouter, FastAPI

from wavedb_core.http.errors import install_error_handlers
from wavedb_core.models.base import ErrorBody

API_VERSION = "1.0.0"

_ERROR_RESPONSES: dict[int | str, dict[str, object]] = {
    status: {"model": ErrorBody, "description": description}
    for status, description in {
        401: "Missing or invalid credentials",
        422: "The request is invalid",
        429: "Rate limit exceeded (see Retry-After)",
    }.items()
}


def create_app(*routers: APIRouter, title: str) -> FastAPI:
    """An app for one function: its routers plus the shared error mapping.

    The per-function docs routes are off: API Gateway routes only the template's paths to a
    function; the local stack serves one merged OpenAPI document for all of them.
    """
    app = FastAPI(
        title=f"WaveDB {title}",
        version=API_VERSION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        responses=_ERROR_RESPONSES,
    )
    install_error_handlers(app)
    for router in routers:
        app.include_router(router)
    return app
