"""Failed log-ins: guessing is limited, but a stranger cannot lock the owner out.

A log-in's source is the client address API Gateway reports (requestContext.http.sourceIp),
never a forwarding header. Failures are counted in fixed windows of
LOGIN_FAILURE_WINDOW_SECONDS:

- per (account, source): LOGIN_MAX_FAILURES, then that source waits for the window's end;
- per source, whatever the account: LOGIN_MAX_FAILURES_PER_IP (guessing one password on
  many accounts);
- per account, from every source: past LOGIN_MAX_FAILURES_PER_ACCOUNT the account is under
  attack, and a source that has already failed for it in this window gets no more tries,
  unless the account has logged in from that source within the last KNOWN_SOURCE_DAYS days.
  A source with no failure for the account (the owner's, as a rule) still tries, so each
  new source of an attacker gets one guess per window while the attack lasts.

A throttled attempt is refused before the password is checked (429 with Retry-After), even
when it would have been right.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from uuid import UUID

from wavedb_core.db.connection import get_connection
from wavedb_core.errors import RateLimited
from wavedb_core.repositories import login_sources
from wavedb_core.services.rate_limiting import (
    ensure_below_limit,
    hits_in_window,
    record_hit,
    retry_after_seconds,
)
from wavedb_core.settings import get_settings

KNOWN_SOURCE_DAYS = 90


def source_network(address: str) -> str:
    """The unit a source is counted in: one IPv4 address, or one IPv6 /64 (a single host is
    usually given a whole /64, so counting addresses would hand it millions of guesses)."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


@dataclass(frozen=True)
class LoginAttempt:
    email: str
    address: str

    @property
    def source(self) -> str:
        return source_network(self.address)

    @property
    def account(self) -> str:
        return self.email.strip().lower()

    @property
    def pair_bucket(self) -> str:
        return f"login-from:{self.source}:{self.account}"

    @property
    def source_bucket(self) -> str:
        return f"login-ip:{self.source}"

    @property
    def account_bucket(self) -> str:
        return f"login:{self.account}"


def ensure_login_allowed(attempt: LoginAttempt, user_id: UUID | None) -> None:
    """Raise RateLimited when this source may not try this account now."""
    settings = get_settings()
    window = settings.login_failure_window_seconds
    ensure_below_limit(
        attempt.source_bucket,
        limit=settings.login_max_failures_per_ip,
        window_seconds=window,
        message="too many failed log-ins from this address; try again later",
    )
    ensure_below_limit(
        attempt.pair_bucket,
        limit=settings.login_max_failures,
        window_seconds=window,
        message="too many failed log-ins to this account from this address; try again later",
    )
    under_attack = (
        hits_in_window(attempt.account_bucket, window_seconds=window)
        >= settings.login_max_failures_per_account
    )
    if (
        under_attack
        and hits_in_window(attempt.pair_bucket, window_seconds=window) > 0
        and not _known_source(user_id, attempt.source)
    ):
        raise RateLimited(
            "this account has too many failed log-ins, and this address failed too; try"
            " again later",
            retry_after_seconds=retry_after_seconds(window),
        )


def record_failure(attempt: LoginAttempt) -> None:
    window = get_settings().login_failure_window_seconds
    for bucket in (attempt.pair_bucket, attempt.source_bucket, attempt.account_bucket):
        record_hit(bucket, window_seconds=window)


def record_success(user_id: UUID, source: str) -> None:
    login_sources.remember(get_connection(), user_id, source, keep_days=KNOWN_SOURCE_DAYS)


def _known_source(user_id: UUID | None, source: str) -> bool:
    return user_id is not None and login_sources.is_known(
        get_connection(), user_id, source, keep_days=KNOWN_SOURCE_DAYS
    )
