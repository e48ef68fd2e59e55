"""Who is calling: what the authorizer found, carried to the functions in its context.

API Gateway passes the authorizer's `context` to the function as
`requestContext.authorizer.lambda`; values must be strings, numbers or booleans.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

AuthMethod = Literal["jwt", "api_key"]
ContextValue = str | int | bool


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    user_id: UUID
    method: AuthMethod
    scopes: frozenset[str]
    rate_limit_per_minute: int
    session_id: UUID | None = None
    api_key_id: UUID | None = None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes

    @property
    def rate_limit_bucket(self) -> str:
        return f"key:{self.api_key_id}" if self.api_key_id else f"user:{self.user_id}"


@dataclass(frozen=True)
class AuthFailure:
    """Why a request carries no usable credentials (answered as a 401 by the function), or
    that the credentials could not be checked at all (`unavailable`: a 503 to retry)."""

    code: str
    message: str

    @property
    def unavailable(self) -> bool:
        return self.code == AUTHENTICATION_UNAVAILABLE.code


# The authorizer could not decide (its database or a secret is unreachable): the function
# refuses the request, as for any failure, but with a retryable answer.
AUTHENTICATION_UNAVAILABLE = AuthFailure(
    "authentication_unavailable", "the credentials cannot be checked right now; retry shortly"
)
AUTHENTICATION_RETRY_AFTER_SECONDS = 5


def to_authorizer_context(result: Principal | AuthFailure) -> dict[str, ContextValue]:
    if isinstance(result, AuthFailure):
        return {
            "authenticated": False,
            "failureCode": result.code,
            "failureMessage": result.message,
        }
    return {
        "authenticated": True,
        "userId": str(result.user_id),
        "authMethod": result.method,
        "scopes": " ".join(sorted(result.scopes)),
        "rateLimitPerMinute": result.rate_limit_per_minute,
        "sessionId": str(result.session_id or ""),
        "apiKeyId": str(result.api_key_id or ""),
    }


_MISSING = AuthFailure("missing_credentials", "send 'Authorization: Bearer <token>' or 'x-api-key'")


def from_authorizer_context(context: Mapping[str, object] | None) -> Principal | AuthFailure:
    """Read back what `to_authorizer_context` wrote; anything unexpected is a failure."""
    if not context:
        return _MISSING
    if context.get("authenticated") not in (True, "true"):
        return AuthFailure(
            code=str(context.get("failureCode") or _MISSING.code),
            message=str(context.get("failureMessage") or _MISSING.message),
        )
    try:
        method = str(context["authMethod"])
        if method not in ("jwt", "api_key"):
            raise ValueError(method)
        return Principal(
            user_id=UUID(str(context["userId"])),
            method=method,  # type: ignore[arg-type]
            scopes=frozenset(str(context.get("scopes", "")).split()),
            rate_limit_per_minute=int(str(context["rateLimitPerMinute"])),
            session_id=UUID(str(context["sessionId"])) if context.get("sessionId") else None,
            api_key_id=UUID(str(context["apiKeyId"])) if context.get("apiKeyId") else None,
        )
    except (KeyError, ValueError, TypeError):
        return AuthFailure("invalid_authorizer_context", "the request's identity could not be read")
