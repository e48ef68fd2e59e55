"""Tora's experiment routes: an experiment is a run of its workspace's "Default" project."""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Query, Response, status

from wavedb_core.db.connection import transaction
from wavedb_core.http import answers
from wavedb_core.pagination import MAX_PAGE_SIZE
from wavedb_core.principal import Principal
from wavedb_core.services import runs
from wavedb_core.services.access import WRITE, require_workspace
from wavedb_core.services.projects import default_project_id
from wavedb_core.services.workspaces import personal_workspace_id

import tora_api.shapes as tora_shapes
from tora_api.models import (
    Envelope,
    ExperimentBatchIn,
    ExperimentIn,
    ExperimentOut,
    ExperimentUpdateIn,
)
from tora_api.security import ToraPrincipal, ToraReadingPrincipal

router = APIRouter(tags=["tora: experiments"])

# Tora's lists are not paginated; an answer stops at this many experiments (the newest),
# which keeps it well inside a Lambda response.
MAX_LISTED_EXPERIMENTS = 5_000


def all_experiments(principal: Principal, *, workspace_id: UUID | None) -> list[ExperimentOut]:
    """The experiments the caller can see (in one workspace when given), newest first."""
    found: list[ExperimentOut] = []
    cursor: str | None = None
    while len(found) < MAX_LISTED_EXPERIMENTS:
        page = runs.list_runs(
            principal, workspace_id=workspace_id, limit=MAX_PAGE_SIZE, cursor=cursor
        )
        found.extend(tora_shapes.experiment(run) for run in page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    return found[:MAX_LISTED_EXPERIMENTS]


def _default_project(principal: Principal, workspace_id: UUID | None) -> UUID:
    """Where a Tora experiment goes: the workspace's "Default" project (the caller's
    personal workspace when none is named, as old scripts do)."""
    with transaction() as connection:
        if workspace_id is None:
            workspace_id = personal_workspace_id(connection, principal.user_id)
        require_workspace(connection, principal, workspace_id, WRITE)
        return default_project_id(connection, workspace_id=workspace_id, user_id=principal.user_id)


@router.get("/experiments", responses=answers(404))
def list_experiments(
    principal: ToraPrincipal,
    workspace: Annotated[
        UUID | None, Query(description="Only this workspace's experiments.")
    ] = None,
) -> Envelope[list[ExperimentOut]]:
    return Envelope(status=200, data=all_experiments(principal, workspace_id=workspace))


@router.post("/experiments", status_code=status.HTTP_201_CREATED, responses=answers(404))
def create_experiment(principal: ToraPrincipal, body: ExperimentIn) -> Envelope[ExperimentOut]:
    project_id = _default_project(principal, body.workspaceId)
    run = runs.create_run(
        principal,
        project_id,
        name=body.name,
        description=body.description or "",
        config=tora_shapes.hyperparams_config(body.hyperparams),
        tags=body.tags or [],
    )
    return Envelope(status=201, data=tora_shapes.experiment(run))


@router.post("/experiments/batch")
def get_experiments(
    principal: ToraReadingPrincipal, body: ExperimentBatchIn
) -> Envelope[list[ExperimentOut]]:
    found = runs.get_runs(principal, body.ids)
    return Envelope(status=200, data=[tora_shapes.experiment(run) for run in found])


@router.get("/experiments/{experiment_id}")
def get_experiment(principal: ToraPrincipal, experiment_id: UUID) -> Envelope[ExperimentOut]:
    return Envelope(status=200, data=tora_shapes.experiment(runs.get_run(principal, experiment_id)))


@router.put("/experiments/{experiment_id}")
def update_experiment(
    principal: ToraPrincipal, experiment_id: UUID, body: ExperimentUpdateIn
) -> Envelope[ExperimentOut]:
    run = runs.update_run(
        principal,
        experiment_id,
        name=body.name,
        description=body.description or "",
        tags=body.tags or [],
    )
    return Envelope(status=200, data=tora_shapes.experiment(run))


@router.delete("/experiments/{experiment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_experiment(principal: ToraPrincipal, experiment_id: UUID) -> Response:
    runs.delete_run(principal, experiment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
