"""What the OpenAPI document says of the rules every text of a request follows: surrounding
white space is stripped before a field's length is checked (so `minLength` counts what is
left), and PostgreSQL cannot store a NUL character, so no string may hold one (the request
is refused with its field named). Plain string schemas state both as a pattern; free-form
JSON values (config, summary, metadata) say it in their description."""

from __future__ import annotations

from typing import Any

from wavedb_core.models.base import WHITE_SPACE

NO_NUL = "^[^\\u0000]*$"
_ANY = "[^\\u0000]"
_SPACE = WHITE_SPACE
_NOT_SPACE = "[^\\u0000" + WHITE_SPACE.removeprefix("[")
NO_NUL_SENTENCE = "No text in it, keys included, may contain a NUL (\\u0000) character."
# Formats whose values cannot hold a NUL anyway, and binary content.
_SELF_LIMITING = frozenset({"binary", "byte", "date", "date-time", "email", "uri", "uuid"})


def text_pattern(min_length: int) -> str:
    """Text of no NUL that keeps at least `min_length` characters once its surrounding white
    space is stripped."""
    if min_length <= 0:
        return NO_NUL
    if min_length == 1:
        return f"^{_ANY}*{_NOT_SPACE}{_ANY}*$"
    return f"^{_SPACE}*{_NOT_SPACE}{_ANY}{{{min_length - 2},}}{_NOT_SPACE}{_SPACE}*$"


def _is_free_form(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "object" and schema.get("additionalProperties") is True


def _state_on(schema: dict[str, Any]) -> None:
    if schema.get("type") == "string" and not (
        "pattern" in schema or "enum" in schema or "const" in schema
    ):
        if schema.get("format") not in _SELF_LIMITING:
            schema["pattern"] = text_pattern(int(schema.get("minLength", 0)))
    elif _is_free_form(schema) and NO_NUL_SENTENCE not in schema.get("description", ""):
        schema["description"] = f"{schema.get('description', '')} {NO_NUL_SENTENCE}".strip()


def state_no_nul(document: dict[str, Any]) -> None:
    """Put the rule on every string and free-form object schema a request is made of: its
    parameters and body, and the components they refer to (answers are left as they are)."""
    components = document.get("components", {}).get("schemas", {})
    pending: list[Any] = [
        {key: operation.get(key) for key in ("parameters", "requestBody")}
        for operations in document.get("paths", {}).values()
        for operation in operations.values()
        if isinstance(operation, dict)
    ]
    seen: set[str] = set()
    while pending:
        item = pending.pop()
        if isinstance(item, dict):
            _state_on(item)
            pending.extend(item.values())
            reference = item.get("$ref")
            if isinstance(reference, str) and reference not in seen:
                seen.add(reference)
                pending.append(components.get(reference.rpartition("/")[2]))
        elif isinstance(item, list):
            pending.extend(item)
