"""The original WaveDB routes (register, log in, projects, runners, scalar and image
metrics, user), served at the root as adapters onto our services, in WaveDB's answer shapes."""

from typing import Annotated

import wavedb_core.cold_start  # noqa: F401

from fastapi import APIRouter, File, Form, Path, Query, UploadFile, status

from wavedb_core.http import AuthenticatedPrincipal, ClientIp, answers, create_app, http_handler
from wavedb_core.http.app import ApiErrors
from wavedb_core.http.error_responses import ErrorShapes
from wavedb_core.models.metrics import MAX_STEP, MetricName

from wavedb_api.accounts import create_api_key, log_in, profile, register
from wavedb_api.errors import WAVEDB_ERROR_SHAPE, malformed_body
from wavedb_api.media import (
    IMAGE_ROUTE_KEY,
    MAX_IMAGE_REQUEST_BYTES,
    ImagePart,
    log_image,
    too_large_body,
)
from wavedb_api.metrics import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    MetricOrder,
    list_metrics,
    log_scalar,
)
from wavedb_api.models import (
    MAX_TAG_LENGTH,
    MetricType,
    WaveDBAnswer,
    WaveDBApiKeyRecord,
    WaveDBApiKeyRequest,
    WaveDBErrorBody,
    WaveDBLoginData,
    WaveDBLoginRequest,
    WaveDBProjectCreateRequest,
    WaveDBProjectData,
    WaveDBProjectListItem,
    WaveDBRegisteredUser,
    WaveDBRegisterRequest,
    WaveDBRunnerCreateRequest,
    WaveDBRunnerData,
    WaveDBRunnerDetails,
    WaveDBRunnerMetric,
    WaveDBScalarMetricRequest,
    WaveDBUserProfile,
    WaveDBValidationErrorBody,
)
from wavedb_api.tracking import (
    create_project,
    create_runner,
    get_runner,
    list_projects,
)

router = APIRouter(tags=["wavedb"])

# An id of ours or not: one that is not is answered as a runner that was not found.
RunnerId = Annotated[str, Path(alias="runnerId")]
ProjectId = Annotated[str, Path(alias="projectId")]


@router.post("/auth/register", responses=answers(409))
def register_user(body: WaveDBRegisterRequest, ip: ClientIp) -> WaveDBAnswer[WaveDBRegisteredUser]:
    return WaveDBAnswer(message="user registered", data=register(body, client_ip=ip))


@router.post("/auth/login", responses=answers(401, 403))
def login(body: WaveDBLoginRequest, ip: ClientIp) -> WaveDBAnswer[WaveDBLoginData]:
    return WaveDBAnswer(message="logged in", data=log_in(body, client_ip=ip))


@router.post("/project/create", responses=answers(409))
def project_create(
    principal: AuthenticatedPrincipal, body: WaveDBProjectCreateRequest
) -> WaveDBAnswer[WaveDBProjectData]:
    return WaveDBAnswer(message="project created", data=create_project(principal, body))


@router.get("/project/list")
def project_list(principal: AuthenticatedPrincipal) -> WaveDBAnswer[list[WaveDBProjectListItem]]:
    return WaveDBAnswer(message="projects", data=list_projects(principal))


@router.post("/runner/create", status_code=status.HTTP_201_CREATED, responses=answers(404))
def runner_create(
    principal: AuthenticatedPrincipal, body: WaveDBRunnerCreateRequest
) -> WaveDBAnswer[WaveDBRunnerData]:
    return WaveDBAnswer(message="runner created", data=create_runner(principal, body))


@router.get("/runner/{runnerId}")
def runner_get(
    principal: AuthenticatedPrincipal, runner_id: RunnerId
) -> WaveDBAnswer[WaveDBRunnerDetails]:
    return WaveDBAnswer(message="runner", data=get_runner(principal, runner_id))


@router.post("/metric/scalar/{runnerId}")
def metric_scalar(
    principal: AuthenticatedPrincipal, runner_id: RunnerId, body: WaveDBScalarMetricRequest
) -> WaveDBAnswer[WaveDBRunnerMetric]:
    return WaveDBAnswer(message="metric logged", data=log_scalar(principal, runner_id, body))


@router.post("/metric/image/{projectId}/{runnerId}")
def metric_image(
    principal: AuthenticatedPrincipal,
    project_id: ProjectId,
    runner_id: RunnerId,
    name: Annotated[MetricName, Form()],
    value: Annotated[UploadFile, File(description="The image: PNG or JPEG, at most 4 MiB.")],
    step: Annotated[int, Form(ge=0, le=MAX_STEP)],
    tag: Annotated[str | None, Form(max_length=MAX_TAG_LENGTH)] = None,
) -> WaveDBAnswer[WaveDBRunnerMetric]:
    image = ImagePart(file=value.file, content_type=value.content_type, filename=value.filename)
    metric = log_image(principal, project_id, runner_id, name=name, step=step, tag=tag, image=image)
    return WaveDBAnswer(message="image logged", data=metric)


@router.get("/metric/{runnerId}")
def metric_list(
    principal: AuthenticatedPrincipal,
    runner_id: RunnerId,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=10_000_000)] = 0,
    order_by: Annotated[MetricOrder, Query(alias="orderBy")] = "timestamp",
    metric_type: Annotated[MetricType, Query(alias="type")] = "SCALAR",
) -> WaveDBAnswer[list[WaveDBRunnerMetric]]:
    metrics = list_metrics(
        principal, runner_id, limit=limit, offset=offset, order_by=order_by, metric_type=metric_type
    )
    return WaveDBAnswer(message="metrics", data=metrics)


# The product document writes `/user/`; API Gateway routes it like `/user`.
@router.get("/user", responses=answers(404))
@router.get("/user/", include_in_schema=False)
def user_profile(principal: AuthenticatedPrincipal) -> WaveDBAnswer[WaveDBUserProfile]:
    return WaveDBAnswer(message="user", data=profile(principal))


@router.post("/user/api-key", responses=answers(409))
def user_api_key(
    principal: AuthenticatedPrincipal, body: WaveDBApiKeyRequest
) -> WaveDBAnswer[WaveDBApiKeyRecord]:
    return WaveDBAnswer(message="api key created", data=create_api_key(principal, body))


# Validation errors are 400 with reasons; a value the database refuses is a plain 400.
WAVEDB_ERRORS = ErrorShapes(
    default=WaveDBErrorBody,
    by_status={400: WaveDBValidationErrorBody | WaveDBErrorBody},
    validation_status=400,
)


# Not our error shapes: these routes answer WaveDB's.
app = create_app(
    router,
    title="compatibility routes",
    errors=ApiErrors(shape=WAVEDB_ERROR_SHAPE, documented=WAVEDB_ERRORS),
    redirect_slashes=False,
)
# JSON routes keep the default body limit; the image route takes a multipart body up to
# what one Lambda invocation can carry (see wavedb_api.media).
handler = http_handler(
    app,
    route_body_limits={IMAGE_ROUTE_KEY: MAX_IMAGE_REQUEST_BYTES},
    too_large_body=too_large_body,
    malformed_body=malformed_body,
)
