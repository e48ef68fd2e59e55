"""Base classes for request and response models."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, get_args

from annotated_types import GroupedMetadata
from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    StringConstraints,
    ValidationInfo,
    field_validator,
)
from pydantic.fields import FieldInfo
from pydantic_core import PydanticKnownError

NUL_REFUSED = "text may not contain NUL (\\u0000) characters"
# A text field's `pattern` when it may not be blank: some character that is not white space,
# so that what is left once surrounding white space is stripped is not empty. The white
# space is Unicode's (what request fields are stripped of), spelled out so that every regex
# engine reading the document agrees with the one validating.
WHITE_SPACE = r"[\t\n\v\f\r \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
NOT_BLANK = "[^" + WHITE_SPACE.removeprefix("[")
# The same characters for str.strip, whose own default also strips U+001C to U+001F.
WHITE_SPACE_CHARACTERS = (
    "\t\n\v\f\r \x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + "\u2028\u2029\u202f\u205f\u3000"
)


_SYNTAX = frozenset(r"\^$.|?*+()[]{}/")


def _literal(char: str) -> str:
    # Only regex syntax is escaped: ECMAScript's Unicode mode refuses other escapes (`\-`).
    return f"\\{char}" if char in _SYNTAX else char


def any_case(word: str) -> str:
    """A regex matching `word` in any mix of cases (JSON Schema patterns take no flags)."""
    return "".join(
        f"[{char.lower()}{char.upper()}]" if char.lower() != char.upper() else _literal(char)
        for char in word
    )


def one_of_words(words: Iterable[str], *, ignore_case: bool = False) -> str:
    """A pattern for text that is one of `words`, maybe with surrounding white space (which
    request fields are stripped of)."""
    spelled = [any_case(word) if ignore_case else "".join(map(_literal, word)) for word in words]
    return f"^{WHITE_SPACE}*(?:{'|'.join(spelled)}){WHITE_SPACE}*$"


def at_most_as_sent(limit: int) -> BeforeValidator:
    """Refuse text longer than `limit` as sent, before its surrounding white space is
    stripped, so that the `maxLength` the document states is the limit a request is held
    to. Goes after the field's StringConstraints in its Annotated (so it runs first)."""

    def check(value: object) -> object:
        if isinstance(value, str) and len(value) > limit:
            raise PydanticKnownError("string_too_long", {"max_length": limit})
        return value

    return BeforeValidator(check)


@dataclass(frozen=True)
class NonBlankText(GroupedMetadata):
    """`Annotated[str, NonBlankText(n)]`: a name-like text, stripped of the document's white
    space, not blank, at most `n` characters as sent (and after stripping)."""

    limit: int

    def __iter__(self) -> Iterator[Any]:
        yield StringConstraints(
            strip_whitespace=True, min_length=1, max_length=self.limit, pattern=NOT_BLANK
        )
        yield at_most_as_sent(self.limit)


_RFC3339_DATE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]")


def _rfc3339_only(value: object) -> object:
    """A time sent as text must read as one (pydantic would take "-1728121011" as seconds
    since the epoch, which the document's `date-time` does not allow)."""
    if isinstance(value, str) and not _RFC3339_DATE.match(value):
        raise ValueError("must be an RFC 3339 date-time, e.g. 2026-01-31T12:00:00Z")
    return value


# A time in a request, as the document states it: RFC 3339 text.
Rfc3339Time = Annotated[datetime, BeforeValidator(_rfc3339_only)]


def contains_nul(value: object) -> bool:
    """Whether a string, or any string inside nested lists and dicts, holds a NUL character
    (PostgreSQL text cannot store one). Iterative, so any nesting depth is safe."""
    pending: list[object] = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            pending.extend(item)
    return False


def _numbers_only(annotation: object) -> bool:
    """Whether a field takes numbers but not true/false (pydantic would read true as 1)."""
    kinds = {annotation, *get_args(annotation)}
    return bool(kinds & {int, float}) and bool not in kinds


def _text_limit(field: FieldInfo) -> int | None:
    """The `max_length` a text field states (on the field, or on an Annotated member of its
    union), which the document gives as `maxLength`."""
    constraints = list(field.metadata)
    for member in get_args(field.annotation):
        for constraint in getattr(member, "__metadata__", ()):
            inner = constraint.metadata if isinstance(constraint, FieldInfo) else [constraint]
            constraints.extend(inner)
    limits = [
        limit for c in constraints if isinstance(limit := getattr(c, "max_length", None), int)
    ]
    return min(limits) if limits else None


def as_sent(model: type[BaseModel], value: object, info: ValidationInfo) -> object:
    """What the document states holds for the value as sent: no true/false for a number,
    and a text's `maxLength` before its surrounding white space is stripped. (A model whose
    fields include a union's discriminator, which takes no `before` validator, checks its
    other fields with this.)"""
    field = model.model_fields.get(info.field_name or "")
    if field is None:
        return value
    if isinstance(value, bool) and _numbers_only(field.annotation):
        raise ValueError("must be a number, not true or false")
    if isinstance(value, str):
        limit = _text_limit(field)
        if limit is not None and len(value) > limit:
            raise PydanticKnownError("string_too_long", {"max_length": limit})
    return value


class RequestModel(BaseModel):
    """A request body: unknown fields are refused, surrounding white space is stripped
    (after a text's length is checked as sent), text may not hold NUL characters, and a
    number is never true or false."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, defer_build=True)

    @field_validator("*", mode="before")
    @classmethod
    def _as_sent(cls, value: object, info: ValidationInfo) -> object:
        return as_sent(cls, value, info)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul_characters(cls, value: object) -> object:
        if contains_nul(value):
            raise ValueError(NUL_REFUSED)
        return value


class ResponseModel(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True, defer_build=True)


class ErrorBody(ResponseModel):
    """What every error answers: a machine-readable code and a human message."""

    code: str
    message: str
    details: object | None = None
