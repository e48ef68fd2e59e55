"""The local HTTP API, served by uvicorn, in front of the test template's functions."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.fixture_stack import running_fixture_stack
from wavedb_local.stack import LocalStack

pytestmark = pytest.mark.timeout(60)


@pytest.fixture(scope="module")
def site_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A built dashboard: index.html and one hashed asset."""
    root = tmp_path_factory.mktemp("site")
    (root / "assets").mkdir()
    (root / "index.html").write_text("<!doctype html><title>WaveDB</title>")
    (root / "assets" / "index-abc123.js").write_text("console.log('wavedb')")
    return root


@pytest.fixture(scope="module")
def stack(
    database_url: str, record_dir: Path, tmp_path_factory: pytest.TempPathFactory, site_dir: Path
) -> Iterator[LocalStack]:
    with running_fixture_stack(
        database_url=database_url,
        data_dir=tmp_path_factory.mktemp("data"),
        record_dir=record_dir,
        event_sources=False,
        site_dir=site_dir,
    ) as local:
        yield local


@pytest.fixture
def api(stack: LocalStack) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=stack.api_url, timeout=10) as client:
        yield client


def _authorizer_events(record_dir: Path) -> list[dict[str, Any]]:
    path = record_dir / "authorizer.jsonl"
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_gateway_public_route_passes_a_payload_2_event(api: httpx.Client) -> None:
    response = api.get(
        "/public/ada?tag=a&tag=b",
        headers={"X-Custom": "yes", "Cookie": "session=abc; theme=dark"},
    )

    assert response.status_code == 200
    event = response.json()["event"]
    assert event["version"] == "2.0"
    assert event["routeKey"] == "GET /public/{name}"
    assert event["rawPath"] == "/public/ada"
    assert event["rawQueryString"] == "tag=a&tag=b"
    assert event["queryStringParameters"] == {"tag": "a,b"}
    assert event["pathParameters"] == {"name": "ada"}
    assert event["cookies"] == ["session=abc", "theme=dark"]
    assert event["headers"]["x-custom"] == "yes"
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["stage"] == "$default"
    assert event["requestContext"]["requestId"] == response.headers["apigw-requestid"]
    assert "authorizer" not in event["requestContext"]
    assert response.json()["function_name"].endswith("-EchoFunction")
    assert 0 < response.json()["remaining_ms"] <= 2000


def test_gateway_function_response_headers_and_cookies_reach_the_client(
    api: httpx.Client,
) -> None:
    response = api.get("/public/ada")

    assert response.headers["x-echo"] == "hello"
    assert response.headers.get_list("set-cookie") == ["first=1; Path=/", "second=2; Path=/"]


def test_gateway_exact_path_wins_over_path_parameter(api: httpx.Client) -> None:
    response = api.get("/public/special")

    assert response.json()["event"]["routeKey"] == "GET /public/special"


@pytest.mark.parametrize(("method", "path"), [("GET", "/nowhere"), ("DELETE", "/public/ada")])
def test_gateway_unrouted_request_is_404_not_found(
    api: httpx.Client, method: str, path: str
) -> None:
    response = api.request(method, path)

    assert response.status_code == 404
    assert response.json() == {"message": "Not Found"}


def test_gateway_function_exception_is_500_internal_server_error(api: httpx.Client) -> None:
    response = api.get("/public/boom")

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_gateway_answer_without_status_code_becomes_200_json(api: httpx.Client) -> None:
    response = api.get("/public/bare")

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"hello": "world"}


def test_gateway_base64_answer_is_decoded(api: httpx.Client) -> None:
    response = api.get("/public/binary")

    assert response.content == b"\x00\x01\x02"


def test_gateway_binary_body_arrives_base64_encoded(api: httpx.Client) -> None:
    response = api.post(
        "/public/upload", content=b"\x89PNG\x00", headers={"content-type": "image/png"}
    )

    event = response.json()["event"]
    assert event["isBase64Encoded"] is True
    assert event["body"] == "iVBORwA="


def test_gateway_json_body_arrives_as_text(api: httpx.Client) -> None:
    response = api.post("/public/upload", json={"a": 1})

    event = response.json()["event"]
    assert event["isBase64Encoded"] is False
    assert json.loads(event["body"]) == {"a": 1}


@pytest.mark.parametrize(
    "limit",
    [10 * 1024 * 1024, 6 * 1024 * 1024],
    ids=["api-gateway-10-mb", "lambda-request-6-mb"],
)
def test_gateway_body_over_a_request_limit_is_413(api: httpx.Client, limit: int) -> None:
    response = api.post(
        "/public/upload",
        content=b"x" * (limit + 1),
        headers={"content-type": "text/plain"},
    )

    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}


def test_gateway_binary_body_over_the_lambda_limit_once_base64_encoded_is_413(
    api: httpx.Client,
) -> None:
    """4.8 MB of bytes are 6.4 MB once base64-encoded into the event."""
    response = api.post(
        "/public/upload",
        content=b"\x89" * (4800 * 1024),
        headers={"content-type": "application/octet-stream"},
    )

    assert response.status_code == 413
    assert response.json() == {"message": "Request Entity Too Large"}


def test_gateway_answer_over_the_lambda_response_limit_is_500(api: httpx.Client) -> None:
    response = api.get("/public/large", params={"bytes": str(6 * 1024 * 1024 + 100)})

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_gateway_answer_within_the_lambda_response_limit_is_passed(api: httpx.Client) -> None:
    response = api.get("/public/large", params={"bytes": str(6 * 1024 * 1024)})

    assert response.status_code == 200
    assert len(response.content) == 6 * 1024 * 1024


def test_gateway_function_running_past_its_timeout_is_500(api: httpx.Client) -> None:
    """EchoFunction's Timeout is 2 s."""
    response = api.get("/public/sleep", params={"seconds": "2.5"})

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_gateway_integration_running_past_the_gateway_timeout_is_503(stack: LocalStack) -> None:
    """API Gateway waits 30 s at most; here 1 s, shorter than EchoFunction's Timeout (2 s)."""
    app = stack.build_gateway(integration_timeout_seconds=1.0)

    async def request() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            return await client.get("/public/sleep", params={"seconds": "1.5"})

    response = asyncio.run(request())

    assert response.status_code == 503
    assert response.json() == {"message": "Service Unavailable"}


def test_gateway_authorizer_denial_is_403_forbidden(api: httpx.Client) -> None:
    response = api.get("/private/thing", headers={"Authorization": "deny"})

    assert response.status_code == 403
    assert response.json() == {"message": "Forbidden"}


def test_gateway_authorizer_allow_passes_its_context_to_the_function(
    api: httpx.Client, record_dir: Path
) -> None:
    response = api.post("/items/7?x=1", headers={"Authorization": "allow"}, json={"n": 1})

    assert response.status_code == 200
    event = response.json()["event"]
    assert event["requestContext"]["authorizer"] == {
        "lambda": {"user": "user-1", "route": "POST /items/{item_id}"}
    }
    authorizer_event = _authorizer_events(record_dir)[-1]
    assert authorizer_event["type"] == "REQUEST"
    assert authorizer_event["version"] == "2.0"
    assert authorizer_event["routeKey"] == "POST /items/{item_id}"
    assert authorizer_event["routeArn"].endswith("/$default/POST/items/{item_id}")
    assert authorizer_event["pathParameters"] == {"item_id": "7"}
    assert authorizer_event["queryStringParameters"] == {"x": "1"}
    assert authorizer_event["headers"]["authorization"] == "allow"
    assert "identitySource" not in authorizer_event
    assert "body" not in authorizer_event


def test_gateway_greedy_route_behind_authorizer_gets_proxy_parameter(api: httpx.Client) -> None:
    response = api.delete("/private/a/b/c", headers={"Authorization": "allow"})

    event = response.json()["event"]
    assert event["routeKey"] == "ANY /private/{proxy+}"
    assert event["pathParameters"] == {"proxy": "a/b/c"}


@pytest.mark.parametrize("answer", ["boom", "malformed"])
def test_gateway_authorizer_failure_is_500(api: httpx.Client, answer: str) -> None:
    response = api.get("/private/thing", headers={"Authorization": answer})

    assert response.status_code == 500
    assert response.json() == {"message": "Internal Server Error"}


def test_gateway_public_route_does_not_call_the_authorizer(
    api: httpx.Client, record_dir: Path
) -> None:
    before = len(_authorizer_events(record_dir))

    api.get("/public/ada", headers={"Authorization": "deny"})

    assert len(_authorizer_events(record_dir)) == before


def test_gateway_cors_preflight_is_answered_for_an_allowed_origin(api: httpx.Client) -> None:
    response = api.options(
        "/items/1",
        headers={
            "Origin": "https://app.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization",
        },
    )

    assert response.status_code == 204
    assert response.headers["access-control-allow-origin"] == "https://app.example.com"
    assert response.headers["access-control-allow-methods"] == "GET,POST"
    assert response.headers["access-control-allow-headers"] == "authorization,content-type"
    assert response.headers["access-control-max-age"] == "60"


def test_gateway_cors_preflight_from_another_origin_gets_no_cors_headers(
    api: httpx.Client,
) -> None:
    response = api.options(
        "/items/1",
        headers={"Origin": "https://evil.example.com", "Access-Control-Request-Method": "POST"},
    )

    assert "access-control-allow-origin" not in response.headers


def test_gateway_cors_headers_replace_the_function_ones(api: httpx.Client) -> None:
    response = api.get("/public/ada", headers={"Origin": "https://app.example.com"})

    assert response.headers.get_list("access-control-allow-origin") == ["https://app.example.com"]
    assert response.headers["access-control-expose-headers"] == "x-echo"


def test_stack_invoke_calls_one_handler_directly(stack: LocalStack) -> None:
    result = stack.invoke("TickFunction", {"detail-type": "Scheduled Event"})

    assert result == {"ticked": "Scheduled Event"}


def test_openapi_without_fastapi_functions_still_has_security_schemes(api: httpx.Client) -> None:
    response = api.get("/openapi.json")

    assert response.status_code == 200
    assert response.json()["paths"] == {}
    assert "bearerAuth" in response.json()["components"]["securitySchemes"]
    assert "swagger-ui" in api.get("/docs").text


def test_gateway_app_also_serves_in_process_through_asgi(stack: LocalStack) -> None:
    app = stack.build_gateway()

    async def exercise() -> tuple[list[str], httpx.Response]:
        inbox = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
        sent: list[str] = []

        async def receive() -> dict[str, Any]:
            return inbox.pop(0)

        async def send(message: Any) -> None:
            sent.append(message["type"])

        await app({"type": "lifespan"}, receive, send)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://local") as client:
            return sent, await client.get("/public/ada")

    lifespan, response = asyncio.run(exercise())

    assert lifespan == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert response.status_code == 200
    assert response.json()["event"]["routeKey"] == "GET /public/{name}"


def test_gateway_serves_the_dashboard_at_the_root_with_security_headers(
    api: httpx.Client,
) -> None:
    page = api.get("/")
    asset = api.get("/assets/index-abc123.js")

    assert page.status_code == 200
    assert page.text == "<!doctype html><title>WaveDB</title>"
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert page.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["x-frame-options"] == "DENY"
    assert asset.status_code == 200
    assert asset.headers["content-type"].startswith("text/javascript")
    assert "immutable" in asset.headers["cache-control"]


def test_gateway_routes_still_win_over_dashboard_files(api: httpx.Client) -> None:
    assert api.get("/public/ada").json()["event"]["rawPath"] == "/public/ada"
    assert api.post("/").status_code == 404
    assert api.get("/assets/missing.js").status_code == 404
