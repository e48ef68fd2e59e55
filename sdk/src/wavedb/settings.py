"""Where the SDK's settings come from: arguments, then WAVEDB_* variables, then the file
`wavedb login` writes (`~/.config/wavedb/config.json`, or WAVEDB_CONFIG_DIR)."""

from __future__ import annotations

import json
import os
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from wavedb.errors import ConfigError
from wavedb.provenance import PROVENANCE_PARTS

PROVENANCE_PARTS_SET = frozenset(PROVENANCE_PARTS)

Mode = Literal["online", "offline", "disabled"]
MODES: tuple[Mode, ...] = ("online", "offline", "disabled")
CONFIG_FILE_NAME = "config.json"


@dataclass(frozen=True)
class Settings:
    api_url: str = ""
    api_key: str | None = None
    app_url: str = ""
    mode: Mode = "online"
    root_dir: Path = field(default_factory=lambda: Path("wavedb"))
    system_metrics: bool = True
    system_metrics_interval: float = 10.0
    flush_interval: float = 1.0
    # The API marks a run silent for 60 s `crashed` (RUN_HEARTBEAT_TIMEOUT_SECONDS).
    heartbeat_interval: float = 15.0
    retry_max_interval: float = 30.0
    batch_points: int = 10_000
    # Logged entries (log calls) waiting for the sender; beyond, log() waits (back-pressure).
    max_queued_logs: int = 200_000
    spool_max_bytes: int = 1 << 30
    finish_timeout: float = 120.0
    request_timeout: float = 30.0
    # The parts of a run's provenance to record (see wavedb.provenance).
    provenance: frozenset[str] = PROVENANCE_PARTS_SET

    @property
    def dashboard_url(self) -> str:
        return (self.app_url or self.api_url).rstrip("/")


def config_dir() -> Path:
    configured = os.environ.get("WAVEDB_CONFIG_DIR")
    if configured:
        return Path(configured).expanduser()
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base).expanduser() / "wavedb"


def stored_credentials() -> dict[str, str]:
    """What `wavedb login` stored ({} when nothing was, or the file is unreadable)."""
    path = config_dir() / CONFIG_FILE_NAME
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict):
        return {}
    return {key: value for key, value in data.items() if isinstance(value, str)}


def save_credentials(api_url: str, api_key: str) -> Path:
    """Store the API URL and key for later runs, readable by the user alone (0600)."""
    directory = config_dir()
    directory.mkdir(parents=True, exist_ok=True)
    directory.chmod(0o700)
    path = directory / CONFIG_FILE_NAME
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump({"api_url": api_url.rstrip("/"), "api_key": api_key}, file)
    temporary.chmod(0o600)
    temporary.replace(path)
    return path


def forget_credentials() -> bool:
    """Remove the stored credentials; whether there were any."""
    path = config_dir() / CONFIG_FILE_NAME
    try:
        path.unlink()
    except FileNotFoundError:
        return False
    return True


def _flag(value: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ConfigError(f"expected true or false, got {value!r}")


def _number(name: str, value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise ConfigError(f"{name} must be a number, got {value!r}") from None
    if number <= 0:
        raise ConfigError(f"{name} must be positive, got {value!r}")
    return number


_ENVIRONMENT: dict[str, tuple[str, Any]] = {
    # field: (variable, parser)
    "api_url": ("WAVEDB_API_URL", str),
    "api_key": ("WAVEDB_API_KEY", str),
    "app_url": ("WAVEDB_APP_URL", str),
    "mode": ("WAVEDB_MODE", str),
    "root_dir": ("WAVEDB_DIR", Path),
    "system_metrics": ("WAVEDB_SYSTEM_METRICS", _flag),
    "system_metrics_interval": (
        "WAVEDB_SYSTEM_METRICS_INTERVAL",
        lambda value: _number("WAVEDB_SYSTEM_METRICS_INTERVAL", value),
    ),
    "flush_interval": (
        "WAVEDB_FLUSH_INTERVAL",
        lambda value: _number("WAVEDB_FLUSH_INTERVAL", value),
    ),
    "retry_max_interval": (
        "WAVEDB_RETRY_MAX_INTERVAL",
        lambda value: _number("WAVEDB_RETRY_MAX_INTERVAL", value),
    ),
    "heartbeat_interval": (
        "WAVEDB_HEARTBEAT_INTERVAL",
        lambda value: _number("WAVEDB_HEARTBEAT_INTERVAL", value),
    ),
    "finish_timeout": (
        "WAVEDB_FINISH_TIMEOUT",
        lambda value: _number("WAVEDB_FINISH_TIMEOUT", value),
    ),
    "max_queued_logs": (
        "WAVEDB_MAX_QUEUED_LOGS",
        lambda value: int(_number("WAVEDB_MAX_QUEUED_LOGS", value)),
    ),
    "spool_max_bytes": (
        "WAVEDB_SPOOL_MAX_BYTES",
        lambda value: int(_number("WAVEDB_SPOOL_MAX_BYTES", value)),
    ),
}


def _provenance_parts() -> frozenset[str]:
    """WAVEDB_PROVENANCE=false records none; WAVEDB_PROVENANCE_<PART>=false (or true)
    turns one part off (or on)."""
    raw = os.environ.get("WAVEDB_PROVENANCE", "")
    parts = set(PROVENANCE_PARTS) if raw == "" or _flag(raw) else set()
    for part in PROVENANCE_PARTS:
        raw = os.environ.get(f"WAVEDB_PROVENANCE_{part.upper()}", "")
        if raw != "":
            (parts.add if _flag(raw) else parts.discard)(part)
    return frozenset(parts)


def load_settings(**overrides: Any) -> Settings:
    """Settings from `overrides` (None means "not given"), the environment and the stored
    credentials, in that order of precedence."""
    values: dict[str, Any] = {}
    stored = stored_credentials()
    for name in ("api_url", "api_key"):
        if stored.get(name):
            values[name] = stored[name]
    for name, (variable, parse) in _ENVIRONMENT.items():
        raw = os.environ.get(variable)
        if raw not in (None, ""):
            values[name] = parse(raw)
    values["provenance"] = _provenance_parts()
    values.update({name: value for name, value in overrides.items() if value is not None})
    if "root_dir" in values:
        values["root_dir"] = Path(values["root_dir"]).expanduser()
    mode = values.get("mode", "online")
    if mode not in MODES:
        raise ConfigError(f"mode must be one of {', '.join(MODES)}, got {mode!r}")
    values["mode"] = cast(Mode, mode)
    if "api_url" in values:
        values["api_url"] = str(values["api_url"]).rstrip("/")
    return Settings(**values)


@dataclass(frozen=True)
class RunDefaults:
    """What a run is when `init()` does not say: WAVEDB_* variables a launcher (a cluster
    scheduler, a sweep agent) sets for the job it starts."""

    project: str | None = None
    workspace: str | None = None
    run_id: str | None = None
    resume: str | bool | None = None
    name: str | None = None
    tags: list[str] | None = None
    notes: str | None = None


def _resume(value: str) -> str | bool:
    """WAVEDB_RESUME: allow, must, never, a run id, or true/false (true means allow)."""
    lowered = value.strip().lower()
    if lowered in ("allow", "must", "never"):
        return lowered
    try:
        return _flag(lowered)
    except ConfigError:
        pass
    try:
        return str(uuid.UUID(value.strip()))
    except ValueError:
        raise ConfigError(
            "WAVEDB_RESUME must be allow, must, never, true, false or a run id (a UUID),"
            f" got {value!r}"
        ) from None


def _tags(value: str) -> list[str]:
    """WAVEDB_TAGS: comma-separated."""
    return [tag.strip() for tag in value.split(",") if tag.strip()]


def load_run_defaults() -> RunDefaults:
    """The run fields set in the environment (empty variables count as unset)."""

    def variable(name: str) -> str | None:
        value = os.environ.get(name, "").strip()
        return value or None

    resume = variable("WAVEDB_RESUME")
    tags = variable("WAVEDB_TAGS")
    return RunDefaults(
        project=variable("WAVEDB_PROJECT"),
        workspace=variable("WAVEDB_WORKSPACE"),
        run_id=variable("WAVEDB_RUN_ID"),
        resume=None if resume is None else _resume(resume),
        name=variable("WAVEDB_NAME"),
        tags=None if tags is None else _tags(tags),
        notes=variable("WAVEDB_NOTES"),
    )
