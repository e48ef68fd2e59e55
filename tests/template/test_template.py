"""template.yaml as AWS will see it: lint, SAM validation, the SAM transform, the build.

The SAM CLI lives in its own virtualenv (.venv-sam, created by infra/check_template.sh);
the transform runs there through infra/deploy/sam_transform.py. The build test reuses
.aws-sam/build when infra/check_template.sh finds it up to date (as after
`make template-check`), and builds otherwise.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from tests.template.cfn import Resolver, find_cycle, load_template

pytestmark = pytest.mark.template

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "template.yaml"
CHECK_SCRIPT = ROOT / "infra" / "check_template.sh"
SAM_VENV = ROOT / ".venv-sam"
BUILD_DIR = ROOT / ".aws-sam" / "build"
REQUIREMENTS = ROOT / "layers" / "dependencies" / "requirements.txt"

API_ID = "WaveDBHttpApi"
AUTHORIZER_NAME = "WaveDBAuthorizer"
AUTHORIZER_FUNCTION = "AuthorizerFunction"
PUBLIC_ROUTES = {
    ("get", "/health"),
    ("post", "/v1/auth/signup"),
    ("post", "/v1/auth/login"),
    ("post", "/v1/auth/refresh"),
    ("post", "/v1/auth/confirm-email"),
    # Tora compatibility, at the root and under /api.
    *(
        (method, prefix + path)
        for prefix in ("", "/api")
        for method, path in (
            ("post", "/signup"),
            ("get", "/signup/confirm"),
            ("post", "/login"),
            ("post", "/refresh"),
            ("get", "/workspace-roles"),
        )
    ),
    ("get", "/api/health"),
    # WaveDB compatibility.
    ("post", "/auth/register"),
    ("post", "/auth/login"),
}
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer")
ELF_MACHINE = {"x86_64": 62, "arm64": 183}

DEFAULTS: dict[str, str] = {}
EVERY_OPTION = {
    "DatabaseSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:wavedb-db-AbCdEf",
    "JwtSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:wavedb-jwt-AbCdEf",
    "VpcSubnetIds": "subnet-0123456789abcdef0,subnet-0123456789abcdef1",
    "VpcSecurityGroupIds": "sg-0123456789abcdef0",
    "CorsAllowedOrigins": "https://wavedb.example.com,http://localhost:5173",
    "RequireEmailConfirmation": "true",
    "EmailSender": "noreply@example.com",
    "PublicBaseUrl": "https://wavedb.example.com",
}
DATABASE_URL_ONLY = {"DatabaseUrl": "postgresql://wavedb:secret@db.example.com:5432/wavedb"}
SAM_LOCAL = {
    **DATABASE_URL_ONLY,
    "AwsEndpointUrl": "http://172.17.0.1:5000",
    "LocalJwtSecret": "local-signing-key-of-at-least-32-characters",
}
SCENARIOS = {
    "defaults": DEFAULTS,
    "every-option": EVERY_OPTION,
    "url-only": DATABASE_URL_ONLY,
    "sam-local": SAM_LOCAL,
}


def _run(command: list[str], timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command, cwd=ROOT, capture_output=True, text=True, timeout=timeout, check=False
    )


def _check_script(*steps: str) -> subprocess.CompletedProcess[str]:
    return _run(["bash", str(CHECK_SCRIPT), *steps], timeout=900)


def _explain(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n{result.stdout[-4000:]}\n{result.stderr[-4000:]}"


@pytest.fixture(scope="session")
def sam_python() -> Path:
    """The SAM CLI virtualenv's Python (installed by infra/check_template.sh if missing)."""
    result = _check_script("install")
    assert result.returncode == 0, _explain(result)
    return SAM_VENV / "bin" / "python"


@cache
def _transform(sam_python: Path, scenario: str) -> dict[str, Any]:
    arguments = [f"{name}={value}" for name, value in SCENARIOS[scenario].items()]
    result = _run(
        [str(sam_python), "infra/deploy/sam_transform.py", str(TEMPLATE), *arguments],
        timeout=120,
    )
    assert result.returncode == 0, _explain(result)
    transformed: dict[str, Any] = json.loads(result.stdout)
    return transformed


@pytest.fixture(scope="session")
def transformed(sam_python: Path) -> Callable[[str], dict[str, Any]]:
    """The SAM-transformed template for a parameter scenario (see SCENARIOS)."""
    return lambda scenario: _transform(sam_python, scenario)


@pytest.fixture(scope="session")
def source() -> dict[str, Any]:
    return load_template(TEMPLATE)


def _resources(template: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {
        name: resource
        for name, resource in template["Resources"].items()
        if resource["Type"] == kind
    }


def _function_setting(template: dict[str, Any], name: str, key: str) -> Any:
    properties = template["Resources"][name].get("Properties") or {}
    if key in properties:
        return properties[key]
    return (template.get("Globals") or {}).get("Function", {}).get(key)


def _http_api_body(template: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = template["Resources"][API_ID]["Properties"]["Body"]
    return body


def _routes(template: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, methods in _http_api_body(template)["paths"].items():
        for method, operation in methods.items():
            if isinstance(operation, dict) and "x-amazon-apigateway-integration" in operation:
                yield method, path, operation


def _actions(statement: dict[str, Any]) -> list[str]:
    actions = statement.get("Action", [])
    return [actions] if isinstance(actions, str) else list(actions)


# ---------------------------------------------------------------- the AWS tools


def test_cfn_lint_template_reports_nothing() -> None:
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = _run([str(cfn_lint), str(TEMPLATE)], timeout=300)
    assert result.returncode == 0, _explain(result)


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_cfn_lint_transformed_template_reports_nothing(
    transformed: Callable[[str], dict[str, Any]], scenario: str, tmp_path: Path
) -> None:
    output = tmp_path / f"transformed-{scenario}.json"
    output.write_text(json.dumps(transformed(scenario)))
    cfn_lint = Path(sys.executable).parent / "cfn-lint"
    result = _run([str(cfn_lint), str(output)], timeout=300)
    assert result.returncode == 0, _explain(result)


def test_sam_validate_lint_template_passes(sam_python: Path) -> None:
    result = _run(
        [str(sam_python.parent / "sam"), "validate", "--lint", "--template-file", str(TEMPLATE)],
        timeout=300,
    )
    assert result.returncode == 0, _explain(result)
    assert "is a valid SAM Template" in result.stdout + result.stderr


def test_transformed_template_resources_have_no_circular_dependency(
    transformed: Callable[[str], dict[str, Any]],
) -> None:
    cycle = find_cycle(transformed("defaults")["Resources"])
    assert cycle is None, "circular dependency: " + " -> ".join(cycle or [])


# ---------------------------------------------------------------- HTTP API and authorizer


def test_http_api_stage_default_is_the_only_auto_deployed_stage(
    transformed: Callable[[str], dict[str, Any]],
) -> None:
    stages = _resources(transformed("defaults"), "AWS::ApiGatewayV2::Stage")
    assert [stage["Properties"]["StageName"] for stage in stages.values()] == ["$default"]
    (stage,) = stages.values()
    assert stage["Properties"]["ApiId"] == {"Ref": API_ID}
    assert stage["Properties"]["AutoDeploy"] is True


def test_authorizer_request_lambda_has_no_identity_source_and_no_cache(
    transformed: Callable[[str], dict[str, Any]],
) -> None:
    template = transformed("defaults")
    schemes = _http_api_body(template)["components"]["securitySchemes"]
    authorizer = schemes[AUTHORIZER_NAME]["x-amazon-apigateway-authorizer"]
    assert authorizer["type"] == "request"
    assert authorizer.get("identitySource") in (None, [], "")
    assert authorizer["authorizerResultTtlInSeconds"] == 0
    assert authorizer["authorizerPayloadFormatVersion"] == "2.0"
    assert authorizer["enableSimpleResponses"] is True
    assert AUTHORIZER_FUNCTION in json.dumps(authorizer["authorizerUri"])
    # An authorizer created as a resource instead of in the OpenAPI body obeys the same rules.
    for resource in _resources(template, "AWS::ApiGatewayV2::Authorizer").values():
        properties = resource["Properties"]
        assert properties.get("IdentitySource") in (None, [], "")
        assert properties.get("AuthorizerResultTtlInSeconds") == 0


def test_authorizer_function_invocation_by_api_gateway_is_permitted(
    transformed: Callable[[str], dict[str, Any]],
) -> None:
    permissions = [
        resource["Properties"]
        for resource in _resources(transformed("defaults"), "AWS::Lambda::Permission").values()
        if resource["Properties"]["FunctionName"] == {"Fn::GetAtt": [AUTHORIZER_FUNCTION, "Arn"]}
    ]
    assert [permission["Principal"] for permission in permissions] == ["apigateway.amazonaws.com"]
    assert "/authorizers/" in json.dumps(permissions[0]["SourceArn"])


def test_http_api_routes_other_than_public_ones_use_the_authorizer(
    transformed: Callable[[str], dict[str, Any]],
) -> None:
    routes = list(_routes(transformed("defaults")))
    assert routes, "the HTTP API has no routes"
    for method, path, operation in routes:
        security = operation.get("security") or []
        names = {name for requirement in security for name in requirement}
        if (method, path) in PUBLIC_ROUTES:
            assert names <= {"NONE"}, f"{method.upper()} {path} must not need the authorizer"
        else:
            assert names == {AUTHORIZER_NAME}, f"{method.upper()} {path} skips the authorizer"
    missing = PUBLIC_ROUTES - {(method, path) for method, path, _ in routes}
    assert not missing, f"public routes missing from the API: {sorted(missing)}"


def _route_targets(template: dict[str, Any]) -> dict[tuple[str, str], list[str]]:
    """The functions each route integrates, by ARN or, on SnapStart, by alias."""
    callee = {"${" + name + ".Arn}": name for name in _resources(template, "AWS::Lambda::Function")}
    for alias, resource in _resources(template, "AWS::Lambda::Alias").items():
        callee["${" + alias + "}"] = resource["Properties"]["FunctionName"]["Ref"]
    return {
        (method, path): [
            name
            for ref, name in callee.items()
            if ref in json.dumps(operation["x-amazon-apigateway-integration"])
        ]
        for method, path, operation in _routes(template)
    }


def test_http_api_routes_each_integrate_one_function_with_payload_two(
    transformed: Callable[[str], dict[str, Any]],
) -> None:
    template = transformed("defaults")
    for method, path, operation in _routes(template):
        integration = operation["x-amazon-apigateway-integration"]
        assert integration["payloadFormatVersion"] == "2.0", f"{method} {path}"
    for (method, path), targets in _route_targets(template).items():
        assert len(targets) == 1, f"{method.upper()} {path} integrates {targets}"


@pytest.mark.parametrize("applied", ["PublishedVersions", "None"])
def test_http_functions_on_snapstart_as_the_parameter_says_are_called_through_their_alias(
    transformed: Callable[[str], dict[str, Any]], applied: str
) -> None:
    template = transformed("defaults")
    resolver = Resolver(template, {"SnapStartApplyOn": applied})
    http_functions = {name for [name] in _route_targets(template).values()}
    applied_on = {
        name: resolver.resolve(resource["Properties"].get("SnapStart", {})).get("ApplyOn")
        for name, resource in _resources(template, "AWS::Lambda::Function").items()
    }
    # Every function behind a route imports FastAPI (its cold start is over 300 ms).
    assert {name for name, value in applied_on.items() if value == applied} == http_functions
    assert {name for name, value in applied_on.items() if value is not None} == http_functions
    for method, path, operation in _routes(template):
        uri = json.dumps(operation["x-amazon-apigateway-integration"])
        for name in http_functions:
            assert "${" + name + ".Arn}" not in uri, f"{method.upper()} {path} skips the alias"


@pytest.mark.parametrize("scenario", ["defaults", "every-option"])
def test_http_api_cors_origins_several_origins_stay_separate(
    transformed: Callable[[str], dict[str, Any]], scenario: str
) -> None:
    template = transformed(scenario)
    resolver = Resolver(template, SCENARIOS[scenario])
    expected = SCENARIOS[scenario].get("CorsAllowedOrigins", "*").split(",")
    api_cors = resolver.resolve(_http_api_body(template)["x-amazon-apigateway-cors"])
    assert isinstance(api_cors, dict), f"the API's CORS is not an object: {api_cors}"
    assert api_cors["allowOrigins"] == expected
    bucket = resolver.resolve(template["Resources"]["MediaBucket"]["Properties"])
    assert [rule["AllowedOrigins"] for rule in bucket["CorsConfiguration"]["CorsRules"]] == [
        expected
    ]


# ---------------------------------------------------------------- functions and policies


def test_functions_directory_each_has_exactly_one_serverless_function(
    source: dict[str, Any],
) -> None:
    functions = _resources(source, "AWS::Serverless::Function")
    code_dirs = [
        str(resource["Properties"]["CodeUri"]).strip("/") for resource in functions.values()
    ]
    directories = sorted(
        path.name
        for path in (ROOT / "functions").iterdir()
        if path.is_dir() and not path.name.startswith((".", "_"))
    )
    for directory in directories:
        count = code_dirs.count(f"functions/{directory}")
        assert count == 1, f"functions/{directory} is the code of {count} functions"
    for name, code_dir in zip(functions, code_dirs, strict=True):
        handler = str(_function_setting(source, name, "Handler"))
        module = handler.rpartition(".")[0].replace(".", "/")
        assert (ROOT / code_dir / f"{module}.py").is_file(), f"{name}: {code_dir}/{module}.py"


def test_functions_architecture_matches_layers(source: dict[str, Any]) -> None:
    functions = _resources(source, "AWS::Serverless::Function")
    architectures = {
        str((_function_setting(source, name, "Architectures") or ["x86_64"])[0])
        for name in functions
    }
    assert len(architectures) == 1, architectures
    (architecture,) = architectures
    for name, layer in _resources(source, "AWS::Serverless::LayerVersion").items():
        assert layer["Properties"]["CompatibleArchitectures"] == [architecture], name
        assert layer["Metadata"]["BuildArchitecture"] == architecture, name


@pytest.mark.parametrize("scenario", sorted(SCENARIOS))
def test_function_policies_any_parameters_no_empty_statement_and_no_wildcard_action(
    transformed: Callable[[str], dict[str, Any]], scenario: str
) -> None:
    template = transformed(scenario)
    resolver = Resolver(template, SCENARIOS[scenario])
    roles = _resources(template, "AWS::IAM::Role")
    assert roles, "no IAM roles"
    for role_name, role in roles.items():
        properties = resolver.resolve(role["Properties"])
        for policy in properties.get("Policies", []):
            statements = policy["PolicyDocument"]["Statement"]
            assert statements, f"{role_name}/{policy['PolicyName']}: empty Statement list"
            for statement in statements:
                for action in _actions(statement):
                    grant = f"{role_name}/{policy['PolicyName']} grants {action}"
                    assert action != "*", grant
                    assert not action.endswith(":*"), grant
                assert statement.get("Resource") not in (None, []), f"{role_name}: no Resource"


def test_function_policies_database_secret_readable_only_when_configured(
    transformed: Callable[[str], dict[str, Any]],
) -> None:
    for scenario, expect_secret in (("defaults", False), ("every-option", True)):
        template = transformed(scenario)
        resolver = Resolver(template, SCENARIOS[scenario])
        secret_arn = EVERY_OPTION["DatabaseSecretArn"]
        for name in _resources(template, "AWS::Lambda::Function"):
            role = resolver.resolve(template["Resources"][f"{name}Role"]["Properties"])
            text = json.dumps(role.get("Policies", []))
            assert (secret_arn in text) is expect_secret, f"{scenario}: {name}"


def test_function_environment_local_variables_declared_only_when_their_parameters_are_set(
    transformed: Callable[[str], dict[str, Any]],
) -> None:
    for scenario in ("defaults", "every-option", "sam-local"):
        template = transformed(scenario)
        resolver = Resolver(template, SCENARIOS[scenario])
        for name in _resources(template, "AWS::Lambda::Function"):
            properties = resolver.resolve(template["Resources"][name]["Properties"])
            variables = properties["Environment"]["Variables"]
            if scenario == "sam-local":
                assert variables["AWS_ENDPOINT_URL"] == SAM_LOCAL["AwsEndpointUrl"], name
                assert variables["JWT_SECRET"] == SAM_LOCAL["LocalJwtSecret"], name
            else:
                assert "AWS_ENDPOINT_URL" not in variables, f"{scenario}: {name}"
                assert "JWT_SECRET" not in variables, f"{scenario}: {name}"


# ---------------------------------------------------------------- queues and bucket


WORKER_QUEUES = [
    ("IngestQueue", "IngestDeadLetterQueue"),
    ("MediaNotificationQueue", "MediaNotificationDeadLetterQueue"),
    ("ExportQueue", "ExportDeadLetterQueue"),
]


@pytest.mark.parametrize(("queue", "dead_letter_queue"), WORKER_QUEUES)
def test_worker_queue_redrive_targets_its_dead_letter_queue(
    source: dict[str, Any], queue: str, dead_letter_queue: str
) -> None:
    resources = source["Resources"]
    redrive = resources[queue]["Properties"]["RedrivePolicy"]
    assert redrive["deadLetterTargetArn"] == {"Fn::GetAtt": [dead_letter_queue, "Arn"]}
    assert 1 <= int(redrive["maxReceiveCount"]) <= 10
    queue_retention = int(resources[queue]["Properties"]["MessageRetentionPeriod"])
    dlq_retention = int(resources[dead_letter_queue]["Properties"]["MessageRetentionPeriod"])
    assert dlq_retention > queue_retention, "the DLQ must keep messages longer than the queue"


@pytest.mark.parametrize("queue", [queue for queue, _ in WORKER_QUEUES])
def test_worker_queue_visibility_timeout_covers_six_worker_timeouts(
    source: dict[str, Any], queue: str
) -> None:
    arn = {"Fn::GetAtt": [queue, "Arn"]}
    workers = [
        name
        for name, function in _resources(source, "AWS::Serverless::Function").items()
        for event in (function["Properties"].get("Events") or {}).values()
        if event["Type"] == "SQS" and event["Properties"]["Queue"] == arn
    ]
    assert workers, f"no function reads {queue}"
    timeouts = [int(_function_setting(source, name, "Timeout")) for name in workers]
    visibility = int(source["Resources"][queue]["Properties"]["VisibilityTimeout"])
    assert visibility >= 6 * max(timeouts), f"{visibility}s < 6 x {max(timeouts)}s"


def test_media_bucket_notifies_the_media_queue_which_only_s3_of_the_account_may_send_to(
    source: dict[str, Any],
) -> None:
    resources = source["Resources"]
    bucket = resources["MediaBucket"]
    (notification,) = bucket["Properties"]["NotificationConfiguration"]["QueueConfigurations"]
    assert notification["Queue"] == {"Fn::GetAtt": ["MediaNotificationQueue", "Arn"]}
    assert notification["Event"] == "s3:ObjectCreated:*"
    assert notification["Filter"]["S3Key"]["Rules"] == [{"Name": "prefix", "Value": "runs/"}]
    assert bucket["DependsOn"] == "MediaNotificationQueuePolicy"
    (statement,) = resources["MediaNotificationQueuePolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    assert statement["Principal"] == {"Service": "s3.amazonaws.com"}
    assert statement["Action"] == "sqs:SendMessage"
    assert statement["Condition"] == {
        "StringEquals": {"aws:SourceAccount": {"Ref": "AWS::AccountId"}}
    }


def test_media_bucket_keeps_versions_and_expires_abandoned_uploads(
    source: dict[str, Any],
) -> None:
    properties = source["Resources"]["MediaBucket"]["Properties"]
    rules = {rule["Id"]: rule for rule in properties["LifecycleConfiguration"]["Rules"]}
    assert properties["VersioningConfiguration"] == {"Status": "Enabled"}
    pending = rules["expire-pending-uploads"]
    assert pending["TagFilters"] == [{"Key": "wavedb-upload", "Value": "pending"}]
    assert 1 <= pending["ExpirationInDays"] <= 7
    assert rules["expire-replaced-versions"]["NoncurrentVersionExpiration"]["NoncurrentDays"] >= 1
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"]


def test_media_bucket_expires_export_objects_after_the_retention_the_settings_state(
    source: dict[str, Any],
) -> None:
    from wavedb_core.settings import Settings

    properties = source["Resources"]["MediaBucket"]["Properties"]
    rules = {rule["Id"]: rule for rule in properties["LifecycleConfiguration"]["Rules"]}
    exports = rules["expire-exports"]
    assert exports["Status"] == "Enabled"
    assert exports["Prefix"] == "exports/"
    assert exports["ExpirationInDays"] == Settings.model_fields["export_retention_days"].default
    # An export abandoned mid-upload (the worker died) is removed too.
    assert rules["abort-incomplete-uploads"]["AbortIncompleteMultipartUpload"]


@pytest.mark.parametrize("function", ["ExportsFunction", "ExportWorkerFunction"])
def test_export_functions_reach_only_export_objects_of_the_media_bucket(
    source: dict[str, Any], function: str
) -> None:
    policies = source["Resources"][function]["Properties"]["Policies"]
    s3_statements = [
        statement
        for policy in policies
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
        if isinstance(statement, dict)
        and "Action" in statement
        and any(action.startswith("s3:") for action in _actions(statement))
    ]
    assert s3_statements, f"{function} has no S3 permission"
    for statement in s3_statements:
        assert statement["Resource"] == {"Fn::Sub": "${MediaBucket.Arn}/exports/*"}


@pytest.mark.parametrize(
    "function",
    ["MediaFunction", "MediaWorkerFunction", "MediaJanitorFunction", "WaveDBCompatFunction"],
)
def test_media_functions_reach_only_run_objects_of_the_media_bucket(
    source: dict[str, Any], function: str
) -> None:
    policies = source["Resources"][function]["Properties"]["Policies"]
    statements = [
        statement
        for policy in policies
        if isinstance(policy, dict) and "Statement" in policy
        for statement in policy["Statement"]
        if isinstance(statement, dict) and "Action" in statement
    ]
    s3_statements = [
        statement
        for statement in statements
        if any(action.startswith("s3:") for action in _actions(statement))
    ]
    assert s3_statements, f"{function} has no S3 permission"
    for statement in s3_statements:
        if _actions(statement) == ["s3:ListBucketVersions"]:
            assert statement["Condition"] == {"StringLike": {"s3:prefix": "runs/*"}}
        else:
            assert statement["Resource"] == {"Fn::Sub": "${MediaBucket.Arn}/runs/*"}


def test_media_bucket_blocks_public_access_and_allows_browser_uploads(
    source: dict[str, Any],
) -> None:
    properties = source["Resources"]["MediaBucket"]["Properties"]
    block = properties["PublicAccessBlockConfiguration"]
    assert all(
        block[key] is True
        for key in (
            "BlockPublicAcls",
            "BlockPublicPolicy",
            "IgnorePublicAcls",
            "RestrictPublicBuckets",
        )
    )
    assert properties["OwnershipControls"]["Rules"] == [{"ObjectOwnership": "BucketOwnerEnforced"}]
    assert properties["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    methods = {
        m for rule in properties["CorsConfiguration"]["CorsRules"] for m in rule["AllowedMethods"]
    }
    assert "POST" in methods, "presigned POST uploads need POST in the bucket's CORS rules"
    policy = source["Resources"]["MediaBucketPolicy"]["Properties"]["PolicyDocument"]
    assert any(
        statement["Effect"] == "Deny"
        and statement.get("Condition", {}).get("Bool", {}).get("aws:SecureTransport") == "false"
        for statement in policy["Statement"]
    )


def test_outputs_name_api_url_bucket_and_queues(source: dict[str, Any]) -> None:
    outputs = source["Outputs"]
    expected = {
        "ApiUrl": API_ID,
        "MediaBucketName": "MediaBucket",
        "IngestQueueUrl": "IngestQueue",
        "IngestDeadLetterQueueUrl": "IngestDeadLetterQueue",
        "MediaNotificationQueueUrl": "MediaNotificationQueue",
        "MediaNotificationDeadLetterQueueUrl": "MediaNotificationDeadLetterQueue",
        "ExportQueueUrl": "ExportQueue",
        "ExportDeadLetterQueueUrl": "ExportDeadLetterQueue",
        "MigrateFunctionName": "MigrateFunction",
        "DashboardUrl": "DashboardDistribution",
        "DashboardBucketName": "DashboardBucket",
        "DashboardDistributionId": "DashboardDistribution",
    }
    for output, resource in expected.items():
        assert resource in json.dumps(outputs[output]["Value"]), output


def _distribution(source: dict[str, Any]) -> dict[str, Any]:
    return source["Resources"]["DashboardDistribution"]["Properties"]["DistributionConfig"]  # type: ignore[no-any-return]


def test_dashboard_bucket_is_private_and_readable_only_by_its_distribution(
    source: dict[str, Any],
) -> None:
    block = source["Resources"]["DashboardBucket"]["Properties"]["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert len(block) == 4
    statements = source["Resources"]["DashboardBucketPolicy"]["Properties"]["PolicyDocument"][
        "Statement"
    ]
    [allow] = [statement for statement in statements if statement["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    assert allow["Action"] == "s3:GetObject"
    assert "DashboardDistribution" in json.dumps(allow["Condition"]["StringEquals"])
    [origin] = [o for o in _distribution(source)["Origins"] if o["Id"] == "dashboard"]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["DashboardOriginAccessControl", "Id"]}


def test_dashboard_distribution_serves_the_api_on_the_same_origin_uncached(
    source: dict[str, Any],
) -> None:
    config = _distribution(source)
    [api_origin] = [o for o in config["Origins"] if o["Id"] == "api"]
    assert API_ID in json.dumps(api_origin["DomainName"])
    assert api_origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    behaviours = {b["PathPattern"]: b for b in config["CacheBehaviors"]}
    api = behaviours["/v1/*"]
    assert api["TargetOriginId"] == "api"
    assert {"POST", "PATCH", "DELETE", "OPTIONS"} <= set(api["AllowedMethods"])
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # CachingDisabled
    assert api["Compress"] is True  # JSON series answers are gzip/brotli-compressed
    # AllViewerExceptHostHeader: Authorization and x-api-key reach the API, Host does not.
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"
    assert config["DefaultCacheBehavior"]["TargetOriginId"] == "dashboard"
    assert config["DefaultCacheBehavior"]["ViewerProtocolPolicy"] == "redirect-to-https"
    assert config["DefaultRootObject"] == "index.html"


def test_dashboard_security_headers_match_the_local_stack(source: dict[str, Any]) -> None:
    from wavedb_local.site import CONTENT_SECURITY_POLICY

    policy = source["Resources"]["DashboardSecurityHeaders"]["Properties"][
        "ResponseHeadersPolicyConfig"
    ]["SecurityHeadersConfig"]
    deployed = " ".join(policy["ContentSecurityPolicy"]["ContentSecurityPolicy"].split())
    # Locally, media also comes from the emulator over plain http.
    assert deployed == CONTENT_SECURITY_POLICY.replace(" http:", "")
    assert policy["FrameOptions"]["FrameOption"] == "DENY"
    default_behaviour = _distribution(source)["DefaultCacheBehavior"]
    assert default_behaviour["ResponseHeadersPolicyId"] == {"Ref": "DashboardSecurityHeaders"}


# ---------------------------------------------------------------- sam build output


@pytest.fixture(scope="module")
def build_dir() -> Path:
    """.aws-sam/build, built by infra/check_template.sh unless it is already up to date."""
    result = _check_script("build")
    assert result.returncode == 0, _explain(result)
    return BUILD_DIR


def _built_template(build_dir: Path) -> dict[str, Any]:
    return load_template(build_dir / "template.yaml")


def _layer_site(build_dir: Path, layer: str) -> Path:
    return build_dir / layer / "python"


def test_sam_build_core_layer_holds_wavedb_core_package(build_dir: Path) -> None:
    package = _layer_site(build_dir, "CoreLayer") / "wavedb_core"
    assert (package / "__init__.py").is_file()
    assert list((package / "migrations").glob("*.sql")), "migrations must ship in the layer"


def test_sam_build_dependencies_layer_holds_pins_without_runtime_packages(
    build_dir: Path,
) -> None:
    site = _layer_site(build_dir, "DependenciesLayer")
    for module in ("fastapi", "pydantic", "pydantic_core", "psycopg", "psycopg_binary"):
        assert (site / module / "__init__.py").is_file(), module
    for module in RUNTIME_PROVIDED:
        assert not (site / module).exists(), f"{module} shadows the runtime's copy"
        assert not list(site.glob(f"{module}-*.dist-info")), module
    installed = {
        info.name.removesuffix(".dist-info").lower().replace("-", "_")
        for info in site.glob("*.dist-info")
    }
    for line in REQUIREMENTS.read_text().splitlines():
        requirement = line.split("#", 1)[0].strip()
        if requirement:
            name, version = requirement.split("==")
            dist = name.split("[", 1)[0].lower().replace("-", "_").replace(".", "_")
            assert f"{dist}_{version}".replace("-", "_") in installed, requirement


def test_sam_build_layers_ship_unchecked_bytecode_for_the_runtime(build_dir: Path) -> None:
    """Lambda's /opt is read-only: a module without a .pyc of the runtime's own version is
    compiled from source on every cold start (about twice the import time)."""
    runtime = str(_function_setting(_built_template(build_dir), AUTHORIZER_FUNCTION, "Runtime"))
    version = runtime.removeprefix("python")
    if _interpreter_of_version(version) is None:
        pytest.skip(f"no Python {version} here to compile the layers' bytecode")
    for layer in ("CoreLayer", "DependenciesLayer"):
        _assert_unchecked_bytecode(_layer_site(build_dir, layer), version)


def test_sam_build_functions_with_packages_ship_unchecked_bytecode(build_dir: Path) -> None:
    """/var/task is read-only too: a function with packages of its own ships their bytecode."""
    template = _built_template(build_dir)
    runtime = str(_function_setting(template, AUTHORIZER_FUNCTION, "Runtime"))
    version = runtime.removeprefix("python")
    if _interpreter_of_version(version) is None:
        pytest.skip(f"no Python {version} here to compile the functions' bytecode")
    code_dirs = {
        name: build_dir / str(function["Properties"]["CodeUri"])
        for name, function in _resources(template, "AWS::Serverless::Function").items()
    }
    with_packages = {name for name, code in code_dirs.items() if list(code.glob("*/__init__.py"))}
    assert {"ToraFunction", "WaveDBCompatFunction"} <= with_packages
    for name in sorted(with_packages):
        _assert_unchecked_bytecode(code_dirs[name], version)


def _assert_unchecked_bytecode(folder: Path, version: str) -> None:
    tag = f"cpython-{version.replace('.', '')}"
    sources = list(folder.rglob("*.py"))
    assert sources, folder
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"
        assert compiled.is_file(), f"no bytecode for {source}"
        # PEP 552 flags: 0b01 = hash-based and not checked against the source.
        flags = int.from_bytes(compiled.read_bytes()[4:8], "little")
        assert flags == 0b01, f"{compiled}: flags {flags:#b}"


def test_sam_build_dependencies_layer_native_code_matches_function_architecture(
    build_dir: Path,
) -> None:
    template = _built_template(build_dir)
    (function_name, *_) = _resources(template, "AWS::Serverless::Function")
    architecture = str(
        (_function_setting(template, function_name, "Architectures") or ["x86_64"])[0]
    )
    site = _layer_site(build_dir, "DependenciesLayer")
    libraries = [path for path in site.rglob("*.so*") if path.is_file()]
    assert libraries, "no native libraries in the dependencies layer"
    wrong = []
    for path in libraries:
        header = path.read_bytes()[:20]
        if (
            header[:4] == b"\x7fELF"
            and int.from_bytes(header[18:20], "little") != ELF_MACHINE[architecture]
        ):
            wrong.append(str(path.relative_to(site)))
    assert not wrong, f"not {architecture}: {wrong}"
    for package in ("psycopg_binary", "pydantic_core", "_argon2_cffi_bindings"):
        assert list((site / package).glob("*.so")), f"{package} has no native module"


def test_sam_build_functions_each_hold_their_handler_module(build_dir: Path) -> None:
    template = _built_template(build_dir)
    functions = _resources(template, "AWS::Serverless::Function")
    assert functions
    for name, function in functions.items():
        module = str(_function_setting(template, name, "Handler")).rpartition(".")[0]
        code = build_dir / str(function["Properties"]["CodeUri"])
        assert (code / f"{module.replace('.', '/')}.py").is_file(), f"{name}: {code}"


# Stands in for what the Lambda Python runtime itself provides besides the standard library.
RUNTIME_PACKAGES = (
    "boto3",
    "botocore",
    "s3transfer",
    "jmespath",
    "python-dateutil",
    "six",
    "urllib3",
)


@pytest.fixture(scope="module")
def runtime_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """boto3 and its dependencies alone, at the versions pinned in constraints.txt."""
    pins = {
        line.split("==")[0].lower(): line.strip()
        for line in (ROOT / "constraints.txt").read_text().splitlines()
        if "==" in line and not line.startswith("#")
    }
    target = tmp_path_factory.mktemp("lambda-runtime")
    requirements = [pins.get(name, name) for name in RUNTIME_PACKAGES]
    result = _run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--no-deps",
            "--target",
            str(target),
            *requirements,
        ],
        timeout=300,
    )
    assert result.returncode == 0, _explain(result)
    return target


@dataclass(frozen=True)
class LambdaPython:
    """The interpreter that imports the built handlers, and the dependencies layer it uses."""

    executable: str
    dependencies_site: Path


def _python_version(executable: str) -> str | None:
    try:
        result = subprocess.run(
            [executable, "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except OSError:
        return None
    return result.stdout.strip() if result.returncode == 0 else None


def _interpreter_of_version(version: str) -> str | None:
    """A Python of this version on this machine (on PATH, or one pyenv installed)."""
    candidates = [shutil.which(f"python{version}")]
    candidates += [
        str(path) for path in Path.home().glob(f".pyenv/versions/{version}.*/bin/python{version}")
    ]
    return next((path for path in candidates if path and _python_version(path) == version), None)


@pytest.fixture(scope="module")
def lambda_python(build_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> LambdaPython:
    """The runtime's Python with the built layers when this machine has one. Otherwise this
    Python, with the same pins installed for it by the same Makefile target: the imports are
    still checked against the layers and the runtime alone (the native modules' CPython and
    glibc tags are checked by infra/deploy/check_build.py)."""
    runtime = str(_function_setting(_built_template(build_dir), AUTHORIZER_FUNCTION, "Runtime"))
    version = runtime.removeprefix("python")
    built_site = _layer_site(build_dir, "DependenciesLayer")
    interpreter = _interpreter_of_version(version)
    if interpreter is not None:
        return LambdaPython(interpreter, built_site)
    artifacts = tmp_path_factory.mktemp("dependencies-layer")
    local_version = f"{sys.version_info.major}.{sys.version_info.minor}"
    result = _run(
        [
            "make",
            "-C",
            str(ROOT / "infra" / "deploy"),
            "build-DependenciesLayer",
            f"ARTIFACTS_DIR={artifacts}",
            f"LAMBDA_PYTHON_VERSION={local_version}",
            f"LAYER_PYTHON={sys.executable}",
            f"REQUIREMENTS={REQUIREMENTS}",
        ],
        timeout=600,
    )
    assert result.returncode == 0, _explain(result)
    return LambdaPython(sys.executable, artifacts / "python")


def test_sam_build_functions_import_with_only_their_layers_and_the_runtime(
    build_dir: Path, runtime_site: Path, lambda_python: LambdaPython
) -> None:
    template = _built_template(build_dir)
    layers = [
        build_dir / str(layer["Properties"]["ContentUri"]) / "python"
        for layer in _resources(template, "AWS::Serverless::LayerVersion").values()
    ]
    layers = [
        lambda_python.dependencies_site
        if layer == _layer_site(build_dir, "DependenciesLayer")
        else layer
        for layer in layers
    ]
    for name, function in _resources(template, "AWS::Serverless::Function").items():
        module, _, attribute = str(_function_setting(template, name, "Handler")).rpartition(".")
        path = [str(build_dir / str(function["Properties"]["CodeUri"]))]
        path += [str(layer) for layer in layers] + [str(runtime_site)]
        script = (
            f"import sys; sys.path[:0] = {path!r}; import importlib; "
            f"handler = getattr(importlib.import_module({module!r}), {attribute!r}); "
            "assert callable(handler)"
        )
        # -I -S: no site-packages and no PYTHONPATH, only the paths Lambda would have;
        # -B: nothing written into the build, which `sam deploy` packages as it is.
        result = subprocess.run(
            [lambda_python.executable, "-I", "-S", "-B", "-c", script],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
            env={"PATH": "/usr/bin:/bin", "AWS_REGION": "us-east-1", "HOME": str(runtime_site)},
        )
        assert result.returncode == 0, f"{name}: {_explain(result)}"
