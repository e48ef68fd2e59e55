"""What the local stack runs, as read from the template: functions, routes, queues, buckets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_ROUTE = "$default"


@dataclass(frozen=True)
class AuthorizerSpec:
    """A Lambda authorizer of an HTTP API."""

    name: str
    function_id: str
    payload_format_version: str = "2.0"
    simple_responses: bool = True
    identity_source: tuple[str, ...] = ()


@dataclass(frozen=True)
class HttpRoute:
    """One HTTP API route (`GET /v1/x/{id}`) served by one function."""

    method: str  # upper case, or "ANY"
    path: str  # "/v1/x/{id}", "/files/{proxy+}" or "$default"
    function_id: str
    event_name: str
    api_id: str
    authorizer: AuthorizerSpec | None
    api_logical_id: str = ""

    @property
    def route_key(self) -> str:
        return DEFAULT_ROUTE if self.path == DEFAULT_ROUTE else f"{self.method} {self.path}"


@dataclass(frozen=True)
class CorsSpec:
    """An HTTP API's CorsConfiguration."""

    allow_origins: tuple[str, ...] = ()
    allow_headers: tuple[str, ...] = ()
    allow_methods: tuple[str, ...] = ()
    expose_headers: tuple[str, ...] = ()
    max_age: int | None = None
    allow_credentials: bool = False


@dataclass(frozen=True)
class HttpApiSpec:
    """An HTTP API (`AWS::Serverless::HttpApi`, or the implicit one SAM creates)."""

    logical_id: str
    api_id: str
    default_authorizer: str | None
    authorizers: dict[str, AuthorizerSpec]
    cors: CorsSpec | None


@dataclass(frozen=True)
class SqsEventSource:
    """An SQS event source mapping of a function."""

    function_id: str
    event_name: str
    queue_arn: str
    batch_size: int = 10
    maximum_batching_window_seconds: int = 0
    report_batch_item_failures: bool = False
    enabled: bool = True
    # ScalingConfig.MaximumConcurrency: how many batches run at once (None: not capped).
    maximum_concurrency: int | None = None


@dataclass(frozen=True)
class ScheduleEventSource:
    """A `Schedule` or `ScheduleV2` event of a function."""

    function_id: str
    event_name: str
    expression: str  # "rate(5 minutes)" or "cron(...)"
    input: str | None = None
    enabled: bool = True


@dataclass(frozen=True)
class FilterRule:
    """An S3 key filter rule (`prefix` or `suffix`)."""

    name: str
    value: str


@dataclass(frozen=True)
class S3EventSource:
    """An `S3` event of a function: the bucket notifies the function directly."""

    function_id: str
    event_name: str
    bucket_id: str
    events: tuple[str, ...]
    filter_rules: tuple[FilterRule, ...] = ()


@dataclass(frozen=True)
class FunctionSpec:
    """A Lambda function of the template, resolved for the local stack."""

    logical_id: str
    name: str
    arn: str
    code_dir: Path
    handler: str  # "app.handler"
    timeout_seconds: int
    memory_mb: int
    environment: dict[str, str]
    layer_dirs: tuple[Path, ...] = ()
    routes: tuple[HttpRoute, ...] = ()
    sqs_sources: tuple[SqsEventSource, ...] = ()
    schedules: tuple[ScheduleEventSource, ...] = ()
    s3_sources: tuple[S3EventSource, ...] = ()


@dataclass(frozen=True)
class QueueSpec:
    """An `AWS::SQS::Queue`."""

    logical_id: str
    name: str
    url: str
    arn: str
    attributes: dict[str, str]  # SQS attribute names, without RedrivePolicy
    dead_letter_arn: str | None = None
    max_receive_count: int | None = None


@dataclass(frozen=True)
class QueueNotification:
    """A bucket notification that sends matching S3 events to a queue."""

    queue_arn: str
    events: tuple[str, ...]
    filter_rules: tuple[FilterRule, ...] = ()


@dataclass(frozen=True)
class BucketSpec:
    """An `AWS::S3::Bucket`."""

    logical_id: str
    name: str
    arn: str
    cors_rules: tuple[dict[str, Any], ...] = ()  # in the S3 API's CORSRule shape
    queue_notifications: tuple[QueueNotification, ...] = ()
    versioned: bool = False


@dataclass(frozen=True)
class StackModel:
    """Everything the local stack needs from one template."""

    template_path: Path
    functions: dict[str, FunctionSpec]
    queues: dict[str, QueueSpec]
    buckets: dict[str, BucketSpec]
    http_apis: dict[str, HttpApiSpec]
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def routes(self) -> list[HttpRoute]:
        """Every HTTP route of every function."""
        return [route for spec in self.functions.values() for route in spec.routes]

    def queue_by_arn(self, arn: str) -> QueueSpec | None:
        """The template's queue with this ARN, if any."""
        return next((queue for queue in self.queues.values() if queue.arn == arn), None)

    def function(self, logical_id: str) -> FunctionSpec:
        """The function `logical_id`; a KeyError lists the known ones."""
        try:
            return self.functions[logical_id]
        except KeyError:
            known = ", ".join(sorted(self.functions)) or "none"
            raise KeyError(f"no function {logical_id!r} in the template (known: {known})") from None
