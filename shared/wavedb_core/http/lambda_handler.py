"""The Lambda entry point of an HTTP function: Powertools around Mangum."""

from __future__ import annotations

import base64
import binascii
import json
import warnings
import zlib
from collections.abc import Callable, Mapping
from typing import Any, cast

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging import correlation_paths
from aws_lambda_powertools.utilities.typing import LambdaContext
from fastapi import FastAPI
from mangum import Mangum

from wavedb_core.errors import PayloadTooLarge
from wavedb_core.settings import get_settings
from wavedb_core.snapstart import register_hooks
from wavedb_core.tracing import function_tracer

LambdaHandler = Callable[[dict[str, Any], LambdaContext], dict[str, Any]]
# The JSON body of a 413 answer, given the event and the limit it exceeded.
TooLargeBody = Callable[[dict[str, Any], int], dict[str, Any]]
# The JSON body of a 400 answer to a body that cannot be read, given the event and why.
MalformedBody = Callable[[dict[str, Any], str], dict[str, Any]]

NOT_UTF8 = "the request body is not valid JSON: it is not UTF-8 text"
NOT_GZIP = "the request body is not valid gzip (Content-Encoding: gzip)"
_GZIP_WINDOW = 16 + zlib.MAX_WBITS  # gzip header and trailer, not zlib's

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


def _is_json(event: dict[str, Any]) -> bool:
    """Whether the app reads the body as JSON: typed as JSON, or untyped (as FastAPI does)."""
    headers = event.get("headers") or {}
    content_type = next(
        (str(value) for name, value in headers.items() if name.lower() == "content-type"), ""
    )
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type in ("", "application/json") or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


def _not_utf8(event: dict[str, Any]) -> bool:
    """Whether a JSON body is not UTF-8 (RFC 8259 allows nothing else). API Gateway hands
    over bytes it cannot pass as text base64-encoded; decoding them leniently would store
    replacement characters, so the body is refused before the app reads it."""
    body = event.get("body")
    if not body or not _is_json(event):
        return False
    try:
        if event.get("isBase64Encoded"):
            base64.b64decode(body, validate=True).decode("utf-8")
        else:
            str(body).encode("utf-8")  # text with lone surrogates is no UTF-8 either
    except (UnicodeError, binascii.Error):
        return True
    return False


def _header(event: dict[str, Any], wanted: str) -> str:
    headers = event.get("headers") or {}
    return next((str(value) for name, value in headers.items() if name.lower() == wanted), "")


def _gunzipped(event: dict[str, Any], limit: int) -> dict[str, Any] | int | str:
    """The event with its gzip body decompressed (as API Gateway passes it: text when it is
    UTF-8, else base64); the limit when it decompresses to more than `limit` bytes (a gzip
    bomb is never inflated past it); why, when the body is not gzip."""
    body = event.get("body") or ""
    try:
        data = base64.b64decode(body, validate=True) if event.get("isBase64Encoded") else None
        if data is None:
            data = str(body).encode("latin-1")  # bytes passed as text, one char each
        inflater = zlib.decompressobj(_GZIP_WINDOW)
        raw = inflater.decompress(data, limit + 1)
    except (binascii.Error, UnicodeError, zlib.error):
        return NOT_GZIP
    if len(raw) > limit:
        return limit
    if not inflater.eof or inflater.unused_data:
        return NOT_GZIP
    headers = {
        name: value
        for name, value in (event.get("headers") or {}).items()
        if name.lower() not in ("content-encoding", "content-length")
    }
    try:
        text, encoded = raw.decode("utf-8"), False
    except UnicodeError:
        text, encoded = base64.b64encode(raw).decode(), True
    return {**event, "headers": headers, "body": text, "isBase64Encoded": encoded}


def _malformed_json(_event: dict[str, Any], problem: str) -> dict[str, Any]:
    """The shared error body of a body that cannot be read."""
    return {"code": "malformed_json", "message": problem}


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
    malformed_body: MalformedBody | None = None,
) -> LambdaHandler:
    """A Lambda handler serving `app` for API Gateway HTTP API (payload 2.0) events.

    A body over the limit is answered 413 before the app runs. The limit is the route's
    own in `route_body_limits` (by route key, e.g. `POST /things/{id}`), else
    `max_body_bytes`, else the `MAX_REQUEST_BODY_BYTES` setting; `too_large_body` gives
    the answer's body in the function's own error shape. A JSON body that is not UTF-8 is
    answered 400 before the app runs too, with the body `malformed_body` gives.

    A body sent with `Content-Encoding: gzip` is decompressed first: it must decompress to
    at most `MAX_DECOMPRESSED_BODY_BYTES` (else 413, found without inflating further), and
    be one whole gzip member (else 400).
    """
    logger = Logger()
    tracer = function_tracer()
    metrics = Metrics()
    asgi = Mangum(app, lifespan="off")
    register_hooks()  # for a function on SnapStart (see wavedb_core.snapstart)
    route_limits = dict(route_body_limits or {})
    answer_too_large = too_large_body or _payload_too_large
    answer_malformed = malformed_body or _malformed_json

    @metrics.log_metrics(capture_cold_start_metric=True)
    @tracer.capture_lambda_handler(capture_response=False)
    @logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_HTTP)
    def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        limit = route_limits.get(str(event.get("routeKey", ""))) or (
            max_body_bytes or get_settings().max_request_body_bytes
        )
        if _body_size(event) > limit:
            return _json_answer(PayloadTooLarge.status_code, answer_too_large(event, limit))
        if _header(event, "content-encoding").strip().lower() == "gzip":
            inflated = _gunzipped(event, get_settings().max_decompressed_body_bytes)
            if isinstance(inflated, int):
                too_large = answer_too_large(event, inflated)
                return _json_answer(PayloadTooLarge.status_code, too_large)
            if isinstance(inflated, str):
                return _json_answer(400, answer_malformed(event, inflated))
            event = inflated
        if _not_utf8(event):
            return _json_answer(400, answer_malformed(event, NOT_UTF8))
        response: dict[str, Any] = asgi(event, cast(Any, context))
        return _forbid_sniffing(response)

    return cast(LambdaHandler, handler)
