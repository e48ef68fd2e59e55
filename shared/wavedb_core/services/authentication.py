"""Authentication of a request from its headers: a Bearer JWT or an `x-api-key`.

The authorizer calls this for every protected route. It never raises for bad credentials:
it says who the caller is, or why they are not anyone.
"""

from __future__ import annotations

from collections.abc import Mapping

from wavedb_core.db.connection import get_connection
from wavedb_core.principal import AuthFailure, Principal
from wavedb_core.repositories import sessions
from wavedb_core.services.access_tokens import AccessTokenError, decode_access_token
from wavedb_core.services.api_keys import authenticate_api_key
from wavedb_core.settings import get_settings

ALL_SCOPES = frozenset({"read", "write"})


def authenticate(headers: Mapping[str, str]) -> Principal | AuthFailure:
    lowered = {name.lower(): value for name, value in headers.items()}
    api_key = lowered.get("x-api-key")
    if api_key is not None:
        # A key that is present decides alone: no fallback to the Authorization header.
        return authenticate_api_key(api_key)
    authorization = lowered.get("authorization")
    if authorization is None or not authorization.strip():
        return AuthFailure(
            "missing_credentials", "send 'Authorization: Bearer <token>' or 'x-api-key: <key>'"
        )
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return AuthFailure(
            "malformed_authorization", "the Authorization header must read 'Bearer <token>'"
        )
    return _authenticate_access_token(token.strip())


def _authenticate_access_token(token: str) -> Principal | AuthFailure:
    try:
        claims = decode_access_token(token)
    except AccessTokenError as error:
        return AuthFailure(error.code, error.message)
    if not sessions.session_is_active(get_connection(), claims.session_id, claims.user_id):
        return AuthFailure("session_revoked", "the session has ended; log in again")
    return Principal(
        user_id=claims.user_id,
        method="jwt",
        scopes=ALL_SCOPES,
        rate_limit_per_minute=get_settings().default_rate_limit_per_minute,
        session_id=claims.session_id,
    )
