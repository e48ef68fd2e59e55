"""Quotas over real HTTP: what one user can claim, whatever route or credential they use.

- a key's own rate limit cannot be set above API_KEY_MAX_RATE_LIMIT_PER_MINUTE (422 naming
  the ceiling), so a key cannot buy itself unbounded throughput;
- all of a user's API keys and sessions together share USER_RATE_LIMIT_PER_MINUTE: more keys
  do not mean more requests (429 with Retry-After, from every function);
- active API keys (MAX_API_KEYS_PER_USER) and workspaces (MAX_WORKSPACES_PER_USER) per user
  are capped on our routes and on the compatibility routes (409 `quota_exceeded`), also when
  the requests race each other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime

import httpx
import psycopg
import pytest

from tests.conftest import reset_cached_settings
from tests.security.objects import make_objects
from tests.security.probes import probes_of, send_probe
from tests.support.accounts import SignedUpUser, create_api_key, sign_up
from wavedb_local.stack import LocalStack

# The defaults: a key's own limit may go up to this (API_KEY_MAX_RATE_LIMIT_PER_MINUTE).
_KEY_CEILING = 12_000
# The tight settings of these tests.
_USER_LIMIT = 20
_MAX_KEYS = 3
_MAX_WORKSPACES = 3


@pytest.fixture
def tight_quotas(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Small caps, so that reaching them takes a few requests (the functions run in this
    process and read their settings from its environment)."""
    monkeypatch.setenv("MAX_API_KEYS_PER_USER", str(_MAX_KEYS))
    monkeypatch.setenv("MAX_WORKSPACES_PER_USER", str(_MAX_WORKSPACES))
    reset_cached_settings()
    yield
    monkeypatch.undo()
    reset_cached_settings()


def _message_of(body: object) -> str:
    """The human message of any of our error shapes (Tora nests its 401 under `data`)."""
    assert isinstance(body, dict), body
    data = body.get("data") if isinstance(body.get("data"), dict) else {}
    message = body.get("message", (data or {}).get("message"))
    assert isinstance(message, str), body
    return message


def _wait_for_a_fresh_window(needed_seconds: float = 25) -> None:
    """Rate limits count per minute: start where the minute has `needed_seconds` left."""
    left = 60 - datetime.now(UTC).timestamp() % 60
    if left < needed_seconds:
        time.sleep(left + 0.2)


def _forget_counted_requests(database_url: str) -> None:
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("DELETE FROM rate_limit_windows")


# ------------------------------------------------------------------ per-key ceiling


def test_api_key_rate_limit_above_the_ceiling_is_refused_with_422_naming_it(
    http: httpx.Client,
) -> None:
    user = sign_up(http)

    greedy = http.post(
        "/v1/api-keys",
        json={"name": "greedy", "rate_limit_per_minute": 1_000_000},
        headers=user.bearer,
    )

    assert greedy.status_code == 422, greedy.text
    body = greedy.json()
    assert body["code"] == "validation_error"
    assert f"{_KEY_CEILING}" in body["message"]
    assert [item["location"] for item in body["details"]] == ["body.rate_limit_per_minute"]
    at_ceiling = create_api_key(http, user, rate_limit_per_minute=_KEY_CEILING)
    assert at_ceiling["rate_limit_per_minute"] == _KEY_CEILING


# ------------------------------------------------------------------ per-user rate limit


def test_requests_spread_over_many_keys_share_the_users_limit_and_get_429_from_every_function(
    http: httpx.Client,
    served_stack: LocalStack,
    clean_database: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    objects = make_objects(http, sign_up(http))
    owner = objects.owner
    keys = [create_api_key(http, owner, rate_limit_per_minute=1_000) for _ in range(3)]
    credentials = [{"x-api-key": str(key["key"])} for key in keys] + [owner.bearer]
    probes = probes_of(served_stack)
    values = objects.path_values()
    monkeypatch.setenv("USER_RATE_LIMIT_PER_MINUTE", str(_USER_LIMIT))
    reset_cached_settings()
    _wait_for_a_fresh_window()
    _forget_counted_requests(clean_database)

    # Each credential stays far below its own limit; together they use up the user's.
    used = [
        http.get("/v1/workspaces", headers=credentials[number % len(credentials)])
        for number in range(_USER_LIMIT)
    ]
    assert [answer.status_code for answer in used] == [200] * _USER_LIMIT

    throttled = {
        probe.function_id: send_probe(http, probe, values, credentials[number % len(credentials)])
        for number, probe in enumerate(probes)
    }

    assert {name: answer.status_code for name, answer in throttled.items()} == {
        probe.function_id: 429 for probe in probes
    }
    for answer in throttled.values():
        assert 1 <= int(answer.headers["retry-after"]) <= 60
        message = _message_of(answer.json())
        assert str(_USER_LIMIT) in message, message
        assert "user" in message, message


# ------------------------------------------------------------------ caps


def _created_key_statuses(http: httpx.Client, owner: SignedUpUser) -> dict[str, httpx.Response]:
    """One more API key through each route that makes one (ours, Tora's, WaveDB's)."""
    return {
        "/v1/api-keys": http.post("/v1/api-keys", json={"name": "more"}, headers=owner.bearer),
        "/api-keys": http.post("/api-keys", json={"name": "more"}, headers=owner.bearer),
        "/user/api-key": http.post("/user/api-key", json={"name": "more"}, headers=owner.bearer),
    }


def test_active_api_keys_past_the_cap_get_409_quota_exceeded_on_every_route(
    http: httpx.Client, tight_quotas: None, clean_database: str
) -> None:
    owner = sign_up(http)
    keys = [create_api_key(http, owner) for _ in range(_MAX_KEYS)]

    refused = _created_key_statuses(http, owner)

    assert {path: answer.status_code for path, answer in refused.items()} == dict.fromkeys(
        refused, 409
    )
    for answer in refused.values():
        assert str(_MAX_KEYS) in _message_of(answer.json())
    assert refused["/v1/api-keys"].json()["code"] == "quota_exceeded"
    listed = http.get("/v1/api-keys", headers=owner.bearer).json()
    assert len(listed) == _MAX_KEYS

    # A revoked key and an expired key are no longer active: two more may be made.
    assert http.delete(f"/v1/api-keys/{keys[0]['id']}", headers=owner.bearer).status_code == 204
    with psycopg.connect(clean_database, autocommit=True) as connection:
        connection.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = %s",
            (keys[1]["id"],),
        )
    again = [
        http.post("/api-keys", json={"name": "again"}, headers=owner.bearer).status_code,
        http.post("/user/api-key", json={"name": "again"}, headers=owner.bearer).status_code,
        http.post("/v1/api-keys", json={"name": "again"}, headers=owner.bearer).status_code,
    ]
    assert again == [201, 200, 409]


def test_workspaces_past_the_cap_get_409_quota_exceeded_on_every_route(
    http: httpx.Client, tight_quotas: None
) -> None:
    owner = sign_up(http)  # the personal workspace is the first
    made = [
        http.post("/v1/workspaces", json={"name": f"team {number}"}, headers=owner.bearer)
        for number in range(_MAX_WORKSPACES - 1)
    ]
    assert [answer.status_code for answer in made] == [201] * (_MAX_WORKSPACES - 1)

    refused = {
        path: http.post(path, json={"name": "one more"}, headers=owner.bearer)
        for path in ("/v1/workspaces", "/workspaces", "/api/workspaces")
    }

    assert {path: answer.status_code for path, answer in refused.items()} == dict.fromkeys(
        refused, 409
    )
    for answer in refused.values():
        assert str(_MAX_WORKSPACES) in _message_of(answer.json())
    assert refused["/v1/workspaces"].json()["code"] == "quota_exceeded"

    deleted = http.delete(f"/v1/workspaces/{made[0].json()['id']}", headers=owner.bearer)
    assert deleted.status_code == 204, deleted.text
    replaced = http.post("/workspaces", json={"name": "replacement"}, headers=owner.bearer)
    assert replaced.status_code == 201, replaced.text


def _at_once(calls: list[Callable[[], int]]) -> list[int]:
    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return sorted(future.result() for future in [pool.submit(call) for call in calls])


def test_racing_creations_never_pass_the_caps(
    http: httpx.Client, tight_quotas: None, served_stack: LocalStack
) -> None:
    owner = sign_up(http)

    def post(path: str, body: dict[str, str]) -> Callable[[], int]:
        def call() -> int:
            with httpx.Client(base_url=served_stack.api_url, timeout=30, trust_env=False) as client:
                return client.post(path, json=body, headers=owner.bearer).status_code

        return call

    keys = _at_once([post("/v1/api-keys", {"name": f"k{n}"}) for n in range(8)])
    workspaces = _at_once([post("/v1/workspaces", {"name": f"w{n}"}) for n in range(8)])

    assert keys == [201] * _MAX_KEYS + [409] * (8 - _MAX_KEYS)
    assert workspaces == [201] * (_MAX_WORKSPACES - 1) + [409] * (8 - _MAX_WORKSPACES + 1)
