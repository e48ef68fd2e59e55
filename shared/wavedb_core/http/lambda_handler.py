"""The Lambda entry point of an HTTP function: Powertools around Mangum."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics, Tracer
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from fastapi import FastAPI
from mangum import Mangum

from wavedb_core.db.connection import bound_to_environment
from wavedb_core.errors import PayloadTooLarge
from wavedb_core.settings import get_settings

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]

# Requests that record no business metric are normal; Powertools would warn on each.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def _body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode())


def _payload_too_large(limit: int) -> dict[str, Any]:
    """Answered before the app runs: the body is never parsed."""
    return {
        "statusCode": PayloadTooLarge.status_code,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(
            {
                "code": PayloadTooLarge.code,
                "message": f"the request body exceeds {limit} bytes",
                "details": {"max_bytes": limit},
            }
        ),
        "isBase64Encoded": False,
    }


def http_handler(app: FastAPI, *, max_body_bytes: int | None = None) -> LambdaHandler:
    """A Lambda handler serving `app` for API Gateway HTTP API (payload 2.0) events."""
    logger = Logger()
    tracer = Tracer()
    metrics = Metrics()
    asgi = Mangum(app, lifespan="off")

    @metrics.log_metrics(capture_cold_start_metric=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        limit = max_body_bytes or get_settings().max_request_body_bytes
        if _body_size(event) > limit:
            return _payload_too_large(limit)
        with bound_to_environment():
            response: dict[str, Any] = asgi(event, cast(Any, context))
        return response

    return cast(LambdaHandler, handler)
