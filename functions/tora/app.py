"""Tora compatibility: Tora's REST API (what its SDK and scripts call) over our services,
served both at the root (`/experiments`) and under `/api` (`/api/experiments`)."""

from __future__ import annotations

import json
from typing import Any

from aws_lambda_powertools.utilities.typing import LambdaContext
from fastapi import FastAPI

import wavedb_core.tora_compat.accounts as tora_accounts
import wavedb_core.tora_compat.experiments as tora_experiments
import wavedb_core.tora_compat.logs as tora_logs
import wavedb_core.tora_compat.workspaces as tora_workspaces
from wavedb_core.http import http_handler
from wavedb_core.http.app import API_VERSION
from wavedb_core.settings import get_settings
from wavedb_core.tora_compat.errors import error_body, install_tora_error_handlers

ROUTERS = (
    tora_accounts.router,
    tora_workspaces.router,
    tora_experiments.router,
    tora_logs.router,
)


def create_tora_app() -> FastAPI:
    app = FastAPI(
        title="WaveDB Tora compatibility",
        version=API_VERSION,
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    install_tora_error_handlers(app)
    for prefix in ("", "/api"):
        for router in ROUTERS:
            app.include_router(router, prefix=prefix)
    app.include_router(tora_accounts.api_only_router, prefix="/api")
    return app


app = create_tora_app()
_serve = http_handler(app)


def _body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    return len(body) * 3 // 4 if event.get("isBase64Encoded") else len(body.encode())


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The Lambda entry point; an oversized body is refused in Tora's error shape."""
    limit = get_settings().max_request_body_bytes
    if _body_size(event) > limit:
        return {
            "statusCode": 413,
            "headers": {"content-type": "application/json"},
            "body": json.dumps(
                error_body(413, "PAYLOAD_TOO_LARGE", f"the request body exceeds {limit} bytes")
            ),
            "isBase64Encoded": False,
        }
    return _serve(event, context)
