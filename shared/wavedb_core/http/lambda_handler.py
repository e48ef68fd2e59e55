"""The Lambda entry point of an HTTP function: Powertools around Mangum."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable, Mapping
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from fastapi import FastAPI
from mangum import Mangum

from wavedb_core.db.connection import bound_to_environment
from wavedb_core.errors import PayloadTooLarge
from wavedb_core.settings import get_settings
from wavedb_core.tracing import function_tracer

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
# The JSON body of a 413 answer, given the event and the limit it exceeded.
TooLargeBody = Callable[[dict[str, Any], int], dict[str, Any]]

# Requests that record no business metric are normal; Powertools would warn on each.
warnings.filterwarnings("ignore", message="No application metrics to publish")


def _body_size(event: dict[str, Any]) -> int:
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return len(body) * 3 // 4
    return len(body.encode())


# Every answer is read as the type it declares, never sniffed as another (a CSV export or
# a JSON body holding user text must not become a page).
NO_SNIFFING = ("x-content-type-options", "nosniff")


def _forbid_sniffing(response: dict[str, Any]) -> dict[str, Any]:
    headers = response.get("headers")
    if not isinstance(headers, dict):
        headers = response["headers"] = {}
    headers[NO_SNIFFING[0]] = NO_SNIFFING[1]
    return response


def _json_answer(status_code: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status_code,
        "headers": {"content-type": "application/json", NO_SNIFFING[0]: NO_SNIFFING[1]},
        "body": json.dumps(body),
        "isBase64Encoded": False,
    }


def _payload_too_large(_event: dict[str, Any], limit: int) -> dict[str, Any]:
    """The shared error body; answered before the app runs: the body is never parsed."""
    return {
        "code": PayloadTooLarge.code,
        "message": f"the request body exceeds {limit} bytes",
        "details": {"max_bytes": limit},
    }


def http_handler(
    app: FastAPI,
    *,
    max_body_bytes: int | None = None,
    route_body_limits: Mapping[str, int] | None = None,
    too_large_body: TooLargeBody | None = None,
) -> LambdaHandler:
    """A Lambda handler serving `app` for API Gateway HTTP API (payload 2.0) events.

    A body over the limit is answered 413 before the app runs. The limit is the route's
    own in `route_body_limits` (by route key, e.g. `POST /things/{id}`), else
    `max_body_bytes`, else the `MAX_REQUEST_BODY_BYTES` setting; `too_large_body` gives
    the answer's body in the function's own error shape.
    """
    logger = Logger()
    tracer = function_tracer()
    metrics = Metrics()
    asgi = Mangum(app, lifespan="off")
    route_limits = dict(route_body_limits or {})
    answer_too_large = too_large_body or _payload_too_large

    @metrics.log_metrics(capture_cold_start_metric=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        limit = route_limits.get(str(event.get("routeKey", ""))) or (
            max_body_bytes or get_settings().max_request_body_bytes
        )
        if _body_size(event) > limit:
            return _json_answer(PayloadTooLarge.status_code, answer_too_large(event, limit))
        with bound_to_environment():
            response: dict[str, Any] = asgi(event, cast(Any, context))
        return _forbid_sniffing(response)

    return cast(LambdaHandler, handler)
