"""Ended credentials stop working on the very next request, on a route of every function
behind the authorizer: a revoked API key, an expired API key, and a session (its access
token and its refresh token) after log-out."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import psycopg
import pytest

from tests.security.objects import OwnedObjects, make_objects
from tests.security.probes import Probe, probes_of, send_probe
from tests.support.accounts import PASSWORD, SignedUpUser, create_api_key, sign_up
from wavedb_local.stack import LocalStack

# What an API key may not do even while it works (keys cannot manage keys): refused, but
# not for want of valid credentials.
_KEY_REFUSED_WHILE_VALID = {"ApiKeysFunction": 403}


@pytest.fixture
def probes(served_stack: LocalStack) -> list[Probe]:
    return probes_of(served_stack)


@pytest.fixture
def objects(http: httpx.Client) -> OwnedObjects:
    return make_objects(http, sign_up(http))


Headers = dict[str, str]


def _statuses(
    http: httpx.Client, probes: list[Probe], objects: OwnedObjects, headers: Headers
) -> dict[str, int]:
    values = objects.path_values()
    return {
        probe.function_id: send_probe(http, probe, values, headers).status_code for probe in probes
    }


def _working(probes: list[Probe], refused: dict[str, int] | None = None) -> dict[str, int]:
    return {probe.function_id: (refused or {}).get(probe.function_id, 200) for probe in probes}


def _unauthorized(probes: list[Probe]) -> dict[str, int]:
    return {probe.function_id: 401 for probe in probes}


def _api_key_check(
    http: httpx.Client,
    probes: list[Probe],
    objects: OwnedObjects,
    end: Callable[[SignedUpUser, dict[str, str]], None],
) -> None:
    key = create_api_key(http, objects.owner, expires_in_days=1)
    headers = {"x-api-key": str(key["key"])}
    assert _statuses(http, probes, objects, headers) == _working(probes, _KEY_REFUSED_WHILE_VALID)

    end(objects.owner, {"id": str(key["id"])})

    assert _statuses(http, probes, objects, headers) == _unauthorized(probes)


def test_revoked_api_key_is_refused_by_every_function_at_once(
    http: httpx.Client, probes: list[Probe], objects: OwnedObjects
) -> None:
    def revoke(owner: SignedUpUser, key: dict[str, str]) -> None:
        answer = http.delete(f"/v1/api-keys/{key['id']}", headers=owner.bearer)
        assert answer.status_code == 204, answer.text

    _api_key_check(http, probes, objects, revoke)


def test_expired_api_key_is_refused_by_every_function_at_once(
    http: httpx.Client, probes: list[Probe], objects: OwnedObjects, clean_database: str
) -> None:
    def expire(_owner: SignedUpUser, key: dict[str, str]) -> None:
        with psycopg.connect(clean_database, autocommit=True) as connection:
            connection.execute(
                "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = %s",
                (key["id"],),
            )

    _api_key_check(http, probes, objects, expire)


def test_session_after_logout_is_refused_by_every_function_at_once(
    http: httpx.Client, probes: list[Probe], objects: OwnedObjects
) -> None:
    owner = objects.owner
    login = http.post("/v1/auth/login", json={"email": owner.email, "password": PASSWORD})
    assert login.status_code == 200, login.text
    tokens = login.json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert _statuses(http, probes, objects, bearer) == _working(probes)

    logged_out = http.post("/v1/auth/logout", headers=bearer)

    assert logged_out.status_code == 200, logged_out.text
    assert _statuses(http, probes, objects, bearer) == _unauthorized(probes)
    refreshed = http.post("/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 401
    # The owner's other session (from sign-up) is untouched.
    assert http.get("/v1/me", headers=owner.bearer).status_code == 200
