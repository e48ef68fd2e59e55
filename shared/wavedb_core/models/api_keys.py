"""API keys: created once in plain text, then only ever described."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import ConfigDict, Field, field_validator, model_validator

from wavedb_core.models.base import (
    NonBlankText,
    RequestModel,
    ResponseModel,
)
from wavedb_core.vocabulary import ApiKeyScope

ApiKeyName = Annotated[str, NonBlankText(100)]


def rate_limit_schema(schema: dict[str, Any]) -> None:
    """The document states the deployment's ceiling, which the API keys service applies
    (read when the document is made, never on a request)."""
    from wavedb_core.settings import get_settings

    ceiling = get_settings().api_key_max_rate_limit_per_minute
    for choice in schema.get("anyOf", [schema]):
        if choice.get("type") == "integer":
            choice["maximum"] = ceiling


class ApiKeyCreateRequest(RequestModel):
    """`expires_at` and `expires_in_days` are alternatives: give one of them, or neither
    (the key never expires)."""

    model_config = ConfigDict(
        json_schema_extra={
            "not": {
                "required": ["expires_at", "expires_in_days"],
                "properties": {
                    "expires_at": {"type": "string"},
                    "expires_in_days": {"type": "integer"},
                },
            }
        }
    )

    name: ApiKeyName
    scopes: list[ApiKeyScope] = Field(default=["read", "write"], min_length=1)
    expires_at: datetime | None = Field(
        default=None,
        description="When the key stops working: a future time, with its time zone.",
    )
    expires_in_days: int | None = Field(default=None, ge=1, le=3650)
    rate_limit_per_minute: int | None = Field(
        default=None,
        ge=1,
        description="Requests per minute for this key; at most the server's ceiling"
        " (API_KEY_MAX_RATE_LIMIT_PER_MINUTE, 12000 by default). The user's own limit,"
        " shared by all of the user's keys and sessions, applies as well.",
        json_schema_extra=rate_limit_schema,
    )

    @field_validator("scopes")
    @classmethod
    def _unique_scopes(cls, scopes: list[ApiKeyScope]) -> list[ApiKeyScope]:
        return sorted(set(scopes))

    @field_validator("expires_at")
    @classmethod
    def _aware(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must include a time zone (e.g. 2027-01-01T00:00:00Z)")
        return value

    @model_validator(mode="after")
    def _one_expiry(self) -> ApiKeyCreateRequest:
        if self.expires_at is not None and self.expires_in_days is not None:
            raise ValueError("give expires_at or expires_in_days, not both")
        return self


class ApiKeyOut(ResponseModel):
    id: UUID
    name: str
    prefix: str = Field(description="The first, public part of the key, to recognise it.")
    scopes: list[ApiKeyScope]
    rate_limit_per_minute: int | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime | None


class ApiKeyCreated(ApiKeyOut):
    key: str = Field(description="The key itself. Shown only in this answer: store it now.")
