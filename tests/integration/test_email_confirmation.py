"""With e-mail confirmation on, an account logs in only after confirming its address."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto.backends import get_backend

from tests.conftest import reset_cached_settings
from tests.support.accounts import PASSWORD

SENDER = "no-reply@wavedb.example"


@pytest.fixture
def confirmation_required(server_environment: dict[str, str]) -> Iterator[None]:
    boto3.client(
        "ses", region_name="us-east-1", endpoint_url=server_environment["AWS_ENDPOINT_URL"]
    ).verify_email_identity(EmailAddress=SENDER)
    os.environ["REQUIRE_EMAIL_CONFIRMATION"] = "true"
    os.environ["EMAIL_SENDER"] = SENDER
    reset_cached_settings()
    yield
    del os.environ["REQUIRE_EMAIL_CONFIRMATION"]
    del os.environ["EMAIL_SENDER"]
    reset_cached_settings()


def _sent_token(recipient: str) -> str:
    messages = get_backend("ses")["123456789012"]["us-east-1"].sent_messages
    [message] = [m for m in messages if recipient in m.destinations["ToAddresses"]]
    match = re.search(r"\bwdc_[0-9a-f]+_[A-Za-z0-9_-]{43}\b", message.body)
    assert match is not None
    return match.group(0)


def test_signup_with_confirmation_sends_mail_and_blocks_login(
    api: Any, confirmation_required: None
) -> None:
    signup = api.post(
        "/v1/auth/signup",
        json={"email": "new@example.com", "password": PASSWORD, "name": "New"},
    )
    login = api.post("/v1/auth/login", json={"email": "new@example.com", "password": PASSWORD})

    assert signup.status_code == 201
    assert signup.json()["email_confirmation_required"] is True
    assert signup.json()["tokens"] is None
    assert login.status_code == 403
    assert login.json()["code"] == "email_not_confirmed"


def test_confirm_email_token_works_once_then_login_succeeds(
    api: Any, confirmation_required: None
) -> None:
    api.post(
        "/v1/auth/signup",
        json={"email": "confirm@example.com", "password": PASSWORD, "name": "C"},
    )
    token = _sent_token("confirm@example.com")

    confirmed = api.post("/v1/auth/confirm-email", json={"token": token})
    again = api.post("/v1/auth/confirm-email", json={"token": token})
    login = api.post("/v1/auth/login", json={"email": "confirm@example.com", "password": PASSWORD})

    assert confirmed.status_code == 200
    assert confirmed.json()["email_confirmed"] is True
    assert again.status_code == 401
    assert login.status_code == 200
