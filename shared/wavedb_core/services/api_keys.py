"""API keys: create (the key is shown once; within the quotas), list, revoke, and
authenticate."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from aws_lambda_powertools import Logger

from wavedb_core.db.connection import get_connection, transaction
from wavedb_core.errors import Forbidden, NotFound, ValidationFailed
from wavedb_core.models.api_keys import ApiKeyCreated, ApiKeyCreateRequest, ApiKeyOut
from wavedb_core.principal import AuthFailure, Principal
from wavedb_core.repositories import api_keys
from wavedb_core.services.opaque_tokens import digest_matches, new_token, parse_token
from wavedb_core.services.quotas import (
    api_key_rate_limit,
    check_api_key_rate_limit,
    reserve_api_key,
)

logger = Logger(child=True)

API_KEY_KIND = "wdk"


def _require_user_session(principal: Principal) -> None:
    # A leaked key must not be able to mint more keys or revoke its owner's others.
    if principal.method != "jwt":
        raise Forbidden(
            "API keys are managed with a user session (Authorization: Bearer), not an API key",
            code="session_required",
        )


def _describe(row: api_keys.ApiKeyRow) -> ApiKeyOut:
    return ApiKeyOut(
        id=row.id,
        name=row.name,
        prefix=f"{API_KEY_KIND}_{row.lookup_id}",
        scopes=sorted(row.scopes),
        rate_limit_per_minute=row.rate_limit_per_minute,
        created_at=row.created_at,
        last_used_at=row.last_used_at,
        expires_at=row.expires_at,
    )


def create_api_key(principal: Principal, request: ApiKeyCreateRequest) -> ApiKeyCreated:
    _require_user_session(principal)
    now = datetime.now(UTC)
    expires_at = request.expires_at
    if request.expires_in_days is not None:
        expires_at = now + timedelta(days=request.expires_in_days)
    if expires_at is not None and expires_at <= now:
        raise ValidationFailed(
            "expires_at must be in the future",
            details=[{"location": "body.expires_at", "message": "in the past"}],
        )
    check_api_key_rate_limit(request.rate_limit_per_minute)
    token = new_token(API_KEY_KIND)
    with transaction() as connection:
        reserve_api_key(connection, principal.user_id)
        row = api_keys.insert_api_key(
            connection,
            key_id=uuid.uuid4(),
            user_id=principal.user_id,
            name=request.name,
            lookup_id=token.lookup,
            key_hash=token.digest,
            scopes=list(request.scopes),
            rate_limit_per_minute=request.rate_limit_per_minute,
            expires_at=expires_at,
        )
    logger.info("api key created", extra={"api_key_id": str(row.id)})
    return ApiKeyCreated(**_describe(row).model_dump(), key=token.value)


def list_api_keys(principal: Principal) -> list[ApiKeyOut]:
    _require_user_session(principal)
    return [
        _describe(row) for row in api_keys.list_active_api_keys(get_connection(), principal.user_id)
    ]


def revoke_api_key(principal: Principal, key_id: UUID) -> None:
    _require_user_session(principal)
    if not api_keys.revoke_api_key(get_connection(), key_id=key_id, user_id=principal.user_id):
        raise NotFound("API key not found")
    logger.info("api key revoked", extra={"api_key_id": str(key_id)})


def authenticate_api_key(value: str) -> Principal | AuthFailure:
    """The key's owner and rights, or why the key is refused."""
    token = parse_token(value.strip(), API_KEY_KIND)
    if token is None:
        return AuthFailure("invalid_api_key", "the API key is malformed")
    connection = get_connection()
    row = api_keys.find_api_key_by_lookup_id(connection, token.lookup)
    if row is None or not digest_matches(row.key_hash, token):
        return AuthFailure("invalid_api_key", "the API key is not valid")
    if row.revoked_at is not None:
        return AuthFailure("api_key_revoked", "the API key has been revoked")
    if row.expires_at is not None and row.expires_at <= datetime.now(UTC):
        return AuthFailure("api_key_expired", "the API key has expired")
    api_keys.touch_last_used(connection, row.id)
    return Principal(
        user_id=row.user_id,
        method="api_key",
        scopes=frozenset(row.scopes),
        rate_limit_per_minute=api_key_rate_limit(row.rate_limit_per_minute),
        api_key_id=row.id,
    )
