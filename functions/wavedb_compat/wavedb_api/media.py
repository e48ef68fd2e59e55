"""WaveDB's media metrics: an image posted as multipart form data becomes one of our media
items (checked, put to S3, ready at once), and the IMAGE, AUDIO and TEXT listings read our
media items back.

The size limit comes from Lambda: a synchronous invocation takes at most 6 MB (6,291,456
bytes of event), and API Gateway hands a multipart body over base64-encoded (4 bytes for
every 3), so a body of about 4.5 MiB is the most that can reach the function. This route
takes images up to 4 MiB with room for the rest of the form; larger images go straight to
S3 with a presigned POST from the media routes (`POST /v1/runs/{runnerId}/media`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Literal
from uuid import UUID

from wavedb_core.errors import NotFound, ValidationFailed
from wavedb_core.models.media import MediaKind, MediaView, bare_content_type
from wavedb_core.models.metrics import PointOrder
from wavedb_core.principal import Principal
from wavedb_core.services import media
from wavedb_core.services.media_inspection import HEADER_BYTES, sniff

from wavedb_api.errors import WaveDBCompatError, WaveDBValidationError, error_body
from wavedb_api.models import WaveDBRunnerMetric
from wavedb_api.tracking import find_runner, parse_id, runner_not_found

# As the template names the route (the Lambda event's `routeKey`).
IMAGE_ROUTE_KEY = "POST /metric/image/{projectId}/{runnerId}"
MAX_IMAGE_UPLOAD_BYTES = 4 * 1024 * 1024
# Room for the multipart boundaries, the parts' headers and the other fields (the name and
# the tag are at most 256 characters each).
MULTIPART_ALLOWANCE_BYTES = 64 * 1024
# The route's body limit: base64-encoded, 5,679,788 bytes of the 6,291,456 Lambda takes.
MAX_IMAGE_REQUEST_BYTES = MAX_IMAGE_UPLOAD_BYTES + MULTIPART_ALLOWANCE_BYTES
IMAGE_CONTENT_TYPES = ("image/png", "image/jpeg")
IMAGE_TOO_LARGE = (
    f"an image sent to this route may be at most 4 MiB ({MAX_IMAGE_UPLOAD_BYTES} bytes);"
    " upload larger images with a presigned POST: POST /v1/runs/{runnerId}/media"
)
PAYLOAD_TOO_LARGE = "PayloadTooLarge"

MediaMetricType = Literal["IMAGE", "AUDIO", "TEXT"]
MEDIA_KINDS: dict[MediaMetricType, MediaKind] = {"IMAGE": "image", "AUDIO": "audio", "TEXT": "text"}

# What a part without a type of its own says (curl and most clients, for unknown extensions).
_UNTYPED = frozenset({"", "application/octet-stream"})
# The format the bytes show → the type stored.
_SNIFFED_IMAGE_TYPES = {
    "image/png": "image/png",
    "image/apng": "image/png",
    "image/jpeg": "image/jpeg",
}
# Where our checks name a field, and the form field WaveDB's clients sent.
_FORM_FIELDS = {"content_type": "value", "value": "value", "name": "name"}


@dataclass(frozen=True)
class ImagePart:
    """The form's `value` part: the file, and what the client said it is."""

    file: BinaryIO
    content_type: str | None
    filename: str | None


def too_large_body(event: Mapping[str, Any], limit: int) -> dict[str, Any]:
    """The 413 answer of this function's routes, in WaveDB's error shape."""
    if event.get("routeKey") == IMAGE_ROUTE_KEY:
        return error_body(IMAGE_TOO_LARGE, name=PAYLOAD_TOO_LARGE)
    return error_body(f"the request body exceeds {limit} bytes", name=PAYLOAD_TOO_LARGE)


def _value_refused(message: str) -> WaveDBValidationError:
    return WaveDBValidationError([{"name": "value", "message": message}])


def _image_type(declared: str | None, data: bytes) -> str:
    """PNG or JPEG, as the part says or, for an untyped part, as its bytes show."""
    content_type = bare_content_type(declared or "")
    if content_type in IMAGE_CONTENT_TYPES:
        return content_type  # the bytes are checked against it when stored
    if content_type not in _UNTYPED:
        raise _value_refused(f"{content_type} is not accepted: send a PNG or JPEG image")
    sniffed = sniff(data[:HEADER_BYTES])
    stored = _SNIFFED_IMAGE_TYPES.get(sniffed or "")
    if stored is None:
        found = sniffed or "no known format"
        raise _value_refused(f"not a PNG or JPEG image (the bytes look like {found})")
    return stored


def _reasons(error: ValidationFailed) -> list[dict[str, str]]:
    details = error.details if isinstance(error.details, list) else []
    reasons = []
    for item in details:
        if isinstance(item, dict):
            field = str(item.get("location", "")).removeprefix("body.")
            reasons.append(
                {
                    "name": _FORM_FIELDS.get(field, field or "body"),
                    "message": str(item.get("message") or error.message),
                }
            )
    return reasons or [{"name": "body", "message": error.message}]


def media_metric(view: MediaView, metric_type: MediaMetricType) -> WaveDBRunnerMetric:
    """A media item as WaveDB's runner metric (see WaveDBRunnerMetric for `value`)."""
    value = view.text if view.text is not None else media.object_key(view.run_id, view.id)
    return WaveDBRunnerMetric(
        id=str(view.id),
        name=view.name,
        value=value,
        step=view.step,
        tag=view.caption,
        type=metric_type,
        timestamp=view.created_at,
        run_id=view.run_id,
        url=view.url,
    )


def log_image(
    principal: Principal,
    project_id: str,
    runner_id: str,
    *,
    name: str,
    step: int,
    tag: str | None,
    image: ImagePart,
) -> WaveDBRunnerMetric:
    """Store a PNG or JPEG image of the project's runner as a ready media item."""
    wanted_project = parse_id(project_id, what="project")
    run = find_runner(principal, runner_id)
    if run.project_id != wanted_project:
        raise runner_not_found()
    data = image.file.read(MAX_IMAGE_UPLOAD_BYTES + 1)
    if len(data) > MAX_IMAGE_UPLOAD_BYTES:
        raise WaveDBCompatError(413, IMAGE_TOO_LARGE, name=PAYLOAD_TOO_LARGE)
    content_type = _image_type(image.content_type, data)
    try:
        view = media.store_upload(
            principal,
            run.id,
            name=name,
            step=step,
            kind="image",
            content_type=content_type,
            data=data,
            caption=tag,
            filename=image.filename,
        )
    except ValidationFailed as error:
        raise WaveDBValidationError(_reasons(error)) from error
    except NotFound as error:
        raise runner_not_found() from error
    return media_metric(view, "IMAGE")


def list_media_metrics(
    principal: Principal,
    run_id: UUID,
    *,
    metric_type: MediaMetricType,
    order: PointOrder,
    limit: int,
    offset: int,
) -> list[WaveDBRunnerMetric]:
    """A page of the runner's ready media items of one type."""
    try:
        views = media.list_media_offset(
            principal,
            run_id,
            kind=MEDIA_KINDS[metric_type],
            order=order,
            limit=limit,
            offset=offset,
        )
    except NotFound as error:
        raise runner_not_found() from error
    return [media_metric(view, metric_type) for view in views]
