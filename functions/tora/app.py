"""Tora compatibility: Tora's REST API (what its SDK and scripts call) over our services,
served both at the root (`/experiments`) and under `/api` (`/api/experiments`)."""

from __future__ import annotations

from typing import Any

import wavedb_core.cold_start  # noqa: F401

from fastapi import FastAPI

from wavedb_core.http import create_app, http_handler
from wavedb_core.http.app import ApiErrors
from wavedb_core.http.error_responses import ErrorShapes

import tora_api.accounts as tora_accounts
import tora_api.experiments as tora_experiments
import tora_api.logs as tora_logs
import tora_api.workspaces as tora_workspaces
from tora_api.errors import TORA_ERROR_SHAPE, error_body
from tora_api.models import ToraAuthenticationFailedBody, ToraErrorBody

ROUTERS = (
    tora_accounts.router,
    tora_workspaces.router,
    tora_experiments.router,
    tora_logs.router,
)

# A caller without usable credentials gets Tora's nested 401; a failed log-in the flat one.
TORA_ERRORS = ErrorShapes(
    default=ToraErrorBody,
    by_status={401: ToraAuthenticationFailedBody | ToraErrorBody},
)


def create_tora_app() -> FastAPI:
    """Every router at the root and under /api, and the /api-only routes."""
    return create_app(
        *[(router, prefix) for prefix in ("", "/api") for router in ROUTERS],
        (tora_accounts.api_only_router, "/api"),
        title="Tora compatibility",
        errors=ApiErrors(shape=TORA_ERROR_SHAPE, documented=TORA_ERRORS),
    )


def _too_large(_event: dict[str, Any], limit: int) -> dict[str, Any]:
    """An oversized body is refused in Tora's error shape."""
    return error_body(413, "PAYLOAD_TOO_LARGE", f"the request body exceeds {limit} bytes")


def _malformed(_event: dict[str, Any], problem: str) -> dict[str, Any]:
    """A body that cannot be read is refused in Tora's error shape."""
    return error_body(400, "BAD_REQUEST", problem)


app = create_tora_app()
handler = http_handler(app, too_large_body=_too_large, malformed_body=_malformed)
