"""Runs: create, list (per project or everywhere), read, batch read, change, delete, heartbeat."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Annotated, Any
from uuid import UUID

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter, Depends, Query, Response, status

from wavedb_core.http import (
    AuthenticatedPrincipal,
    ReadingPrincipal,
    answers,
    create_app,
    http_handler,
)
from wavedb_core.models.base import NOT_BLANK, Rfc3339Time
from wavedb_core.models.runs import (
    DEFAULT_RUN_SORT,
    MAX_NAME_LENGTH,
    MAX_TAG_LENGTH,
    MAX_TAGS,
    RUN_STATUSES,
    RunBatchGetRequest,
    RunBatchOut,
    RunCreateRequest,
    RunHeartbeatOut,
    RunOut,
    RunPageOut,
    RunUpdateRequest,
)
from wavedb_core.pagination import (
    CURSOR_DESCRIPTION,
    DEFAULT_PAGE_SIZE,
    MAX_CURSOR_LENGTH,
    MAX_PAGE_SIZE,
)
from wavedb_core.principal import Principal
from wavedb_core.run_query import MAX_FILTER_LENGTH, MAX_SORT_LENGTH
from wavedb_core.services import runs
from wavedb_core.services.runs import RunPage, RunView

router = APIRouter(tags=["runs"])

# What the listing's status filter takes (checked in services.runs): statuses separated by
# commas, each maybe surrounded by white space; empty parts are ignored.
_ANY_STATUS = "|".join(sorted(RUN_STATUSES))
STATUS_LIST = rf"^\s*(?:(?:{_ANY_STATUS})\s*)?(?:,\s*(?:(?:{_ANY_STATUS})\s*)?)*$"

StatusFilter = Annotated[
    list[Annotated[str, Query(max_length=200, json_schema_extra={"pattern": STATUS_LIST})]] | None,
    Query(
        alias="status",
        max_length=10,
        description="Repeat, or separate with commas: runs in any of these statuses.",
    ),
]
TagFilter = Annotated[
    list[Annotated[str, Query(max_length=MAX_TAG_LENGTH, json_schema_extra={"pattern": NOT_BLANK})]]
    | None,
    Query(
        alias="tag",
        max_length=MAX_TAGS,
        description="Runs carrying every one of these tags (each 1 to 64 characters once"
        " surrounding white space is removed).",
    ),
]
NameContains = Annotated[
    str | None, Query(max_length=MAX_NAME_LENGTH, description="Case-insensitive.")
]
CreatedAfter = Annotated[Rfc3339Time | None, Query(description="RFC 3339, exclusive.")]
CreatedBefore = Annotated[Rfc3339Time | None, Query(description="RFC 3339, exclusive.")]
RunFilterText = Annotated[
    str | None,
    Query(
        alias="filter",
        max_length=MAX_FILTER_LENGTH,
        description="Runs matching this filter, e.g. `config.lr < 1e-3 and loss.min < 0.5`"
        " (see the README's run search section). A malformed filter or an unknown field is a"
        " 400 naming the token and its position.",
    ),
]
Sort = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_SORT_LENGTH,
        description="A field of the filter language (`created_at`, `name`, `config.lr`,"
        " `metrics.loss.min`, `results.acc`...), `-` in front for descending; runs without"
        " the value come last.",
    ),
]
Limit = Annotated[int, Query(ge=1, le=MAX_PAGE_SIZE)]
Cursor = Annotated[str | None, Query(max_length=MAX_CURSOR_LENGTH, description=CURSOR_DESCRIPTION)]


def _out(view: RunView, summaries: Mapping[UUID, Any] | None = None) -> RunOut:
    summary = None if summaries is None else summaries.get(view.id)
    return RunOut.model_validate({**vars(view), "summary": summary})


def _with_summaries(views: Sequence[RunView]) -> list[RunOut]:
    summaries = runs.run_summaries(views)
    return [_out(view, summaries) for view in views]


def _page(page: RunPage) -> RunPageOut:
    return RunPageOut(items=_with_summaries(page.items), next_cursor=page.next_cursor)


@router.post(
    "/v1/projects/{project_id}/runs",
    status_code=status.HTTP_201_CREATED,
    responses={
        200: {
            "model": RunOut,
            "description": "A run with this client-chosen `id` already existed.",
        },
        **answers(409),
    },
)
def create_run(
    principal: AuthenticatedPrincipal,
    project_id: UUID,
    body: RunCreateRequest,
    response: Response,
) -> RunOut:
    view, created = runs.create_run_once(
        principal,
        project_id,
        run_id=body.id,
        name=body.name,
        description=body.description,
        config=body.config,
        tags=body.tags,
        notes=body.notes,
        status=body.status,
        provenance=body.provenance,
        started_at=body.started_at,
    )
    if not created:
        response.status_code = status.HTTP_200_OK
    return _out(view)


@dataclass
class RunFilters:
    """The query parameters both run listings take."""

    statuses: StatusFilter = None
    tags: TagFilter = None
    name_contains: NameContains = None
    created_after: CreatedAfter = None
    created_before: CreatedBefore = None
    filter: RunFilterText = None
    sort: Sort = DEFAULT_RUN_SORT
    limit: Limit = DEFAULT_PAGE_SIZE
    cursor: Cursor = None


Filters = Annotated[RunFilters, Depends()]


def _list(
    principal: Principal,
    filters: RunFilters,
    *,
    workspace_id: UUID | None = None,
    project_id: UUID | None = None,
) -> RunPageOut:
    return _page(
        runs.list_runs(principal, workspace_id=workspace_id, project_id=project_id, **vars(filters))
    )


@router.get("/v1/projects/{project_id}/runs")
def list_project_runs(
    principal: AuthenticatedPrincipal, project_id: UUID, filters: Filters
) -> RunPageOut:
    return _list(principal, filters, project_id=project_id)


@router.get("/v1/runs", responses=answers(404))
def list_runs(
    principal: AuthenticatedPrincipal,
    filters: Filters,
    workspace_id: UUID | None = None,
    project_id: UUID | None = None,
) -> RunPageOut:
    return _list(principal, filters, workspace_id=workspace_id, project_id=project_id)


@router.post("/v1/runs/batch-get")
def batch_get_runs(principal: ReadingPrincipal, body: RunBatchGetRequest) -> RunBatchOut:
    return RunBatchOut(items=_with_summaries(runs.get_runs(principal, body.ids)))


@router.get("/v1/runs/{run_id}")
def get_run(principal: AuthenticatedPrincipal, run_id: UUID) -> RunOut:
    [run] = _with_summaries([runs.get_run(principal, run_id)])
    return run


@router.patch("/v1/runs/{run_id}", responses=answers(409))
def update_run(principal: AuthenticatedPrincipal, run_id: UUID, body: RunUpdateRequest) -> RunOut:
    return _out(
        runs.update_run(
            principal,
            run_id,
            name=body.name,
            description=body.description,
            config=body.config,
            tags=body.tags,
            notes=body.notes,
            status=body.status,
            provenance=body.provenance,
            ended_at=body.ended_at,
        )
    )


@router.delete("/v1/runs/{run_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_run(principal: AuthenticatedPrincipal, run_id: UUID) -> Response:
    runs.delete_run(principal, run_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/v1/runs/{run_id}/heartbeat",
    responses={
        409: {"description": "The run has ended (`run_ended`): it takes no more heartbeats."}
    },
)
def record_heartbeat(principal: AuthenticatedPrincipal, run_id: UUID) -> RunHeartbeatOut:
    run = runs.record_heartbeat(principal, run_id)
    return RunHeartbeatOut.model_validate(
        {"id": run.id, "status": run.status, "heartbeat_at": run.heartbeat_at}
    )


app = create_app(router, title="runs")
handler = http_handler(app)
