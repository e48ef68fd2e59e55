"""Abuse over real HTTP, on every function and every compatibility route at once:

- an oversized body is refused with 413 and a JSON error by every function that takes one;
- an API key past its rate limit gets 429 with Retry-After from every function;
- failed log-ins count against the account and the address whichever log-in route (ours,
  Tora's, the original WaveDB's) they went to, and the throttled answer says when to retry;
- sign-ups from one address are throttled across the three sign-up routes.

The limits of our own routes alone are checked in tests/integration (accounts, API keys)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from tests.security.objects import fill_path, make_objects, path_parameters
from tests.security.probes import json_routes_by_function, probes_of, send_probe
from tests.support.accounts import PASSWORD, create_api_key, sign_up
from wavedb_local.stack import LocalStack

# The body limit of a JSON route (MAX_REQUEST_BODY_BYTES), and a body just over it.
_LIMIT = 1_048_576
_OVERSIZED = {"name": "x" * (_LIMIT + 1)}
_LOGIN_ROUTES = ("/v1/auth/login", "/login", "/api/login", "/auth/login")


def _message_of(body: Any) -> str:
    """The human message of any of our error shapes (Tora nests its 401 under `data`)."""
    assert isinstance(body, dict), body
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    message = body.get("message", (data or {}).get("message"))
    assert isinstance(message, str), body
    assert message, body
    return message


def test_oversized_body_gets_413_json_from_every_function_that_takes_a_body(
    http: httpx.Client, served_stack: LocalStack
) -> None:
    document = http.get("/openapi.json").json()
    routes = json_routes_by_function(served_stack, document)
    user = sign_up(http)
    assert len(routes) >= 9, routes

    answers = {}
    for function_id, route_key in routes.items():
        method, path = route_key.split(" ", 1)
        ids = {name: str(uuid.uuid4()) for name in path_parameters(path)}
        answers[function_id] = http.request(
            method, fill_path(path, ids), json=_OVERSIZED, headers=user.bearer
        )

    assert {key: answer.status_code for key, answer in answers.items()} == dict.fromkeys(
        routes, 413
    )
    for answer in answers.values():
        assert answer.headers["content-type"].startswith("application/json")
        assert str(_LIMIT) in _message_of(answer.json())


def test_api_key_past_its_rate_limit_gets_429_with_retry_after_from_every_function(
    http: httpx.Client, served_stack: LocalStack
) -> None:
    objects = make_objects(http, sign_up(http))
    probes = probes_of(served_stack)
    key = create_api_key(http, objects.owner, rate_limit_per_minute=1)
    headers = {"x-api-key": str(key["key"])}
    values = objects.path_values()
    first = send_probe(http, probes[-1], values, headers)
    assert first.status_code < 400, first.text  # the one request of this minute

    throttled = {probe.function_id: send_probe(http, probe, values, headers) for probe in probes}

    assert {key: answer.status_code for key, answer in throttled.items()} == {
        probe.function_id: 429 for probe in probes
    }
    for answer in throttled.values():
        assert 1 <= int(answer.headers["retry-after"]) <= 60
        _message_of(answer.json())


def test_failed_logins_on_any_login_route_count_against_the_account(
    http: httpx.Client,
) -> None:
    victim = sign_up(http)
    for attempt in range(10):  # LOGIN_MAX_FAILURES, spread over every log-in route
        path = _LOGIN_ROUTES[attempt % len(_LOGIN_ROUTES)]
        failed = http.post(path, json={"email": victim.email, "password": f"guess-{attempt}"})
        assert failed.status_code == 401, (path, failed.text)

    blocked = {
        path: http.post(path, json={"email": victim.email, "password": PASSWORD})
        for path in _LOGIN_ROUTES
    }

    assert {path: answer.status_code for path, answer in blocked.items()} == dict.fromkeys(
        _LOGIN_ROUTES, 429
    )
    for answer in blocked.values():
        assert 1 <= int(answer.headers["retry-after"]) <= 900
        assert "account" in _message_of(answer.json())


def test_failed_logins_across_accounts_and_routes_are_throttled_per_address(
    http: httpx.Client, tight_address_limits: None
) -> None:
    victims = [sign_up(http) for _ in range(3)]
    for victim, path in zip(victims, _LOGIN_ROUTES[1:], strict=True):
        failed = http.post(path, json={"email": victim.email, "password": "123456"})
        assert failed.status_code == 401, (path, failed.text)

    blocked = http.post("/v1/auth/login", json={"email": victims[0].email, "password": PASSWORD})

    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1
    assert "address" in blocked.json()["message"]


def test_signups_from_one_address_are_throttled_across_every_signup_route(
    http: httpx.Client, tight_address_limits: None
) -> None:
    def email() -> str:
        return f"new-{uuid.uuid4().hex[:10]}@example.com"

    accepted = [
        http.post("/v1/auth/signup", json={"email": email(), "password": PASSWORD, "name": "A"}),
        http.post("/signup", json={"email": email(), "password": PASSWORD}),
        http.post("/auth/register", json={"name": "C", "email": email(), "password": PASSWORD}),
    ]
    assert [answer.status_code for answer in accepted] == [201, 200, 200], [
        answer.text for answer in accepted
    ]

    refused = {
        "/v1/auth/signup": http.post(
            "/v1/auth/signup", json={"email": email(), "password": PASSWORD, "name": "D"}
        ),
        "/api/signup": http.post("/api/signup", json={"email": email(), "password": PASSWORD}),
        "/auth/register": http.post(
            "/auth/register", json={"name": "F", "email": email(), "password": PASSWORD}
        ),
    }

    assert {path: answer.status_code for path, answer in refused.items()} == dict.fromkeys(
        refused, 429
    )
    for answer in refused.values():
        assert int(answer.headers["retry-after"]) >= 1
        _message_of(answer.json())
