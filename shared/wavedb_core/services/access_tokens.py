"""Short-lived JWT access tokens (HS256), bound to a session."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

import jwt

from wavedb_core.secrets import jwt_signing_key
from wavedb_core.settings import get_settings

_ALGORITHM = "HS256"


@dataclass(frozen=True)
class AccessClaims:
    user_id: UUID
    session_id: UUID
    expires_at: datetime


class AccessTokenError(Exception):
    """The token cannot be accepted; `code` says why (token_expired, invalid_token)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def issue_access_token(user_id: UUID, session_id: UUID) -> tuple[str, datetime]:
    settings = get_settings()
    now = datetime.now(UTC).replace(microsecond=0)
    expires_at = now + timedelta(seconds=settings.access_token_ttl_seconds)
    claims = {
        "sub": str(user_id),
        "sid": str(session_id),
        "typ": "access",
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "iat": int(now.timestamp()),
        "nbf": int(now.timestamp()),
        "exp": int(expires_at.timestamp()),
        "jti": uuid.uuid4().hex,
    }
    return jwt.encode(claims, jwt_signing_key(), algorithm=_ALGORITHM), expires_at


def decode_access_token(token: str) -> AccessClaims:
    settings = get_settings()
    try:
        claims = jwt.decode(
            token,
            jwt_signing_key(),
            algorithms=[_ALGORITHM],
            audience=settings.jwt_audience,
            issuer=settings.jwt_issuer,
            options={"require": ["exp", "iat", "sub", "sid", "typ", "iss", "aud"]},
            leeway=5,
        )
    except jwt.ExpiredSignatureError as error:
        raise AccessTokenError("token_expired", "the access token has expired") from error
    except jwt.InvalidTokenError as error:
        raise AccessTokenError("invalid_token", "the access token is not valid") from error
    if claims.get("typ") != "access":
        raise AccessTokenError("invalid_token", "the token is not an access token")
    try:
        return AccessClaims(
            user_id=UUID(str(claims["sub"])),
            session_id=UUID(str(claims["sid"])),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
        )
    except (ValueError, TypeError) as error:
        raise AccessTokenError("invalid_token", "the access token is not valid") from error
