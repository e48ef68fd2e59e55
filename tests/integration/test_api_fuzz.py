"""Generated requests for every route in the merged OpenAPI document: whatever a client
sends, the API answers with a status below 500 and, for errors, a JSON body that says what
went wrong."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings

from tests.support.accounts import sign_up
from wavedb_local.stack import LocalStack

# Answers of API Gateway itself (not our functions) carry only a message.
_GATEWAY_BODIES = ({"message": "Not Found"}, {"message": "Forbidden"})
_EXAMPLES_PER_ROUTE = 40


def _operations(stack: LocalStack) -> dict[str, Any]:
    schema = schemathesis.openapi.from_asgi("/openapi.json", stack.build_gateway())
    results: list[Any] = list(schema.get_all_operations())  # Ok(operation) or Err(problem)
    operations = [result.ok() for result in results]
    return {f"{operation.method.upper()} {operation.path}": operation for operation in operations}


@pytest.fixture(scope="module")
def operations(local_stack: LocalStack) -> dict[str, Any]:
    return _operations(local_stack)


def test_fuzzing_covers_every_route_of_the_template(
    operations: dict[str, Any], local_stack: LocalStack
) -> None:
    assert local_stack.model is not None
    assert set(operations) == {route.route_key for route in local_stack.model.routes}


def test_generated_requests_never_get_server_errors(operations: dict[str, Any], api: Any) -> None:
    bearer = sign_up(api).bearer

    def answers_cleanly(case: Any) -> None:
        response = case.call(headers={**bearer, **dict(case.headers or {})})
        assert response.status_code < 500, (case.method, case.formatted_path, response.text)
        if response.status_code >= 400:
            body = response.json()
            assert _says_what_went_wrong(body), response.text
            if case.path.startswith("/v1/") and body not in _GATEWAY_BODIES:
                assert {"code", "message"} <= set(body), body

    for operation in operations.values():
        _for_generated_cases(operation, answers_cleanly)


def _says_what_went_wrong(body: Any) -> bool:
    """An error body is a JSON object with a human message: ours `{code, message}`, Tora's
    `{status, error, message}` (its 401 nests it: `{status, data: {error, message}}`), the
    original WaveDB's `{message}` or `{name, message, reasons}`."""
    if not isinstance(body, dict):
        return False
    if body in _GATEWAY_BODIES:
        return True
    data = body.get("data")
    nested: dict[str, Any] = data if isinstance(data, dict) else {}
    message = body.get("message", nested.get("message"))
    return isinstance(message, str) and bool(message)


def _for_generated_cases(operation: Any, check: Callable[[Any], None]) -> None:
    """Run `check` on cases generated from the operation's schema (Hypothesis shrinks failures)."""

    @given(case=operation.as_strategy())
    @settings(
        max_examples=_EXAMPLES_PER_ROUTE,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        check(case)

    run()
