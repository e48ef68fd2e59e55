"""Runs: create, read, list, change, delete, heartbeats, and crash detection.

Every function that takes a `principal` checks access through `services.access` and runs
in its own transaction; what the caller cannot see is a 404, what it may only read a 403.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any, TypeGuard, TypeVar
from uuid import UUID

from aws_lambda_powertools import Logger

from wavedb_core.db.connection import Connection, transaction
from wavedb_core.db.retries import retried_on_deadlock
from wavedb_core.errors import Conflict, NotFound, ValidationFailed
from wavedb_core.models.base import NUL_REFUSED, WHITE_SPACE_CHARACTERS, contains_nul
from wavedb_core.models.metrics import RunSummary
from wavedb_core.models.runs import (
    DEFAULT_RUN_SORT,
    EARLIEST_CLIENT_TIME,
    ENDED_STATUSES,
    MAX_DESCRIPTION_LENGTH,
    MAX_NAME_LENGTH,
    MAX_NOTES_LENGTH,
    RUN_STATUSES,
    STARTING_STATUSES,
    check_config,
    check_provenance,
    check_tags,
)
from wavedb_core.pagination import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE
from wavedb_core.principal import Principal
from wavedb_core.repositories import runs as repository
from wavedb_core.repositories.run_search import Scope
from wavedb_core.services import run_search, summaries
from wavedb_core.services.access import (
    READ,
    WRITE,
    require_project,
    require_run,
    require_workspace,
)
from wavedb_core.vocabulary import RunStatus

logger = Logger(child=True)

T = TypeVar("T")


# What the services answer: the stored run, timestamps in UTC.
RunView = repository.RunRow


@dataclass(frozen=True)
class RunPage:
    items: list[RunView]
    next_cursor: str | None


def _utc(moment: datetime | None) -> datetime | None:
    return None if moment is None else moment.astimezone(UTC)


def _view(row: repository.RunRow) -> RunView:
    return replace(
        row,
        tags=list(row.tags),
        created_at=row.created_at.astimezone(UTC),
        updated_at=row.updated_at.astimezone(UTC),
        started_at=_utc(row.started_at),
        ended_at=_utc(row.ended_at),
        heartbeat_at=_utc(row.heartbeat_at),
    )


# ---------------------------------------------------------------- input rules


def _invalid(field: str, message: str) -> ValidationFailed:
    return ValidationFailed(
        f"{field}: {message}", details=[{"location": field, "message": message}]
    )


def _text(field: str, value: str | None, *, maximum: int, minimum: int = 0) -> str | None:
    if value is None:
        return None
    if contains_nul(value):
        raise _invalid(field, NUL_REFUSED)
    if not minimum <= len(value) <= maximum:
        raise _invalid(field, f"must be {minimum} to {maximum} characters")
    return value


def _name(value: str | None) -> str | None:
    return _text(
        "name",
        None if value is None else value.strip(WHITE_SPACE_CHARACTERS),
        maximum=MAX_NAME_LENGTH,
        minimum=1,
    )


def _checked(field: str, check: Callable[[T], T], value: T) -> T:
    """`check(value)`, its ValueError raised as the 422 naming `field`."""
    try:
        return check(value)
    except ValueError as error:
        raise _invalid(field, str(error)) from error


def _config(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("config", "must be a JSON object")
    return _checked("config", check_config, value)


def _provenance(value: dict[str, Any] | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise _invalid("provenance", "must be a JSON object")
    if contains_nul(value):
        raise _invalid("provenance", NUL_REFUSED)
    return _checked("provenance", check_provenance, value)


def _client_time(moment: datetime | None, *, now: datetime) -> datetime | None:
    """A start or end time the client measured: a run synced later keeps the times of its
    training. A time after the server's clock (a skewed client) or before
    EARLIEST_CLIENT_TIME (a clock never set) is taken as now."""
    if moment is None:
        return None
    if moment > now or moment < EARLIEST_CLIENT_TIME:
        return now
    return moment


def _tags(value: Iterable[str] | None) -> list[str] | None:
    if value is None:
        return None
    tags = list(value)
    if contains_nul(tags):
        raise _invalid("tags", NUL_REFUSED)
    return _checked("tags", check_tags, tags)


def _status(value: str | None, allowed: frozenset[str]) -> RunStatus | None:
    """`value` if it is one of `allowed` (run statuses), None if it is None."""
    if value is None:
        return None
    if value not in allowed or not _is_run_status(value):
        raise _invalid("status", f"must be one of {', '.join(sorted(allowed))}")
    return value


def _is_run_status(value: str) -> TypeGuard[RunStatus]:
    return value in RUN_STATUSES


_ADJECTIVES = (
    "amber", "bold", "brave", "bright", "calm", "clever", "cosmic", "crimson", "daring", "eager",
    "fancy", "gentle", "golden", "happy", "hidden", "jolly", "keen", "lively", "lucky", "mellow",
    "misty", "noble", "polar", "proud", "quiet", "rapid", "silent", "silver", "solar", "swift",
    "vivid", "wild",
)  # fmt: skip
_NOUNS = (
    "badger", "breeze", "canyon", "comet", "dawn", "delta", "falcon", "fern", "forest", "glacier",
    "harbor", "heron", "lake", "lynx", "meadow", "meteor", "moon", "nebula", "otter", "panda",
    "pine", "planet", "raven", "river", "sky", "sparrow", "star", "storm", "sun", "tiger",
    "valley", "wave",
)  # fmt: skip


def generated_run_name() -> str:
    """A readable name such as `swift-otter-17`."""
    return f"{secrets.choice(_ADJECTIVES)}-{secrets.choice(_NOUNS)}-{secrets.randbelow(999) + 1}"


# ---------------------------------------------------------------- runs


def create_run(
    principal: Principal,
    project_id: UUID,
    *,
    name: str | None = None,
    description: str = "",
    config: dict[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    notes: str = "",
    status: str = "running",
) -> RunView:
    """A new run in the project (member or above); `running` runs start now."""
    view, _ = create_run_once(
        principal,
        project_id,
        name=name,
        description=description,
        config=config,
        tags=tags,
        notes=notes,
        status=status,
    )
    return view


def create_run_once(
    principal: Principal,
    project_id: UUID,
    *,
    run_id: UUID | None = None,
    name: str | None = None,
    description: str = "",
    config: dict[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    notes: str = "",
    status: str = "running",
    provenance: dict[str, Any] | None = None,
    started_at: datetime | None = None,
) -> tuple[RunView, bool]:
    """The run, and whether it is new. With a client-chosen `run_id`, a retry answers the
    run created the first time (unchanged); an id taken outside the project is a Conflict.
    `started_at`: when the run started on the client (see `_client_time`)."""
    checked_name = _name(name) or generated_run_name()
    checked_provenance = _provenance(provenance)
    checked_start = _client_time(_aware("started_at", started_at), now=datetime.now(UTC))
    checked_description = _text("description", description, maximum=MAX_DESCRIPTION_LENGTH)
    checked_notes = _text("notes", notes, maximum=MAX_NOTES_LENGTH)
    checked_status = _status(status, STARTING_STATUSES)
    with transaction() as connection:
        project = require_project(connection, principal, project_id, WRITE)
        row = repository.insert_run(
            connection,
            run_id=run_id,
            project_id=project.project_id,
            workspace_id=project.workspace_id,
            name=checked_name,
            description=checked_description or "",
            config=_config(config) or {},
            tags=_tags(tags) or [],
            notes=checked_notes or "",
            status=checked_status or "running",
            created_by=principal.user_id,
            provenance=checked_provenance,
            started_at=checked_start,
        )
        if row is None:
            existing = repository.find_run(connection, run_id) if run_id else None
            if existing is None or existing.project_id != project.project_id:
                raise Conflict("this run id is already used by another run", code="run_id_conflict")
            return _view(existing), False
    logger.info("run created", extra={"run_id": str(row.id), "project_id": str(project_id)})
    return _view(row), True


def get_run(principal: Principal, run_id: UUID) -> RunView:
    with transaction() as connection:
        require_run(connection, principal, run_id, READ)
        row = repository.find_run(connection, run_id)
    if row is None:
        raise NotFound("run not found", code="run_not_found")
    return _view(row)


def get_runs(principal: Principal, run_ids: Sequence[UUID]) -> list[RunView]:
    """The runs the caller can see among `run_ids`, in that order (others are left out)."""
    wanted = list(dict.fromkeys(run_ids))
    if not wanted:
        return []
    with transaction() as connection:
        rows = repository.find_visible_runs(connection, principal.user_id, wanted)
    by_id = {row.id: row for row in rows}
    return [_view(by_id[run_id]) for run_id in wanted if run_id in by_id]


def update_run(
    principal: Principal,
    run_id: UUID,
    *,
    name: str | None = None,
    description: str | None = None,
    config: dict[str, Any] | None = None,
    tags: Sequence[str] | None = None,
    notes: str | None = None,
    status: str | None = None,
    provenance: dict[str, Any] | None = None,
    ended_at: datetime | None = None,
) -> RunView:
    """Change the given fields (None: unchanged; member or above). An ending status sets
    `ended_at` if unset, or to the client's `ended_at` when given; `running` sets
    `started_at` if unset and clears `ended_at`."""
    checked_name = _name(name)
    checked_description = _text("description", description, maximum=MAX_DESCRIPTION_LENGTH)
    checked_config = _config(config)
    checked_tags = _tags(tags)
    checked_notes = _text("notes", notes, maximum=MAX_NOTES_LENGTH)
    checked_status = _status(status, RUN_STATUSES)
    checked_provenance = _provenance(provenance)
    # A client's end time only goes with a status that ends the run.
    ended = ended_at if checked_status in ENDED_STATUSES else None
    checked_end = _client_time(_aware("ended_at", ended), now=datetime.now(UTC))
    with transaction() as connection:
        require_run(connection, principal, run_id, WRITE)
        row = repository.update_run(
            connection,
            run_id,
            name=checked_name,
            description=checked_description,
            config=checked_config,
            tags=checked_tags,
            notes=checked_notes,
            status=checked_status,
            provenance=checked_provenance,
            ended_at=checked_end,
        )
    if row is None:
        raise NotFound("run not found", code="run_not_found")
    if status is not None:
        logger.info("run status changed", extra={"run_id": str(run_id), "status": status})
    return _view(row)


@retried_on_deadlock
def delete_run(principal: Principal, run_id: UUID) -> None:
    """Delete the run and everything recorded for it (member or above)."""
    with transaction() as connection:
        require_run(connection, principal, run_id, WRITE)
        if not repository.delete_run(connection, run_id):
            raise NotFound("run not found", code="run_not_found")
    logger.info("run deleted", extra={"run_id": str(run_id)})


def record_heartbeat(principal: Principal, run_id: UUID) -> RunView:
    """A sign of life from the run's process (member or above). A `crashed` run is
    `running` again; a run that finished, failed or was canceled answers 409."""
    with transaction() as connection:
        require_run(connection, principal, run_id, WRITE)
        row = repository.record_heartbeat(connection, run_id)
        if row is None:
            current = repository.find_run(connection, run_id)
            if current is None:
                raise NotFound("run not found", code="run_not_found")
            raise Conflict(
                f"the run has ended ({current.status}); it takes no more heartbeats",
                code="run_ended",
                details={"status": current.status},
            )
    return _view(row)


# ---------------------------------------------------------------- listing


def _statuses(values: Iterable[str] | None) -> list[str] | None:
    """Statuses given repeatedly and/or as comma-separated lists."""
    if values is None:
        return None
    statuses = [part.strip() for value in values for part in value.split(",") if part.strip()]
    for value in statuses:
        _status(value, RUN_STATUSES)
    return list(dict.fromkeys(statuses)) or None


def _aware(field: str, moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        raise _invalid(field, "must include a time zone (e.g. 2027-01-01T00:00:00Z)")
    return moment


def list_runs(
    principal: Principal,
    *,
    workspace_id: UUID | None = None,
    project_id: UUID | None = None,
    statuses: Iterable[str] | None = None,
    tags: Sequence[str] | None = None,
    name_contains: str | None = None,
    created_after: datetime | None = None,
    created_before: datetime | None = None,
    filter: str | None = None,
    sort: str = DEFAULT_RUN_SORT,
    limit: int = DEFAULT_PAGE_SIZE,
    cursor: str | None = None,
) -> RunPage:
    """A page of the runs the caller can see, narrowed to a workspace or a project (404 if
    not visible), by the simple filters (every given tag must be present) and by `filter`,
    written in the run filter language (wavedb_core.run_query), in `sort` order."""
    if not 1 <= limit <= MAX_PAGE_SIZE:
        raise _invalid("limit", f"must be 1 to {MAX_PAGE_SIZE}")
    request = run_search.parse_request(filter, sort)
    filters = repository.RunFilters(
        workspace_id=workspace_id,
        project_id=project_id,
        statuses=_statuses(statuses),
        tags=_tags(tags) or None,
        name_contains=_text("name_contains", name_contains, maximum=MAX_NAME_LENGTH) or None,
        created_after=_aware("created_after", created_after),
        created_before=_aware("created_before", created_before),
    )
    scope = Scope(user_id=principal.user_id, workspace_id=workspace_id, project_id=project_id)
    with transaction() as connection:
        if workspace_id is not None:
            require_workspace(connection, principal, workspace_id, READ)
        if project_id is not None:
            require_project(connection, principal, project_id, READ)
        found, next_cursor = run_search.search_page(
            connection, scope, filters, request, limit=limit, cursor=cursor
        )
    return RunPage(items=[_view(item.row) for item in found], next_cursor=next_cursor)


# ---------------------------------------------------------------- summaries


def run_summaries(runs: Sequence[RunView]) -> dict[UUID, RunSummary]:
    """Each run's latest metric values and results (for runs the caller already sees)."""
    if not runs:
        return {}
    with transaction() as connection:
        return summaries.run_summaries(connection, [run.id for run in runs])


# ---------------------------------------------------------------- crash detection


def mark_silent_runs_crashed(connection: Connection, *, silent_for: timedelta) -> int:
    """Mark `crashed` the running runs silent for longer than `silent_for`; how many."""
    crashed = repository.mark_silent_runs_crashed(connection, silent_for=silent_for)
    if crashed:
        logger.info("silent runs marked crashed", extra={"crashed": crashed})
    return crashed
