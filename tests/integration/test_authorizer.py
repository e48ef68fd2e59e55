"""The Lambda authorizer for every credential shape, invoked as API Gateway invokes it."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt
import psycopg
import pytest

from tests.support.accounts import access_token, create_api_key, sign_up

Invoke = Callable[[str, dict[str, Any]], Any]
EVENT = json.loads(Path("events/authorizer_bearer.json").read_text())


def authorizer_event(headers: dict[str, str]) -> dict[str, Any]:
    event: dict[str, Any] = copy.deepcopy(EVENT)
    event["headers"] = {
        name: value for name, value in event["headers"].items() if name != "authorization"
    }
    event["headers"].update(headers)
    return event


def decide(invoke: Invoke, headers: dict[str, str]) -> dict[str, Any]:
    response: dict[str, Any] = invoke("AuthorizerFunction", authorizer_event(headers))
    return response


def test_authorizer_valid_bearer_passes_identity(api: Any, invoke: Invoke) -> None:
    user = sign_up(api)

    decision = decide(invoke, {"authorization": f"Bearer {user.access_token}"})

    assert decision["isAuthorized"] is True
    context = decision["context"]
    assert context["authenticated"] is True
    assert context["userId"] == user.id
    assert context["authMethod"] == "jwt"
    assert context["scopes"] == "read write"


def test_authorizer_valid_api_key_passes_key_identity(api: Any, invoke: Invoke) -> None:
    user = sign_up(api)
    key = create_api_key(api, user, scopes=["read"], rate_limit_per_minute=7)

    decision = decide(invoke, {"x-api-key": key["key"]})

    context = decision["context"]
    assert context["authenticated"] is True
    assert context["userId"] == user.id
    assert context["authMethod"] == "api_key"
    assert context["apiKeyId"] == key["id"]
    assert context["scopes"] == "read"
    assert context["rateLimitPerMinute"] == 7


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_credentials"),
        ({"authorization": ""}, "missing_credentials"),
        ({"authorization": "Basic dXNlcjpwYXNz"}, "malformed_authorization"),
        ({"authorization": "Bearer"}, "malformed_authorization"),
        ({"authorization": "Bearer not.a.jwt"}, "invalid_token"),
        ({"x-api-key": "wdk_short"}, "invalid_api_key"),
        ({"x-api-key": "wdk_0123456789abcdef_" + "A" * 43}, "invalid_api_key"),
    ],
)
def test_authorizer_missing_or_malformed_credentials_unauthenticated(
    invoke: Invoke, clean_database: str, headers: dict[str, str], reason: str
) -> None:
    decision = decide(invoke, headers)

    assert decision["context"]["authenticated"] is False
    assert decision["context"]["failureCode"] == reason


def test_authorizer_expired_token_unauthenticated(invoke: Invoke, clean_database: str) -> None:
    past = datetime.now(UTC) - timedelta(hours=1)
    token = access_token({"iat": int(past.timestamp()), "exp": int(past.timestamp()) + 60})

    decision = decide(invoke, {"authorization": f"Bearer {token}"})

    assert decision["context"] == {
        "authenticated": False,
        "failureCode": "token_expired",
        "failureMessage": "the access token has expired",
    }


def test_authorizer_wrong_signature_unauthenticated(api: Any, invoke: Invoke) -> None:
    user = sign_up(api)
    claims = jwt.decode(user.access_token, options={"verify_signature": False})
    forged = jwt.encode(claims, "another-secret-of-enough-length-0123456789", algorithm="HS256")

    decision = decide(invoke, {"authorization": f"Bearer {forged}"})

    assert decision["context"]["failureCode"] == "invalid_token"


def test_authorizer_unsigned_token_refused(api: Any, invoke: Invoke) -> None:
    user = sign_up(api)
    claims = jwt.decode(user.access_token, options={"verify_signature": False})
    unsigned = jwt.encode(claims, key="", algorithm="none")

    decision = decide(invoke, {"authorization": f"Bearer {unsigned}"})

    assert decision["context"]["failureCode"] == "invalid_token"


def test_authorizer_revoked_session_unauthenticated(api: Any, invoke: Invoke) -> None:
    user = sign_up(api)
    api.post("/v1/auth/logout", headers=user.bearer)

    decision = decide(invoke, {"authorization": f"Bearer {user.access_token}"})

    assert decision["context"]["failureCode"] == "session_revoked"


def test_authorizer_revoked_and_expired_keys_unauthenticated(
    api: Any, invoke: Invoke, clean_database: str
) -> None:
    user = sign_up(api)
    revoked = create_api_key(api, user)
    expired = create_api_key(api, user)
    api.delete(f"/v1/api-keys/{revoked['id']}", headers=user.bearer)
    with psycopg.connect(clean_database) as connection:
        connection.execute(
            "UPDATE api_keys SET expires_at = now() - interval '1 minute' WHERE id = %s",
            (expired["id"],),
        )

    assert decide(invoke, {"x-api-key": revoked["key"]})["context"]["failureCode"] == (
        "api_key_revoked"
    )
    assert decide(invoke, {"x-api-key": expired["key"]})["context"]["failureCode"] == (
        "api_key_expired"
    )


def test_authorizer_database_unreachable_passes_unavailable_for_a_retryable_refusal(
    invoke: Invoke, unreachable_database: None
) -> None:
    key = "wdk_0123456789abcdef_" + "A" * 43

    decision = decide(invoke, {"x-api-key": key})

    # Not a deny (API Gateway's bare 403, which clients take as final): the function
    # refuses the request with a 503 and Retry-After.
    assert decision == {
        "isAuthorized": True,
        "context": {
            "authenticated": False,
            "failureCode": "authentication_unavailable",
            "failureMessage": "the credentials cannot be checked right now; retry shortly",
        },
    }


def test_authorizer_key_limit_above_a_lowered_ceiling_is_held_to_the_ceiling(
    api: Any, invoke: Invoke, clean_database: str
) -> None:
    user = sign_up(api)
    key = create_api_key(api, user)
    with psycopg.connect(clean_database) as connection:
        connection.execute(
            "UPDATE api_keys SET rate_limit_per_minute = 1000000 WHERE id = %s", (key["id"],)
        )

    decision = decide(invoke, {"x-api-key": key["key"]})

    assert decision["context"]["rateLimitPerMinute"] == 12_000  # API_KEY_MAX_RATE_LIMIT_...
