"""Tora's request and answer shapes. Field names and casing are Tora's own (mixed on
purpose: `workspaceId` beside `created_at`), so existing clients read them unchanged."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import Field, StringConstraints, field_validator

from wavedb_core.models.accounts import EmailAddress, NewPassword
from wavedb_core.models.api_keys import ApiKeyName
from wavedb_core.models.base import (
    NonBlankText,
    RequestModel,
    ResponseModel,
    one_of_words,
)
from wavedb_core.models.metrics import MetricName
from wavedb_core.models.numbers import MetricValue
from wavedb_core.models.runs import (
    MAX_BATCH_GET_IDS,
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
)

DataT = TypeVar("DataT")

MAX_HYPERPARAMS = 500
MAX_LOGS_PER_BATCH = 10_000
MAX_LOG_METADATA_BYTES = 10_000
MAX_STEP = 2**53

Text = Annotated[str, StringConstraints(max_length=1_000)]
Name = Annotated[str, NonBlankText(255)]
ExperimentName = Annotated[str, NonBlankText(MAX_NAME_LENGTH)]
Tag = Annotated[str, NonBlankText(MAX_TAG_LENGTH)]
Password = Annotated[str, Field(min_length=1, max_length=256)]
HyperparamValue = str | bool | int | float | None


def invitable_role_schema(schema: dict[str, Any]) -> None:
    """`roleId`: what the invitation route takes (read when the document is made)."""
    from wavedb_core.services.invitations import INVITABLE_ROLES

    from tora_api.shapes import ROLE_IDS

    roles = sorted(INVITABLE_ROLES)
    spellings = [role.name for role in roles] + [str(ROLE_IDS[role]) for role in roles]
    schema["pattern"] = one_of_words(spellings, ignore_case=True)


# ------------------------------------------------------------------ envelope


class Envelope(ResponseModel, Generic[DataT]):
    """Tora's success envelope."""

    status: int
    data: DataT


class StatusOnly(ResponseModel):
    """Tora's success envelope without data."""

    status: int


class ToraErrorBody(ResponseModel):
    """Tora's error: `{"status", "error", "message", "details"?}`."""

    status: int
    error: str
    message: str
    details: str | None = None


class ToraAuthenticationFailure(ResponseModel):
    error: str
    message: str


class ToraAuthenticationFailedBody(ResponseModel):
    """Tora's 401 for a caller without usable credentials."""

    status: int
    data: ToraAuthenticationFailure


# ------------------------------------------------------------------ accounts


class SignupIn(RequestModel):
    email: EmailAddress
    password: NewPassword


class SignupOut(ResponseModel):
    message: str
    email: str


class LoginIn(RequestModel):
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Password


class RefreshIn(RequestModel):
    refresh_token: Annotated[str, Field(min_length=1, max_length=256)]


class SessionUserOut(ResponseModel):
    id: UUID
    email: str


class SessionOut(ResponseModel):
    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    expires_at: datetime
    refresh_token: str
    user: SessionUserOut


class MessageOut(ResponseModel):
    message: str


class ApiKeyIn(RequestModel):
    name: ApiKeyName


class ApiKeyOut(ResponseModel):
    id: UUID
    name: str
    created_at: datetime
    revoked: bool


class ApiKeyCreatedOut(ApiKeyOut):
    key: str


# ------------------------------------------------------------------ workspaces


class WorkspaceIn(RequestModel):
    name: Name
    description: Text | None = None


class WorkspaceOut(ResponseModel):
    id: UUID
    name: str
    description: str
    createdAt: datetime  # noqa: N815 - Tora's casing
    role: str


class MemberOut(ResponseModel):
    id: UUID
    email: str
    role: str
    joined_at: datetime


class RoleOut(ResponseModel):
    id: UUID
    name: str


class InvitationIn(RequestModel):
    workspaceId: UUID  # noqa: N815 - Tora's casing
    email: EmailAddress
    roleId: Annotated[  # noqa: N815
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=64),
        Field(
            description="An `id` of GET /workspace-roles, or a role's name in any case: ADMIN,"
            " MEMBER or VIEWER (invitations make no owners; anything else is a 400).",
            json_schema_extra=invitable_role_schema,
        ),
    ]


class InvitationOut(ResponseModel):
    id: UUID
    workspaceId: UUID  # noqa: N815 - Tora's casing
    workspaceName: str  # noqa: N815 - Tora's casing
    email: str
    role: str
    from_: str | None = Field(serialization_alias="from")
    created_at: datetime


InvitationAction = Literal["accept", "deny", "decline"]


# ------------------------------------------------------------------ experiments


class Hyperparam(RequestModel):
    key: Annotated[str, StringConstraints(min_length=1, max_length=100)]
    value: HyperparamValue


class ExperimentIn(RequestModel):
    name: ExperimentName
    workspaceId: UUID | None = None  # noqa: N815 - Tora's casing
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_LENGTH)] | None = None
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS)] | None = None
    hyperparams: Annotated[list[Hyperparam], Field(max_length=MAX_HYPERPARAMS)] | None = None


class ExperimentUpdateIn(RequestModel):
    name: ExperimentName
    description: Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_LENGTH)] | None = None
    tags: Annotated[list[Tag], Field(max_length=MAX_TAGS)] | None = None


class ExperimentBatchIn(RequestModel):
    ids: Annotated[list[UUID], Field(max_length=MAX_BATCH_GET_IDS)]


class HyperparamOut(ResponseModel):
    key: str
    value: Any


class ExperimentOut(ResponseModel):
    id: UUID
    name: str
    description: str
    hyperparams: list[HyperparamOut]
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    workspace_id: UUID
    url: str


# ------------------------------------------------------------------ logs


class LogIn(RequestModel):
    msg_id: UUID = Field(description="Makes the log idempotent: a re-sent log is stored once.")
    name: MetricName
    value: MetricValue
    step: Annotated[int, Field(ge=0, le=MAX_STEP)] | None = None
    metadata: dict[str, Any] | None = None

    @field_validator("metadata")
    @classmethod
    def _small_metadata(cls, metadata: dict[str, Any] | None) -> dict[str, Any] | None:
        if metadata is not None:
            try:
                encoded = json.dumps(metadata, allow_nan=False)
            except ValueError as error:
                raise ValueError("metadata may hold only finite numbers") from error
            if len(encoded.encode()) > MAX_LOG_METADATA_BYTES:
                raise ValueError(f"metadata exceeds {MAX_LOG_METADATA_BYTES} bytes")
        return metadata

    @property
    def is_result(self) -> bool:
        """Tora's results: tagged as such by the SDK, or logged without a step."""
        kind = (self.metadata or {}).get("type")
        return kind == "result" or self.step is None


class LogBatchIn(RequestModel):
    logs: Annotated[list[LogIn], Field(max_length=MAX_LOGS_PER_BATCH)]


class LogOut(ResponseModel):
    id: UUID
    experiment_id: UUID
    msg_id: UUID | None
    name: str
    value: MetricValue
    step: int | None
    metadata: dict[str, Any] | None
    created_at: datetime


# ------------------------------------------------------------------ settings


class SettingsOut(ResponseModel):
    user: SessionUserOut
    workspaces: list[WorkspaceOut]
    apiKeys: list[ApiKeyOut]  # noqa: N815 - Tora's casing
    invitations: list[InvitationOut]
