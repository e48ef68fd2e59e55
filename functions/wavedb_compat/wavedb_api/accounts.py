"""WaveDB's register, log-in, profile and API-key routes, onto our accounts and keys."""

from __future__ import annotations

from wavedb_core.errors import Unauthorized, ValidationFailed
from wavedb_core.models.api_keys import ApiKeyCreateRequest
from wavedb_core.principal import Principal
from wavedb_core.services import accounts, api_keys

from wavedb_api.errors import WaveDBCompatError
from wavedb_api.models import (
    WaveDBApiKeyRecord,
    WaveDBApiKeyRequest,
    WaveDBLoginData,
    WaveDBLoginRequest,
    WaveDBRegisteredUser,
    WaveDBRegisterRequest,
    WaveDBUserProfile,
)

INVALID_LOGIN = "Invalid email or password"


def register(request: WaveDBRegisterRequest, *, client_ip: str) -> WaveDBRegisteredUser:
    """Accept `name` or `username` (the original clients send either)."""
    name = request.name or request.username
    if name is None:
        raise ValidationFailed(
            "name or username is required",
            details=[{"location": "body.name", "message": "missing"}],
        )
    created = accounts.signup(
        email=str(request.email), password=request.password, name=name, client_ip=client_ip
    )
    user = created.user
    return WaveDBRegisteredUser(id=user.id, name=user.name, email=user.email)


def log_in(request: WaveDBLoginRequest, *, client_ip: str) -> WaveDBLoginData:
    try:
        tokens = accounts.login(email=request.email, password=request.password, client_ip=client_ip)
    except Unauthorized as error:
        raise WaveDBCompatError(401, INVALID_LOGIN) from error
    return WaveDBLoginData(access_token=tokens.access_token)


def profile(principal: Principal) -> WaveDBUserProfile:
    user = accounts.current_user(principal)
    return WaveDBUserProfile(
        id=user.id,
        name=user.name,
        email=user.email,
        email_verified=user.email_confirmed,
        image=None,
        created_at=user.created_at,
    )


def create_api_key(principal: Principal, request: WaveDBApiKeyRequest) -> WaveDBApiKeyRecord:
    """A key with our defaults (read and write, no expiry); managed with a user session."""
    created = api_keys.create_api_key(principal, ApiKeyCreateRequest(name=request.name))
    return WaveDBApiKeyRecord(
        id=created.id,
        name=created.name,
        key=created.key,
        prefix=created.prefix,
        user_id=principal.user_id,
        permissions=list(created.scopes),
        rate_limit_enabled=True,
        created_at=created.created_at,
        expires_at=created.expires_at,
    )
