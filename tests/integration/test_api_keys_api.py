"""API keys: created once, listed without the secret, revoked at once, scoped and limited."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.support.accounts import create_api_key, sign_up


def test_create_api_key_returns_key_once_and_list_never_shows_it(api: Any) -> None:
    user = sign_up(api)

    created = create_api_key(api, user, name="laptop", expires_in_days=30)
    listed = api.get("/v1/api-keys", headers=user.bearer)

    assert created["key"].startswith(created["prefix"] + "_")
    assert created["scopes"] == ["read", "write"]
    assert created["expires_at"] is not None
    assert listed.status_code == 200
    [entry] = listed.json()
    assert entry["id"] == created["id"]
    assert entry["name"] == "laptop"
    assert entry["prefix"] == created["prefix"]
    assert {"created_at", "last_used_at", "expires_at"} <= entry.keys()
    assert "key" not in entry
    assert created["key"] not in listed.text


def test_api_key_authenticates_and_records_last_use(api: Any) -> None:
    user = sign_up(api)
    key = create_api_key(api, user)

    me = api.get("/v1/me", headers={"x-api-key": key["key"]})
    [entry] = api.get("/v1/api-keys", headers=user.bearer).json()

    assert me.status_code == 200
    assert me.json()["id"] == user.id
    assert entry["last_used_at"] is not None


def test_api_key_stored_only_as_hash(api: Any, clean_database: str) -> None:
    user = sign_up(api)
    key = create_api_key(api, user)

    with psycopg.connect(clean_database) as connection:
        row = connection.execute("SELECT string_agg(k::text, ' ') FROM api_keys k").fetchone()

    assert row is not None
    assert key["key"] not in row[0]
    assert key["key"].rsplit("_", 1)[1] not in row[0]


def test_revoked_api_key_refused_at_once(api: Any) -> None:
    user = sign_up(api)
    key = create_api_key(api, user)
    assert api.get("/v1/me", headers={"x-api-key": key["key"]}).status_code == 200

    revoked = api.delete(f"/v1/api-keys/{key['id']}", headers=user.bearer)
    after = api.get("/v1/me", headers={"x-api-key": key["key"]})

    assert revoked.status_code == 204
    assert after.status_code == 401
    assert after.json()["code"] == "api_key_revoked"
    assert api.get("/v1/api-keys", headers=user.bearer).json() == []


def test_expired_api_key_refused(api: Any, clean_database: str) -> None:
    user = sign_up(api)
    key = create_api_key(api, user, expires_in_days=1)
    with psycopg.connect(clean_database) as connection:
        connection.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 second' WHERE id = %s",
            (key["id"],),
        )

    response = api.get("/v1/me", headers={"x-api-key": key["key"]})

    assert response.status_code == 401
    assert response.json()["code"] == "api_key_expired"


def test_create_api_key_with_past_expiry_rejected(api: Any) -> None:
    user = sign_up(api)

    response = api.post(
        "/v1/api-keys",
        json={"name": "old", "expires_at": "2020-01-01T00:00:00Z"},
        headers=user.bearer,
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_read_only_key_reads_but_cannot_write(api: Any) -> None:
    user = sign_up(api)
    key = create_api_key(api, user, scopes=["read"])
    headers = {"x-api-key": key["key"]}

    read = api.get("/v1/me", headers=headers)
    write = api.post("/v1/auth/logout", headers=headers)

    assert read.status_code == 200
    assert write.status_code == 403
    assert write.json()["code"] == "insufficient_scope"


def test_api_key_cannot_manage_api_keys(api: Any) -> None:
    user = sign_up(api)
    key = create_api_key(api, user)

    response = api.post("/v1/api-keys", json={"name": "more"}, headers={"x-api-key": key["key"]})

    assert response.status_code == 403
    assert response.json()["code"] == "session_required"


def test_per_key_rate_limit_answers_429_with_retry_after(api: Any) -> None:
    user = sign_up(api)
    key = create_api_key(api, user, rate_limit_per_minute=3)
    headers = {"x-api-key": key["key"]}

    statuses = [api.get("/v1/me", headers=headers).status_code for _ in range(4)]
    limited = api.get("/v1/me", headers=headers)

    assert statuses == [200, 200, 200, 429]
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert 1 <= int(limited.headers["retry-after"]) <= 60
    # The owner's session is limited separately and still works.
    assert api.get("/v1/me", headers=user.bearer).status_code == 200


def test_revoking_another_users_key_is_not_found(api: Any) -> None:
    owner = sign_up(api)
    stranger = sign_up(api)
    key = create_api_key(api, owner)

    response = api.delete(f"/v1/api-keys/{key['id']}", headers=stranger.bearer)

    assert response.status_code == 404
    assert api.get("/v1/me", headers={"x-api-key": key["key"]}).status_code == 200


def test_revoke_malformed_key_id_rejected(api: Any) -> None:
    user = sign_up(api)

    response = api.delete("/v1/api-keys/not-a-uuid", headers=user.bearer)

    assert response.status_code == 422
    assert response.json()["details"][0]["location"] == "path.key_id"


def test_invalid_api_key_does_not_fall_back_to_bearer(api: Any) -> None:
    user = sign_up(api)

    response = api.get("/v1/me", headers={**user.bearer, "x-api-key": "wdk_nope"})

    assert response.status_code == 401
    assert response.json()["code"] == "invalid_api_key"
