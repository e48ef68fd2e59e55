"""When the database cannot be reached, callers get a clear, retryable answer."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

Invoke = Callable[[str, Any], Any]


def test_function_database_unreachable_answers_503_json(
    invoke: Invoke, unreachable_database: None
) -> None:
    event = json.loads(Path("events/auth_login.json").read_text())

    answer = invoke("AuthFunction", event)

    assert answer["statusCode"] == 503
    assert json.loads(answer["body"])["code"] == "database_unavailable"
    assert answer["headers"]["retry-after"] == "1"
