"""Who is calling, as FastAPI dependencies: read from the authorizer's context, then rate
limits and scopes are enforced (safe methods need `read`, the others `write`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from wavedb_core.errors import Forbidden, Unauthorized
from wavedb_core.principal import AuthFailure, Principal, from_authorizer_context
from wavedb_core.services.rate_limiting import enforce_rate_limit

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _authorizer_context(request: Request) -> dict[str, Any] | None:
    event = request.scope.get("aws.event") or {}
    authorizer = (event.get("requestContext") or {}).get("authorizer") or {}
    context = authorizer.get("lambda")
    return context if isinstance(context, dict) else None


def client_ip(request: Request) -> str:
    """The caller's address as API Gateway saw it."""
    event = request.scope.get("aws.event") or {}
    http = (event.get("requestContext") or {}).get("http") or {}
    return str(http.get("sourceIp") or (request.client.host if request.client else "unknown"))


ClientIp = Annotated[str, Depends(client_ip)]


def _unauthorized(failure: AuthFailure) -> Unauthorized:
    return Unauthorized(
        failure.message,
        code=failure.code,
        headers={"WWW-Authenticate": f'Bearer realm="wavedb", error="{failure.code}"'},
    )


def optional_principal(request: Request) -> Principal | None:
    """The caller when credentials were sent and are valid; None when none were sent."""
    result = from_authorizer_context(_authorizer_context(request))
    if isinstance(result, AuthFailure):
        if result.code == "missing_credentials":
            return None
        raise _unauthorized(result)
    _check(result, request)
    return result


def authenticated_principal(request: Request) -> Principal:
    """The caller; 401 without valid credentials, 429 past the rate limit, 403 out of scope."""
    result = from_authorizer_context(_authorizer_context(request))
    if isinstance(result, AuthFailure):
        raise _unauthorized(result)
    _check(result, request)
    return result


def _check(principal: Principal, request: Request) -> None:
    enforce_rate_limit(principal.rate_limit_bucket, limit=principal.rate_limit_per_minute)
    needed = "read" if request.method in _SAFE_METHODS else "write"
    if not principal.has_scope(needed):
        raise Forbidden(f"this API key lacks the '{needed}' scope", code="insufficient_scope")


AuthenticatedPrincipal = Annotated[Principal, Depends(authenticated_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
