"""The payload-2.0 events the gateway builds and the answers it accepts."""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest

from wavedb_local.http_events import (
    IncomingRequest,
    MalformedResponse,
    build_authorizer_event,
    build_http_event,
    parse_authorizer_response,
    response_from_result,
)
from wavedb_local.model import HttpRoute
from wavedb_local.naming import LocalNaming
from wavedb_local.routing import RouteMatch

ROUTE = HttpRoute(
    method="POST",
    path="/v1/x/{id}",
    function_id="F",
    event_name="E",
    api_id="api1",
    authorizer=None,
)
MATCH = RouteMatch(route=ROUTE, path_parameters={"id": "42"})


def _request(body: bytes = b"", content_type: str | None = "application/json") -> IncomingRequest:
    headers = [
        ("Host", "127.0.0.1:3000"),
        ("User-Agent", "pytest"),
        ("X-Multi", "a"),
        ("x-multi", "b"),
        ("Cookie", "s=1; t=2"),
    ]
    if content_type:
        headers.append(("Content-Type", content_type))
    return IncomingRequest(
        method="post",
        raw_path="/v1/x/42",
        path="/v1/x/42",
        raw_query_string="a=1&a=2&b=",
        headers=headers,
        body=body,
        source_ip="127.0.0.9",
        port=3000,
    )


def test_build_http_event_has_the_payload_2_shape() -> None:
    event = build_http_event(
        _request(b'{"k": 1}'), MATCH, naming=LocalNaming(), request_id="rid", now=1_700_000_000.5
    )

    assert event["version"] == "2.0"
    assert event["routeKey"] == "POST /v1/x/{id}"
    assert event["rawPath"] == "/v1/x/42"
    assert event["rawQueryString"] == "a=1&a=2&b="
    assert event["cookies"] == ["s=1", "t=2"]
    assert "cookie" not in event["headers"]
    assert event["headers"]["x-multi"] == "a,b"
    assert event["headers"]["x-forwarded-for"] == "127.0.0.9"
    assert event["queryStringParameters"] == {"a": "1,2", "b": ""}
    assert event["pathParameters"] == {"id": "42"}
    assert event["body"] == '{"k": 1}'
    assert event["isBase64Encoded"] is False
    context = event["requestContext"]
    assert context["accountId"] == "123456789012"
    assert context["apiId"] == "api1"
    assert context["domainName"] == "127.0.0.1:3000"
    assert context["http"] == {
        "method": "POST",
        "path": "/v1/x/42",
        "protocol": "HTTP/1.1",
        "sourceIp": "127.0.0.9",
        "userAgent": "pytest",
    }
    assert context["requestId"] == "rid"
    assert context["routeKey"] == "POST /v1/x/{id}"
    assert context["stage"] == "$default"
    assert context["time"] == "14/Nov/2023:22:13:20 +0000"
    assert context["timeEpoch"] == 1_700_000_000_500


def test_build_http_event_binary_body_is_base64() -> None:
    event = build_http_event(
        _request(b"\x00\xff", "application/octet-stream"),
        MATCH,
        naming=LocalNaming(),
        request_id="r",
    )

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b"\x00\xff"


def test_build_http_event_compressed_json_body_is_base64_as_api_gateway_passes_it() -> None:
    request = _request(b'{"a": 1}')
    request = replace(request, headers=[*request.headers, ("Content-Encoding", "gzip")])

    event = build_http_event(request, MATCH, naming=LocalNaming(), request_id="r")

    assert event["isBase64Encoded"] is True
    assert base64.b64decode(event["body"]) == b'{"a": 1}'
    assert event["headers"]["content-encoding"] == "gzip"


def test_build_http_event_without_body_or_query_omits_them() -> None:
    request = _request()
    bare = IncomingRequest(**{**request.__dict__, "raw_query_string": ""})

    event = build_http_event(bare, MATCH, naming=LocalNaming(), request_id="r")

    assert "body" not in event
    assert "queryStringParameters" not in event
    assert event["isBase64Encoded"] is False


def test_build_authorizer_event_copies_the_request_without_body() -> None:
    http_event = build_http_event(_request(b"{}"), MATCH, naming=LocalNaming(), request_id="r")

    event = build_authorizer_event(http_event, route_arn="arn:route")

    assert event["type"] == "REQUEST"
    assert event["version"] == "2.0"
    assert event["routeArn"] == "arn:route"
    assert "identitySource" not in event
    assert "body" not in event
    assert event["headers"] == http_event["headers"]
    assert event["requestContext"] == http_event["requestContext"]
    assert event["pathParameters"] == {"id": "42"}


@pytest.mark.parametrize(
    ("answer", "authorized", "context"),
    [
        ({"isAuthorized": True, "context": {"u": "1"}}, True, {"u": "1"}),
        ({"isAuthorized": False}, False, None),
    ],
)
def test_parse_authorizer_response_reads_simple_answers(
    answer: dict[str, object], authorized: bool, context: dict[str, str] | None
) -> None:
    decision = parse_authorizer_response(answer, simple=True)

    assert (decision.authorized, decision.context) == (authorized, context)


@pytest.mark.parametrize("answer", ["yes", {"isAuthorized": "true"}, {}, None])
def test_parse_authorizer_response_malformed_answer_raises(answer: object) -> None:
    with pytest.raises(MalformedResponse):
        parse_authorizer_response(answer, simple=True)


def test_response_from_result_bare_object_becomes_200_json() -> None:
    response = response_from_result({"hello": "world"})

    assert response.status == 200
    assert ("content-type", "application/json") in response.headers
    assert json.loads(response.body) == {"hello": "world"}


def test_response_from_result_maps_headers_cookies_and_base64_body() -> None:
    response = response_from_result(
        {
            "statusCode": 201,
            "headers": {"X-One": "1", "X-Flag": True},
            "multiValueHeaders": {"x-many": ["a", "b"]},
            "cookies": ["a=1", "b=2"],
            "body": base64.b64encode(b"\x01\x02").decode(),
            "isBase64Encoded": True,
        }
    )

    assert response.status == 201
    assert response.body == b"\x01\x02"
    assert ("x-one", "1") in response.headers
    assert ("x-flag", "true") in response.headers
    assert [v for k, v in response.headers if k == "x-many"] == ["a", "b"]
    assert [v for k, v in response.headers if k == "set-cookie"] == ["a=1", "b=2"]


@pytest.mark.parametrize(
    "answer",
    [{"statusCode": "abc"}, {"statusCode": 200, "body": 5}, {"statusCode": 700}],
)
def test_response_from_result_malformed_answer_raises(answer: dict[str, object]) -> None:
    with pytest.raises(MalformedResponse):
        response_from_result(answer)
