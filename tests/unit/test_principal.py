"""The identity the authorizer passes to functions survives the trip, and nothing else does."""

from __future__ import annotations

import uuid

from wavedb_core.principal import (
    AUTHENTICATION_UNAVAILABLE,
    AuthFailure,
    Principal,
    from_authorizer_context,
    to_authorizer_context,
)


def test_principal_round_trips_through_authorizer_context() -> None:
    principal = Principal(
        user_id=uuid.uuid4(),
        method="api_key",
        scopes=frozenset({"read"}),
        rate_limit_per_minute=30,
        api_key_id=uuid.uuid4(),
    )

    context = to_authorizer_context(principal)

    assert all(isinstance(value, str | int | bool) for value in context.values())
    assert from_authorizer_context(context) == principal


def test_failure_round_trips_through_authorizer_context() -> None:
    failure = AuthFailure("token_expired", "the access token has expired")

    assert from_authorizer_context(to_authorizer_context(failure)) == failure


def test_unavailable_verdict_round_trips_and_no_other_failure_is_unavailable() -> None:
    read_back = from_authorizer_context(to_authorizer_context(AUTHENTICATION_UNAVAILABLE))

    assert isinstance(read_back, AuthFailure)
    assert read_back.unavailable
    assert not AuthFailure("token_expired", "the access token has expired").unavailable
    assert not AuthFailure("missing_credentials", "send credentials").unavailable


def test_missing_or_garbled_context_is_a_failure() -> None:
    assert isinstance(from_authorizer_context(None), AuthFailure)
    garbled = {"authenticated": True, "userId": "nope", "authMethod": "jwt"}
    assert from_authorizer_context(garbled) == AuthFailure(
        "invalid_authorizer_context", "the request's identity could not be read"
    )
    assert isinstance(
        from_authorizer_context(
            {"authenticated": True, "userId": str(uuid.uuid4()), "authMethod": "root"}
        ),
        AuthFailure,
    )
