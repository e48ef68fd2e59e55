"""Generated requests for every route of the OpenAPI document the served stack publishes
at /openapi.json, sent over real HTTP by a signed-up user: no answer is a server error, and
every answer is what the document says (a declared status code, its content type, a body
that matches its schema). Errors are JSON that says what went wrong.

Each route gets positive and negative cases, and a share of positive cases naming the
user's real objects in the path (so they reach past the 404 of an unknown id).

The cases are the same on every run, so a failure in CI is one anybody can replay;
`WAVEDB_FUZZ_RANDOM=1` draws new ones each run (and `WAVEDB_FUZZ_EXAMPLES=100` more of
them) to look further."""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    missing_required_header,
    negative_data_rejection,
    positive_data_acceptance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
    unsupported_method,
    use_after_free,
)

from tests.security.objects import OwnedObjects, make_objects, path_parameters
from tests.support.accounts import PASSWORD, SignedUpUser, sign_up
from tests.support.media import png_bytes
from wavedb_local.stack import LocalStack

# 125 routes x 10 cases: about 45 s on 2 busy cores.
_EXAMPLES_PER_ROUTE = int(os.environ.get("WAVEDB_FUZZ_EXAMPLES", "10"))
_RANDOM = os.environ.get("WAVEDB_FUZZ_RANDOM") == "1"
_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    response_headers_conformance,
    positive_data_acceptance,
    negative_data_rejection,
    missing_required_header,
    unsupported_method,
    use_after_free,
]
# Answers of API Gateway itself (not our functions) carry only a message.
_GATEWAY_BODIES = ({"message": "Not Found"}, {"message": "Forbidden"})
_SESSION_ENDING = "POST /v1/auth/logout"

pytestmark = pytest.mark.timeout(240)


@dataclass(frozen=True)
class Unschematic:
    """A parameter whose valid values no schema can describe (the document says so in its
    description and declares the refusal): positive cases send `good()` in its place, or
    leave it out when `good` is None, so that positive_data_acceptance judges the rest."""

    reason: str
    good: Callable[[], Any] | None = None


def _future() -> str:
    return (datetime.now(UTC) + timedelta(days=30)).isoformat()


def _unknown_id() -> str:
    return str(uuid.uuid4())


_CURSOR = Unschematic("opaque: only the next_cursor of a previous page is one (else 400)")
_RUN_FILTER = Unschematic(
    "the run filter language (a grammar, and field names known only to the runs in scope):"
    " a malformed filter or an unknown field is 400",
    lambda: "status = running or (config.lr < 0.01 and not name ~ smoke)",
)
_RUN_SORT = Unschematic(
    "a field of the run filter language, maybe after '-': anything else is 400",
    lambda: "-created_at",
)
_PASSWORD = Unschematic("strength (zxcvbn: not common, not the e-mail or name)", lambda: PASSWORD)
_SOLE_OWNER = Unschematic(
    "the objects' workspace has its owner as sole owner, who cannot leave (Tora: 400)",
    _unknown_id,
)
# Route -> parameter (in the path, the query or the body) -> why; every other parameter
# of every route is generated from the document and judged by every check.
_UNSCHEMATIC: dict[str, dict[str, Unschematic]] = {
    "GET /v1/projects/{project_id}/runs": {
        "cursor": _CURSOR,
        "filter": _RUN_FILTER,
        "sort": _RUN_SORT,
    },
    "GET /v1/runs": {"cursor": _CURSOR, "filter": _RUN_FILTER, "sort": _RUN_SORT},
    "GET /v1/runs/{run_id}/media": {"cursor": _CURSOR},
    "GET /v1/runs/{run_id}/series": {"cursor": _CURSOR},
    "POST /v1/auth/signup": {"password": _PASSWORD},
    "POST /signup": {"password": _PASSWORD},
    "POST /api/signup": {"password": _PASSWORD},
    "POST /auth/register": {"password": _PASSWORD},
    "POST /v1/api-keys": {"expires_at": Unschematic("must be in the future", _future)},
    "POST /metric/image/{projectId}/{runnerId}": {
        "value": Unschematic("the bytes must be a PNG or JPEG image", lambda: png_bytes())
    },
    "POST /v1/runs/{run_id}/media": {
        "histogram": Unschematic(
            "bin edges: one more than the counts, in increasing order",
            lambda: {"values": [0.5, 1.5, 1.5]},
        )
    },
    # "points[]." names a field of each item of the body's `points`.
    "POST /v1/runs/{run_id}/metrics": {
        "points[].timestamp": Unschematic(
            "from 1970-01-01T00:00:00Z to before 2200-01-01T00:00:00Z, compared in UTC (a"
            " date-time range JSON Schema cannot state); left out, the time of receipt"
        ),
        # A series' arrays are of equal length, which JSON Schema cannot state: positive
        # cases send one point per series (generated names, many series).
        "series[].steps": Unschematic("as many as the series' values", lambda: [0]),
        "series[].values": Unschematic("as many as the series' steps", lambda: [1.5]),
        "series[].timestamps_us": Unschematic("as many as the series' steps"),
        "series[].timestamps": Unschematic(
            "as many as the series' steps, each in the range of points[].timestamp"
        ),
    },
    "POST /workspaces/{workspace_id}/leave": {"workspace_id": _SOLE_OWNER},
    "POST /api/workspaces/{workspace_id}/leave": {"workspace_id": _SOLE_OWNER},
}


@pytest.fixture(scope="module")
def operations(served_stack: LocalStack) -> dict[str, Any]:
    schema = schemathesis.openapi.from_url(f"{served_stack.api_url}/openapi.json")
    # The cases carry a real user's credentials; generated keys would only test the 401.
    # No text may hold a NUL: the document states it as a pattern on every string, and in
    # the description of free-form JSON (config, metadata), whose nested strings no schema
    # reaches; so generated text is NUL-free (the refusals are tested with each route).
    schema.config.generation.update(with_security_parameters=False, allow_x00=False)
    # A body refused for its size (413, before it is read) is refused like any bad body.
    rejections = schema.config.checks.negative_data_rejection
    rejections.expected_statuses = [*rejections.expected_statuses, "413"]
    results: list[Any] = list(schema.get_all_operations())  # Ok(operation) or Err(problem)
    found = [result.ok() for result in results]
    return {f"{operation.method.upper()} {operation.path}": operation for operation in found}


def test_fuzzing_covers_every_route_of_the_template(
    operations: dict[str, Any], served_stack: LocalStack
) -> None:
    assert served_stack.model is not None
    assert set(operations) == {route.route_key for route in served_stack.model.routes}


def test_generated_requests_get_answers_the_document_declares(
    operations: dict[str, Any], http: httpx.Client, served_stack: LocalStack
) -> None:
    owner = sign_up(http)
    failures: dict[str, list[str]] = defaultdict(list)
    objects: OwnedObjects | None = None
    for route_key, operation in operations.items():
        if objects is None and path_parameters(operation.path):
            objects = make_objects(http, owner)
        bearer = _credentials(http, owner, route_key)
        _fuzz(operation, served_stack.api_url, bearer, objects, failures[route_key])
        if operation.method.upper() == "DELETE" or operation.path.endswith("/leave"):
            objects = None  # the next route gets objects that still exist
    broken = {route: problems for route, problems in failures.items() if problems}
    assert not broken, _report(broken)


def _credentials(http: httpx.Client, owner: SignedUpUser, route_key: str) -> dict[str, str]:
    """The owner's bearer; a session of its own for the route that ends its session."""
    if route_key != _SESSION_ENDING:
        return owner.bearer
    answer = http.post("/v1/auth/login", json={"email": owner.email, "password": PASSWORD})
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _with_known_good_values(route_key: str, case: Any) -> Any:
    """A positive case with the route's unschematic parameters made good (see above)."""
    for key, unschematic in _UNSCHEMATIC.get(route_key, {}).items():
        for values in _holders(case, key):
            name = key.rpartition("].")[2]
            if values.get(name) is None:
                continue
            if unschematic.good is None:
                del values[name]
            else:
                values[name] = unschematic.good()
    return case


def _holders(case: Any, key: str) -> list[dict[str, Any]]:
    """The objects of the case that hold parameter `key`: the path, query and body, or each
    item of a body list for `list[].name`."""
    if "[]." not in key:
        holders = (case.path_parameters, case.query, case.body)
        return [values for values in holders if isinstance(values, dict)]
    items = case.body.get(key.partition("[].")[0]) if isinstance(case.body, dict) else None
    return [item for item in items or [] if isinstance(item, dict)]


def _strategy(operation: Any, objects: OwnedObjects | None) -> Any:
    route_key = f"{operation.method.upper()} {operation.path}"
    positive = [operation.as_strategy()]
    if objects is not None:
        values = objects.path_values()
        real = {name: values[name] for name in path_parameters(operation.path) if name in values}
        positive.append(operation.as_strategy(path_parameters=real))
    return st.one_of(
        *(cases.map(lambda case: _with_known_good_values(route_key, case)) for cases in positive),
        operation.as_strategy(GenerationMode.NEGATIVE),
    )


def _fuzz(
    operation: Any,
    base_url: str,
    bearer: dict[str, str],
    objects: OwnedObjects | None,
    problems: list[str],
) -> None:
    """Send generated cases; each failure is recorded (with how to reproduce it) and the
    route's other cases still run."""

    @given(case=_strategy(operation, objects))
    @settings(
        max_examples=_EXAMPLES_PER_ROUTE,
        derandomize=not _RANDOM,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        headers = {**dict(case.headers or {}), **bearer}
        try:
            response = case.call_and_validate(base_url=base_url, headers=headers, checks=_CHECKS)
        except (AssertionError, BaseExceptionGroup) as failure:
            problems.append(str(failure))
            return
        if response.status_code >= 400 and not _says_what_went_wrong(response):
            problems.append(f"{case.method} {case.formatted_path}: {response.text[:300]}")

    run()


def _says_what_went_wrong(response: Any) -> bool:
    """An error body is a JSON object with a human message: ours `{code, message}`, Tora's
    `{status, error, message}` (its 401 nests it: `{status, data: {error, message}}`), the
    original WaveDB's `{message}` or `{name, message, reasons}`."""
    try:
        body = response.json()
    except ValueError:
        return False
    if not isinstance(body, dict):
        return False
    if body in _GATEWAY_BODIES:
        return True
    data = body.get("data")
    nested: dict[str, Any] = data if isinstance(data, dict) else {}
    message = body.get("message", nested.get("message"))
    return isinstance(message, str) and bool(message)


def _report(broken: dict[str, list[str]]) -> str:
    lines = [f"{len(broken)} routes answered outside their documented contract:"]
    for route, problems in sorted(broken.items()):
        lines.append(f"== {route} ({len(problems)} cases); the first:\n{problems[0][:2000]}")
    return "\n".join(lines)
