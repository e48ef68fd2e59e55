"""Opaque tokens: well-formed, unguessable, and compared only by hash."""

from __future__ import annotations

from wavedb_core.services.opaque_tokens import digest_matches, new_token, parse_token


def test_new_token_parses_back_to_same_parts() -> None:
    token = new_token("wdk")

    parsed = parse_token(token.value, "wdk")

    assert parsed == token
    assert len(token.lookup) == 16


def test_new_tokens_never_repeat() -> None:
    values = {new_token("wdk").value for _ in range(1000)}

    assert len(values) == 1000


def test_parse_token_wrong_kind_or_shape_is_none() -> None:
    token = new_token("wdk")

    assert parse_token(token.value, "wdr") is None
    assert parse_token(token.value[:-1], "wdk") is None
    assert parse_token(token.value + "x", "wdk") is None
    assert parse_token("", "wdk") is None
    assert parse_token("wdk_ZZZZZZZZZZZZZZZZ_" + "A" * 43, "wdk") is None


def test_digest_matches_only_the_same_token() -> None:
    token = new_token("wdr")
    other = new_token("wdr", lookup=token.lookup)

    assert digest_matches(token.digest, token)
    assert not digest_matches(token.digest, other)
