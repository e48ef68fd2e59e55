"""The run filter and sort language, parsed into a small tree (pure: no I/O, no SQL).

    lr < 1e-3 optimizer = adam                 # side by side: and
    loss.min < 0.5 and (status = finished or tags = keep)
    not name ~ "smoke" and created_at >= 2027-01-01T00:00:00Z

A condition is `field operator value`. Fields:

- `name`, `status`, `tags`, `created_at`, `updated_at`, `started_at`, `ended_at`
  (`created`, `updated`, `started`, `ended` too);
- `config.<key>[.<key>...]`: a config value, nested keys separated by dots;
- `metrics.<name>[.last|.min|.max|.count]`: a metric's summary (`last` when omitted);
- `results.<name>`: a result; `summary.<name>`: the result of that name, else the metric's last
  value (what the dashboard's summary columns show);
- any other name is looked up in the runs' config keys, then results, then metrics
  (`<metric>.min` etc. included), as the dashboard's query box does.

Operators: `=` (or `==`), `!=`, `<`, `<=`, `>`, `>=`, and `~` (contains, case-insensitive).
Values: numbers (`1e-3`, `-2`, `inf`, `nan`), `true`, `false`, `null` (`= null`: the field is
missing), double-quoted text (`"a b"`, with `\\"` and `\\\\`) or a bare word (`adam`,
`2027-01-01T00:00:00Z`). `and`, `or`, `not` (any case) and parentheses combine conditions;
`not` binds tightest, then `and`, then `or`.
A sort is a field, `-` in front for descending; runs without the value come last.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Literal

from wavedb_core.models.runs import RUN_STATUSES

MAX_FILTER_LENGTH = 4_000
MAX_SORT_LENGTH = 300
MAX_CONDITIONS = 50
MAX_NESTING = 20

Operator = Literal["=", "!=", "<", "<=", ">", ">=", "~"]
FieldKind = Literal["builtin", "config", "metric", "result", "summary", "bare"]
Aggregate = Literal["last", "min", "max", "count"]
Value = float | str | bool | None

BUILTIN_FIELDS: dict[str, str] = {
    "name": "name",
    "status": "status",
    "tags": "tags",
    "tag": "tags",
    "created_at": "created_at",
    "created": "created_at",
    "updated_at": "updated_at",
    "updated": "updated_at",
    "started_at": "started_at",
    "started": "started_at",
    "ended_at": "ended_at",
    "ended": "ended_at",
}
TIME_FIELDS = frozenset({"created_at", "updated_at", "started_at", "ended_at"})
AGGREGATES: tuple[Aggregate, ...] = ("last", "min", "max", "count")
PREFIXES = ("config.", "metrics.", "results.", "summary.")
KNOWN_FIELDS_TEXT = (
    "name, status, tags, created_at, updated_at, started_at, ended_at, config.<key>,"
    " metrics.<name>[.last|.min|.max|.count], results.<name>, summary.<name>"
)


class QueryError(ValueError):
    """What is wrong, the token at fault and where it starts (0-based, in characters)."""

    def __init__(self, message: str, *, found: str, position: int) -> None:
        super().__init__(message)
        self.message = message
        self.token = found
        self.position = position


@dataclass(frozen=True)
class Field:
    """What a condition or a sort reads. `path`: the config keys, or the metric/result name
    (one element). `text`: the field as written."""

    kind: FieldKind
    path: tuple[str, ...]
    text: str
    aggregate: Aggregate | None = None

    @property
    def builtin(self) -> str:
        return self.path[0]


@dataclass(frozen=True)
class Comparison:
    field: Field
    operator: Operator
    value: Value
    position: int


@dataclass(frozen=True)
class Not:
    item: Node


@dataclass(frozen=True)
class BoolOp:
    operator: Literal["and", "or"]
    items: tuple[Node, ...]


Node = Comparison | Not | BoolOp


@dataclass(frozen=True)
class Sort:
    field: Field
    descending: bool

    @property
    def text(self) -> str:
        return ("-" if self.descending else "") + self.field.text


# ---------------------------------------------------------------- tokens

_TOKEN = re.compile(
    r"""(?P<space>\s+)
    | (?P<paren>[()])
    | (?P<operator>==|!=|<=|>=|=|<|>|~)
    | (?P<quoted>"(?:[^"\\]|\\.)*")
    | (?P<word>[^\s()<>=!~"]+)
    | (?P<bad>.)""",
    re.VERBOSE | re.DOTALL,
)
_FIELD = re.compile(r"^[A-Za-z_][\w./:\-]*$")
_KEYWORDS = frozenset({"and", "or", "not"})


@dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _tokens(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or "bad"
        token = match.group()
        if kind == "space":
            continue
        if kind == "bad":
            if token == '"':
                raise QueryError(
                    "unclosed quote", found=text[match.start() :], position=match.start()
                )
            raise QueryError(f"unexpected character {token!r}", found=token, position=match.start())
        if kind == "word" and token.lower() in _KEYWORDS:
            kind = token.lower()
        tokens.append(_Token(kind, token, match.start()))
    return tokens


# ---------------------------------------------------------------- fields and values


def parse_field(text: str, position: int = 0) -> Field:
    """A field as written in a condition or a sort."""
    if not _FIELD.match(text) or ".." in text or text.endswith("."):
        raise QueryError(f"{text!r} is not a field name", found=text, position=position)
    lower = text.lower()
    if lower in BUILTIN_FIELDS:
        return Field("builtin", (BUILTIN_FIELDS[lower],), text)
    for prefix in PREFIXES:
        if lower.startswith(prefix):
            rest = text[len(prefix) :]
            if prefix == "config.":
                return Field("config", tuple(rest.split(".")), text)
            if prefix == "metrics.":
                name, _, last = rest.rpartition(".")
                if name and last in AGGREGATES:
                    return Field("metric", (name,), text, last)
                return Field("metric", (rest,), text, "last")
            kind: FieldKind = "result" if prefix == "results." else "summary"
            return Field(kind, (rest,), text)
    if lower.split(".")[0] in ("config", "metrics", "results", "summary"):
        raise QueryError(f"{text!r} needs a key after the dot", found=text, position=position)
    return Field("bare", (text,), text)


def _unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1], flags=re.DOTALL)


def _number(text: str) -> float | None:
    lower = text.lower()
    if lower in ("inf", "+inf", "infinity", "+infinity"):
        return math.inf
    if lower in ("-inf", "-infinity"):
        return -math.inf
    if lower == "nan":
        return math.nan
    if not re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
        return None
    return float(text)


_TEXT_FIELDS = frozenset({"name", "status", "tags"}) | TIME_FIELDS


def _value(token: _Token, field: Field, operator: str) -> Value:
    """Quoted: text. Bare: true, false, null, a number, else text; text only for the
    built-in fields and for `~`."""
    if token.kind == "quoted":
        return _unquote(token.text)
    lower = token.text.lower()
    if lower == "null":
        return None
    if operator == "~" or (field.kind == "builtin" and field.builtin in _TEXT_FIELDS):
        return token.text
    if lower in ("true", "false"):
        return lower == "true"
    number = _number(token.text)
    return token.text if number is None else number


# ---------------------------------------------------------------- the grammar


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0
        self.conditions = 0

    def _peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def _next(self, expected: str) -> _Token:
        token = self._peek()
        if token is None:
            raise QueryError(
                f"the filter ends where {expected} was expected",
                found="",
                position=len(self.text),
            )
        self.index += 1
        return token

    def parse(self) -> Node:
        node = self._or(0)
        token = self._peek()
        if token is not None:
            message = "unmatched ')'" if token.text == ")" else f"unexpected {token.text!r}"
            raise QueryError(message, found=token.text, position=token.position)
        return node

    def _or(self, depth: int) -> Node:
        items = [self._and(depth)]
        while (token := self._peek()) is not None and token.kind == "or":
            self.index += 1
            items.append(self._and(depth))
        return items[0] if len(items) == 1 else BoolOp("or", tuple(items))

    def _and(self, depth: int) -> Node:
        items = [self._not(depth)]
        while (token := self._peek()) is not None and token.kind != "or" and token.text != ")":
            if token.kind == "and":
                self.index += 1
            items.append(self._not(depth))
        return items[0] if len(items) == 1 else BoolOp("and", tuple(items))

    def _not(self, depth: int) -> Node:
        token = self._peek()
        if token is not None and token.kind == "not":
            self.index += 1
            return Not(self._not(depth + 1))
        return self._primary(depth)

    def _primary(self, depth: int) -> Node:
        if depth > MAX_NESTING:
            token = self._peek()
            raise QueryError(
                f"the filter nests deeper than {MAX_NESTING} levels",
                found=token.text if token else "",
                position=token.position if token else len(self.text),
            )
        token = self._next("a condition")
        if token.text == "(":
            node = self._or(depth + 1)
            closing = self._peek()
            if closing is None or closing.text != ")":
                raise QueryError("unclosed '('", found="(", position=token.position)
            self.index += 1
            return node
        return self._comparison(token)

    def _comparison(self, token: _Token) -> Comparison:
        if token.kind != "word":
            raise QueryError(
                f"expected a field name, found {token.text!r}",
                found=token.text,
                position=token.position,
            )
        field = parse_field(token.text, token.position)
        operator = self._next(f"an operator after {token.text!r}")
        if operator.kind != "operator":
            raise QueryError(
                f"expected an operator (=, !=, <, <=, >, >=, ~) after {token.text!r},"
                f" found {operator.text!r}",
                found=operator.text,
                position=operator.position,
            )
        value_token = self._next(f"a value after {operator.text!r}")
        if value_token.kind not in ("word", "quoted"):
            raise QueryError(
                f"expected a value after {operator.text!r}, found {value_token.text!r}",
                found=value_token.text,
                position=value_token.position,
            )
        self.conditions += 1
        if self.conditions > MAX_CONDITIONS:
            raise QueryError(
                f"a filter may hold at most {MAX_CONDITIONS} conditions",
                found=token.text,
                position=token.position,
            )
        symbol: Operator = "=" if operator.text == "==" else operator.text  # type: ignore[assignment]
        comparison = Comparison(field, symbol, _value(value_token, field, symbol), token.position)
        _check(comparison, value_token)
        return comparison


def _check(comparison: Comparison, token: _Token) -> None:
    """Refuse what can never make sense, naming the value."""
    field, operator, value = comparison.field, comparison.operator, comparison.value

    def refuse(message: str) -> QueryError:
        return QueryError(message, found=token.text, position=token.position)

    if value is None and operator not in ("=", "!="):
        raise refuse(f"null takes only = or != (found {operator})")
    if field.kind == "builtin":
        name = field.builtin
        if name in TIME_FIELDS and value is not None:
            if not isinstance(value, str) or parse_time(value) is None:
                raise refuse(f"{field.text} takes a time with a zone, e.g. 2027-01-01T00:00:00Z")
            if operator == "~":
                raise refuse(f"{field.text} does not take ~")
        if name == "tags" and operator not in ("=", "!="):
            raise refuse("tags takes = (has the tag) or != (does not have it)")
        if name in ("name", "status", "tags") and value is None:
            raise refuse(f"{field.text} is never missing")
    if isinstance(value, bool) and operator not in ("=", "!="):
        raise refuse(f"true and false take only = or != (found {operator})")
    is_status = field.kind == "builtin" and field.builtin == "status"
    if is_status and operator in ("=", "!=") and value not in RUN_STATUSES:
        raise refuse(f"status is one of {', '.join(sorted(RUN_STATUSES))}")
    numeric = field.kind in ("metric", "result", "summary")
    if numeric and value is not None and (operator == "~" or not isinstance(value, float)):
        raise refuse(f"{field.text} is a number: compare it with a number")


def parse_time(text: str) -> object | None:
    """The moment an RFC 3339 text names (with a zone), else None."""
    from datetime import datetime

    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def parse_filter(text: str) -> Node | None:
    """The filter's tree; None for an empty filter. QueryError names the offending token."""
    if len(text) > MAX_FILTER_LENGTH:
        raise QueryError(
            f"the filter is longer than {MAX_FILTER_LENGTH} characters",
            found=text[MAX_FILTER_LENGTH : MAX_FILTER_LENGTH + 20],
            position=MAX_FILTER_LENGTH,
        )
    if "\x00" in text:
        position = text.index("\x00")
        raise QueryError("the filter contains a NUL character", found="\\x00", position=position)
    parser = _Parser(text)
    if not parser.tokens:
        return None
    return parser.parse()


def parse_sort(text: str) -> Sort:
    """`-metrics.loss.min` → that field, descending."""
    stripped = text.strip()
    descending = stripped.startswith("-")
    name = stripped[1:] if descending or stripped.startswith("+") else stripped
    field = parse_field(name, len(text) - len(text.lstrip()) + (1 if name != stripped else 0))
    if field.kind == "builtin" and field.builtin == "tags":
        raise QueryError("runs cannot be sorted by tags", found=name, position=0)
    return Sort(field, descending)


def fields_of(node: Node | None) -> list[Field]:
    """Every field the filter reads, in order."""
    if node is None:
        return []
    if isinstance(node, Comparison):
        return [node.field]
    if isinstance(node, Not):
        return fields_of(node.item)
    return [field for item in node.items for field in fields_of(item)]


def resolved(node: Node, fields: dict[Field, Field]) -> Node:
    """The tree with each field replaced by what `fields` maps it to (bare names resolved)."""
    if isinstance(node, Comparison):
        return Comparison(
            fields.get(node.field, node.field), node.operator, node.value, node.position
        )
    if isinstance(node, Not):
        return Not(resolved(node.item, fields))
    return BoolOp(node.operator, tuple(resolved(item, fields) for item in node.items))
