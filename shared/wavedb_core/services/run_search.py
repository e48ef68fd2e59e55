"""Run search: the filter language's text, checked and resolved against the runs in scope,
then one page of matching runs in the asked order with an opaque keyset cursor.

The caller's access to the scope has been checked (services.runs.list_runs does it in the
same transaction).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from wavedb_core.db.connection import Connection
from wavedb_core.errors import BadRequest
from wavedb_core.pagination import decode_cursor, encode_cursor, malformed_cursor
from wavedb_core.repositories import run_search as repository
from wavedb_core.repositories.run_search import FoundRun, Scope
from wavedb_core.repositories.runs import RunFilters
from wavedb_core.run_query import (
    AGGREGATES,
    KNOWN_FIELDS_TEXT,
    TIME_FIELDS,
    Field,
    Node,
    QueryError,
    Sort,
    fields_of,
    parse_filter,
    parse_sort,
    resolved,
)


@dataclass(frozen=True)
class SearchRequest:
    """What the caller asked for, already parsed: the filter tree (bare names unresolved)
    and the sort."""

    query: Node | None
    sort: Sort
    sort_text: str


def _query_error(error: QueryError, *, parameter: str) -> BadRequest:
    return BadRequest(
        f"{parameter}: {error.message} (at position {error.position}: {error.token!r})",
        code=f"invalid_{parameter}",
        details={"parameter": parameter, "token": error.token, "position": error.position},
    )


def parse_request(filter_text: str | None, sort_text: str) -> SearchRequest:
    """The parsed filter and sort; 400 invalid_filter / invalid_sort naming the token."""
    try:
        query = parse_filter(filter_text or "")
    except QueryError as error:
        raise _query_error(error, parameter="filter") from error
    try:
        sort = parse_sort(sort_text)
    except QueryError as error:
        raise _query_error(error, parameter="sort") from error
    return SearchRequest(query=query, sort=sort, sort_text=sort.text)


def _unknown(
    connection: Connection, scope: Scope, field: Field, parameter: str, position: int
) -> BadRequest:
    known = repository.known_names(connection, scope)
    return BadRequest(
        f"{parameter}: unknown field {field.text!r} (at position {position}): no run here has a"
        f" config key, result or metric of that name. Known fields: {KNOWN_FIELDS_TEXT};"
        f" config keys here: {', '.join(known['config']) or 'none'}; metrics:"
        f" {', '.join(known['metrics']) or 'none'}; results:"
        f" {', '.join(known['results']) or 'none'}",
        code="unknown_field",
        details={
            "parameter": parameter,
            "token": field.text,
            "position": position,
            "known_fields": KNOWN_FIELDS_TEXT,
            "known": known,
        },
    )


def _resolve(connection: Connection, scope: Scope, field: Field) -> Field | None:
    """A bare name as the dashboard reads it: a config key, else a result, else a metric's
    last value, else `<metric>.<last|min|max|count>`; None when nothing has that name."""
    name = field.text
    uses = repository.name_uses(connection, scope, name)
    if uses.config:
        return Field("config", tuple(name.split(".")), name)
    if uses.result:
        return Field("result", (name,), name)
    if uses.metric:
        return Field("metric", (name,), name, "last")
    metric, _, aggregate = name.rpartition(".")
    if (
        metric
        and aggregate in AGGREGATES
        and repository.name_uses(connection, scope, metric).metric
    ):
        return Field("metric", (metric,), name, aggregate)
    return None


def _positions(node: Node | None) -> dict[Field, int]:
    from wavedb_core.run_query import BoolOp, Comparison, Not

    positions: dict[Field, int] = {}

    def walk(item: Node) -> None:
        if isinstance(item, Comparison):
            positions.setdefault(item.field, item.position)
        elif isinstance(item, Not):
            walk(item.item)
        elif isinstance(item, BoolOp):
            for child in item.items:
                walk(child)

    if node is not None:
        walk(node)
    return positions


def resolve_request(connection: Connection, scope: Scope, request: SearchRequest) -> SearchRequest:
    """The request with its bare names resolved; 400 unknown_field listing the known ones."""
    mapping: dict[Field, Field] = {}
    positions = _positions(request.query)
    for field in fields_of(request.query):
        if field.kind == "bare" and field not in mapping:
            found = _resolve(connection, scope, field)
            if found is None:
                raise _unknown(connection, scope, field, "filter", positions.get(field, 0))
            mapping[field] = found
    sort = request.sort
    if sort.field.kind == "bare":
        found = mapping.get(sort.field) or _resolve(connection, scope, sort.field)
        if found is None:
            raise _unknown(connection, scope, sort.field, "sort", 0)
        sort = Sort(found, sort.descending)
    query = None if request.query is None else resolved(request.query, mapping)
    return SearchRequest(query=query, sort=sort, sort_text=request.sort_text)


# ---------------------------------------------------------------- cursors


def _cursor_value(value: object) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float) and math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return value


def next_cursor(request: SearchRequest, last: FoundRun) -> str:
    return encode_cursor(
        {
            "sort": request.sort_text,
            "value": _cursor_value(last.sort_value),
            "id": str(last.row.id),
        }
    )


def cursor_position(cursor: str, request: SearchRequest) -> tuple[object, UUID]:
    """(sort value, id) of the run a cursor ends on; 400 invalid_cursor when unusable."""
    position = decode_cursor(cursor, required_keys=frozenset({"sort", "value", "id"}))
    if position["sort"] != request.sort_text:
        raise BadRequest("the cursor belongs to another sort order", code="invalid_cursor")
    value, run_id = position["value"], position["id"]
    if not isinstance(run_id, str):
        raise malformed_cursor()
    field = request.sort.field
    try:
        last_id = UUID(run_id)
        if field.kind == "config":
            return value, last_id
        if value is None:
            if field.kind == "builtin" and field.builtin not in ("started_at", "ended_at"):
                raise ValueError("missing value")
            return None, last_id
        if field.kind == "builtin":
            if not isinstance(value, str):
                raise ValueError(value)
            if field.builtin in TIME_FIELDS:
                moment = datetime.fromisoformat(value)
                if moment.tzinfo is None:
                    raise ValueError(value)
                return moment, last_id
            return value, last_id
        if isinstance(value, bool) or not isinstance(value, int | float | str):
            raise ValueError(value)
        number = float(value)
        if math.isnan(number):
            raise ValueError(value)
        return number, last_id
    except ValueError as error:
        raise malformed_cursor() from error


def search_page(
    connection: Connection,
    scope: Scope,
    filters: RunFilters,
    request: SearchRequest,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[FoundRun], str | None]:
    """One page of matching runs and the cursor of the next (None at the end)."""
    after = None if cursor is None else cursor_position(cursor, request)
    ready = resolve_request(connection, scope, request)
    found = repository.search_runs(
        connection,
        scope=scope,
        filters=filters,
        query=ready.query,
        sort=ready.sort,
        after=after,
        limit=limit + 1,
    )
    page = found[:limit]
    more = len(found) > limit
    return page, next_cursor(request, page[-1]) if more else None
