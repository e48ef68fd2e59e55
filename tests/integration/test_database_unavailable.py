"""When the database cannot be reached, callers get a clear, retryable answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support.accounts import access_token

Invoke = Callable[[str, Any], Any]


def test_function_database_unreachable_answers_503_json(
    invoke: Invoke, unreachable_database: None
) -> None:
    event = json.loads(Path("events/auth_login.json").read_text())

    answer = invoke("AuthFunction", event)

    assert answer["statusCode"] == 503
    assert json.loads(answer["body"])["code"] == "database_unavailable"
    assert answer["headers"]["retry-after"] == "1"


def test_logout_database_unreachable_answers_503_with_retry_after(
    api: Any, unreachable_database: None
) -> None:
    # A valid token: the authorizer cannot check its session without the database.
    token = access_token()

    answer = api.post("/v1/auth/logout", headers={"Authorization": f"Bearer {token}"})

    assert answer.status_code == 503
    assert answer.json()["code"] == "authentication_unavailable"
    assert int(answer.headers["retry-after"]) >= 1
