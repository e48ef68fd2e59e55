"""Route selection with API Gateway HTTP API priorities."""

from __future__ import annotations

import pytest

from wavedb_local.model import HttpRoute
from wavedb_local.routing import RouteTable


def _route(method: str, path: str) -> HttpRoute:
    return HttpRoute(
        method=method,
        path=path,
        function_id=f"{method} {path}",
        event_name="E",
        api_id="a",
        authorizer=None,
    )


TABLE = RouteTable(
    [
        _route("GET", "/pets/{id}"),
        _route("GET", "/pets/dog"),
        _route("ANY", "/pets/{proxy+}"),
        _route("ANY", "/pets/{id}/toys"),
        _route("POST", "/pets/{id}/toys"),
        _route("GET", "/files/{proxy+}"),
        _route("GET", "/files/public/{proxy+}"),
        _route("GET", "/"),
    ]
)


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("GET", "/pets/dog", "GET /pets/dog"),
        ("GET", "/pets/cat", "GET /pets/{id}"),
        ("DELETE", "/pets/cat", "ANY /pets/{proxy+}"),
        ("GET", "/pets/cat/food/bowl", "ANY /pets/{proxy+}"),
        ("POST", "/pets/1/toys", "POST /pets/{id}/toys"),
        ("PUT", "/pets/1/toys", "ANY /pets/{id}/toys"),
        ("GET", "/files/public/a/b", "GET /files/public/{proxy+}"),
        ("GET", "/files/private/a", "GET /files/{proxy+}"),
        ("GET", "/", "GET /"),
        ("GET", "/pets/dog/", "GET /pets/dog"),  # a trailing slash routes like its absence
        ("GET", "/pets/cat/", "GET /pets/{id}"),
    ],
)
def test_match_picks_the_most_specific_route(method: str, path: str, expected: str) -> None:
    match = TABLE.match(method, path)

    assert match is not None
    assert match.route.route_key == expected


def test_match_extracts_decoded_path_parameters() -> None:
    match = TABLE.match("GET", "/pets/big%20dog")
    greedy = TABLE.match("GET", "/files/a/b%2Fc")

    assert match is not None
    assert match.path_parameters == {"id": "big dog"}
    assert greedy is not None
    assert greedy.path_parameters == {"proxy": "a/b/c"}


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/nothing"), ("GET", "/files"), ("POST", "/"), ("HEAD", "/files/x")],
)
def test_match_without_route_returns_none(method: str, path: str) -> None:
    assert TABLE.match(method, path) is None


def test_match_default_route_catches_the_rest() -> None:
    table = RouteTable([_route("GET", "/a"), _route("ANY", "$default")])

    match = table.match("POST", "/anything/else")

    assert match is not None
    assert match.route.route_key == "$default"


def test_route_table_duplicate_route_key_is_rejected() -> None:
    with pytest.raises(ValueError, match="GET /a"):
        RouteTable([_route("GET", "/a"), _route("GET", "/a")])
