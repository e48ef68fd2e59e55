"""Accounts: sign up, log in, refresh, log out, confirm e-mail, and the current user."""

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter, status

from wavedb_core.http import (
    AuthenticatedPrincipal,
    ClientIp,
    OptionalPrincipal,
    answers,
    create_app,
    http_handler,
)
from wavedb_core.models.accounts import (
    ConfirmEmailRequest,
    LoginRequest,
    LogoutRequest,
    MessageResponse,
    RefreshRequest,
    SignupRequest,
    SignupResponse,
    TokenPair,
    UserOut,
)
from wavedb_core.services import accounts

router = APIRouter(tags=["auth"])


@router.post("/v1/auth/signup", status_code=status.HTTP_201_CREATED, responses=answers(409))
def signup(body: SignupRequest, ip: ClientIp) -> SignupResponse:
    return accounts.signup(
        email=str(body.email), password=body.password, name=body.name, client_ip=ip
    )


@router.post("/v1/auth/login", responses=answers(401, 403))
def login(body: LoginRequest, ip: ClientIp) -> TokenPair:
    return accounts.login(email=body.email, password=body.password, client_ip=ip)


@router.post("/v1/auth/refresh", responses=answers(401))
def refresh(body: RefreshRequest) -> TokenPair:
    return accounts.refresh(body.refresh_token)


@router.post("/v1/auth/logout")
def logout(principal: OptionalPrincipal, body: LogoutRequest | None = None) -> MessageResponse:
    accounts.logout(principal=principal, refresh_token=body.refresh_token if body else None)
    return MessageResponse(message="logged out")


@router.post("/v1/auth/confirm-email", responses=answers(401))
def confirm_email(body: ConfirmEmailRequest) -> UserOut:
    return accounts.confirm_email(body.token)


@router.get("/v1/me", responses=answers(404))
def me(principal: AuthenticatedPrincipal) -> UserOut:
    return accounts.current_user(principal)


app = create_app(router, title="auth")
handler = http_handler(app)
