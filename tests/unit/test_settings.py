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


def test_settings_default_rate_limit_above_the_key_ceiling_refused() -> None:
    with pytest.raises(ValidationError, match="API_KEY_MAX_RATE_LIMIT_PER_MINUTE"):
        _settings(
            database_url="postgresql:///x",
            jwt_secret="x" * 32,
            default_rate_limit_per_minute=20_000,
            api_key_max_rate_limit_per_minute=10_000,
        )


def test_settings_quota_defaults_leave_room_for_the_default_key_limit() -> None:
    settings = _settings(database_url="postgresql:///x", jwt_secret="x" * 32)

    assert settings.default_rate_limit_per_minute <= settings.api_key_max_rate_limit_per_minute
    assert settings.default_rate_limit_per_minute <= settings.user_rate_limit_per_minute
    assert (settings.max_api_keys_per_user, settings.max_workspaces_per_user) == (100, 50)


def test_settings_secret_values_hidden_in_repr() -> None:
    settings = _settings(database_url="postgresql://u:p4ssw0rd@h/db", jwt_secret="s" * 40)

    assert "p4ssw0rd" not in repr(settings)
    assert "s" * 40 not in repr(settings)


def test_settings_from_environment_read_variables_in_any_case_with_their_types() -> None:
    settings = Settings.from_environment(
        {
            "DATABASE_URL": "postgresql:///x",
            "jwt_secret": "j" * 32,
            "AWS_REGION": "eu-west-1",
            "Require_Email_Confirmation": "true",
            "EMAIL_SENDER": "team@example.com",
            "DATABASE_IDLE_CHECK_SECONDS": "2.5",
            "INGEST_MAX_RECEIVE_COUNT": "7",
            "PATH": "/usr/bin",
        }
    )

    assert settings.database_url is not None
    assert settings.database_url.get_secret_value() == "postgresql:///x"
    assert settings.aws_region == "eu-west-1"
    assert settings.require_email_confirmation is True
    assert settings.database_idle_check_seconds == 2.5
    assert settings.ingest_max_receive_count == 7
    assert settings.stage == "local"  # unset: the default


def test_settings_from_environment_name_a_bad_variable() -> None:
    with pytest.raises(ValidationError, match="ingest_max_receive_count"):
        Settings.from_environment(
            {
                "DATABASE_URL": "postgresql:///x",
                "JWT_SECRET": "j" * 32,
                "INGEST_MAX_RECEIVE_COUNT": "many",
            }
        )


def test_settings_media_max_image_pixels_defaults_to_64_megapixels() -> None:
    base = {"DATABASE_URL": "postgresql:///x", "JWT_SECRET": "j" * 32}

    assert Settings.from_environment(base).media_max_image_pixels == 8_192 * 8_192
    lowered = Settings.from_environment({**base, "MEDIA_MAX_IMAGE_PIXELS": "25000000"})
    assert lowered.media_max_image_pixels == 25_000_000
    with pytest.raises(ValidationError, match="media_max_image_pixels"):
        Settings.from_environment({**base, "MEDIA_MAX_IMAGE_PIXELS": "1000"})


def test_settings_from_environment_empty_database_variables_fail_fast_naming_them() -> None:
    # What `sam local` hands a function whose template variable resolves to nothing.
    with pytest.raises(ValidationError, match="DATABASE_URL or DATABASE_SECRET_ARN"):
        Settings.from_environment(
            {"DATABASE_URL": "", "DATABASE_SECRET_ARN": "", "JWT_SECRET": "x" * 32}
        )


def test_settings_from_environment_empty_variables_count_as_unset() -> None:
    settings = Settings.from_environment(
        {
            "DATABASE_URL": "postgresql:///x",
            "DATABASE_SECRET_ARN": "",
            "JWT_SECRET": "x" * 32,
            "JWT_SECRET_ARN": " ",
            "AWS_ENDPOINT_URL": "",
            "MEDIA_BUCKET": "",
            "STAGE": "",
            "DATABASE_CONNECT_TIMEOUT_SECONDS": "",
        }
    )
    assert settings.database_secret_arn is None
    assert settings.jwt_secret_arn is None
    assert settings.aws_endpoint_url is None
    assert settings.media_bucket is None
    assert settings.stage == "local"
    assert settings.database_connect_timeout_seconds == 5


def test_settings_from_environment_empty_jwt_variables_fail_fast_naming_them() -> None:
    with pytest.raises(ValidationError, match="JWT_SECRET or JWT_SECRET_ARN"):
        Settings.from_environment(
            {"DATABASE_URL": "postgresql:///x", "JWT_SECRET": "", "JWT_SECRET_ARN": ""}
        )
