"""Opaque cursors for keyset pagination: what the last page ended on, base64url JSON."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from wavedb_core.errors import BadRequest

DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
_MAX_CURSOR_LENGTH = 1024
MAX_CURSOR_LENGTH = _MAX_CURSOR_LENGTH
CURSOR_DESCRIPTION = (
    "Opaque: the `next_cursor` of the previous page of the same listing, with the same"
    " filters and order. Any other value is refused with 400 `invalid_cursor`."
)


def malformed_cursor() -> BadRequest:
    """The error for a cursor we did not make (or whose values are not what we put in)."""
    return BadRequest("the cursor is malformed", code="invalid_cursor")


def encode_cursor(position: dict[str, Any]) -> str:
    """A cursor for `position` (JSON-serialisable values only)."""
    raw = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str, *, required_keys: frozenset[str] = frozenset()) -> dict[str, Any]:
    """The position a cursor names; 400 `invalid_cursor` when it was not made by us."""
    if len(cursor) > _MAX_CURSOR_LENGTH:
        raise BadRequest("the cursor is too long", code="invalid_cursor")
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        position = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (binascii.Error, ValueError, UnicodeDecodeError) as error:
        raise malformed_cursor() from error
    if not isinstance(position, dict) or not required_keys <= position.keys():
        raise malformed_cursor()
    return position
