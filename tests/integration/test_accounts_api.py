"""Sign-up, log-in, refresh rotation, log-out and the current user, through the API."""

from __future__ import annotations

from typing import Any

import psycopg

from tests.support.accounts import PASSWORD, sign_up


def test_signup_valid_account_returns_user_and_tokens(api: Any) -> None:
    response = api.post(
        "/v1/auth/signup",
        json={"email": "Grace@Example.com", "password": PASSWORD, "name": " Grace Hopper "},
    )

    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == "Grace@example.com"
    assert body["user"]["name"] == "Grace Hopper"
    assert body["email_confirmation_required"] is False
    assert body["tokens"]["token_type"] == "bearer"
    assert 0 < body["tokens"]["expires_in"] <= 900
    assert "password" not in response.text


def test_signup_same_email_any_case_conflicts(api: Any) -> None:
    sign_up(api, email="dup@example.com")

    response = api.post(
        "/v1/auth/signup", json={"email": "DUP@example.com", "password": PASSWORD, "name": "B"}
    )

    assert response.status_code == 409
    assert response.json()["code"] == "conflict"


def test_signup_short_password_rejected_without_echoing_it(api: Any) -> None:
    response = api.post(
        "/v1/auth/signup", json={"email": "a@example.com", "password": "hunter2", "name": "A"}
    )

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"
    assert "hunter2" not in response.text


def test_signup_unknown_field_and_bad_email_rejected_with_locations(api: Any) -> None:
    response = api.post(
        "/v1/auth/signup",
        json={"email": "not-an-email", "password": PASSWORD, "name": "A", "admin": True},
    )

    assert response.status_code == 422
    locations = {detail["location"] for detail in response.json()["details"]}
    assert locations == {"body.email", "body.admin"}
    assert PASSWORD not in response.text


def test_signup_nul_character_in_text_rejected_and_nothing_stored(api: Any) -> None:
    response = api.post(
        "/v1/auth/signup",
        json={"email": "nul@example.com", "password": PASSWORD, "name": "Ada\u0000"},
    )

    assert response.status_code == 422
    assert response.json()["details"][0]["location"] == "body.name"
    login = api.post("/v1/auth/login", json={"email": "nul@example.com", "password": PASSWORD})
    assert login.status_code == 401


def test_signup_malformed_json_answers_400(api: Any) -> None:
    response = api.post(
        "/v1/auth/signup", content=b'{"email": ', headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json() == {
        "code": "malformed_json",
        "message": "the request body is not valid JSON",
    }


def test_signup_oversized_body_answers_413(api: Any) -> None:
    response = api.post(
        "/v1/auth/signup",
        json={"email": "big@example.com", "password": PASSWORD, "name": "x" * 2_000_000},
    )

    assert response.status_code == 413
    assert response.json()["code"] == "payload_too_large"


def test_login_valid_credentials_returns_working_tokens(api: Any) -> None:
    user = sign_up(api)

    login = api.post("/v1/auth/login", json={"email": user.email.upper(), "password": PASSWORD})
    me = api.get("/v1/me", headers={"Authorization": f"Bearer {login.json()['access_token']}"})

    assert login.status_code == 200
    assert me.status_code == 200
    assert me.json()["id"] == user.id
    assert me.json()["email"] == user.email


def test_login_wrong_password_and_unknown_email_give_identical_401(api: Any) -> None:
    user = sign_up(api)

    wrong_password = api.post("/v1/auth/login", json={"email": user.email, "password": "nope!"})
    unknown_email = api.post(
        "/v1/auth/login", json={"email": "nobody@example.com", "password": "nope!"}
    )

    assert wrong_password.status_code == unknown_email.status_code == 401
    assert wrong_password.json() == unknown_email.json()
    assert wrong_password.json()["code"] == "invalid_credentials"


def test_login_repeated_failures_rate_limited_with_retry_after(api: Any) -> None:
    user = sign_up(api)
    for _ in range(10):
        failed = api.post("/v1/auth/login", json={"email": user.email, "password": "guess"})
        assert failed.status_code == 401

    blocked = api.post("/v1/auth/login", json={"email": user.email, "password": PASSWORD})

    assert blocked.status_code == 429
    assert blocked.json()["code"] == "rate_limited"
    assert 1 <= int(blocked.headers["retry-after"]) <= 900


def test_me_without_credentials_answers_401_json(api: Any) -> None:
    response = api.get("/v1/me")

    assert response.status_code == 401
    assert response.json()["code"] == "missing_credentials"
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_refresh_rotates_and_old_token_stops_working(api: Any) -> None:
    user = sign_up(api)

    first = api.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    assert first.status_code == 200
    new_pair = first.json()
    assert new_pair["refresh_token"] != user.refresh_token
    me = api.get("/v1/me", headers={"Authorization": f"Bearer {new_pair['access_token']}"})
    assert me.status_code == 200

    second = api.post("/v1/auth/refresh", json={"refresh_token": new_pair["refresh_token"]})
    assert second.status_code == 200


def test_refresh_reuse_of_old_token_revokes_whole_family(api: Any) -> None:
    user = sign_up(api)
    rotated = api.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token}).json()

    replay = api.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})
    newest = api.post("/v1/auth/refresh", json={"refresh_token": rotated["refresh_token"]})
    me = api.get("/v1/me", headers={"Authorization": f"Bearer {rotated['access_token']}"})

    assert replay.status_code == 401
    assert newest.status_code == 401
    assert me.status_code == 401
    assert me.json()["code"] == "session_revoked"


def test_refresh_tampered_token_rejected(api: Any) -> None:
    user = sign_up(api)
    tampered = user.refresh_token[:-1] + ("A" if user.refresh_token[-1] != "A" else "B")

    response = api.post("/v1/auth/refresh", json={"refresh_token": tampered})
    still_good = api.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})

    assert response.status_code == 401
    assert still_good.status_code == 200


def test_logout_with_bearer_ends_session_at_once(api: Any) -> None:
    user = sign_up(api)

    logout = api.post("/v1/auth/logout", headers=user.bearer)
    me = api.get("/v1/me", headers=user.bearer)
    refresh = api.post("/v1/auth/refresh", json={"refresh_token": user.refresh_token})

    assert logout.status_code == 200
    assert me.status_code == 401
    assert refresh.status_code == 401


def test_logout_with_refresh_token_only_ends_that_session(api: Any) -> None:
    user = sign_up(api)
    other = api.post("/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json()

    logout = api.post("/v1/auth/logout", json={"refresh_token": user.refresh_token})

    assert logout.status_code == 200
    assert api.get("/v1/me", headers=user.bearer).status_code == 401
    other_bearer = {"Authorization": f"Bearer {other['access_token']}"}
    assert api.get("/v1/me", headers=other_bearer).status_code == 200


def test_secrets_stored_only_as_hashes(api: Any, clean_database: str) -> None:
    user = sign_up(api)

    with psycopg.connect(clean_database) as connection:
        password_hash = connection.execute(
            "SELECT password_hash FROM users WHERE id = %s", (user.id,)
        ).fetchone()
        dump = connection.execute(
            "SELECT string_agg(t::text, ' ') FROM refresh_tokens t"
        ).fetchone()

    assert password_hash is not None
    assert password_hash[0].startswith("$argon2id$")
    assert dump is not None
    assert user.refresh_token not in dump[0]
    assert user.refresh_token.rsplit("_", 1)[1] not in dump[0]


def test_signup_many_accounts_from_one_address_rate_limited(
    api: Any, tight_address_limits: None
) -> None:
    for _ in range(3):
        sign_up(api)

    blocked = api.post(
        "/v1/auth/signup", json={"email": "fourth@example.com", "password": PASSWORD, "name": "D"}
    )

    assert blocked.status_code == 429
    assert int(blocked.headers["retry-after"]) >= 1


def test_login_failures_across_accounts_from_one_address_rate_limited(
    api: Any, tight_address_limits: None
) -> None:
    victims = [sign_up(api) for _ in range(3)]
    for victim in victims:
        failed = api.post("/v1/auth/login", json={"email": victim.email, "password": "123456"})
        assert failed.status_code == 401

    blocked = api.post("/v1/auth/login", json={"email": victims[0].email, "password": PASSWORD})

    assert blocked.status_code == 429
    assert "address" in blocked.json()["message"]


def test_signup_jwt_secret_unreadable_saves_no_account_and_a_retry_succeeds(
    api: Any, clean_database: str, monkeypatch: Any
) -> None:
    from tests.conftest import reset_cached_settings

    monkeypatch.delenv("JWT_SECRET", raising=False)
    monkeypatch.setenv(
        "JWT_SECRET_ARN", "arn:aws:secretsmanager:us-east-1:123456789012:secret:missing-AbCdEf"
    )
    reset_cached_settings()
    try:
        failed = api.post(
            "/v1/auth/signup",
            json={"email": "atomic@example.com", "password": PASSWORD, "name": "Ada"},
        )
    finally:
        monkeypatch.undo()
        reset_cached_settings()

    assert failed.status_code == 503, failed.text  # retryable, with its reason
    assert failed.json()["code"] == "secret_unavailable"
    assert int(failed.headers["retry-after"]) >= 1
    with psycopg.connect(clean_database) as connection:
        row = connection.execute(
            "SELECT count(*) FROM users WHERE lower(email) = 'atomic@example.com'"
        ).fetchone()
    assert row == (0,)
    retried = api.post(
        "/v1/auth/signup",
        json={"email": "atomic@example.com", "password": PASSWORD, "name": "Ada"},
    )
    assert retried.status_code == 201
    assert retried.json()["tokens"]["access_token"]
