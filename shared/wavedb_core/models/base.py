"""Base classes for request and response models."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator

NUL_REFUSED = "text may not contain NUL (\\u0000) characters"


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


class RequestModel(BaseModel):
    """A request body: unknown fields are refused, surrounding white space is stripped,
    and text may not hold NUL characters."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @field_validator("*", mode="after")
    @classmethod
    def _refuse_nul_characters(cls, value: object) -> object:
        if contains_nul(value):
            raise ValueError(NUL_REFUSED)
        return value


class ResponseModel(BaseModel):
    """A response body."""

    model_config = ConfigDict(from_attributes=True)


class ErrorBody(ResponseModel):
    """What every error answers: a machine-readable code and a human message."""

    code: str
    message: str
    details: object | None = None
