"""Reading `template.yaml` into a `StackModel`: Globals merged, intrinsics resolved.

cfn-lint reads the text (`cfn_yaml`) and merges the Globals (`with_globals_merged`), as it
does when it validates the template. What stays here is what no installed library does for
a template that is run rather than deployed or linted: reading the SAM resources as they are
written (an event's name, a function's local `CodeUri` folder, the routes and authorizers of
an HttpApi) into the model, with local names, URLs and ARNs for `Ref` and `Fn::GetAtt`.
SAM's own translator (`samtranslator`, not a dependency) would first turn each resource into
plain CloudFormation (Lambda functions, event source mappings, an OpenAPI body per API,
permissions), from which the same facts would have to be read back; see the package
README, "How the template is read", for the measurements behind keeping this reader.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from wavedb_local.cfn_yaml import load_template_file
from wavedb_local.intrinsics import (
    IntrinsicResolver,
    TemplateError,
    parameter_values,
    pseudo_parameters,
)
from wavedb_local.model import (
    DEFAULT_ROUTE,
    AuthorizerSpec,
    BucketSpec,
    CorsSpec,
    FilterRule,
    FunctionSpec,
    HttpApiSpec,
    HttpRoute,
    QueueNotification,
    QueueSpec,
    S3EventSource,
    ScheduleEventSource,
    SqsEventSource,
    StackModel,
)
from wavedb_local.naming import LocalNaming

logger = logging.getLogger(__name__)

SERVERLESS_FUNCTION = "AWS::Serverless::Function"
SERVERLESS_HTTP_API = "AWS::Serverless::HttpApi"
IMPLICIT_HTTP_API = "ServerlessHttpApi"
_QUEUE_ATTRIBUTES = (
    "VisibilityTimeout",
    "MessageRetentionPeriod",
    "DelaySeconds",
    "MaximumMessageSize",
    "ReceiveMessageWaitTimeSeconds",
    "FifoQueue",
    "ContentBasedDeduplication",
)
_HTTP_METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY"}


def with_globals_merged(document: dict[str, Any]) -> dict[str, Any]:
    """The template with its Globals merged into its SAM resources, as SAM's transform does.

    cfn-lint's merge (maps merge, lists concatenate, otherwise the resource's value wins,
    `IgnoreGlobals` honoured) is the one it validates SAM templates with. The `Globals`
    section stays, for the implicit HttpApi that no resource declares.
    """
    from cfnlint.template.transforms._sam_globals import (  # type: ignore[import-untyped]
        merge_globals,
    )

    merged: dict[str, Any] = merge_globals(copy.deepcopy(document))
    return merged


def load_stack(
    template_path: Path,
    *,
    naming: LocalNaming | None = None,
    parameter_overrides: Mapping[str, str] | None = None,
) -> StackModel:
    """Read the template at `template_path` into the model the local stack runs."""
    template_path = template_path.resolve()
    document = with_globals_merged(load_template_file(template_path))
    return _StackReader(
        template_path, document, naming or LocalNaming(), parameter_overrides
    ).read()


class _StackReader:
    def __init__(
        self,
        template_path: Path,
        document: dict[str, Any],
        naming: LocalNaming,
        overrides: Mapping[str, str] | None,
    ) -> None:
        self.root = template_path.parent
        self.template_path = template_path
        self.naming = naming
        self.resources: dict[str, dict[str, Any]] = dict(document.get("Resources") or {})
        self.globals: dict[str, Any] = dict(document.get("Globals") or {})
        self.parameters = parameter_values(document.get("Parameters") or {}, overrides or {})
        self.resolver = IntrinsicResolver(
            parameters=self.parameters,
            pseudo=pseudo_parameters(
                region=naming.region, account_id=naming.account_id, stack_name=naming.stack_name
            ),
            conditions=document.get("Conditions") or {},
            mappings=document.get("Mappings") or {},
            ref=self._ref,
            get_att=self._get_att,
        )

    # ------------------------------------------------------------------ model
    def read(self) -> StackModel:
        functions_raw = {
            logical_id: self._properties(logical_id)
            for logical_id in self._present(SERVERLESS_FUNCTION)
        }
        queues = {
            logical_id: self._queue(logical_id) for logical_id in self._present("AWS::SQS::Queue")
        }
        buckets = {
            logical_id: self._bucket(logical_id) for logical_id in self._present("AWS::S3::Bucket")
        }
        apis = self._http_apis()
        functions: dict[str, FunctionSpec] = {}
        for logical_id, properties in functions_raw.items():
            spec = self._function(logical_id, properties, apis, buckets)
            if spec is not None:
                functions[logical_id] = spec
        functions = self._with_bucket_lambda_notifications(functions)
        for api in apis.values():
            for authorizer in api.authorizers.values():
                if authorizer.function_id not in functions:
                    raise TemplateError(
                        f"authorizer {authorizer.name} of {api.logical_id} names function "
                        f"{authorizer.function_id}, which the local stack cannot run"
                    )
        return StackModel(
            template_path=self.template_path,
            functions=functions,
            queues=queues,
            buckets=buckets,
            http_apis=apis,
            parameters=dict(self.parameters),
        )

    def _present(self, resource_type: str) -> list[str]:
        """Logical ids of the resources of this type whose Condition (if any) holds."""
        return [
            logical_id
            for logical_id, resource in self.resources.items()
            if resource.get("Type") == resource_type and self._exists(logical_id)
        ]

    def _exists(self, logical_id: str) -> bool:
        condition = self.resources.get(logical_id, {}).get("Condition")
        return condition is None or self.resolver.condition(str(condition))

    def _properties(self, logical_id: str) -> dict[str, Any]:
        return dict(self.resources[logical_id].get("Properties") or {})

    # ------------------------------------------------------------------ functions
    def _function(
        self,
        logical_id: str,
        properties: dict[str, Any],
        apis: dict[str, HttpApiSpec],
        buckets: dict[str, BucketSpec],
    ) -> FunctionSpec | None:
        runtime = str(self.resolver.resolve(properties.get("Runtime", "python3")))
        code_uri = self.resolver.resolve(properties.get("CodeUri"))
        if properties.get("PackageType") == "Image" or not runtime.startswith("python"):
            logger.warning("%s: only Python zip functions run locally; skipped", logical_id)
            return None
        if not isinstance(code_uri, str):
            logger.warning("%s: CodeUri is not a local folder; skipped", logical_id)
            return None
        name = self._function_name(logical_id)
        events = properties.get("Events") or {}
        routes: list[HttpRoute] = []
        sqs_sources: list[SqsEventSource] = []
        schedules: list[ScheduleEventSource] = []
        s3_sources: list[S3EventSource] = []
        for event_name, event in events.items():
            kind = str(event.get("Type"))
            raw = event.get("Properties") or {}
            if kind == "HttpApi":
                routes.append(self._route(logical_id, event_name, raw, apis))
            elif kind == "SQS":
                sqs_sources.append(self._sqs_source(logical_id, event_name, raw))
            elif kind in {"Schedule", "ScheduleV2"}:
                schedules.append(self._schedule(logical_id, event_name, kind, raw))
            elif kind == "S3":
                s3_sources.append(self._s3_source(logical_id, event_name, raw, buckets))
            else:
                logger.warning("%s.%s: event type %s is not emulated", logical_id, event_name, kind)
        environment = self.resolver.resolve(
            (properties.get("Environment") or {}).get("Variables") or {}
        )
        return FunctionSpec(
            logical_id=logical_id,
            name=name,
            arn=self.naming.function_arn(name),
            code_dir=(self.root / code_uri).resolve(),
            handler=str(self.resolver.resolve(properties.get("Handler", "app.handler"))),
            timeout_seconds=int(self.resolver.resolve(properties.get("Timeout", 3))),
            memory_mb=int(self.resolver.resolve(properties.get("MemorySize", 128))),
            environment={key: _text(value) for key, value in environment.items()},
            layer_dirs=self._layer_dirs(properties.get("Layers") or []),
            routes=tuple(routes),
            sqs_sources=tuple(sqs_sources),
            schedules=tuple(schedules),
            s3_sources=tuple(s3_sources),
        )

    def _function_name(self, logical_id: str) -> str:
        explicit = (self.resources[logical_id].get("Properties") or {}).get("FunctionName")
        if explicit is not None:
            return str(self.resolver.resolve(explicit))
        return self.naming.function_name(logical_id)

    def _layer_dirs(self, layers: list[Any]) -> tuple[Path, ...]:
        folders: list[Path] = []
        for layer in layers:
            if isinstance(layer, dict) and set(layer) == {"Ref"}:
                resource = self.resources.get(str(layer["Ref"])) or {}
                content = (resource.get("Properties") or {}).get("ContentUri")
                if isinstance(content, str):
                    folders.append((self.root / content).resolve())
        return tuple(folders)

    def _route(
        self, function_id: str, event_name: str, raw: dict[str, Any], apis: dict[str, HttpApiSpec]
    ) -> HttpRoute:
        api_ref = raw.get("ApiId")
        api_logical_id = IMPLICIT_HTTP_API
        if isinstance(api_ref, dict) and set(api_ref) == {"Ref"}:
            api_logical_id = str(api_ref["Ref"])
        elif api_ref is not None:
            raise TemplateError(f"{function_id}.{event_name}: ApiId must be !Ref of an HttpApi")
        api = apis.get(api_logical_id)
        if api is None:
            raise TemplateError(f"{function_id}.{event_name}: unknown HttpApi {api_logical_id}")
        resolved = self.resolver.resolve(raw)
        path = str(resolved.get("Path", DEFAULT_ROUTE))
        method = str(resolved.get("Method", "ANY")).upper()
        if path != DEFAULT_ROUTE and not path.startswith("/"):
            raise TemplateError(f"{function_id}.{event_name}: Path must start with '/'")
        if method not in _HTTP_METHODS:
            raise TemplateError(f"{function_id}.{event_name}: unknown Method {method}")
        auth = resolved.get("Auth") or {}
        authorizer_name = auth.get("Authorizer", api.default_authorizer)
        authorizer: AuthorizerSpec | None = None
        if authorizer_name is not None and authorizer_name != "NONE":
            authorizer = api.authorizers.get(str(authorizer_name))
            if authorizer is None:
                raise TemplateError(
                    f"{function_id}.{event_name}: unknown authorizer {authorizer_name}"
                )
        return HttpRoute(
            method="ANY" if path == DEFAULT_ROUTE else method,
            path=path,
            function_id=function_id,
            event_name=event_name,
            api_id=api.api_id,
            authorizer=authorizer,
            api_logical_id=api.logical_id,
        )

    def _sqs_source(self, function_id: str, event_name: str, raw: dict[str, Any]) -> SqsEventSource:
        resolved = self.resolver.resolve(raw)
        if "FilterCriteria" in resolved:
            logger.warning("%s.%s: FilterCriteria is not emulated", function_id, event_name)
        return SqsEventSource(
            function_id=function_id,
            event_name=event_name,
            queue_arn=str(resolved["Queue"]),
            batch_size=int(resolved.get("BatchSize", 10)),
            maximum_batching_window_seconds=int(resolved.get("MaximumBatchingWindowInSeconds", 0)),
            report_batch_item_failures="ReportBatchItemFailures"
            in (resolved.get("FunctionResponseTypes") or []),
            enabled=_truthy(resolved.get("Enabled", True)),
            maximum_concurrency=_maximum_concurrency(resolved.get("ScalingConfig")),
        )

    def _schedule(
        self, function_id: str, event_name: str, kind: str, raw: dict[str, Any]
    ) -> ScheduleEventSource:
        resolved = self.resolver.resolve(raw)
        key = "Schedule" if kind == "Schedule" else "ScheduleExpression"
        enabled = (
            _truthy(resolved.get("Enabled", True))
            and str(resolved.get("State", "ENABLED")).upper() != "DISABLED"
        )
        payload = resolved.get("Input")
        return ScheduleEventSource(
            function_id=function_id,
            event_name=event_name,
            expression=str(resolved[key]),
            input=None if payload is None else _text(payload),
            enabled=enabled,
        )

    def _s3_source(
        self,
        function_id: str,
        event_name: str,
        raw: dict[str, Any],
        buckets: dict[str, BucketSpec],
    ) -> S3EventSource:
        bucket_ref = raw.get("Bucket")
        if not (isinstance(bucket_ref, dict) and set(bucket_ref) == {"Ref"}):
            raise TemplateError(f"{function_id}.{event_name}: Bucket must be !Ref of a bucket")
        bucket_id = str(bucket_ref["Ref"])
        if bucket_id not in buckets:
            raise TemplateError(f"{function_id}.{event_name}: unknown bucket {bucket_id}")
        resolved = self.resolver.resolve(raw)
        events = resolved.get("Events") or []
        return S3EventSource(
            function_id=function_id,
            event_name=event_name,
            bucket_id=bucket_id,
            events=tuple([events] if isinstance(events, str) else [str(e) for e in events]),
            filter_rules=_filter_rules(resolved.get("Filter")),
        )

    def _with_bucket_lambda_notifications(
        self, functions: dict[str, FunctionSpec]
    ) -> dict[str, FunctionSpec]:
        """Buckets' own LambdaConfigurations become S3 event sources of those functions."""
        by_arn = {spec.arn: spec for spec in functions.values()}
        extra: dict[str, list[S3EventSource]] = {}
        for bucket_id in self._present("AWS::S3::Bucket"):
            notifications = self.resolver.resolve(
                self._properties(bucket_id).get("NotificationConfiguration") or {}
            )
            for index, item in enumerate(notifications.get("LambdaConfigurations") or []):
                target = by_arn.get(str(item.get("Function")))
                if target is None:
                    logger.warning("%s: notification to an unknown function", bucket_id)
                    continue
                extra.setdefault(target.logical_id, []).append(
                    S3EventSource(
                        function_id=target.logical_id,
                        event_name=f"{bucket_id}Notification{index}",
                        bucket_id=bucket_id,
                        events=(str(item["Event"]),),
                        filter_rules=_filter_rules(item.get("Filter")),
                    )
                )
        for function_id, sources in extra.items():
            spec = functions[function_id]
            functions[function_id] = FunctionSpec(
                **{**spec.__dict__, "s3_sources": spec.s3_sources + tuple(sources)}
            )
        return functions

    # ------------------------------------------------------------------ HTTP APIs
    def _http_apis(self) -> dict[str, HttpApiSpec]:
        apis: dict[str, HttpApiSpec] = {}
        for logical_id in self._present(SERVERLESS_HTTP_API):
            apis[logical_id] = self._http_api(logical_id, self._properties(logical_id))
        if IMPLICIT_HTTP_API not in apis:
            implicit = copy.deepcopy(self.globals.get("HttpApi") or {})
            apis[IMPLICIT_HTTP_API] = self._http_api(IMPLICIT_HTTP_API, implicit)
        return apis

    def _http_api(self, logical_id: str, properties: dict[str, Any]) -> HttpApiSpec:
        resolved = self.resolver.resolve(properties)
        auth = resolved.get("Auth") or {}
        authorizers: dict[str, AuthorizerSpec] = {}
        for name, config in (auth.get("Authorizers") or {}).items():
            if "FunctionArn" not in config:
                raise TemplateError(
                    f"{logical_id}: authorizer {name} is not a Lambda authorizer; "
                    "the local stack emulates Lambda authorizers only"
                )
            authorizers[name] = AuthorizerSpec(
                name=name,
                function_id=self._function_id_by_arn(str(config["FunctionArn"])),
                payload_format_version=str(config.get("AuthorizerPayloadFormatVersion", "2.0")),
                simple_responses=_truthy(config.get("EnableSimpleResponses", False)),
                identity_source=_identity_source(config.get("Identity") or {}),
            )
        default = auth.get("DefaultAuthorizer")
        if default is not None and default not in authorizers:
            raise TemplateError(f"{logical_id}: unknown DefaultAuthorizer {default}")
        return HttpApiSpec(
            logical_id=logical_id,
            api_id=self.naming.api_id,
            default_authorizer=None if default is None else str(default),
            authorizers=authorizers,
            cors=_cors(resolved.get("CorsConfiguration")),
        )

    def _function_id_by_arn(self, arn: str) -> str:
        for logical_id in self._present(SERVERLESS_FUNCTION):
            if self.naming.function_arn(self._function_name(logical_id)) == arn:
                return logical_id
        raise TemplateError(f"no function of the template has the ARN {arn}")

    # ------------------------------------------------------------------ queues and buckets
    def _queue(self, logical_id: str) -> QueueSpec:
        properties = self.resolver.resolve(self._properties(logical_id))
        name = self._queue_name(logical_id)
        attributes = {key: _text(properties[key]) for key in _QUEUE_ATTRIBUTES if key in properties}
        redrive = properties.get("RedrivePolicy")
        if isinstance(redrive, str):
            redrive = json.loads(redrive)
        return QueueSpec(
            logical_id=logical_id,
            name=name,
            url=self.naming.queue_url(name),
            arn=self.naming.queue_arn(name),
            attributes=attributes,
            dead_letter_arn=None if not redrive else str(redrive["deadLetterTargetArn"]),
            max_receive_count=None if not redrive else int(redrive["maxReceiveCount"]),
        )

    def _queue_name(self, logical_id: str) -> str:
        properties = self.resources[logical_id].get("Properties") or {}
        if "QueueName" in properties:
            return str(self.resolver.resolve(properties["QueueName"]))
        name = self.naming.physical_name(logical_id)
        return f"{name}.fifo" if _truthy(properties.get("FifoQueue", False)) else name

    def _bucket_name(self, logical_id: str) -> str:
        properties = self.resources[logical_id].get("Properties") or {}
        if "BucketName" in properties:
            return str(self.resolver.resolve(properties["BucketName"]))
        return self.naming.physical_name(logical_id)

    def _bucket(self, logical_id: str) -> BucketSpec:
        properties = self._properties(logical_id)
        cors = self.resolver.resolve(properties.get("CorsConfiguration") or {})
        notifications = self.resolver.resolve(properties.get("NotificationConfiguration") or {})
        name = self._bucket_name(logical_id)
        return BucketSpec(
            logical_id=logical_id,
            name=name,
            arn=self.naming.bucket_arn(name),
            cors_rules=tuple(_cors_rule(rule) for rule in cors.get("CorsRules") or []),
            queue_notifications=tuple(
                QueueNotification(
                    queue_arn=str(item["Queue"]),
                    events=(str(item["Event"]),),
                    filter_rules=_filter_rules(item.get("Filter")),
                )
                for item in notifications.get("QueueConfigurations") or []
            ),
            versioned=_versioned(properties.get("VersioningConfiguration")),
        )

    # ------------------------------------------------------------------ Ref and GetAtt
    def _ref(self, logical_id: str) -> Any:
        resource_type = str((self.resources.get(logical_id) or {}).get("Type", ""))
        naming = self.naming
        if resource_type == "AWS::SQS::Queue":
            return naming.queue_url(self._queue_name(logical_id))
        if resource_type == "AWS::S3::Bucket":
            return self._bucket_name(logical_id)
        if resource_type in {SERVERLESS_FUNCTION, "AWS::Lambda::Function"}:
            return self._function_name(logical_id)
        if resource_type in {SERVERLESS_HTTP_API, "AWS::ApiGatewayV2::Api"}:
            return naming.api_id
        if resource_type in {"AWS::Serverless::LayerVersion", "AWS::Lambda::LayerVersion"}:
            return (
                f"arn:aws:lambda:{naming.region}:{naming.account_id}:layer:"
                f"{naming.physical_name(logical_id)}:1"
            )
        if resource_type == "AWS::SecretsManager::Secret":
            return naming.placeholder_arn("secretsmanager", logical_id) + "-local"
        if resource_type == "AWS::SNS::Topic":
            return naming.placeholder_arn("sns", logical_id)
        return naming.physical_name(logical_id)

    def _get_att(self, logical_id: str, attribute: str) -> Any:
        resource_type = str((self.resources.get(logical_id) or {}).get("Type", ""))
        naming = self.naming
        if resource_type == "AWS::SQS::Queue":
            name = self._queue_name(logical_id)
            return {
                "Arn": naming.queue_arn(name),
                "QueueName": name,
                "QueueUrl": naming.queue_url(name),
            }.get(attribute, naming.queue_arn(name))
        if resource_type == "AWS::S3::Bucket":
            name = self._bucket_name(logical_id)
            return {
                "Arn": naming.bucket_arn(name),
                "DomainName": f"{name}.s3.amazonaws.com",
                "RegionalDomainName": f"{name}.s3.{naming.region}.amazonaws.com",
            }.get(attribute, naming.bucket_arn(name))
        if resource_type in {SERVERLESS_FUNCTION, "AWS::Lambda::Function"}:
            return naming.function_arn(self._function_name(logical_id))
        if resource_type in {SERVERLESS_HTTP_API, "AWS::ApiGatewayV2::Api"}:
            if attribute == "ApiEndpoint":
                return f"https://{naming.api_id}.execute-api.{naming.region}.amazonaws.com"
            return naming.api_id
        service = {
            "AWS::Logs::LogGroup": "logs",
            "AWS::SecretsManager::Secret": "secretsmanager",
            "AWS::IAM::Role": "iam",
        }.get(resource_type, "local")
        return naming.placeholder_arn(service, logical_id)


# ---------------------------------------------------------------------- helpers
def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict | list):
        return json.dumps(value)
    return str(value)


def _maximum_concurrency(scaling: Any) -> int | None:
    if not isinstance(scaling, dict) or "MaximumConcurrency" not in scaling:
        return None
    return int(scaling["MaximumConcurrency"])


def _versioned(value: Any) -> bool:
    return isinstance(value, dict) and str(value.get("Status", "")) == "Enabled"


def _truthy(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() == "true"
    return bool(value)


def _as_tuple(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list):
        return tuple(str(item) for item in value)
    return (str(value),)


def _cors(value: Any) -> CorsSpec | None:
    if value is None or value is False:
        return None
    if value is True:
        return CorsSpec(allow_origins=("*",), allow_headers=("*",), allow_methods=("*",))
    if isinstance(value, str):
        return CorsSpec(
            allow_origins=(value.strip("'"),), allow_headers=("*",), allow_methods=("*",)
        )
    max_age = value.get("MaxAge")
    return CorsSpec(
        allow_origins=_as_tuple(value.get("AllowOrigins")),
        allow_headers=tuple(header.lower() for header in _as_tuple(value.get("AllowHeaders"))),
        allow_methods=tuple(method.upper() for method in _as_tuple(value.get("AllowMethods"))),
        expose_headers=_as_tuple(value.get("ExposeHeaders")),
        max_age=None if max_age is None else int(max_age),
        allow_credentials=_truthy(value.get("AllowCredentials", False)),
    )


def _cors_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """A CloudFormation CorsRule in the shape `put_bucket_cors` takes."""
    shaped: dict[str, Any] = {
        "AllowedMethods": list(_as_tuple(rule.get("AllowedMethods"))),
        "AllowedOrigins": list(_as_tuple(rule.get("AllowedOrigins"))),
    }
    if "AllowedHeaders" in rule:
        shaped["AllowedHeaders"] = list(_as_tuple(rule["AllowedHeaders"]))
    if "ExposedHeaders" in rule:
        shaped["ExposeHeaders"] = list(_as_tuple(rule["ExposedHeaders"]))
    if "MaxAge" in rule:
        shaped["MaxAgeSeconds"] = int(rule["MaxAge"])
    if "Id" in rule:
        shaped["ID"] = str(rule["Id"])
    return shaped


def _filter_rules(value: Any) -> tuple[FilterRule, ...]:
    rules = ((value or {}).get("S3Key") or {}).get("Rules") or []
    return tuple(
        FilterRule(name=str(rule["Name"]).lower(), value=str(rule["Value"])) for rule in rules
    )


def _identity_source(identity: dict[str, Any]) -> tuple[str, ...]:
    sources = [f"$request.header.{name}" for name in _as_tuple(identity.get("Headers"))]
    sources += [f"$request.querystring.{name}" for name in _as_tuple(identity.get("QueryStrings"))]
    return tuple(sources)
