"""Accounts: sign-up, log-in, refresh-token rotation, log-out and e-mail confirmation."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from uuid import UUID

from aws_lambda_powertools import Logger

from wavedb_core.db.connection import get_connection, transaction
from wavedb_core.errors import Forbidden, NotFound, Unauthorized
from wavedb_core.models.accounts import SignupResponse, TokenPair, UserOut
from wavedb_core.principal import Principal
from wavedb_core.repositories import email_confirmations, sessions, users
from wavedb_core.secrets import jwt_signing_key
from wavedb_core.services import passwords
from wavedb_core.services.access_tokens import issue_access_token
from wavedb_core.services.login_throttle import (
    LoginAttempt,
    ensure_login_allowed,
    record_failure,
    record_success,
)
from wavedb_core.services.mailer import send_email
from wavedb_core.services.opaque_tokens import digest_matches, new_token, parse_token
from wavedb_core.services.password_policy import check_new_password
from wavedb_core.services.rate_limiting import enforce_rate_limit
from wavedb_core.services.workspaces import create_personal_workspace
from wavedb_core.settings import get_settings

logger = Logger(child=True)

REFRESH_TOKEN_KIND = "wdr"
CONFIRMATION_TOKEN_KIND = "wdc"
_BAD_LOGIN = "invalid e-mail or password"
_BAD_REFRESH = "the refresh token is not valid; log in again"


def user_out(user: users.User) -> UserOut:
    return UserOut.model_validate(user)


def signup(*, email: str, password: str, name: str, client_ip: str) -> SignupResponse:
    settings = get_settings()
    enforce_rate_limit(
        f"signup-ip:{client_ip}", limit=settings.signup_max_per_ip_per_hour, window_seconds=3600
    )
    check_new_password(password, email=email, name=name, min_length=settings.password_min_length)
    confirmation_required = settings.require_email_confirmation
    password_hash = passwords.hash_password(password)
    # Read before anything is saved: a signing key that cannot be read (Secrets Manager
    # unreachable) must fail the sign-up whole, not leave an account without a session.
    jwt_signing_key()
    with transaction() as connection:
        user = users.insert_user(
            connection,
            user_id=uuid.uuid4(),
            email=email,
            name=name,
            password_hash=password_hash,
            # Only a followed confirmation link (or an invitation's token) proves the
            # address: without confirmation the account works, its address unproven.
            confirmed=False,
        )
        create_personal_workspace(connection, user_id=user.id, user_name=user.name)
        confirmation = _create_email_confirmation(user.id) if confirmation_required else None
        # The account and its first session are committed together.
        session = None if confirmation_required else _insert_session(user)
    logger.info("account created", extra={"user_id": str(user.id)})
    if confirmation is not None:
        _send_confirmation_email(user, confirmation)
        return SignupResponse(user=user_out(user), email_confirmation_required=True)
    assert session is not None
    return SignupResponse(
        user=user_out(user), email_confirmation_required=False, tokens=_token_pair(user, *session)
    )


def login(*, email: str, password: str, client_ip: str) -> TokenPair:
    """Log in; failed attempts are throttled as services/login_throttle.py explains."""
    settings = get_settings()
    attempt = LoginAttempt(email=email, address=client_ip)
    user = users.find_user_by_email(get_connection(), email.strip())
    ensure_login_allowed(attempt, user.id if user else None)
    # Verify against a decoy when there is no such user: same answer, same time.
    valid = passwords.verify_password(
        user.password_hash if user else passwords.decoy_hash(), password
    )
    if user is None or not valid:
        record_failure(attempt)
        raise Unauthorized(_BAD_LOGIN, code="invalid_credentials")
    if settings.require_email_confirmation and not user.email_confirmed:
        raise Forbidden("confirm your e-mail address before logging in", code="email_not_confirmed")
    if passwords.needs_rehash(user.password_hash):
        users.update_password_hash(get_connection(), user.id, passwords.hash_password(password))
    record_success(user.id, attempt.source)
    return _start_session(user)


def refresh(refresh_token: str) -> TokenPair:
    """Exchange a refresh token for a new pair. Each token works once: presenting a used
    token again means it was stolen or replayed, so the whole session is revoked."""
    token = parse_token(refresh_token, REFRESH_TOKEN_KIND)
    if token is None:
        raise Unauthorized(_BAD_REFRESH, code="invalid_refresh_token")
    with transaction() as connection:
        row = sessions.lock_refresh_token(connection, UUID(token.lookup))
        if row is None or not digest_matches(row.token_hash, token):
            raise Unauthorized(_BAD_REFRESH, code="invalid_refresh_token")
        now = datetime.now(UTC)
        if row.session_revoked_at is not None or row.expires_at <= now:
            raise Unauthorized(_BAD_REFRESH, code="invalid_refresh_token")
        replacement: tuple[str, datetime] | None = None
        if row.used_at is not None:
            # Committed before answering: the revocation must stick.
            sessions.revoke_session(connection, row.session_id, "refresh token reused")
        else:
            sessions.mark_refresh_token_used(connection, row.id)
            replacement = _new_refresh_token(row.session_id, row.session_expires_at)
    if replacement is None:
        logger.warning(
            "refresh token reused; session revoked", extra={"session_id": str(row.session_id)}
        )
        raise Unauthorized(_BAD_REFRESH, code="invalid_refresh_token")
    user = users.find_user(get_connection(), row.user_id)
    if user is None:
        raise Unauthorized(_BAD_REFRESH, code="invalid_refresh_token")
    return _token_pair(user, row.session_id, *replacement)


def logout(*, principal: Principal | None, refresh_token: str | None) -> None:
    """End a session: the caller's (Bearer) or the one the refresh token belongs to."""
    session_id: UUID | None = principal.session_id if principal else None
    if session_id is None and refresh_token is not None:
        token = parse_token(refresh_token, REFRESH_TOKEN_KIND)
        row = None
        if token is not None:
            with transaction() as connection:
                row = sessions.lock_refresh_token(connection, UUID(token.lookup))
        if row is None or token is None or not digest_matches(row.token_hash, token):
            raise Unauthorized(_BAD_REFRESH, code="invalid_refresh_token")
        session_id = row.session_id
    if session_id is None:
        raise Unauthorized(
            "log out needs a Bearer access token or a refresh_token", code="missing_credentials"
        )
    sessions.revoke_session(get_connection(), session_id, "logout")


def current_user(principal: Principal) -> UserOut:
    user = users.find_user(get_connection(), principal.user_id)
    if user is None:
        raise NotFound("user not found")
    return user_out(user)


def confirm_email(token_value: str) -> UserOut:
    invalid = Unauthorized(
        "the confirmation link is not valid or has expired", code="invalid_token"
    )
    token = parse_token(token_value, CONFIRMATION_TOKEN_KIND)
    if token is None:
        raise invalid
    with transaction() as connection:
        row = email_confirmations.lock_email_confirmation(connection, UUID(token.lookup))
        if (
            row is None
            or not digest_matches(row.token_hash, token)
            or row.used_at is not None
            or row.expires_at <= datetime.now(UTC)
        ):
            raise invalid
        email_confirmations.mark_email_confirmation_used(connection, row.id)
        users.mark_email_confirmed(connection, row.user_id)
        user = users.find_user(connection, row.user_id)
    assert user is not None
    return user_out(user)


# ------------------------------------------------------------------ internals


def _start_session(user: users.User) -> TokenPair:
    with transaction():
        session = _insert_session(user)
    return _token_pair(user, *session)


def _insert_session(user: users.User) -> tuple[UUID, str, datetime]:
    """Insert a session and its first refresh token (inside the caller's transaction):
    the session's id, the refresh token and when it expires."""
    settings = get_settings()
    session_id = uuid.uuid4()
    expires_at = datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_seconds)
    sessions.insert_session(
        get_connection(), session_id=session_id, user_id=user.id, expires_at=expires_at
    )
    refresh_value, refresh_expires = _new_refresh_token(session_id, expires_at)
    return session_id, refresh_value, refresh_expires


def _new_refresh_token(session_id: UUID, session_expires_at: datetime) -> tuple[str, datetime]:
    """Insert a new refresh token of the session (inside the caller's transaction)."""
    settings = get_settings()
    token_id = uuid.uuid4()
    token = new_token(REFRESH_TOKEN_KIND, lookup=token_id.hex)
    expires_at = min(
        session_expires_at,
        datetime.now(UTC) + timedelta(seconds=settings.refresh_token_ttl_seconds),
    )
    sessions.insert_refresh_token(
        get_connection(),
        token_id=token_id,
        session_id=session_id,
        token_hash=token.digest,
        expires_at=expires_at,
    )
    return token.value, expires_at


def _token_pair(
    user: users.User, session_id: UUID, refresh_value: str, refresh_expires_at: datetime
) -> TokenPair:
    access_token, expires_at = issue_access_token(user.id, session_id)
    return TokenPair(
        access_token=access_token,
        expires_in=int((expires_at - datetime.now(UTC)).total_seconds()),
        expires_at=expires_at,
        refresh_token=refresh_value,
        refresh_expires_at=refresh_expires_at,
        user=user_out(user),
    )


def _create_email_confirmation(user_id: UUID) -> str:
    settings = get_settings()
    confirmation_id = uuid.uuid4()
    token = new_token(CONFIRMATION_TOKEN_KIND, lookup=confirmation_id.hex)
    email_confirmations.insert_email_confirmation(
        get_connection(),
        confirmation_id=confirmation_id,
        user_id=user_id,
        token_hash=token.digest,
        expires_at=datetime.now(UTC) + timedelta(seconds=settings.email_confirmation_ttl_seconds),
    )
    return token.value


def _send_confirmation_email(user: users.User, token: str) -> None:
    base = get_settings().public_base_url.rstrip("/")
    send_email(
        to=user.email,
        subject="Confirm your WaveDB account",
        text=(
            f"Hello {user.name},\n\nConfirm your e-mail address to start using WaveDB:\n"
            f"{base}/confirm-email?token={token}\n\n"
            "Or send this token to POST /v1/auth/confirm-email:\n"
            f"{token}\n\nIf you did not sign up, ignore this message.\n"
        ),
    )
