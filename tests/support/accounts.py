"""Shortcuts for tests that need a signed-up user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import httpx
from starlette.testclient import TestClient

PASSWORD = "correct horse battery staple"


# The in-process test client of the API, or a real HTTP client of a served stack.
HttpClient = TestClient | httpx.Client


@dataclass(frozen=True)
class SignedUpUser:
    id: str
    email: str
    access_token: str
    refresh_token: str

    @property
    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


def sign_up(api: HttpClient, *, email: str | None = None, name: str = "Ada") -> SignedUpUser:
    email = email or f"user-{uuid.uuid4().hex[:10]}@example.com"
    response = api.post(
        "/v1/auth/signup", json={"email": email, "password": PASSWORD, "name": name}
    )
    assert response.status_code == 201, response.text
    body = response.json()
    tokens = body["tokens"]
    return SignedUpUser(
        id=body["user"]["id"],
        email=email,
        access_token=tokens["access_token"],
        refresh_token=tokens["refresh_token"],
    )


def create_api_key(api: HttpClient, user: SignedUpUser, **fields: Any) -> dict[str, Any]:
    response = api.post("/v1/api-keys", json={"name": "ci", **fields}, headers=user.bearer)
    assert response.status_code == 201, response.text
    key: dict[str, Any] = response.json()
    return key


def mark_address_confirmed(database_url: str, user: SignedUpUser) -> None:
    """Record that the user followed their confirmation link (the confirmation flow itself
    is tested in tests/integration/test_email_confirmation.py)."""
    import psycopg

    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute("UPDATE users SET email_confirmed_at = now() WHERE id = %s", (user.id,))
