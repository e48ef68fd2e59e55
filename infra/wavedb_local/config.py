"""The local stack's configuration, read from the environment (and the command line)."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from wavedb_local.naming import LOCAL_STACK_NAME

DEFAULT_PORT = 3000
DEFAULT_WORKERS = 8
DEFAULT_SQS_CONCURRENCY = 2
TEMPLATE_NAME = "template.yaml"


class ConfigurationError(ValueError):
    """The local stack cannot start with this configuration."""


@dataclass
class LocalStackConfig:
    """Where and how the local stack runs.

    Environment variables (all optional):
      PORT                          HTTP port on 127.0.0.1 (default 3000)
      WAVEDB_TEMPLATE               the SAM template (default: template.yaml found upwards)
      WAVEDB_DATA_DIR               data kept across restarts (default: .wavedb next to it)
      DATABASE_URL                  use this PostgreSQL instead of the embedded one
      AWS_ENDPOINT_URL              use this AWS emulator instead of starting moto
      WAVEDB_USE_REAL_AWS=1         use real AWS (default credential chain), provision nothing
      AWS_REGION                    region (default us-east-1)
      WAVEDB_PARAMETER_OVERRIDES    template parameters, "Name=value Other=value"
      LOCAL_SCHEDULE_INTERVAL_SECONDS  run every schedule at this interval
      JWT_SECRET                    use this signing key instead of the persisted one
      WAVEDB_SITE_DIR               the built dashboard served at / (default: web/dist)
    """

    template_path: Path
    data_dir: Path
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    database_url: str | None = None
    aws_endpoint_url: str | None = None
    use_real_aws: bool = False
    region: str = "us-east-1"
    parameter_overrides: dict[str, str] = field(default_factory=dict)
    schedule_interval_seconds: float | None = None
    jwt_secret: str | None = None
    workers: int = DEFAULT_WORKERS
    retry_visibility_seconds: int = 1
    sqs_wait_seconds: int = 1
    # Batches in flight per SQS mapping without a ScalingConfig.MaximumConcurrency.
    sqs_concurrency: int = DEFAULT_SQS_CONCURRENCY
    apply_migrations: bool = True
    stack_name: str = LOCAL_STACK_NAME
    site_dir: Path | None = None  # the built dashboard served at /; None: no dashboard
    # Each function in execution environments (processes) of its own, as in Lambda; False:
    # every function runs on threads of this process (tests, `invoke`).
    function_processes: bool = False

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        template_path: Path | None = None,
        parameter_overrides: str | None = None,
        port: int | None = None,
    ) -> LocalStackConfig:
        """The configuration the environment describes (arguments win over variables)."""
        environ = os.environ if environ is None else environ
        template = (
            template_path or _env_path(environ, "WAVEDB_TEMPLATE") or find_template(Path.cwd())
        )
        template = template.resolve()
        if not template.is_file():
            raise ConfigurationError(f"no template at {template}")
        data_dir = _env_path(environ, "WAVEDB_DATA_DIR") or template.parent / ".wavedb"
        overrides = parse_parameter_overrides(environ.get("WAVEDB_PARAMETER_OVERRIDES", ""))
        overrides.update(parse_parameter_overrides(parameter_overrides or ""))
        interval = environ.get("LOCAL_SCHEDULE_INTERVAL_SECONDS")
        return cls(
            template_path=template,
            data_dir=data_dir.resolve(),
            port=port if port is not None else _env_int(environ, "PORT", DEFAULT_PORT),
            database_url=environ.get("DATABASE_URL") or None,
            aws_endpoint_url=environ.get("AWS_ENDPOINT_URL") or None,
            use_real_aws=environ.get("WAVEDB_USE_REAL_AWS", "").lower() in {"1", "true", "yes"},
            region=environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or "us-east-1",
            parameter_overrides=overrides,
            schedule_interval_seconds=float(interval) if interval else None,
            jwt_secret=environ.get("JWT_SECRET") or None,
            site_dir=(
                _env_path(environ, "WAVEDB_SITE_DIR") or template.parent / "web" / "dist"
            ).resolve(),
            workers=_env_int(environ, "WAVEDB_LOCAL_WORKERS", DEFAULT_WORKERS),
            sqs_concurrency=_env_int(
                environ, "WAVEDB_LOCAL_SQS_CONCURRENCY", DEFAULT_SQS_CONCURRENCY
            ),
        )


def find_template(start: Path) -> Path:
    """The nearest template.yaml in `start` or a parent folder."""
    for folder in [start, *start.parents]:
        candidate = folder / TEMPLATE_NAME
        if candidate.is_file():
            return candidate
    raise ConfigurationError(f"no {TEMPLATE_NAME} in {start} or its parents; set WAVEDB_TEMPLATE")


def parse_parameter_overrides(text: str) -> dict[str, str]:
    """`Name=value Other="two words"` (or ParameterKey=..,ParameterValue=.. pairs)."""
    overrides: dict[str, str] = {}
    for item in shlex.split(text):
        if item.startswith("ParameterKey="):
            key_part, _, value_part = item.partition(",")
            overrides[key_part.removeprefix("ParameterKey=")] = value_part.removeprefix(
                "ParameterValue="
            )
            continue
        name, separator, value = item.partition("=")
        if not separator or not name:
            raise ConfigurationError(f"parameter override {item!r} is not Name=value")
        overrides[name] = value
    return overrides


def _env_path(environ: Mapping[str, str], name: str) -> Path | None:
    value = environ.get(name)
    return Path(value).expanduser() if value else None


def _env_int(environ: Mapping[str, str], name: str, default: int) -> int:
    value = environ.get(name)
    if not value:
        return default
    try:
        return int(value)
    except ValueError:
        raise ConfigurationError(f"{name}={value!r} is not a whole number") from None
