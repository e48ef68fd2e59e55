"""The password rules alone (NIST SP 800-63B), without a server."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from wavedb_core.errors import ValidationFailed
from wavedb_core.services.password_policy import check_new_password


def _problem(password: str, *, email: str = "ada@example.com", name: str = "Ada") -> str | None:
    try:
        check_new_password(password, email=email, name=name, min_length=8)
    except ValidationFailed as error:
        refused = error
    else:
        return None
    [detail] = refused.details
    assert detail["location"] == "body.password"
    return refused.message


@pytest.mark.parametrize(
    "password", ["password1234", "Password1!", "welcome123", "qwertyuiop", "P@ssw0rd2024"]
)
def test_password_policy_common_password_is_refused(password: str) -> None:
    assert "too common" in (_problem(password) or "")


def test_password_policy_short_password_is_refused_before_anything_else() -> None:
    assert _problem("xk7#mQ2") == "password must be at least 8 characters"


def test_password_policy_own_email_name_or_their_parts_are_refused() -> None:
    email = "grace.hopper@navy.example"

    assert "e-mail" in (_problem(f" {email.upper()} ", email=email) or "")
    assert "name" in (_problem("Rear Admiral Grace", name="rear admiral grace") or "")
    assert "too common" in (_problem("gracehopper", email=email, name="G") or "")


@pytest.mark.parametrize(
    "password",
    ["xk7#mQ2p", "violet tractor juggles seventeen pancakes", "tiger lily umbrella " * 10],
)
def test_password_policy_any_shape_and_long_passphrases_are_accepted(password: str) -> None:
    assert _problem(password) is None


def test_password_policy_word_lists_load_only_when_a_password_is_set() -> None:
    code = (
        "import sys, wavedb_core.services.accounts, wavedb_core.services.password_policy;"
        " print('zxcvbn' in sys.modules)"
    )
    environment = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=environment
    ).stdout.strip()

    assert loaded == "False"
