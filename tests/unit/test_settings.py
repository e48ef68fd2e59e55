"""Settings fail fast with a message that says what to set."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from wavedb_core.settings import Settings


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("DATABASE_URL", "DATABASE_SECRET_ARN", "JWT_SECRET", "JWT_SECRET_ARN"):
        monkeypatch.delenv(name, raising=False)


def _settings(**values: object) -> Settings:
    return Settings.model_validate(values)


def test_settings_without_database_fail_fast() -> None:
    with pytest.raises(ValidationError, match="DATABASE_URL or DATABASE_SECRET_ARN"):
        _settings(jwt_secret="x" * 32)


def test_settings_short_jwt_secret_refused() -> None:
    with pytest.raises(ValidationError, match="at least 32 characters"):
        _settings(database_url="postgresql:///x", jwt_secret="short")


def test_settings_email_confirmation_needs_sender() -> None:
    with pytest.raises(ValidationError, match="EMAIL_SENDER"):
        _settings(
            database_url="postgresql:///x", jwt_secret="x" * 32, require_email_confirmation=True
        )


def test_settings_secret_values_hidden_in_repr() -> None:
    settings = _settings(database_url="postgresql://u:p4ssw0rd@h/db", jwt_secret="s" * 40)

    assert "p4ssw0rd" not in repr(settings)
    assert "s" * 40 not in repr(settings)
