"""CORS as an HTTP API with a CorsConfiguration applies it: preflights and response headers."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping

from wavedb_local.model import CorsSpec


def origin_allowed(cors: CorsSpec, origin: str) -> bool:
    """Whether `origin` is one of the allowed origins (`*` and `https://*.x.com` wildcards)."""
    lowered = origin.lower()
    return any(
        allowed == "*" or fnmatch.fnmatchcase(lowered, allowed.lower())
        for allowed in cors.allow_origins
    )


def _allow_origin_value(cors: CorsSpec, origin: str) -> str:
    if "*" in cors.allow_origins and not cors.allow_credentials:
        return "*"
    return origin


def is_preflight(method: str, headers: Mapping[str, str]) -> bool:
    """A CORS preflight: OPTIONS with Origin and Access-Control-Request-Method."""
    return (
        method.upper() == "OPTIONS"
        and "origin" in headers
        and "access-control-request-method" in headers
    )


def preflight_headers(cors: CorsSpec, headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The headers of the answer to a preflight (none if the origin is not allowed)."""
    origin = headers.get("origin", "")
    if not origin_allowed(cors, origin):
        return []
    requested_headers = headers.get("access-control-request-headers", "")
    allow_headers = requested_headers if "*" in cors.allow_headers else ",".join(cors.allow_headers)
    allow_methods = (
        headers.get("access-control-request-method", "")
        if "*" in cors.allow_methods
        else ",".join(cors.allow_methods)
    )
    result = [("access-control-allow-origin", _allow_origin_value(cors, origin))]
    if allow_methods:
        result.append(("access-control-allow-methods", allow_methods))
    if allow_headers:
        result.append(("access-control-allow-headers", allow_headers))
    if cors.max_age is not None:
        result.append(("access-control-max-age", str(cors.max_age)))
    if cors.allow_credentials:
        result.append(("access-control-allow-credentials", "true"))
    return result


def response_headers(cors: CorsSpec, headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """The CORS headers added to an actual response (none if there is no allowed Origin)."""
    origin = headers.get("origin")
    if origin is None or not origin_allowed(cors, origin):
        return []
    result = [("access-control-allow-origin", _allow_origin_value(cors, origin))]
    if cors.expose_headers:
        result.append(("access-control-expose-headers", ",".join(cors.expose_headers)))
    if cors.allow_credentials:
        result.append(("access-control-allow-credentials", "true"))
    return result
