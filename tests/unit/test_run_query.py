"""The run filter language: what parses into which tree, and the errors that name the token."""

from __future__ import annotations

import math

import pytest

from wavedb_core.run_query import (
    BoolOp,
    Comparison,
    Field,
    Not,
    QueryError,
    fields_of,
    parse_filter,
    parse_sort,
)


def _only(text: str) -> Comparison:
    node = parse_filter(text)
    assert isinstance(node, Comparison)
    return node


def test_parse_filter_empty_or_blank_is_none() -> None:
    assert parse_filter("") is None
    assert parse_filter("   \t ") is None


def test_parse_filter_dashboard_query_box_conditions_side_by_side_are_and() -> None:
    node = parse_filter('lr>0.001 optimizer=adam loss<0.5 name="a b"')

    assert isinstance(node, BoolOp)
    assert node.operator == "and"
    assert [
        (c.field.text, c.operator, c.value) for c in node.items if isinstance(c, Comparison)
    ] == [
        ("lr", ">", 0.001),
        ("optimizer", "=", "adam"),
        ("loss", "<", 0.5),
        ("name", "=", "a b"),
    ]


def test_parse_filter_not_binds_tighter_than_and_tighter_than_or() -> None:
    node = parse_filter("not a = 1 and b = 2 or c = 3")

    assert isinstance(node, BoolOp)
    assert node.operator == "or"
    first, second = node.items
    assert isinstance(first, BoolOp)
    assert first.operator == "and"
    assert isinstance(first.items[0], Not)
    assert isinstance(second, Comparison)
    assert second.field.text == "c"


def test_parse_filter_parentheses_group_before_and() -> None:
    node = parse_filter("(status = finished OR tags = keep) AND loss.min < 0.5")

    assert isinstance(node, BoolOp)
    assert node.operator == "and"
    group = node.items[0]
    assert isinstance(group, BoolOp)
    assert group.operator == "or"


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("config.optimizer.lr < 1", Field("config", ("optimizer", "lr"), "config.optimizer.lr")),
        ("metrics.loss.min < 1", Field("metric", ("loss",), "metrics.loss.min", "min")),
        ("metrics.val/acc > 1", Field("metric", ("val/acc",), "metrics.val/acc", "last")),
        ("metrics.a.b.count > 1", Field("metric", ("a.b",), "metrics.a.b.count", "count")),
        ("results.acc > 1", Field("result", ("acc",), "results.acc")),
        ("summary.acc > 1", Field("summary", ("acc",), "summary.acc")),
        ("created >= 2027-01-01T00:00:00Z", Field("builtin", ("created_at",), "created")),
        ("loss.min < 1", Field("bare", ("loss.min",), "loss.min")),
    ],
)
def test_parse_filter_field_forms_name_what_they_read(text: str, field: Field) -> None:
    assert _only(text).field == field


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("x = 1e-3", 0.001),
        ("x = -2", -2.0),
        ("x = true", True),
        ("x = FALSE", False),
        ("x = null", None),
        ('x = "1"', "1"),
        ('x = "say \\"hi\\""', 'say "hi"'),
        ("x = adam", "adam"),
        ("x = inf", math.inf),
        ("name = 42", "42"),
        ("x ~ 42", "42"),
    ],
)
def test_parse_filter_values_are_typed_as_written(text: str, value: object) -> None:
    assert _only(text).value == value


def test_parse_filter_nan_value_is_nan() -> None:
    value = _only("x = nan").value
    assert isinstance(value, float)
    assert math.isnan(value)


def test_parse_filter_double_equals_is_equals() -> None:
    assert _only("x == 1").operator == "="


@pytest.mark.parametrize(
    ("text", "token", "position"),
    [
        ("lr >", "", 4),
        ("lr > 1 and", "", 10),
        ("lr 1", "1", 3),
        ("(lr > 1", "(", 0),
        ("lr > 1)", ")", 6),
        ("lr > (", "(", 5),
        ('name = "abc', '"abc', 7),
        ("lr > 1 ; drop table runs", ";", 7),
        ("= 1", "=", 0),
        ("status = sleeping", "sleeping", 9),
        ("tags > x", "x", 7),
        ("created_at > yesterday", "yesterday", 13),
        ("created_at > 2027-01-01T00:00:00", "2027-01-01T00:00:00", 13),
        ("metrics.loss < low", "low", 15),
        ("x > true", "true", 4),
        ("name > null", "null", 7),
        ("config. = 1", "config.", 0),
        ("a..b = 1", "a..b", 0),
    ],
)
def test_parse_filter_malformed_names_token_and_position(
    text: str, token: str, position: int
) -> None:
    with pytest.raises(QueryError) as caught:
        parse_filter(text)

    assert caught.value.token == token
    assert caught.value.position == position


def test_parse_filter_too_many_conditions_is_refused() -> None:
    with pytest.raises(QueryError, match="at most"):
        parse_filter(" ".join(f"x{index} = 1" for index in range(51)))


def test_parse_filter_too_deep_nesting_is_refused() -> None:
    with pytest.raises(QueryError, match="nests deeper"):
        parse_filter("(" * 30 + "x = 1" + ")" * 30)


def test_parse_filter_too_long_is_refused() -> None:
    with pytest.raises(QueryError, match="longer"):
        parse_filter("x = " + "1" * 5000)


def test_parse_filter_nul_character_is_refused() -> None:
    with pytest.raises(QueryError, match="NUL"):
        parse_filter("name = a\x00b")


def test_fields_of_lists_every_field_in_order() -> None:
    node = parse_filter("a = 1 or not (b = 2 and c = 3)")

    assert [field.text for field in fields_of(node)] == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("text", "field", "descending"),
    [
        ("-created_at", Field("builtin", ("created_at",), "created_at"), True),
        ("name", Field("builtin", ("name",), "name"), False),
        ("-metrics.loss.min", Field("metric", ("loss",), "metrics.loss.min", "min"), True),
        ("config.lr", Field("config", ("lr",), "config.lr"), False),
        ("val/acc", Field("bare", ("val/acc",), "val/acc"), False),
    ],
)
def test_parse_sort_reads_field_and_direction(text: str, field: Field, descending: bool) -> None:
    sort = parse_sort(text)

    assert sort.field == field
    assert sort.descending is descending
    assert sort.text == text


@pytest.mark.parametrize("text", ["tags", "-", "name;drop", "config."])
def test_parse_sort_unusable_field_is_refused(text: str) -> None:
    with pytest.raises(QueryError):
        parse_sort(text)
