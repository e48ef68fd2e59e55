"""Rules every request body follows, whatever its model."""

from __future__ import annotations

import re
from typing import Annotated

import pytest
from pydantic import Field, StringConstraints, ValidationError

from wavedb_core.models.api_keys import ApiKeyCreateRequest
from wavedb_core.models.base import WHITE_SPACE, RequestModel
from wavedb_core.models.runs import check_tags


class _Numbers(RequestModel):
    count: int
    share: float | None = None
    flag: bool = False
    either: int | bool = 0


@pytest.mark.parametrize("body", [{"count": True}, {"count": 1, "share": False}])
def test_request_model_true_or_false_for_a_number_is_refused(body: dict[str, object]) -> None:
    with pytest.raises(ValidationError, match="must be a number, not true or false"):
        _Numbers.model_validate(body)


def test_request_model_booleans_stay_welcome_where_the_field_takes_them() -> None:
    taken = _Numbers.model_validate({"count": 2, "share": 0.5, "flag": True, "either": True})

    assert (taken.count, taken.share, taken.flag, taken.either) == (2, 0.5, True, True)


def test_api_key_expiry_in_days_of_true_is_refused_not_read_as_one_day() -> None:
    with pytest.raises(ValidationError):
        ApiKeyCreateRequest.model_validate({"name": "ci", "expires_in_days": True})


class _Texts(RequestModel):
    name: Annotated[str, StringConstraints(max_length=5)]
    note: Annotated[str, Field(max_length=5)] | None = None


@pytest.mark.parametrize("body", [{"name": "  abcd  "}, {"name": "a", "note": "abcd  "}])
def test_request_model_text_length_counts_as_sent_not_once_stripped(
    body: dict[str, object],
) -> None:
    with pytest.raises(ValidationError, match="at most 5 characters"):
        _Texts.model_validate(body)


def test_request_model_text_within_its_length_as_sent_is_stripped() -> None:
    taken = _Texts.model_validate({"name": " abc ", "note": "de   "})

    assert (taken.name, taken.note) == ("abc", "de")


def test_check_tags_strips_the_white_space_the_document_names_and_nothing_else() -> None:
    white_space = [chr(code) for code in range(0x110000) if re.fullmatch(WHITE_SPACE, chr(code))]

    stripped = check_tags([f"{char}tag-{index}{char}" for index, char in enumerate(white_space)])
    kept = check_tags(["\x1ftag\x1c", "\x1d"])

    assert stripped == [f"tag-{index}" for index in range(len(white_space))]
    assert kept == ["\x1ftag\x1c", "\x1d"]
