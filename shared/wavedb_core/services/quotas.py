"""Quotas: how much one user may claim, whatever credentials and routes they use.

- Every request counts against its credential's own limit (a key's, or the default) and
  against the user's limit, which all of the user's keys and sessions share: more keys do
  not buy more throughput.
- A key's own limit may not be set above the server's ceiling, and a key made before the
  ceiling was lowered is held to it.
- A user may have at most so many active API keys and workspaces. The checks hold a lock
  per user for their transaction, so requests racing each other cannot pass the caps.
"""

from __future__ import annotations

from uuid import UUID

from wavedb_core.db.connection import Connection
from wavedb_core.errors import Conflict, ValidationFailed
from wavedb_core.principal import Principal
from wavedb_core.repositories import api_keys, quotas
from wavedb_core.repositories import workspaces as workspace_rows
from wavedb_core.services.rate_limiting import RateLimit, enforce_rate_limits
from wavedb_core.settings import get_settings

QUOTA_EXCEEDED = "quota_exceeded"


def _user_bucket(user_id: UUID) -> str:
    return f"account:{user_id}"


def enforce_caller_rate_limits(principal: Principal) -> None:
    """Count the request against the credential's limit and the user's; 429 past either."""
    user_limit = get_settings().user_rate_limit_per_minute
    credential_limit = principal.rate_limit_per_minute
    enforce_rate_limits(
        [
            RateLimit(
                principal.rate_limit_bucket,
                credential_limit,
                f"rate limit of {credential_limit} requests per 60 s exceeded",
            ),
            RateLimit(
                _user_bucket(principal.user_id),
                user_limit,
                f"rate limit of {user_limit} requests per 60 s for this user exceeded"
                " (shared by all of the user's API keys and sessions)",
            ),
        ]
    )


def check_api_key_rate_limit(requested: int | None) -> None:
    """422 when a key would be given a limit above the server's ceiling."""
    ceiling = get_settings().api_key_max_rate_limit_per_minute
    if requested is not None and requested > ceiling:
        message = f"rate_limit_per_minute may be at most {ceiling}"
        raise ValidationFailed(
            message,
            details=[{"location": "body.rate_limit_per_minute", "message": message}],
        )


def api_key_rate_limit(stored: int | None) -> int:
    """The limit a key works under: its own or the default, never above the ceiling."""
    settings = get_settings()
    own = stored or settings.default_rate_limit_per_minute
    return min(own, settings.api_key_max_rate_limit_per_minute)


def reserve_api_key(connection: Connection, user_id: UUID) -> None:
    """Within the caller's transaction (which then inserts the key): 409 when the user
    already has as many active (unrevoked, unexpired) keys as allowed."""
    limit = get_settings().max_api_keys_per_user
    quotas.lock_user_quota(connection, "api_keys", user_id)
    if api_keys.count_active_api_keys(connection, user_id) >= limit:
        raise Conflict(
            f"a user may have at most {limit} active API keys; revoke one first",
            code=QUOTA_EXCEEDED,
            details={"quota": "api_keys", "limit": limit},
        )


def reserve_workspace(connection: Connection, user_id: UUID) -> None:
    """Within the caller's transaction (which then inserts the workspace): 409 when the
    user has already made as many workspaces as allowed (the personal one included)."""
    limit = get_settings().max_workspaces_per_user
    quotas.lock_user_quota(connection, "workspaces", user_id)
    if workspace_rows.count_workspaces_created_by(connection, user_id) >= limit:
        raise Conflict(
            f"a user may create at most {limit} workspaces (the personal one included);"
            " delete one first",
            code=QUOTA_EXCEEDED,
            details={"quota": "workspaces", "limit": limit},
        )
