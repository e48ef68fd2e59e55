"""Tora's account routes: sign-up, confirmation, log-in, refresh, API keys, roles, settings."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, status
from fastapi.responses import JSONResponse

from wavedb_core.http import ClientIp, answers
from wavedb_core.models.accounts import TokenPair
from wavedb_core.models.api_keys import ApiKeyCreateRequest
from wavedb_core.models.api_keys import ApiKeyOut as WaveDBApiKey
from wavedb_core.models.health import HealthReport
from wavedb_core.principal import Principal
from wavedb_core.services import accounts, api_keys, invitations, workspaces
from wavedb_core.services.health import health_report

import tora_api.shapes as tora_shapes
from tora_api.models import (
    ApiKeyCreatedOut,
    ApiKeyIn,
    ApiKeyOut,
    Envelope,
    LoginIn,
    MessageOut,
    RefreshIn,
    RoleOut,
    SessionOut,
    SessionUserOut,
    SettingsOut,
    SignupIn,
    SignupOut,
    StatusOnly,
)
from tora_api.security import ToraPrincipal

router = APIRouter(tags=["tora: accounts"])
# Served under /api only: GET /health belongs to the health function.
api_only_router = APIRouter(tags=["tora: accounts"])

_MAX_DISPLAY_NAME = 100


def display_name(email: str) -> str:
    """Tora signs up with an e-mail only: the name is the address's local part."""
    return email.split("@", 1)[0].strip()[:_MAX_DISPLAY_NAME] or "user"


def _session(tokens: TokenPair) -> SessionOut:
    return SessionOut(
        access_token=tokens.access_token,
        expires_in=tokens.expires_in,
        expires_at=tokens.expires_at,
        refresh_token=tokens.refresh_token,
        user=SessionUserOut(id=tokens.user.id, email=tokens.user.email),
    )


def _api_key(key: WaveDBApiKey) -> ApiKeyOut:
    return ApiKeyOut(id=key.id, name=key.name, created_at=key.created_at, revoked=False)


@router.post("/signup", responses=answers(409))
def signup(body: SignupIn, ip: ClientIp) -> Envelope[SignupOut]:
    email = str(body.email)
    answer = accounts.signup(
        email=email, password=body.password, name=display_name(email), client_ip=ip
    )
    message = (
        "check your e-mail to confirm your account"
        if answer.email_confirmation_required
        else "account created"
    )
    return Envelope(status=200, data=SignupOut(message=message, email=answer.user.email))


@router.get("/signup/confirm", responses=answers(401))
def confirm_signup(
    token_hash: Annotated[str, Query(min_length=1, max_length=256)],
    confirm_type: Annotated[str | None, Query(max_length=32)] = None,
) -> Envelope[MessageOut]:
    accounts.confirm_email(token_hash)
    return Envelope(status=200, data=MessageOut(message="e-mail address confirmed"))


@router.post("/login", responses=answers(401, 403))
def login(body: LoginIn, ip: ClientIp) -> Envelope[SessionOut]:
    tokens = accounts.login(email=body.email, password=body.password, client_ip=ip)
    return Envelope(status=200, data=_session(tokens))


@router.post("/refresh", responses=answers(401))
def refresh(body: RefreshIn) -> Envelope[SessionOut]:
    return Envelope(status=200, data=_session(accounts.refresh(body.refresh_token)))


@router.get("/workspace-roles")
def workspace_roles() -> Envelope[list[RoleOut]]:
    return Envelope(status=200, data=tora_shapes.roles())


@api_only_router.get(
    "/health",
    response_model=Envelope[HealthReport],
    responses={
        503: {"model": Envelope[HealthReport], "description": "A dependency is unreachable"}
    },
)
def health() -> JSONResponse:
    report = health_report()
    code = 200 if report.status == "ok" else 503
    return JSONResponse(
        status_code=code, content={"status": code, "data": report.model_dump(mode="json")}
    )


# ------------------------------------------------------------------ API keys (user session)


@router.get("/api-keys")
def list_api_keys(principal: ToraPrincipal) -> Envelope[list[ApiKeyOut]]:
    return Envelope(status=200, data=[_api_key(key) for key in api_keys.list_api_keys(principal)])


@router.post("/api-keys", status_code=status.HTTP_201_CREATED, responses=answers(409))
def create_api_key(principal: ToraPrincipal, body: ApiKeyIn) -> Envelope[ApiKeyCreatedOut]:
    created = api_keys.create_api_key(principal, ApiKeyCreateRequest(name=body.name))
    return Envelope(
        status=201,
        data=ApiKeyCreatedOut(
            id=created.id,
            name=created.name,
            created_at=created.created_at,
            revoked=False,
            key=created.key,
        ),
    )


@router.delete("/api-keys/{key_id}")
def revoke_api_key(principal: ToraPrincipal, key_id: UUID) -> StatusOnly:
    api_keys.revoke_api_key(principal, key_id)
    return StatusOnly(status=200)


# ------------------------------------------------------------------ settings


def _visible_api_keys(principal: Principal) -> list[ApiKeyOut]:
    # Keys are listed to a user session only: an API key never learns about the others.
    if principal.method != "jwt":
        return []
    return [_api_key(key) for key in api_keys.list_api_keys(principal)]


@router.get("/settings")
def settings(principal: ToraPrincipal) -> SettingsOut:
    user = accounts.current_user(principal)
    return SettingsOut(
        user=SessionUserOut(id=user.id, email=user.email),
        workspaces=[tora_shapes.workspace(view) for view in workspaces.list_workspaces(principal)],
        apiKeys=_visible_api_keys(principal),
        invitations=[
            tora_shapes.invitation(view) for view in invitations.list_my_invitations(principal)
        ],
    )
