"""Every file in events/ invoked through its function's handler, as `sam local invoke -e`
and `make invoke` do, with the answer a user of that event should see."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import psycopg
import pytest

from tests.conftest import REPOSITORY
from wavedb_core.services.passwords import hash_password
from wavedb_local.stack import LocalStack

EVENTS = REPOSITORY / "events"
Invoke = Callable[[str, Any], Any]


@dataclass(frozen=True)
class Expected:
    function: str
    status: int | None = None  # HTTP status, for API Gateway events
    check: Callable[[Any], bool] = lambda _: True
    # Rows the event refers to, inserted (given the database URL) after the events' account.
    setup: Callable[[str], None] | None = None
    # The keys every error body of this function carries (compatibility routes differ).
    error_keys: frozenset[str] = frozenset({"code", "message"})


def _unauthenticated(reason: str) -> Callable[[Any], bool]:
    def check(answer: Any) -> bool:
        context = answer["context"]
        return bool(
            answer["isAuthorized"] is True
            and context["authenticated"] is False
            and context["failureCode"] == reason
        )

    return check


EXPECTED: dict[str, Expected] = {
    "health_get.json": Expected("HealthFunction", 200),
    "auth_signup.json": Expected("AuthFunction", 201),
    "auth_login.json": Expected("AuthFunction", 200),
    "auth_refresh.json": Expected("AuthFunction", 401),  # a token nobody was given
    "auth_confirm_email.json": Expected("AuthFunction", 401),
    "auth_logout.json": Expected("AuthFunction", 200),
    "auth_me.json": Expected("AuthFunction", 200),
    "api_keys_create.json": Expected("ApiKeysFunction", 201),
    "api_keys_list.json": Expected("ApiKeysFunction", 200),
    "api_keys_revoke.json": Expected("ApiKeysFunction", 404),  # no such key
    "authorizer_bearer.json": Expected(
        "AuthorizerFunction", check=_unauthenticated("invalid_token")
    ),
    "authorizer_api_key.json": Expected(
        "AuthorizerFunction", check=_unauthenticated("invalid_api_key")
    ),
    "authorizer_no_credentials.json": Expected(
        "AuthorizerFunction", check=_unauthenticated("missing_credentials")
    ),
    "migrate.json": Expected("MigrateFunction", check=lambda answer: answer == {"applied": []}),
    # @slice workspaces
    # @slice runs
    # @slice metrics
    # @slice tora
    # @slice wavedb-compat
}


def _event(name: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return event


@pytest.fixture
def account_of_the_events(clean_database: str) -> None:
    """The user and session that the sample events speak for (except the sign-up one)."""
    context = _event("auth_me.json")["requestContext"]["authorizer"]["lambda"]
    login = json.loads(_event("auth_login.json")["body"])
    with psycopg.connect(clean_database) as connection:
        connection.execute(
            "INSERT INTO users (id, email, name, password_hash, email_confirmed_at)"
            " VALUES (%s, %s, 'Ada', %s, now())",
            (context["userId"], login["email"], hash_password(login["password"])),
        )
        connection.execute(
            "INSERT INTO auth_sessions (id, user_id, expires_at) VALUES (%s, %s, %s)",
            (context["sessionId"], context["userId"], datetime.now(UTC) + timedelta(days=1)),
        )


def test_events_folder_has_an_expectation_for_every_file() -> None:
    assert sorted(path.name for path in EVENTS.glob("*.json")) == sorted(EXPECTED)


def test_events_folder_exercises_every_function(local_stack: LocalStack) -> None:
    assert local_stack.model is not None
    assert {expected.function for expected in EXPECTED.values()} == set(local_stack.model.functions)


@pytest.mark.parametrize("name", sorted(name for name in EXPECTED if name != "auth_signup.json"))
def test_event_file_invoked_through_its_handler_gives_expected_answer(
    name: str, invoke: Invoke, local_stack: LocalStack, account_of_the_events: None
) -> None:
    expected = EXPECTED[name]
    event = _event(name)
    _assert_routed_to(local_stack, event, expected.function)

    if expected.setup is not None:
        expected.setup(local_stack.environment["DATABASE_URL"])

    answer = invoke(expected.function, event)

    if expected.status is not None:
        assert answer["statusCode"] == expected.status, answer
        body = json.loads(answer["body"]) if answer.get("body") else None
        if expected.status >= 400:
            assert isinstance(body, dict)
            assert set(body) >= expected.error_keys
    assert expected.check(answer), answer


def test_signup_event_creates_the_account(invoke: Invoke, clean_database: str) -> None:
    answer = invoke("AuthFunction", _event("auth_signup.json"))

    assert answer["statusCode"] == 201
    body = json.loads(answer["body"])
    assert body["user"]["email"] == "ada@example.com"
    uuid.UUID(body["user"]["id"])


def _assert_routed_to(stack: LocalStack, event: dict[str, Any], function: str) -> None:
    """An API Gateway event's route key is the template's route of that very function."""
    assert stack.model is not None
    route_key = event.get("routeKey")
    if route_key is None or event.get("type") == "REQUEST":
        return
    owners = {route.function_id for route in stack.model.routes if route.route_key == route_key}
    assert owners == {function}
