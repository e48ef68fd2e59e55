"""WaveDB's request and answer bodies (camelCase, as its clients send and read them)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Generic, Literal, TypeVar
from uuid import UUID

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
)
from pydantic.alias_generators import to_camel

from wavedb_core.models.accounts import EmailAddress, new_password_schema
from wavedb_core.models.base import (
    NonBlankText,
    RequestModel,
    ResponseModel,
)
from wavedb_core.models.metrics import MetricName, Step
from wavedb_core.models.numbers import MetricValue
from wavedb_core.models.projects import ProjectName
from wavedb_core.models.runs import RunName, check_config
from wavedb_core.models.workspaces import Description as ProjectDescription

DataT = TypeVar("DataT")

Name = Annotated[str, NonBlankText(100)]
# The original server's minimum; the deployment's own minimum (PASSWORD_MIN_LENGTH, at
# least 8), which the document states, is applied by the accounts service, with the same
# error shape.
Password = Annotated[
    str, Field(min_length=6, max_length=256, json_schema_extra=new_password_schema)
]
OpaqueId = Annotated[str, Field(min_length=1, max_length=64)]
RunnerStatus = Literal["PENDING", "RUNNING", "COMPLETED", "FAILED", "CANCELED"]
MetricType = Literal["SCALAR", "IMAGE", "AUDIO", "TEXT"]
MAX_TAG_LENGTH = 256


class WaveDBAnswer(BaseModel, Generic[DataT]):
    """Every successful answer: a short message and the data."""

    message: str
    data: DataT


class CamelRequest(RequestModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=False)


class CamelResponse(ResponseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)


# ---------------------------------------------------------------- accounts


class WaveDBRegisterRequest(CamelRequest):
    """`name` or `username` is required (`name` is kept when both are given)."""

    model_config = ConfigDict(
        json_schema_extra={
            "anyOf": [
                {"required": [field], "properties": {field: {"type": "string"}}}
                for field in ("name", "username")
            ]
        }
    )

    name: Name | None = None
    username: Name | None = Field(default=None, description="Accepted in place of `name`.")
    email: EmailAddress
    password: Password


class WaveDBLoginRequest(CamelRequest):
    email: Annotated[str, Field(min_length=1, max_length=254)]
    password: Annotated[str, Field(min_length=1, max_length=256)]


class WaveDBRegisteredUser(CamelResponse):
    id: UUID
    name: str
    email: str


class WaveDBLoginData(ResponseModel):
    access_token: str


class WaveDBUserProfile(CamelResponse):
    id: UUID
    name: str
    email: str
    email_verified: bool
    image: str | None = None
    created_at: datetime


class WaveDBApiKeyRequest(CamelRequest):
    name: Name


class WaveDBApiKeyRecord(CamelResponse):
    id: UUID
    name: str
    key: str = Field(description="The key itself. Shown only in this answer: store it now.")
    prefix: str
    user_id: UUID
    permissions: list[str]
    rate_limit_enabled: bool
    created_at: datetime
    expires_at: datetime | None


# ---------------------------------------------------------------- projects and runners


class WaveDBProjectCreateRequest(CamelRequest):
    name: ProjectName
    description: ProjectDescription = ""


class WaveDBProjectData(CamelResponse):
    id: UUID
    name: str
    description: str


class WaveDBProjectListItem(CamelResponse):
    id: UUID
    name: str
    description: str
    created_at: datetime
    updated_at: datetime
    user_id: UUID | None


class WaveDBRunnerCreateRequest(CamelRequest):
    name: RunName
    project_id: OpaqueId
    config: dict[str, Any] | None = None

    @field_validator("config")
    @classmethod
    def _bounded_config(cls, config: dict[str, Any] | None) -> dict[str, Any] | None:
        return None if config is None else check_config(config)


class WaveDBRunnerData(CamelResponse):
    id: UUID
    name: str
    status: RunnerStatus
    project_id: UUID
    config: dict[str, Any]


class WaveDBRunnerDetails(WaveDBRunnerData):
    started_at: datetime | None
    ended_at: datetime | None


# ---------------------------------------------------------------- metrics


class WaveDBScalarMetricRequest(CamelRequest):
    name: MetricName
    value: MetricValue
    step: Step
    tag: Annotated[str, Field(max_length=MAX_TAG_LENGTH)] | None = None


class WaveDBRunnerMetric(CamelResponse):
    """One metric of a runner.

    SCALAR: `value` is the number logged. IMAGE, AUDIO and uploaded TEXT: `value` is the
    name of the stored object (`runs/{runId}/media/{id}`, as the original server kept the
    object's name) and `url` a short-lived presigned GET of its bytes; inline TEXT: `value`
    is the text (a preview of at most 2,000 characters in listings). `tag` is the media
    item's caption. `url` is left out of records without an object (scalars, inline text).
    """

    id: str
    name: str
    # str first: a string stays a string (an inline text "inf" is not a number).
    value: str | MetricValue
    step: int
    tag: str | None
    type: MetricType
    timestamp: datetime
    run_id: UUID
    url: str | None = None

    @model_serializer(mode="wrap")
    def _without_absent_url(self, serialize: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = serialize(self)
        if self.url is None:
            data.pop("url", None)
        return data


# ---------------------------------------------------------------- errors


class WaveDBErrorBody(ResponseModel):
    """Every error but a validation one; 401 is always `{"message": "unauthorized"}`."""

    name: str | None = None
    message: str


class WaveDBReason(ResponseModel):
    name: str = Field(description="The field, e.g. `projectId`, `limit`, `body`.")
    message: str


class WaveDBValidationErrorBody(ResponseModel):
    name: Literal["ValidationError"] = "ValidationError"
    message: Literal["validation failed"] = "validation failed"
    reasons: list[WaveDBReason]
