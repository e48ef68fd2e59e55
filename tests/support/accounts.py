"""Shortcuts for tests that need a signed-up user."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import jwt
from starlette.testclient import TestClient

from tests.conftest import TEST_JWT_SECRET
from wavedb_core.principal import Principal

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

    @property
    def principal(self) -> Principal:
        """This user signed in with a token that may read and write, for calling services
        directly."""
        return Principal(
            user_id=uuid.UUID(self.id),
            method="jwt",
            scopes=frozenset({"read", "write"}),
            rate_limit_per_minute=6000,
        )


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


def access_token(claims: dict[str, Any] | None = None, key: str = TEST_JWT_SECRET) -> str:
    """A well-formed access token of a made-up session, valid for five minutes, with
    `claims` put over the usual ones."""
    now = datetime.now(UTC)
    base = {
        "sub": str(uuid.uuid4()),
        "sid": str(uuid.uuid4()),
        "typ": "access",
        "iss": "wavedb",
        "aud": "wavedb-api",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=5)).timestamp()),
    }
    return jwt.encode({**base, **(claims or {})}, key, algorithm="HS256")
