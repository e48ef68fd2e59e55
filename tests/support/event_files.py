"""The sample events in events/, what they say about their user, and what the answers to them
hold (see tests/integration/test_events.py)."""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import REPOSITORY

EVENTS = REPOSITORY / "events"


def event(name: str) -> dict[str, Any]:
    """The event file `name`, parsed."""
    parsed: dict[str, Any] = json.loads((EVENTS / name).read_text())
    return parsed


def events_user_id() -> str:
    """The id of the user the sample events speak for."""
    return str(event("auth_me.json")["requestContext"]["authorizer"]["lambda"]["userId"])


def events_user_email() -> str:
    """The e-mail address the sample log-in event signs in with."""
    return str(json.loads(event("auth_login.json")["body"])["email"])


def http_body(answer: dict[str, Any]) -> Any:
    """The JSON body of an API Gateway answer."""
    return json.loads(answer["body"])


def lists_one_item(answer: dict[str, Any]) -> bool:
    """The function answered a list with exactly one item."""
    return len(http_body(answer)["items"]) == 1
