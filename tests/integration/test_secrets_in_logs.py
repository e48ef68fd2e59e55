"""No password, token or key ever reaches a log line."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support.accounts import PASSWORD, create_api_key, sign_up


def test_auth_flows_log_no_secret(api: Any, caplog: pytest.LogCaptureFixture) -> None:
    user = sign_up(api)
    api.post("/v1/auth/login", json={"email": user.email, "password": "wrong-password-123"})
    pair = api.post("/v1/auth/login", json={"email": user.email, "password": PASSWORD}).json()
    rotated = api.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]}).json()
    api.post("/v1/auth/refresh", json={"refresh_token": pair["refresh_token"]})  # reuse
    key = create_api_key(api, user)
    api.get("/v1/me", headers={"x-api-key": key["key"]})
    api.get("/v1/me", headers={"Authorization": "Bearer forged.token.value"})

    # Every attribute of every record, extra keys included: what any formatter could print.
    output = " ".join(str(value) for record in caplog.records for value in vars(record).values())

    assert "account created" in output  # the logs were captured at all
    for secret in (
        PASSWORD,
        "wrong-password-123",
        user.access_token,
        user.refresh_token,
        pair["access_token"],
        pair["refresh_token"],
        rotated["refresh_token"],
        key["key"],
        "forged.token.value",
    ):
        assert secret not in output
