"""Passwords follow NIST SP 800-63B on every route that sets one: at least
PASSWORD_MIN_LENGTH characters, long passphrases welcome, no composition rules, and nothing
common, guessable or made of the account's own e-mail or name."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient


def _email() -> str:
    return f"pw-{uuid.uuid4().hex[:10]}@example.com"


def _signup(api: TestClient, password: str, *, email: str | None = None, name: str = "Ada") -> Any:
    return api.post(
        "/v1/auth/signup", json={"email": email or _email(), "password": password, "name": name}
    )


def _password_problem(response: Any) -> str:
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "validation_error"
    [detail] = body["details"]
    assert detail["location"] == "body.password"
    message: str = body["message"]
    return message


@pytest.mark.parametrize(
    "password", ["password1234", "qwertyuiop", "iloveyou123", "123456789012", "aaaaaaaaaaaa"]
)
def test_signup_common_or_guessable_password_gets_422_naming_the_field(
    api: TestClient, password: str
) -> None:
    response = _signup(api, password)

    assert "common" in _password_problem(response)
    assert password not in response.text


def test_signup_password_equal_to_email_or_name_gets_422(api: TestClient) -> None:
    email = _email()
    name = "Marguerite Perey-Tesla"

    as_email = _signup(api, email.upper(), email=email)
    as_name = _signup(api, name.lower(), name=name)

    assert "e-mail" in _password_problem(as_email)
    assert "name" in _password_problem(as_name)


@pytest.mark.parametrize(
    "password",
    [
        "xk7#mQ2p",  # short but not guessable: no composition rules
        "violet tractor juggles seventeen pancakes",
        "a long passphrase is welcome: " + "tiger lily umbrella " * 3,  # past 64 characters
    ],
)
def test_signup_strong_password_of_any_shape_or_length_is_accepted(
    api: TestClient, password: str
) -> None:
    assert _signup(api, password).status_code == 201


def test_tora_signup_and_wavedb_register_refuse_a_common_password(api: TestClient) -> None:
    tora = api.post("/signup", json={"email": _email(), "password": "password1234"})
    wavedb = api.post(
        "/auth/register",
        json={"username": "researcher", "email": _email(), "password": "password1234"},
    )

    assert tora.status_code == 400, tora.text
    assert tora.json()["error"] == "VALIDATION_ERROR"
    assert "common" in tora.json()["message"]
    assert wavedb.status_code == 400, wavedb.text
    assert [reason["name"] for reason in wavedb.json()["reasons"]] == ["password"]
    assert "password1234" not in tora.text + wavedb.text


def test_tora_signup_password_equal_to_the_address_is_refused(api: TestClient) -> None:
    email = _email()

    response = api.post("/signup", json={"email": email, "password": email})

    assert response.status_code == 400, response.text
    assert "e-mail" in response.json()["message"]
