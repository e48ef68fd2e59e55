"""Every setting of the server, parsed once from the environment and validated up front.

A plain pydantic model filled from `os.environ`: every setting is one scalar variable, and
pydantic-settings (its sources for dotenv, secrets, cloud vaults, CLIs...) cost every
function about 50 ms of cold start for nothing it needed here.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

# The largest object one presigned POST can upload (5 GiB).
_S3_POST_MAX = 5 * 1024**3


class Settings(BaseModel):
    """Server settings. Environment variable names are the field names in upper case."""

    model_config = ConfigDict(extra="ignore", frozen=True, validate_by_name=True)

    stage: str = "local"

    # Database: a connection URL, or (in AWS) the ARN of a Secrets Manager secret in the
    # RDS format ({"host", "port", "username", "password", "dbname"}).
    database_url: SecretStr | None = None
    database_secret_arn: str | None = None
    database_connect_timeout_seconds: int = Field(default=5, ge=1, le=60)
    # A connection idle this long is checked before use: after a database restart, failover or
    # a proxy's idle timeout it would otherwise fail its next request.
    database_idle_check_seconds: float = Field(default=10, ge=0, le=3600)

    # JWT signing secret: given directly, or read once from Secrets Manager.
    jwt_secret: SecretStr | None = None
    jwt_secret_arn: str | None = None
    jwt_issuer: str = "wavedb"
    jwt_audience: str = "wavedb-api"
    access_token_ttl_seconds: int = Field(default=900, ge=60, le=86_400)
    refresh_token_ttl_seconds: int = Field(default=30 * 86_400, ge=3_600, le=365 * 86_400)

    # Accounts.
    require_email_confirmation: bool = False
    email_confirmation_ttl_seconds: int = Field(default=2 * 86_400, ge=600)
    email_sender: str | None = None
    # Without an EMAIL_SENDER, write each e-mail (links and tokens included) to standard
    # output instead of sending it. For the local stack only: in AWS it would put secrets
    # in the logs.
    print_emails: bool = False
    public_base_url: str = "http://127.0.0.1:3000"
    # NIST SP 800-63B: a minimum length, long passphrases allowed, no composition rules,
    # and no password that is common, guessable or made of the account's own details.
    password_min_length: int = Field(default=8, ge=8, le=64)

    # Abuse protection. Failed log-ins are counted per (account, source address), per
    # source address, and per account; past the per-account count, only a source that
    # already failed for the account and never logged in to it is stopped (login_throttle.py).
    login_max_failures: int = Field(default=10, ge=1)
    login_max_failures_per_ip: int = Field(default=100, ge=1)
    login_max_failures_per_account: int = Field(default=10, ge=1)
    login_failure_window_seconds: int = Field(default=900, ge=60)
    signup_max_per_ip_per_hour: int = Field(default=20, ge=1)
    default_rate_limit_per_minute: int = Field(default=6_000, ge=1)
    # Quotas per user: the highest limit a key may be given, the requests of all of a user's
    # keys and sessions together, and how many active API keys and workspaces a user may have.
    api_key_max_rate_limit_per_minute: int = Field(default=12_000, ge=1, le=1_000_000)
    user_rate_limit_per_minute: int = Field(default=12_000, ge=1)
    max_api_keys_per_user: int = Field(default=100, ge=1)
    max_workspaces_per_user: int = Field(default=50, ge=1)
    max_request_body_bytes: int = Field(default=1_048_576, ge=1_024)
    # A gzip body (Content-Encoding: gzip) may decompress to at most this (Lambda's own
    # request limit: a compressed request carries no more than an uncompressed one could).
    max_decompressed_body_bytes: int = Field(default=6_291_456, ge=1_024)

    # AWS resources, reached through boto3; aws_endpoint_url points at an emulator.
    aws_region: str = Field(default="us-east-1", alias="AWS_REGION")
    aws_endpoint_url: str | None = Field(default=None, alias="AWS_ENDPOINT_URL")
    media_bucket: str | None = None
    ingest_queue_url: str | None = None
    # GET /health answers within this: each dependency check that has not answered by then
    # counts as failed (well under the function's 10 s timeout).
    health_check_timeout_seconds: float = Field(default=3, gt=0, le=8)

    # Media uploads: the largest upload per kind, how long a grant is valid, how late an
    # upload begun in time may finish, and how long a download URL works.
    media_max_image_bytes: int = Field(default=25 * 1024 * 1024, ge=1_024, le=_S3_POST_MAX)
    media_max_audio_bytes: int = Field(default=100 * 1024 * 1024, ge=1_024, le=_S3_POST_MAX)
    media_max_text_bytes: int = Field(default=10 * 1024 * 1024, ge=1_024, le=_S3_POST_MAX)
    media_max_file_bytes: int = Field(default=2 * 1024**3, ge=1_024, le=_S3_POST_MAX)
    media_upload_grant_seconds: int = Field(default=600, ge=30, le=3_600)
    media_upload_grace_seconds: int = Field(default=1_800, ge=0, le=86_400)
    media_download_url_seconds: int = Field(default=300, ge=30, le=3_600)
    # The most pixels an image may decode to (an animation: all its frames together); a
    # larger one is a decompression bomb for whoever views it. 64 Mpx is 8192 x 8192.
    media_max_image_pixels: int = Field(default=8_192 * 8_192, ge=1_000_000, le=200_000_000)

    # Exports: the queue of export jobs; the largest CSV a route answers itself (JSON-encoded,
    # as the Lambda answer carries it; larger ones go through an export job), how long a
    # finished export's download URL works, how long its object is kept (the bucket's
    # lifecycle rule on exports/ expires it), and the size of each multipart upload part.
    export_queue_url: str | None = None
    export_sync_max_bytes: int = Field(default=5_000_000, ge=1_024, le=6_000_000)
    export_download_url_seconds: int = Field(default=900, ge=30, le=3_600)
    export_retention_days: int = Field(default=1, ge=1, le=30)
    export_part_bytes: int = Field(default=8 * 1024 * 1024, ge=5 * 1024 * 1024, le=512 * 1024**2)
    # A route that must answer a file (Tora's CSV) waits this long for its export job before
    # answering 503 with Retry-After (keep it under the function's timeout).
    export_wait_seconds: float = Field(default=20, ge=0, le=25)

    # Runs: a running run silent for this long (no heartbeat) is marked crashed. With the
    # SDK's heartbeat every 15 s and the monitor every minute, a killed run is crashed
    # within 2 minutes.
    run_heartbeat_timeout_seconds: int = Field(default=60, ge=10, le=7 * 86_400)
    # Metric ingest: on this receive of a queue message (the queue's maxReceiveCount) a
    # failing message marks its batch failed before it goes to the dead-letter queue.
    ingest_max_receive_count: int = Field(default=5, ge=1, le=1_000)

    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"

    @model_validator(mode="after")
    def _check_sources(self) -> Settings:
        if self.database_url is None and self.database_secret_arn is None:
            raise ValueError("set DATABASE_URL or DATABASE_SECRET_ARN")
        if self.jwt_secret is None and self.jwt_secret_arn is None:
            raise ValueError("set JWT_SECRET or JWT_SECRET_ARN")
        if self.jwt_secret is not None and len(self.jwt_secret.get_secret_value()) < 32:
            raise ValueError("JWT_SECRET must be at least 32 characters")
        if self.default_rate_limit_per_minute > self.api_key_max_rate_limit_per_minute:
            raise ValueError(
                "DEFAULT_RATE_LIMIT_PER_MINUTE must not exceed API_KEY_MAX_RATE_LIMIT_PER_MINUTE"
            )
        if self.require_email_confirmation and not (self.email_sender or self.print_emails):
            raise ValueError("REQUIRE_EMAIL_CONFIRMATION needs EMAIL_SENDER (or PRINT_EMAILS)")
        return self

    @classmethod
    def from_environment(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """The settings the environment sets (variable names in any case), defaults for the
        rest; a ValidationError names what is missing or wrong.

        An empty (or blank) variable counts as unset: `sam local` and CloudFormation hand a
        function "" for a variable the template declares but does not resolve, and an empty
        DATABASE_URL or JWT_SECRET_ARN must fail here, by name, not at first use."""
        variables = {
            name.lower(): value for name, value in (environ or os.environ).items() if value.strip()
        }
        values = {}
        for name, field in cls.model_fields.items():
            key = field.alias or name
            if key.lower() in variables:
                values[key] = variables[key.lower()]
        return cls.model_validate(values)


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The settings of this execution environment (parsed on first use, then cached)."""
    return Settings.from_environment()
