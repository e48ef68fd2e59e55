"""Failed log-ins limit guessing without letting a stranger lock the owner out.

Each request's source is the address API Gateway reports (requestContext.http.sourceIp; the
local stack takes the TCP peer, so these tests connect from different loopback addresses),
never a forwarding header. Failures count per (account, source), per source and per
account; once an account has many failures, only sources that already failed for it and
never logged in to it are stopped, so the owner still logs in from their own source."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from tests.support.accounts import PASSWORD, sign_up
from wavedb_local.stack import LocalStack

_LOGIN_ROUTES = ("/v1/auth/login", "/login", "/api/login", "/auth/login")
_OWNER_SOURCE = "127.0.0.1"  # the `http` client's


@contextmanager
def _client_from(stack: LocalStack, source: str) -> Iterator[httpx.Client]:
    """A client whose connections come from `source` (any 127.0.0.0/8 address)."""
    transport = httpx.HTTPTransport(local_address=source)
    with httpx.Client(
        base_url=stack.api_url, transport=transport, timeout=30, trust_env=False
    ) as client:
        yield client


def _fail_from(stack: LocalStack, source: str, email: str, times: int = 1) -> list[int]:
    with _client_from(stack, source) as client:
        return [
            client.post(
                _LOGIN_ROUTES[attempt % len(_LOGIN_ROUTES)],
                json={"email": email, "password": f"guess-{source}-{attempt}"},
                headers={"x-forwarded-for": _OWNER_SOURCE},
            ).status_code
            for attempt in range(times)
        ]


def _log_in(client: httpx.Client, email: str, route: str = "/v1/auth/login") -> httpx.Response:
    return client.post(route, json={"email": email, "password": PASSWORD})


def test_login_failures_from_ten_strangers_do_not_lock_the_owner_out(
    http: httpx.Client, served_stack: LocalStack
) -> None:
    owner = sign_up(http)
    for number in range(2, 12):  # ten strangers' sources, one failure each
        assert _fail_from(served_stack, f"127.0.0.{number}", owner.email) == [401]

    answers = {route: _log_in(http, owner.email, route) for route in _LOGIN_ROUTES}

    assert {route: answer.status_code for route, answer in answers.items()} == dict.fromkeys(
        _LOGIN_ROUTES, 200
    ), {route: answer.text for route, answer in answers.items()}


def test_login_under_attack_a_source_that_failed_gets_no_more_guesses(
    http: httpx.Client, served_stack: LocalStack
) -> None:
    owner = sign_up(http)
    for number in range(2, 12):
        _fail_from(served_stack, f"127.0.0.{number}", owner.email)

    again = _fail_from(served_stack, "127.0.0.2", owner.email)
    fresh = _fail_from(served_stack, "127.0.0.20", owner.email, times=2)

    assert again == [429]
    assert fresh == [401, 429]  # a new source gets one guess while the account is attacked


def test_login_source_the_owner_used_is_not_stopped_by_the_attack_after_a_typo(
    http: httpx.Client, served_stack: LocalStack
) -> None:
    owner = sign_up(http)
    assert _log_in(http, owner.email).status_code == 200
    typo = http.post("/v1/auth/login", json={"email": owner.email, "password": "typo"})
    for number in range(2, 12):
        _fail_from(served_stack, f"127.0.0.{number}", owner.email)

    answer = _log_in(http, owner.email)

    assert typo.status_code == 401
    assert answer.status_code == 200, answer.text


def test_login_guessing_from_one_source_is_limited_whatever_forwarding_header_it_sends(
    http: httpx.Client, served_stack: LocalStack
) -> None:
    owner = sign_up(http)
    with _client_from(served_stack, "127.0.0.2") as attacker:
        failed = [
            attacker.post(
                "/v1/auth/login",
                json={"email": owner.email, "password": f"guess-{attempt}"},
                headers={"x-forwarded-for": f"10.0.0.{attempt}", "x-real-ip": f"10.1.0.{attempt}"},
            ).status_code
            for attempt in range(10)
        ]
        blocked = _log_in(attacker, owner.email)

    assert failed == [401] * 10
    assert blocked.status_code == 429
    assert 1 <= int(blocked.headers["retry-after"]) <= 900
    assert _log_in(http, owner.email).status_code == 200
