"""Secret values: taken from settings locally, read once from Secrets Manager in AWS."""

from __future__ import annotations

import json
from functools import lru_cache
from urllib.parse import quote

from wavedb_core.errors import ServiceUnavailable
from wavedb_core.settings import Settings, get_settings

SECRET_RETRY_AFTER_SECONDS = 5


def _secret_string(arn: str) -> str:
    """The secret's value; a secret that cannot be read now is a 503 the caller may retry
    (nothing the request would have written is written)."""
    # Imported here: Parameters pulls in boto3, which only the AWS path needs.
    from aws_lambda_powertools.utilities.parameters import get_secret

    try:
        value = get_secret(arn, max_age=300)
    except Exception as error:
        raise ServiceUnavailable(
            "a secret the service needs cannot be read now; try again",
            code="secret_unavailable",
            retry_after_seconds=SECRET_RETRY_AFTER_SECONDS,
        ) from error
    return value if isinstance(value, str) else value.decode()


def database_conninfo(settings: Settings | None = None) -> str:
    """The libpq connection string of the database."""
    settings = settings or get_settings()
    if settings.database_url is not None:
        return settings.database_url.get_secret_value()
    assert settings.database_secret_arn is not None
    return _conninfo_from_rds_secret(_secret_string(settings.database_secret_arn))


def _conninfo_from_rds_secret(secret_json: str) -> str:
    secret = json.loads(secret_json)
    user = quote(str(secret["username"]), safe="")
    password = quote(str(secret["password"]), safe="")
    host = secret["host"]
    port = secret.get("port", 5432)
    dbname = secret.get("dbname", "wavedb")
    return f"postgresql://{user}:{password}@{host}:{port}/{dbname}?sslmode=require"


@lru_cache(maxsize=1)
def jwt_signing_key() -> str:
    """The HMAC key that signs access tokens."""
    settings = get_settings()
    if settings.jwt_secret is not None:
        return settings.jwt_secret.get_secret_value()
    assert settings.jwt_secret_arn is not None
    key = _secret_string(settings.jwt_secret_arn)
    if len(key) < 32:
        raise ValueError("the JWT secret must be at least 32 characters")
    return key
