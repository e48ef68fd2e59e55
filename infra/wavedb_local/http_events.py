"""API Gateway HTTP API payloads: the 2.0 request event, the authorizer event and answers."""

from __future__ import annotations

import base64
import json
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from wavedb_local.model import AuthorizerSpec
from wavedb_local.naming import LocalNaming
from wavedb_local.routing import RouteMatch

_TEXT_TYPES = (
    "application/json",
    "application/xml",
    "application/javascript",
    "application/x-javascript",
    "application/ecmascript",
    "application/graphql",
    "application/ld+json",
)


class MalformedResponse(ValueError):
    """A function or authorizer answered something API Gateway would reject."""


@dataclass(frozen=True)
class IncomingRequest:
    """An HTTP request as the gateway received it."""

    method: str
    raw_path: str  # as sent (percent-encoded)
    path: str  # decoded
    raw_query_string: str
    headers: list[tuple[str, str]]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    port: int = 80


@dataclass
class GatewayResponse:
    """What the gateway sends back to the client."""

    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""


def message_response(status: int, message: str) -> GatewayResponse:
    """API Gateway's own answer, e.g. `{"message":"Not Found"}`."""
    return GatewayResponse(
        status=status,
        headers=[("content-type", "application/json")],
        body=json.dumps({"message": message}).encode(),
    )


def new_request_id() -> str:
    """An API Gateway style request id."""
    return base64.b64encode(secrets.token_bytes(12)).decode().rstrip("=") + "="


def is_text_content_type(content_type: str | None) -> bool:
    """Whether API Gateway passes a body of this type as text (otherwise base64)."""
    if not content_type:
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return (
        media_type.startswith("text/")
        or media_type in _TEXT_TYPES
        or media_type.endswith(("+json", "+xml"))
    )


def _text_body(
    body: bytes, content_type: str | None, content_encoding: str | None = None
) -> str | None:
    """The body as text when it is passed as text: of a text type, not compressed (a
    Content-Encoding makes it bytes), and UTF-8. Bytes that are not UTF-8 go base64-encoded,
    as they are, rather than with replacement characters in place of what the client sent
    (the function then refuses them)."""
    if content_encoding and content_encoding.strip().lower() != "identity":
        return None
    if not is_text_content_type(content_type):
        return None
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _joined_headers(headers: list[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in headers:
        key = name.lower()
        joined[key] = f"{joined[key]},{value}" if key in joined else value
    return joined


def _query_parameters(raw_query_string: str) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in parse_qsl(raw_query_string, keep_blank_values=True):
        joined[name] = f"{joined[name]},{value}" if name in joined else value
    return joined


def build_http_event(
    request: IncomingRequest,
    match: RouteMatch,
    *,
    naming: LocalNaming,
    request_id: str,
    now: float | None = None,
) -> dict[str, Any]:
    """The payload-2.0 event API Gateway sends a function for `request`."""
    now = time.time() if now is None else now
    headers = _joined_headers(request.headers)
    cookie_header = headers.pop("cookie", None)
    headers.setdefault("x-forwarded-for", request.source_ip)
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-forwarded-port", str(request.port))
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(now):08x}-{secrets.token_hex(12)}")
    host = headers.get("host", f"127.0.0.1:{request.port}")
    route_key = match.route.route_key
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query_string,
    }
    if cookie_header:
        event["cookies"] = [part.strip() for part in cookie_header.split(";") if part.strip()]
    event["headers"] = headers
    if request.raw_query_string:
        event["queryStringParameters"] = _query_parameters(request.raw_query_string)
    if match.path_parameters:
        event["pathParameters"] = dict(match.path_parameters)
    event["requestContext"] = {
        "accountId": naming.account_id,
        "apiId": match.route.api_id,
        "domainName": host,
        "domainPrefix": host.split(".", 1)[0].split(":", 1)[0],
        "http": {
            "method": request.method.upper(),
            "path": request.path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": datetime.fromtimestamp(now, UTC).strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now * 1000),
    }
    if request.body:
        text = _text_body(
            request.body, headers.get("content-type"), headers.get("content-encoding")
        )
        if text is not None:
            event["body"] = text
            event["isBase64Encoded"] = False
        else:
            event["body"] = base64.b64encode(request.body).decode()
            event["isBase64Encoded"] = True
    else:
        event["isBase64Encoded"] = False
    return event


def identity_source_values(
    authorizer: AuthorizerSpec, event: Mapping[str, Any]
) -> list[str] | None:
    """The values of the authorizer's identity sources; None if one is missing."""
    values: list[str] = []
    headers: Mapping[str, str] = event.get("headers") or {}
    query: Mapping[str, str] = event.get("queryStringParameters") or {}
    for source in authorizer.identity_source:
        if source.startswith("$request.header."):
            value = headers.get(source.removeprefix("$request.header.").lower())
        elif source.startswith("$request.querystring."):
            value = query.get(source.removeprefix("$request.querystring."))
        else:
            value = None
        if not value:
            return None
        values.append(value)
    return values


def build_authorizer_event(
    http_event: Mapping[str, Any],
    *,
    route_arn: str,
    identity_source: list[str] | None = None,
) -> dict[str, Any]:
    """The payload-2.0 REQUEST authorizer event for a function's request event."""
    event: dict[str, Any] = {"version": "2.0", "type": "REQUEST", "routeArn": route_arn}
    if identity_source:
        event["identitySource"] = identity_source
    for key in (
        "routeKey",
        "rawPath",
        "rawQueryString",
        "cookies",
        "headers",
        "queryStringParameters",
        "requestContext",
        "pathParameters",
    ):
        if key in http_event:
            event[key] = http_event[key]
    return event


@dataclass(frozen=True)
class AuthorizerDecision:
    authorized: bool
    context: dict[str, Any] | None


def parse_authorizer_response(result: Any, *, simple: bool) -> AuthorizerDecision:
    """Read a simple (`isAuthorized`) or IAM policy answer; MalformedResponse if invalid."""
    if not isinstance(result, dict):
        raise MalformedResponse(f"the authorizer returned {type(result).__name__}, not an object")
    context = result.get("context")
    if context is not None and not isinstance(context, dict):
        raise MalformedResponse("the authorizer's context is not an object")
    if simple:
        authorized = result.get("isAuthorized")
        if not isinstance(authorized, bool):
            raise MalformedResponse("the authorizer's answer has no boolean isAuthorized")
        return AuthorizerDecision(authorized=authorized, context=context)
    statements = (result.get("policyDocument") or {}).get("Statement")
    if not isinstance(statements, list) or "principalId" not in result:
        raise MalformedResponse("the authorizer's answer is not an IAM policy")
    effects = {str(statement.get("Effect", "")).capitalize() for statement in statements}
    return AuthorizerDecision(
        authorized="Allow" in effects and "Deny" not in effects, context=context
    )


def response_from_result(result: Any) -> GatewayResponse:
    """The HTTP response API Gateway makes of a function's payload-2.0 answer."""
    if not (isinstance(result, dict) and "statusCode" in result):
        try:
            text = json.dumps(result)
        except (TypeError, ValueError) as error:
            raise MalformedResponse(f"the function's answer is not JSON: {error}") from error
        return GatewayResponse(
            status=200, headers=[("content-type", "application/json")], body=text.encode()
        )
    try:
        status = int(result["statusCode"])
    except (TypeError, ValueError) as error:
        raise MalformedResponse("statusCode is not an integer") from error
    if not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status} is out of range")
    headers: list[tuple[str, str]] = []
    for name, value in (result.get("headers") or {}).items():
        headers.append((str(name).lower(), _header_text(value)))
    for name, values in (result.get("multiValueHeaders") or {}).items():
        single = {key for key, _ in headers}
        if str(name).lower() in single:
            continue
        headers.extend((str(name).lower(), _header_text(value)) for value in values or [])
    headers.extend(("set-cookie", str(cookie)) for cookie in result.get("cookies") or [])
    raw_body = result.get("body")
    if raw_body is None:
        body = b""
    elif not isinstance(raw_body, str):
        raise MalformedResponse("body is not a string")
    elif result.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw_body, validate=True)
        except ValueError as error:
            raise MalformedResponse("body is not valid base64") from error
    else:
        body = raw_body.encode()
    return GatewayResponse(status=status, headers=headers, body=body)


def _header_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
