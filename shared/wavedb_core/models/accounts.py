"""Accounts: sign-up, log-in, tokens and the current user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from uuid import UUID

from pydantic import EmailStr, Field, StringConstraints

from wavedb_core.models.base import RequestModel, ResponseModel

Password = Annotated[str, Field(min_length=1, max_length=256)]
DisplayName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
OpaqueToken = Annotated[str, Field(min_length=1, max_length=256)]


class SignupRequest(RequestModel):
    email: Annotated[EmailStr, Field(max_length=254)]
    password: Password
    name: DisplayName


class LoginRequest(RequestModel):
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Password


class RefreshRequest(RequestModel):
    refresh_token: OpaqueToken


class LogoutRequest(RequestModel):
    refresh_token: OpaqueToken | None = None


class ConfirmEmailRequest(RequestModel):
    token: OpaqueToken


class UserOut(ResponseModel):
    id: UUID
    email: str
    name: str
    email_confirmed: bool
    created_at: datetime


class TokenPair(ResponseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int = Field(description="Seconds until the access token expires.")
    expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
    user: UserOut


class SignupResponse(ResponseModel):
    user: UserOut
    email_confirmation_required: bool
    tokens: TokenPair | None = Field(
        default=None, description="Present when the account may log in at once."
    )


class MessageResponse(ResponseModel):
    message: str
