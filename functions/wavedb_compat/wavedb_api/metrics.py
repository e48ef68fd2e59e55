"""WaveDB's runner metrics: scalar points go through our ingest queue and are read back
from our metric points (the tag travels in the point's metadata); images, audio and text
are our media items (wavedb_api.media)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, Literal

from wavedb_core.errors import NotFound
from wavedb_core.models.metrics import PointOrder, PointView
from wavedb_core.principal import Principal
from wavedb_core.services import ingest, metric_reads

from wavedb_api.media import list_media_metrics
from wavedb_api.models import (
    MetricType,
    WaveDBRunnerMetric,
    WaveDBScalarMetricRequest,
)
from wavedb_api.tracking import parse_id, runner_not_found

DEFAULT_LIMIT = 100
MAX_LIMIT = 5_000

MetricOrder = Literal["timestamp", "step", "step_asc", "step_desc", "time_asc", "time_desc"]
_POINT_ORDERS: dict[MetricOrder, PointOrder] = {
    "timestamp": "time_asc",
    "step": "step_asc",
    "step_asc": "step_asc",
    "step_desc": "step_desc",
    "time_asc": "time_asc",
    "time_desc": "time_desc",
}
# Points logged by other clients carry no message id: theirs is derived from what they are.
_POINT_ID_NAMESPACE = uuid.UUID("6f1d2b3a-57c4-4e0b-9a51-3c9f7d2e8b40")


def _metadata(tag: str | None) -> dict[str, Any] | None:
    return {"tag": tag} if tag is not None else None


def _tag_of(metadata: object) -> str | None:
    if isinstance(metadata, dict):
        tag = metadata.get("tag")
        return tag if isinstance(tag, str) else None
    return None


def log_scalar(
    principal: Principal, runner_id: str, request: WaveDBScalarMetricRequest
) -> WaveDBRunnerMetric:
    """Queue one point; its id (also its message id) is the one answered now, so the stored
    point and this answer name the same metric."""
    run_id = parse_id(runner_id, what="runner")
    point_id = uuid.uuid4()
    logged_at = datetime.now(UTC)
    point = ingest.PointIn(
        name=request.name,
        value=request.value,
        step=request.step,
        timestamp=logged_at,
        msg_id=point_id,
        metadata=_metadata(request.tag),
    )
    try:
        ingest.submit_points(principal, run_id, batch_id=str(point_id), points=[point])
    except NotFound as error:
        raise runner_not_found() from error
    return WaveDBRunnerMetric(
        id=str(point_id),
        name=request.name,
        value=request.value,
        step=request.step,
        tag=request.tag,
        type="SCALAR",
        timestamp=logged_at,
        run_id=run_id,
    )


def _point_id(run_id: uuid.UUID, point: PointView) -> str:
    if point.msg_id is not None:
        return str(point.msg_id)
    identity = f"{run_id}/{point.name}/{point.step}/{point.logged_at.isoformat()}/{point.value!r}"
    return str(uuid.uuid5(_POINT_ID_NAMESPACE, identity))


def list_metrics(
    principal: Principal,
    runner_id: str,
    *,
    limit: int,
    offset: int,
    order_by: MetricOrder,
    metric_type: MetricType,
) -> list[WaveDBRunnerMetric]:
    """A page of the runner's metrics of one type: scalars are our metric points; images,
    audio and text are our ready media items of that kind."""
    run_id = parse_id(runner_id, what="runner")
    order = _POINT_ORDERS[order_by]
    if metric_type != "SCALAR":
        return list_media_metrics(
            principal, run_id, metric_type=metric_type, order=order, limit=limit, offset=offset
        )
    try:
        points = metric_reads.read_points(
            principal, run_id, order=order, limit=limit, offset=offset
        )
    except NotFound as error:
        raise runner_not_found() from error
    return [
        WaveDBRunnerMetric(
            id=_point_id(run_id, point),
            name=point.name,
            value=point.value,
            step=point.step,
            tag=_tag_of(point.metadata),
            type="SCALAR",
            timestamp=point.logged_at.astimezone(UTC),
            run_id=run_id,
        )
        for point in points
    ]
