"""Media of a run: upload grants (presigned POSTs straight to S3), inline text and
histograms, listing with download URLs, one item, deletion."""

from typing import Annotated
from uuid import UUID

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter, Query, Response, status

from wavedb_core.http import AuthenticatedPrincipal, answers, create_app, http_handler
from wavedb_core.models.media import (
    DEFAULT_MEDIA_PAGE,
    MAX_MEDIA_PAGE,
    MediaCreated,
    MediaCreateRequest,
    MediaKind,
    MediaNameList,
    MediaPage,
    MediaStatus,
    MediaView,
)
from wavedb_core.models.metrics import MAX_METRIC_NAME_LENGTH, MAX_STEP
from wavedb_core.pagination import CURSOR_DESCRIPTION, MAX_CURSOR_LENGTH
from wavedb_core.services import media

router = APIRouter(tags=["media"])

StepQuery = Annotated[int | None, Query(ge=0, le=MAX_STEP)]


@router.post("/v1/runs/{run_id}/media", status_code=status.HTTP_201_CREATED, responses=answers(409))
def create_media(
    principal: AuthenticatedPrincipal, run_id: UUID, body: MediaCreateRequest
) -> MediaCreated:
    """Images, audio, files and long text answer a presigned POST (`upload`): post its
    `fields` and then the file to its `url`; the item becomes `ready` once the bytes are
    checked. Short text and histograms are stored at once."""
    return media.create_media(principal, run_id, body)


@router.get("/v1/runs/{run_id}/media")
def list_media(
    principal: AuthenticatedPrincipal,
    run_id: UUID,
    name: Annotated[str | None, Query(min_length=1, max_length=MAX_METRIC_NAME_LENGTH)] = None,
    kind: MediaKind | None = None,
    media_status: Annotated[MediaStatus | None, Query(alias="status")] = None,
    step_min: StepQuery = None,
    step_max: StepQuery = None,
    limit: Annotated[int, Query(ge=1, le=MAX_MEDIA_PAGE)] = DEFAULT_MEDIA_PAGE,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description=CURSOR_DESCRIPTION)
    ] = None,
) -> MediaPage:
    """By name, then step; ready items carry a short-lived download `url`."""
    where = media.MediaFilter(
        name=name, kind=kind, status=media_status, step_min=step_min, step_max=step_max
    )
    return media.list_media(principal, run_id, where, limit=limit, cursor=cursor)


@router.get("/v1/runs/{run_id}/media/names")
def media_names(principal: AuthenticatedPrincipal, run_id: UUID) -> MediaNameList:
    """Each media name with its kind, counts and step range (for galleries and sliders)."""
    return MediaNameList(items=media.media_names(principal, run_id))


@router.get("/v1/runs/{run_id}/media/{media_id}")
def get_media(principal: AuthenticatedPrincipal, run_id: UUID, media_id: UUID) -> MediaView:
    return media.get_media(principal, run_id, media_id)


@router.delete("/v1/runs/{run_id}/media/{media_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_media(principal: AuthenticatedPrincipal, run_id: UUID, media_id: UUID) -> Response:
    media.delete_media(principal, run_id, media_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


app = create_app(router, title="media")
handler = http_handler(app)
