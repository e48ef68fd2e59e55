"""Accounts: sign-up, log-in, tokens and the current user."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from pydantic import EmailStr, Field

from wavedb_core.models.base import (
    WHITE_SPACE,
    NonBlankText,
    RequestModel,
    ResponseModel,
    any_case,
)

Password = Annotated[str, Field(min_length=1, max_length=256)]
NEW_PASSWORD_RULES = (
    "At least PASSWORD_MIN_LENGTH characters, not the account's e-mail address or name, and"
    " not a common or easily guessed password (a few unrelated words make a good one);"
    " otherwise the request is refused naming `password` (422; 400 on the compatibility"
    " routes)."
)
# email-validator refuses addresses at special-use domains (RFC 6761 and the like).
SPECIAL_USE_DOMAINS = ("arpa", "invalid", "local", "localhost", "onion", "test")


def new_password_schema(schema: dict[str, Any]) -> None:
    """The document states the deployment's minimum, which the accounts service applies
    (read when the document is made, never on a request)."""
    from wavedb_core.settings import get_settings

    schema["minLength"] = get_settings().password_min_length
    schema["description"] = NEW_PASSWORD_RULES


NewPassword = Annotated[
    str, Field(min_length=1, max_length=256, json_schema_extra=new_password_schema)
]
_SPECIAL_USE = "|".join(any_case(domain) for domain in SPECIAL_USE_DOMAINS)
EmailAddress = Annotated[
    EmailStr,
    Field(
        max_length=254,
        description="A deliverable address: not at a special-use domain ("
        + ", ".join(f".{domain}" for domain in SPECIAL_USE_DOMAINS)
        + ").",
        json_schema_extra={
            "pattern": f"^(?![\\s\\S]*[@.](?:{_SPECIAL_USE}){WHITE_SPACE}*$)",
        },
    ),
]
DisplayName = Annotated[str, NonBlankText(100)]
OpaqueToken = Annotated[str, Field(min_length=1, max_length=256)]


class SignupRequest(RequestModel):
    email: EmailAddress
    password: NewPassword
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
