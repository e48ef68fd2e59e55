"""Metrics of a run: ingest batches of points (queued), summaries, raw and downsampled
series, comparison across runs, CSV export, results and batch status."""

import re
from typing import Annotated
from uuid import UUID

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter, Query, Response, status
from fastapi.responses import StreamingResponse

from wavedb_core.errors import ValidationFailed
from wavedb_core.http import (
    AuthenticatedPrincipal,
    answers,
    create_app,
    http_handler,
    model_response,
)
from wavedb_core.models.base import ErrorBody
from wavedb_core.models.metric_columns import MetricBatchRequest
from wavedb_core.models.metrics import (
    DEFAULT_COMPARED_BUCKETS,
    DEFAULT_RAW_PAGE,
    MAX_COLUMNS_PAGE,
    MAX_COMPARED_RUNS,
    MAX_METRIC_NAME_LENGTH,
    MAX_RAW_PAGE,
    MAX_SERIES_BUCKETS,
    MAX_STEP,
    BatchAccepted,
    BatchReceipt,
    ComparedSeries,
    ComparedSeriesColumns,
    DownsampledSeries,
    DownsampledSeriesColumns,
    MetricSummaryList,
    RawSeriesColumnsPage,
    RawSeriesPage,
    ResultIn,
    ResultList,
    ResultsRequest,
    SeriesLayout,
)
from wavedb_core.pagination import CURSOR_DESCRIPTION, MAX_CURSOR_LENGTH
from wavedb_core.services import exports, ingest, metric_reads

router = APIRouter(tags=["metrics"])

MetricNameQuery = Annotated[
    str,
    Query(
        min_length=1,
        max_length=MAX_METRIC_NAME_LENGTH,
        description="The metric's name (in the query string: names may contain '/').",
    ),
]
StepQuery = Annotated[int | None, Query(ge=0, le=MAX_STEP)]
LayoutQuery = Annotated[
    SeriesLayout,
    Query(
        description="`buckets`: one object per bucket (or per raw point); `columns`: parallel"
        " arrays per field (smaller and faster for charts and history pages)."
    ),
]
BucketsQuery = Annotated[
    int | None,
    Query(ge=1, le=MAX_SERIES_BUCKETS, description="Downsample to at most this many buckets."),
]


@router.post(
    "/v1/runs/{run_id}/metrics",
    status_code=status.HTTP_202_ACCEPTED,
    responses={
        503: {"description": "The ingest queue or the database is unreachable (see Retry-After)"},
        **answers(409),
    },
)
def submit_points(
    principal: AuthenticatedPrincipal, run_id: UUID, body: MetricBatchRequest
) -> BatchAccepted:
    """Points as `points` (one object each) or as `series` (arrays per metric); a body
    may be sent gzip-compressed (`Content-Encoding: gzip`)."""
    if body.series is not None:
        receipt = ingest.submit_series(
            principal, run_id, batch_id=body.batch_id, series=body.series
        )
    else:
        receipt = ingest.submit_points(
            principal, run_id, batch_id=body.batch_id, points=body.points or []
        )
    return BatchAccepted(
        batch_id=receipt.batch_id, status=receipt.status, point_count=receipt.point_count
    )


@router.get("/v1/runs/{run_id}/metrics")
def list_metrics(principal: AuthenticatedPrincipal, run_id: UUID) -> MetricSummaryList:
    return MetricSummaryList(items=metric_reads.metric_summaries(principal, run_id))


@router.get("/v1/runs/{run_id}/metrics/batches/{batch_id}")
def get_batch(principal: AuthenticatedPrincipal, run_id: UUID, batch_id: str) -> BatchReceipt:
    return ingest.batch_status(principal, run_id, batch_id)


@router.get(
    "/v1/runs/{run_id}/series",
    response_model=DownsampledSeries
    | DownsampledSeriesColumns
    | RawSeriesPage
    | RawSeriesColumnsPage,
)
def get_series(
    principal: AuthenticatedPrincipal,
    run_id: UUID,
    name: MetricNameQuery,
    points: BucketsQuery = None,
    step_min: StepQuery = None,
    step_max: StepQuery = None,
    after_step: StepQuery = None,
    cursor: Annotated[
        str | None, Query(max_length=MAX_CURSOR_LENGTH, description=CURSOR_DESCRIPTION)
    ] = None,
    limit: Annotated[
        int | None,
        Query(
            ge=1,
            le=MAX_COLUMNS_PAGE,
            description=f"Raw points per page: at most {MAX_RAW_PAGE} one object each"
            f" (default {DEFAULT_RAW_PAGE}), at most {MAX_COLUMNS_PAGE} with"
            f" `layout=columns` (the default there).",
        ),
    ] = None,
    layout: LayoutQuery = "buckets",
) -> Response:
    """With `points`: at most that many buckets over the step range. Without: raw points by
    step, `limit` at a time (follow `next_cursor`): one object per point, or with
    `layout=columns` arrays of steps, values and times (µs), far smaller and faster."""
    if points is not None:
        return model_response(
            metric_reads.downsampled_series(
                principal,
                run_id,
                name,
                points=points,
                step_min=step_min,
                step_max=step_max,
                layout=layout,
            )
        )
    return model_response(
        metric_reads.raw_series(
            principal,
            run_id,
            name,
            limit=limit if limit is not None else _default_page(layout),
            after_step=after_step,
            cursor=cursor,
            step_min=step_min,
            step_max=step_max,
            layout="columns" if layout == "columns" else "points",
        )
    )


def _default_page(layout: SeriesLayout) -> int:
    return MAX_COLUMNS_PAGE if layout == "columns" else DEFAULT_RAW_PAGE


_UUID = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
# 1 to MAX_COMPARED_RUNS run ids (hyphenated UUIDs), separated by commas, each maybe with
# surrounding white space. The document states it; _run_ids applies it.
RUN_IDS_PATTERN = rf"^\s*{_UUID}\s*(?:,\s*{_UUID}\s*){{0,{MAX_COMPARED_RUNS - 1}}}$"
_RUN_IDS = re.compile(RUN_IDS_PATTERN)


def _run_ids(value: str) -> list[UUID]:
    if not _RUN_IDS.match(value):
        raise ValidationFailed(
            f"run_ids: 1 to {MAX_COMPARED_RUNS} run ids (UUIDs), separated by commas",
            details=[{"location": "query.run_ids", "message": "comma-separated UUIDs"}],
        )
    return [UUID(part.strip()) for part in value.split(",")]


@router.get(
    "/v1/series", response_model=ComparedSeries | ComparedSeriesColumns, responses=answers(404)
)
def compare_series(
    principal: AuthenticatedPrincipal,
    run_ids: Annotated[
        str,
        Query(
            min_length=1,
            max_length=2_000,
            description=f"Comma-separated run ids (≤ {MAX_COMPARED_RUNS}).",
            json_schema_extra={"pattern": RUN_IDS_PATTERN},
        ),
    ],
    name: MetricNameQuery,
    points: Annotated[int, Query(ge=1, le=MAX_SERIES_BUCKETS)] = DEFAULT_COMPARED_BUCKETS,
    step_min: StepQuery = None,
    step_max: StepQuery = None,
    layout: LayoutQuery = "buckets",
) -> Response:
    """One metric of several runs, downsampled over their shared step range."""
    return model_response(
        metric_reads.compared_series(
            principal,
            _run_ids(run_ids),
            name,
            points=points,
            step_min=step_min,
            step_max=step_max,
            layout=layout,
        )
    )


@router.get(
    "/v1/runs/{run_id}/metrics.csv",
    response_class=StreamingResponse,
    responses={
        200: {"content": {"text/csv": {}}, "description": "run_id,name,step,value,timestamp"},
        413: {
            "description": "Larger than a response may be: create an export job"
            " (POST /v1/runs/{run_id}/exports) and download it from its download_url",
            "model": ErrorBody,
        },
    },
)
def export_csv(principal: AuthenticatedPrincipal, run_id: UUID) -> StreamingResponse:
    """The run's points as CSV, when they fit in one response (6 MB); a larger run answers
    413 `export_required`, naming the export route."""
    exports.require_small_csv(principal, run_id)
    chunks = metric_reads.iter_points_csv(principal, run_id)
    return StreamingResponse(
        chunks,
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="run-{run_id}-metrics.csv"'},
    )


@router.post("/v1/runs/{run_id}/results")
def record_results(
    principal: AuthenticatedPrincipal, run_id: UUID, body: ResultsRequest
) -> ResultList:
    results = [ResultIn(name=name, value=value) for name, value in body.results.items()]
    return ResultList(items=ingest.record_results(principal, run_id, results))


@router.get("/v1/runs/{run_id}/results")
def list_results(principal: AuthenticatedPrincipal, run_id: UUID) -> ResultList:
    return ResultList(items=metric_reads.read_results(principal, run_id))


app = create_app(router, title="metrics")
handler = http_handler(app)
