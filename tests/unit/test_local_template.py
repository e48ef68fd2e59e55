"""Reading template.yaml (the real one and a test one) into the local stack's model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from wavedb_local.cfn_yaml import load_template_file
from wavedb_local.intrinsics import TemplateError
from wavedb_local.naming import LocalNaming
from wavedb_local.template import load_stack

ROOT = Path(__file__).resolve().parents[2]
REAL_TEMPLATE = ROOT / "template.yaml"
FIXTURE_TEMPLATE = ROOT / "tests/fixtures/local_stack/template.yaml"
NAMING = LocalNaming(sqs_endpoint="http://127.0.0.1:5000")


def _declared_routes(document: dict[str, Any]) -> dict[str, tuple[str, str | None]]:
    """route key -> (function, authorizer) read straight from the YAML, independently."""
    api = document["Resources"]["WaveDBHttpApi"]["Properties"]
    default = api["Auth"]["DefaultAuthorizer"]
    routes: dict[str, tuple[str, str | None]] = {}
    for logical_id, resource in document["Resources"].items():
        if resource["Type"] != "AWS::Serverless::Function":
            continue
        for event in (resource["Properties"].get("Events") or {}).values():
            if event["Type"] != "HttpApi":
                continue
            properties = event["Properties"]
            authorizer = (properties.get("Auth") or {}).get("Authorizer", default)
            key = f"{properties['Method'].upper()} {properties['Path']}"
            routes[key] = (logical_id, None if authorizer == "NONE" else authorizer)
    return routes


def test_load_stack_real_template_lists_every_route_with_its_function_and_authorizer() -> None:
    model = load_stack(REAL_TEMPLATE, naming=NAMING)

    loaded = {
        route.route_key: (route.function_id, route.authorizer.name if route.authorizer else None)
        for route in model.routes
    }

    assert loaded == _declared_routes(load_template_file(REAL_TEMPLATE))
    assert loaded["GET /health"] == ("HealthFunction", None)
    assert loaded["GET /v1/me"] == ("AuthFunction", "WaveDBAuthorizer")
    assert loaded["POST /v1/auth/login"] == ("AuthFunction", None)


def test_load_stack_real_template_authorizer_points_at_the_authorizer_function() -> None:
    model = load_stack(REAL_TEMPLATE, naming=NAMING)

    api = model.http_apis["WaveDBHttpApi"]
    authorizer = api.authorizers["WaveDBAuthorizer"]
    assert api.default_authorizer == "WaveDBAuthorizer"
    assert authorizer.function_id == "AuthorizerFunction"
    assert authorizer.simple_responses is True
    assert authorizer.identity_source == ()
    assert api.cors is not None
    assert api.cors.allow_origins == ("*",)
    assert "x-api-key" in api.cors.allow_headers


def test_load_stack_real_template_environment_points_at_local_resources() -> None:
    model = load_stack(REAL_TEMPLATE, naming=NAMING)

    environment = model.functions["HealthFunction"].environment
    queue = model.queues["IngestQueue"]
    assert environment["INGEST_QUEUE_URL"] == queue.url
    assert queue.url == "http://127.0.0.1:5000/123456789012/wavedb-local-ingestqueue"
    assert environment["MEDIA_BUCKET"] == model.buckets["MediaBucket"].name
    assert environment["POWERTOOLS_SERVICE_NAME"] == "health"
    assert environment["STAGE"] == "dev"
    assert "DATABASE_URL" not in environment  # !If [HasDatabaseUrl, ..., AWS::NoValue]
    assert "DATABASE_SECRET_ARN" not in environment


def test_load_stack_parameter_override_flips_conditions() -> None:
    model = load_stack(
        REAL_TEMPLATE,
        naming=NAMING,
        parameter_overrides={"DatabaseUrl": "postgresql://db/wavedb", "Stage": "staging"},
    )

    environment = model.functions["AuthFunction"].environment
    assert environment["DATABASE_URL"] == "postgresql://db/wavedb"
    assert environment["STAGE"] == "staging"


def test_load_stack_value_outside_allowed_values_is_rejected() -> None:
    with pytest.raises(TemplateError, match="RequireEmailConfirmation"):
        load_stack(
            REAL_TEMPLATE, naming=NAMING, parameter_overrides={"RequireEmailConfirmation": "maybe"}
        )


def test_load_stack_unknown_parameter_is_rejected() -> None:
    with pytest.raises(TemplateError, match="NoSuchParameter"):
        load_stack(REAL_TEMPLATE, naming=NAMING, parameter_overrides={"NoSuchParameter": "x"})


def test_load_stack_real_template_queue_has_redrive_to_dead_letter_queue() -> None:
    model = load_stack(REAL_TEMPLATE, naming=NAMING)

    queue = model.queues["IngestQueue"]
    assert queue.dead_letter_arn == model.queues["IngestDeadLetterQueue"].arn
    assert queue.max_receive_count == 5
    assert queue.attributes["VisibilityTimeout"] == "360"


def test_load_stack_real_template_functions_get_globals_and_layers() -> None:
    model = load_stack(REAL_TEMPLATE, naming=NAMING)

    health = model.functions["HealthFunction"]
    assert health.code_dir == ROOT / "functions/health"
    assert health.handler == "app.handler"
    assert health.memory_mb == 256  # the function's own value wins over Globals (512)
    assert health.timeout_seconds == 10  # from Globals
    assert ROOT / "shared" in health.layer_dirs
    assert model.functions["MigrateFunction"].timeout_seconds == 300


def test_load_stack_fixture_merges_environment_and_drops_no_value() -> None:
    model = load_stack(FIXTURE_TEMPLATE, naming=NAMING, parameter_overrides={"RecordDir": "/r"})

    echo = model.functions["EchoFunction"].environment
    worker = model.functions["WorkerFunction"].environment
    assert echo["ECHO_GREETING"] == "hello"
    assert "ECHO_GREETING" not in worker
    assert echo["RECORD_DIR"] == worker["RECORD_DIR"] == "/r"
    assert echo["STAGE_LABEL"] == "testing"
    assert "ONLY_OUTSIDE_TESTS" not in echo
    assert echo["API_URL"] == "https://wavedblocal.execute-api.us-east-1.amazonaws.com"
    assert "DisabledFunction" not in model.functions  # its Condition is false


GLOBALS_TEMPLATE = """
Transform: AWS::Serverless-2016-10-31
Globals:
  Function:
    Runtime: python3.12
    Timeout: 9
    Environment:
      Variables:
        FROM_GLOBALS: "yes"
  HttpApi:
    CorsConfiguration:
      AllowOrigins: ["https://example.test"]
Resources:
  MergedFunction:
    Type: AWS::Serverless::Function
    Properties:
      CodeUri: functions/merged
      Environment:
        Variables:
          OWN: "1"
      Events:
        Get:
          Type: HttpApi
          Properties: {Path: /merged, Method: get}
  AloneFunction:
    Type: AWS::Serverless::Function
    IgnoreGlobals: "*"
    Properties:
      CodeUri: functions/alone
      Runtime: python3.12
  PartlyFunction:
    Type: AWS::Serverless::Function
    IgnoreGlobals: [Environment]
    Properties:
      CodeUri: functions/partly
"""


def test_load_stack_ignore_globals_keeps_those_properties_out(tmp_path: Path) -> None:
    template = tmp_path / "template.yaml"
    template.write_text(GLOBALS_TEMPLATE, encoding="utf-8")

    model = load_stack(template, naming=NAMING)

    merged, alone, partly = (
        model.functions[name] for name in ("MergedFunction", "AloneFunction", "PartlyFunction")
    )
    assert merged.environment == {"FROM_GLOBALS": "yes", "OWN": "1"}
    assert merged.timeout_seconds == 9
    assert alone.environment == {}
    assert alone.timeout_seconds == 3  # Lambda's default, Globals ignored
    assert partly.environment == {}
    assert partly.timeout_seconds == 9
    cors = model.http_apis["ServerlessHttpApi"].cors
    assert cors is not None
    assert cors.allow_origins == ("https://example.test",)


def test_load_stack_fixture_reads_event_sources() -> None:
    model = load_stack(FIXTURE_TEMPLATE, naming=NAMING)

    (sqs,) = model.functions["WorkerFunction"].sqs_sources
    assert sqs.queue_arn == model.queues["WorkQueue"].arn
    assert sqs.batch_size == 10
    assert sqs.report_batch_item_failures is True
    assert sqs.maximum_concurrency is None
    (plain,) = model.functions["UploadWorkerFunction"].sqs_sources
    assert plain.report_batch_item_failures is False
    assert plain.maximum_concurrency == 3
    (s3,) = model.functions["ThumbnailFunction"].s3_sources
    assert (s3.bucket_id, s3.events) == ("UploadsBucket", ("s3:ObjectCreated:*",))
    assert [(rule.name, rule.value) for rule in s3.filter_rules] == [("prefix", "images/")]
    (schedule,) = model.functions["TickFunction"].schedules
    assert schedule.expression == "rate(1 minute)"
    bucket = model.buckets["UploadsBucket"]
    (notification,) = bucket.queue_notifications
    assert notification.queue_arn == model.queues["UploadQueue"].arn
    assert bucket.cors_rules[0]["AllowedOrigins"] == ["https://app.example.com"]
    assert bucket.cors_rules[0]["MaxAgeSeconds"] == 300


def test_load_stack_fixture_comma_delimited_parameter_feeds_cors() -> None:
    model = load_stack(
        FIXTURE_TEMPLATE,
        naming=NAMING,
        parameter_overrides={"Origins": "https://a.example.com,https://b.example.com"},
    )

    cors = model.http_apis["Api"].cors
    assert cors is not None
    assert cors.allow_origins == ("https://a.example.com", "https://b.example.com")
    assert cors.max_age == 60


def test_load_stack_real_template_media_bucket_is_versioned_and_notifies_the_media_queue() -> None:
    model = load_stack(REAL_TEMPLATE, naming=NAMING)

    bucket = model.buckets["MediaBucket"]
    (notification,) = bucket.queue_notifications
    queue = model.queues["MediaNotificationQueue"]
    assert bucket.versioned is True
    assert notification.queue_arn == queue.arn
    assert notification.events == ("s3:ObjectCreated:*",)
    assert [(rule.name, rule.value) for rule in notification.filter_rules] == [("prefix", "runs/")]
    assert queue.dead_letter_arn == model.queues["MediaNotificationDeadLetterQueue"].arn
    (source,) = model.functions["MediaWorkerFunction"].sqs_sources
    assert source.queue_arn == queue.arn
    assert source.report_batch_item_failures is True
    assert bucket.cors_rules[0]["AllowedMethods"] == ["GET", "POST", "HEAD"]


def test_load_stack_fixture_bucket_without_versioning_is_not_versioned() -> None:
    model = load_stack(FIXTURE_TEMPLATE, naming=NAMING)

    assert model.buckets["UploadsBucket"].versioned is False


def test_load_stack_real_template_defaults_declare_no_local_endpoint_or_jwt_secret() -> None:
    model = load_stack(REAL_TEMPLATE, naming=NAMING)

    for function in model.functions.values():
        assert "AWS_ENDPOINT_URL" not in function.environment
        assert "JWT_SECRET" not in function.environment


def test_load_stack_real_template_local_parameters_reach_every_function() -> None:
    secret = "s" * 40
    model = load_stack(
        REAL_TEMPLATE,
        naming=NAMING,
        parameter_overrides={"AwsEndpointUrl": "http://emulator:5000", "LocalJwtSecret": secret},
    )

    for function in model.functions.values():
        assert function.environment["AWS_ENDPOINT_URL"] == "http://emulator:5000"
        assert function.environment["JWT_SECRET"] == secret


def test_real_template_local_jwt_secret_parameter_is_no_echo_and_empty_by_default() -> None:
    parameters = load_template_file(REAL_TEMPLATE)["Parameters"]

    assert parameters["LocalJwtSecret"]["NoEcho"] is True
    assert parameters["LocalJwtSecret"]["Default"] == ""
    assert parameters["AwsEndpointUrl"]["Default"] == ""
