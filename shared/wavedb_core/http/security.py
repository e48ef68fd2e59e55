"""Who is calling, as FastAPI dependencies: read from the authorizer's context, then rate
limits and scopes are enforced (safe methods need `read`, the others `write`; a route that
only reads whatever its method, such as a batch read, takes `ReadingPrincipal`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request

from wavedb_core.errors import Forbidden, ServiceUnavailable, Unauthorized
from wavedb_core.principal import (
    AUTHENTICATION_RETRY_AFTER_SECONDS,
    AuthFailure,
    Principal,
    from_authorizer_context,
)
from wavedb_core.services.quotas import enforce_caller_rate_limits

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


def _refusal(failure: AuthFailure) -> Unauthorized | ServiceUnavailable:
    if failure.unavailable:
        # Fails closed, but with an answer clients retry (a 401 or 403 would be final).
        return ServiceUnavailable(
            failure.message,
            code=failure.code,
            retry_after_seconds=AUTHENTICATION_RETRY_AFTER_SECONDS,
        )
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
        raise _refusal(result)
    _check(result, _needed_scope(request))
    return result


def authenticated_principal(request: Request) -> Principal:
    """The caller; 401 without valid credentials (503 when they could not be checked), 429
    past a rate limit, 403 out of scope."""
    return _principal(request, _needed_scope(request))


def reading_principal(request: Request) -> Principal:
    """The caller of a route that only reads whatever its method (a batch read is a POST to
    carry its ids): the `read` scope suffices."""
    return _principal(request, "read")


def _principal(request: Request, needed_scope: str) -> Principal:
    result = from_authorizer_context(_authorizer_context(request))
    if isinstance(result, AuthFailure):
        raise _refusal(result)
    _check(result, needed_scope)
    return result


def _needed_scope(request: Request) -> str:
    return "read" if request.method in _SAFE_METHODS else "write"


def _check(principal: Principal, needed_scope: str) -> None:
    enforce_caller_rate_limits(principal)
    if not principal.has_scope(needed_scope):
        raise Forbidden(f"this API key lacks the '{needed_scope}' scope", code="insufficient_scope")


AuthenticatedPrincipal = Annotated[Principal, Depends(authenticated_principal)]
ReadingPrincipal = Annotated[Principal, Depends(reading_principal)]
OptionalPrincipal = Annotated[Principal | None, Depends(optional_principal)]
