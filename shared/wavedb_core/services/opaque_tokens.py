"""Opaque secrets (API keys, refresh and confirmation tokens) stored only as hashes.

A token reads `<kind>_<lookup>_<secret>`: `lookup` finds the row (keyed lookup), the SHA-256
of the whole token is what is stored, and it is compared in constant time. The secret has
256 bits of entropy, so a fast hash is the right tool (a slow one protects low-entropy
passwords, not random keys).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

_TOKEN = re.compile(
    r"^(?P<kind>[a-z]{3})_(?P<lookup>[0-9a-f]{16,32})_(?P<secret>[A-Za-z0-9_-]{43})$"
)


@dataclass(frozen=True)
class OpaqueToken:
    kind: str
    lookup: str
    value: str

    @property
    def digest(self) -> bytes:
        return token_digest(self.value)


def new_token(kind: str, lookup: str | None = None) -> OpaqueToken:
    """A fresh token of the kind (three lower-case letters), e.g. `wdk` for API keys."""
    lookup = lookup or secrets.token_hex(8)
    value = f"{kind}_{lookup}_{secrets.token_urlsafe(32)}"
    return OpaqueToken(kind=kind, lookup=lookup, value=value)


def parse_token(value: str, kind: str) -> OpaqueToken | None:
    """The token's parts, or None when it is not a well-formed token of that kind."""
    match = _TOKEN.match(value)
    if match is None or match["kind"] != kind:
        return None
    return OpaqueToken(kind=kind, lookup=match["lookup"], value=value)


def token_digest(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def digest_matches(stored: bytes, token: OpaqueToken) -> bool:
    return hmac.compare_digest(bytes(stored), token.digest)
