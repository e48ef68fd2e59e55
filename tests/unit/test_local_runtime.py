"""Loading handlers by file path and invoking them with a Lambda context."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.function_specs import function_spec
from wavedb_local.limits import (
    LAMBDA_REQUEST_LIMIT_BYTES,
    LAMBDA_RESPONSE_LIMIT_BYTES,
    FunctionTimedOut,
    PayloadTooLarge,
)
from wavedb_local.model import FunctionSpec
from wavedb_local.runtime import FunctionLoadError, FunctionRegistry, LambdaContext
from wavedb_local.schedules import schedule_interval_seconds

FUNCTIONS = Path(__file__).resolve().parents[1] / "fixtures/local_stack/functions"
LAYERS = Path(__file__).resolve().parents[1] / "fixtures/local_stack/layers"


def _spec(logical_id: str, folder: str, handler: str = "app.handler") -> FunctionSpec:
    return function_spec(
        logical_id,
        name=f"stack-{logical_id}",
        arn=f"arn:aws:lambda:us-east-1:123456789012:function:stack-{logical_id}",
        code_dir=FUNCTIONS / folder,
        handler=handler,
        timeout_seconds=7,
        memory_mb=256,
        environment={},
    )


def test_registry_two_app_modules_load_side_by_side() -> None:
    registry = FunctionRegistry({"Tick": _spec("Tick", "tick"), "Echo": _spec("Echo", "echo")})

    tick = registry.get("Tick")
    echo = registry.get("Echo")

    assert tick.module is not echo.module
    assert tick.module.__name__ != echo.module.__name__
    assert registry.invoke("Tick", {"detail-type": "Scheduled Event"}) == {
        "ticked": "Scheduled Event"
    }


def test_registry_function_importing_its_own_package_when_invoked_finds_it() -> None:
    registry = FunctionRegistry({"Own": _spec("Own", "own_package")})

    assert registry.invoke("Own", {}) == {"answer": "from the function's own folder"}


def test_registry_function_folder_is_searched_before_its_layers() -> None:
    spec = function_spec(
        "Own",
        code_dir=FUNCTIONS / "own_package",
        handler="app.origin",
        layer_dirs=(LAYERS / "own_package_layer",),
    )
    registry = FunctionRegistry({"Own": spec})

    assert registry.invoke("Own", {}) == {"origin": "function"}


def test_registry_missing_handler_module_raises_load_error() -> None:
    registry = FunctionRegistry({"Gone": _spec("Gone", "does_not_exist")})

    with pytest.raises(FunctionLoadError, match="no handler module"):
        registry.get("Gone")


def test_registry_missing_handler_attribute_raises_load_error() -> None:
    registry = FunctionRegistry({"Tick": _spec("Tick", "tick", handler="app.nothing")})

    with pytest.raises(FunctionLoadError, match="no callable 'nothing'"):
        registry.get("Tick")


def test_lambda_context_describes_the_function() -> None:
    context = LambdaContext(_spec("Echo", "echo"), request_id="req-1")

    assert context.function_name == "stack-Echo"
    assert context.memory_limit_in_mb == 256
    assert context.invoked_function_arn.endswith(":function:stack-Echo")
    assert context.aws_request_id == "req-1"
    assert context.log_group_name == "/aws/lambda/stack-Echo"
    assert 6000 < context.get_remaining_time_in_millis() <= 7000


@pytest.mark.parametrize(
    ("expression", "seconds"),
    [
        ("rate(1 minute)", 60.0),
        ("rate(5 minutes)", 300.0),
        ("rate(2 hours)", 7200.0),
        ("cron(0 12 * * ? *)", 60.0),
    ],
)
def test_schedule_interval_seconds_reads_rate_expressions(expression: str, seconds: float) -> None:
    assert schedule_interval_seconds(expression) == seconds


def test_registry_invocation_longer_than_the_function_timeout_fails() -> None:
    spec = function_spec(
        "Echo",
        code_dir=FUNCTIONS / "echo",
        timeout_seconds=1,
    )
    registry = FunctionRegistry({"Echo": spec})
    event = {"pathParameters": {"name": "sleep"}, "queryStringParameters": {"seconds": "1.2"}}

    with pytest.raises(FunctionTimedOut, match=r"Task timed out after 1\.00 seconds"):
        registry.invoke("Echo", event)


def test_registry_answer_over_the_lambda_response_limit_fails() -> None:
    registry = FunctionRegistry({"Echo": _spec("Echo", "echo")})
    event = {
        "pathParameters": {"name": "large"},
        "queryStringParameters": {"bytes": str(LAMBDA_RESPONSE_LIMIT_BYTES)},
    }

    with pytest.raises(PayloadTooLarge, match="6291556 bytes"):
        registry.invoke("Echo", event)


def test_registry_answer_within_the_lambda_response_limit_is_returned() -> None:
    registry = FunctionRegistry({"Echo": _spec("Echo", "echo")})
    event = {
        "pathParameters": {"name": "large"},
        "queryStringParameters": {"bytes": str(6 * 1024 * 1024)},
    }

    assert len(registry.invoke("Echo", event)["body"]) == 6 * 1024 * 1024


def test_registry_event_over_the_lambda_request_limit_is_refused_before_the_handler() -> None:
    registry = FunctionRegistry({"Tick": _spec("Tick", "tick")})

    with pytest.raises(PayloadTooLarge, match="6291456 bytes"):
        registry.invoke_synchronously("Tick", {"padding": "x" * LAMBDA_REQUEST_LIMIT_BYTES})
