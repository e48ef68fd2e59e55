"""Runs (Tora: experiments, WaveDB: runners): their limits, requests and answers."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any, get_args
from uuid import UUID

from pydantic import AfterValidator, BeforeValidator, Field, StringConstraints

from wavedb_core.models.base import (
    WHITE_SPACE_CHARACTERS,
    NonBlankText,
    RequestModel,
    ResponseModel,
    Rfc3339Time,
)
from wavedb_core.vocabulary import RunStatus, StartingStatus

RUN_STATUSES: frozenset[str] = frozenset(get_args(RunStatus))
STARTING_STATUSES: frozenset[str] = frozenset(get_args(StartingStatus))
# A run in one of these has stopped; `ended_at` says when.
ENDED_STATUSES: frozenset[str] = frozenset({"finished", "failed", "crashed", "canceled"})
# Any field of the run filter language (wavedb_core.run_query), "-" first for descending.
DEFAULT_RUN_SORT = "-created_at"

MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 5_000
MAX_NOTES_LENGTH = 20_000
MAX_TAGS = 50
MAX_TAG_LENGTH = 64
MAX_CONFIG_BYTES = 64 * 1024
MAX_CONFIG_DEPTH = 64
MAX_PROVENANCE_BYTES = 64 * 1024
MAX_PROVENANCE_DEPTH = 64
MAX_BATCH_GET_IDS = 100
# A client's start or end time lies between this and now (an offline run synced later, logs
# imported years after their training); an earlier one is a clock that was never set, and
# is taken as now.
EARLIEST_CLIENT_TIME = datetime(2000, 1, 1, tzinfo=UTC)

RunName = Annotated[str, NonBlankText(MAX_NAME_LENGTH)]
RunDescription = Annotated[str, StringConstraints(max_length=MAX_DESCRIPTION_LENGTH)]
RunNotes = Annotated[str, StringConstraints(max_length=MAX_NOTES_LENGTH)]
RunTag = Annotated[str, NonBlankText(MAX_TAG_LENGTH)]


def _depth(value: object) -> int:
    """How deeply lists and objects nest inside `value` (a scalar is 0)."""
    deepest = 0
    pending: list[tuple[object, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            deepest = max(deepest, depth + 1)
            pending.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            deepest = max(deepest, depth + 1)
            pending.extend((child, depth + 1) for child in item)
    return deepest


def check_config(config: dict[str, Any]) -> dict[str, Any]:
    """A run's config: a JSON object of at most MAX_CONFIG_BYTES, finite numbers only."""
    return _check_object(config, "config", MAX_CONFIG_BYTES, MAX_CONFIG_DEPTH)


def check_provenance(provenance: dict[str, Any]) -> dict[str, Any]:
    """Where a run came from: a JSON object of at most MAX_PROVENANCE_BYTES."""
    return _check_object(provenance, "provenance", MAX_PROVENANCE_BYTES, MAX_PROVENANCE_DEPTH)


def _check_object(
    value: dict[str, Any], what: str, max_bytes: int, max_depth: int
) -> dict[str, Any]:
    if _depth(value) > max_depth:
        raise ValueError(f"the {what} may nest at most {max_depth} levels deep")
    try:
        encoded = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        raise ValueError(f"the {what} may hold only finite numbers (no NaN or Infinity)") from error
    try:
        size = len(encoded.encode())
    except UnicodeEncodeError as error:
        raise ValueError(f"the {what} holds text that is not valid Unicode") from error
    if size > max_bytes:
        raise ValueError(f"the {what} exceeds {max_bytes} bytes once encoded as JSON")
    return value


def check_tags(tags: list[str]) -> list[str]:
    """A run's tags without surrounding white space or repeats, in their first order."""
    cleaned = list(dict.fromkeys(tag.strip(WHITE_SPACE_CHARACTERS) for tag in tags))
    if len(cleaned) > MAX_TAGS:
        raise ValueError(f"a run may carry at most {MAX_TAGS} tags")
    for tag in cleaned:
        if not 1 <= len(tag) <= MAX_TAG_LENGTH:
            raise ValueError(f"each tag must be 1 to {MAX_TAG_LENGTH} characters")
    return cleaned


def _nesting_at_most(what: str, max_depth: int) -> BeforeValidator:
    """Refuses a document nested deeper than `max_depth` before anything walks it."""

    def check(value: object) -> object:
        if _depth(value) > max_depth:
            raise ValueError(f"the {what} may nest at most {max_depth} levels deep")
        return value

    return BeforeValidator(check)


RunConfig = Annotated[
    dict[str, Any], _nesting_at_most("config", MAX_CONFIG_DEPTH), AfterValidator(check_config)
]
RunProvenance = Annotated[
    dict[str, Any],
    _nesting_at_most("provenance", MAX_PROVENANCE_DEPTH),
    AfterValidator(check_provenance),
]
RunTags = Annotated[list[RunTag], Field(max_length=MAX_TAGS), AfterValidator(check_tags)]


class RunCreateRequest(RequestModel):
    id: UUID | None = Field(
        default=None,
        description="A client-chosen run id, which makes creating the run safe to retry: the"
        " same id in the same project answers the existing run (200) unchanged; an id used"
        " elsewhere is a 409.",
    )
    name: RunName | None = Field(
        default=None, description="A readable name is generated when none is given."
    )
    description: RunDescription = ""
    config: RunConfig = Field(
        default_factory=dict, description="Hyperparameters and settings: any JSON object."
    )
    tags: RunTags = Field(default_factory=list)
    notes: RunNotes = ""
    status: StartingStatus = "running"
    provenance: RunProvenance | None = Field(
        default=None,
        description="Where the run came from (git, host, command line, packages, GPUs...).",
    )
    started_at: Rfc3339Time | None = Field(
        default=None,
        description="When the run started on the client (an offline or delayed run syncs"
        " later): its created and started times. A time after the server's clock, or before"
        " 2000 (a clock never set), is taken as now.",
    )


class RunUpdateRequest(RequestModel):
    """Only the fields given change. A status that ends the run sets `ended_at`;
    `running` resumes it (sets `started_at` if unset, clears `ended_at`)."""

    name: RunName | None = None
    description: RunDescription | None = None
    config: RunConfig | None = None
    tags: RunTags | None = None
    notes: RunNotes | None = None
    status: RunStatus | None = None
    provenance: RunProvenance | None = Field(
        default=None, description="Replaces the provenance's top-level keys given."
    )
    ended_at: Rfc3339Time | None = Field(
        default=None,
        description="With a status that ends the run (ignored otherwise): when it ended on"
        " the client (taken as now outside the bounds of a new run's `started_at`, and never"
        " before the run started).",
    )


class RunBatchGetRequest(RequestModel):
    ids: list[UUID] = Field(min_length=1, max_length=MAX_BATCH_GET_IDS)


class RunOut(ResponseModel):
    id: UUID
    project_id: UUID
    workspace_id: UUID
    name: str
    description: str
    config: dict[str, Any]
    tags: list[str]
    notes: str
    status: RunStatus
    created_by: UUID | None
    created_at: datetime
    updated_at: datetime
    started_at: datetime | None
    ended_at: datetime | None
    heartbeat_at: datetime | None
    provenance: dict[str, Any] | None = Field(
        default=None, description="Where the run came from, as its SDK recorded it."
    )
    summary: dict[str, Any] | None = Field(
        default=None,
        description="Each metric's latest value, range and count, and the run's results"
        " (in reads; null in the answers of writes).",
    )


class RunPageOut(ResponseModel):
    items: list[RunOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null at end.")


class RunBatchOut(ResponseModel):
    items: list[RunOut]


class RunHeartbeatOut(ResponseModel):
    id: UUID
    status: RunStatus
    heartbeat_at: datetime | None
