"""Run search: a parsed filter and sort (wavedb_core.run_query) turned into one parameterised
query over the runs a user can see, with keyset pagination on (sort value, id).

Every value reaches PostgreSQL as a bound parameter; field names become parameters too
(config paths, metric and result names) or fixed column identifiers chosen here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from psycopg import sql
from psycopg.rows import class_row, dict_row
from psycopg.types.json import Jsonb

from wavedb_core.db.connection import Connection
from wavedb_core.repositories.runs import RUN_COLUMN_NAMES, RunFilters, RunRow
from wavedb_core.run_query import BoolOp, Comparison, Field, Node, Not, Sort, Value

# Built-in fields that are never NULL: sorted and paged on their plain index order.
_NOT_NULL_COLUMNS = frozenset({"name", "status", "created_at", "updated_at"})
_NULLABLE_COLUMNS = frozenset({"started_at", "ended_at"})
_METRIC_COLUMNS = {"last": "last_value", "min": "min", "max": "max", "count": "count"}
_ORDERING = {"<": "<", "<=": "<=", ">": ">", ">=": ">=", "=": "=", "!=": "<>"}
_SORT_VALUE = "search_sort_value"


@dataclass(frozen=True)
class Scope:
    """Which runs are searched: those of the user's workspaces, maybe one workspace or
    project of them."""

    user_id: UUID
    workspace_id: UUID | None = None
    project_id: UUID | None = None


class _Params:
    """Named placeholders and their values, in any order of use."""

    def __init__(self) -> None:
        self.values: dict[str, object] = {}

    def __call__(self, value: object) -> sql.Composable:
        name = f"p{len(self.values)}"
        self.values[name] = value
        return sql.Placeholder(name)


# ---------------------------------------------------------------- expressions


def _metric_row(params: _Params, name: str) -> sql.Composable:
    return sql.SQL("m.run_id = r.id AND m.name = {name}").format(name=params(name))


def _result_row(params: _Params, name: str) -> sql.Composable:
    return sql.SQL("x.run_id = r.id AND x.name = {name}").format(name=params(name))


def _number_expression(params: _Params, field: Field) -> sql.Composable:
    """The field's value as float8 (NULL when the run has none): metrics, results, summary."""
    name = field.path[0]
    result = sql.SQL("(SELECT x.value FROM run_results x WHERE {row})").format(
        row=_result_row(params, name)
    )
    if field.kind == "result":
        return result
    column = sql.Identifier("m", _METRIC_COLUMNS[field.aggregate or "last"])
    metric = sql.SQL("(SELECT {column}::float8 FROM run_metrics m WHERE {row})").format(
        column=column, row=_metric_row(params, name)
    )
    if field.kind == "metric":
        return metric
    return sql.SQL("COALESCE({result}, {metric})").format(result=result, metric=metric)


def _config_path(params: _Params, field: Field) -> sql.Composable:
    return sql.SQL("(r.config #> {path}::text[])").format(path=params(list(field.path)))


def sort_expression(params: _Params, field: Field) -> sql.Composable:
    """What runs are ordered by; NULL for runs without it (they come last)."""
    if field.kind == "builtin":
        return sql.Identifier("r", field.builtin)
    if field.kind == "config":
        return sql.SQL("NULLIF({path}, 'null'::jsonb)").format(path=_config_path(params, field))
    return sql.SQL("NULLIF({value}, 'NaN'::float8)").format(value=_number_expression(params, field))


# ---------------------------------------------------------------- conditions


def _false() -> sql.Composable:
    return sql.SQL("FALSE")


def _builtin_condition(params: _Params, node: Comparison) -> sql.Composable:
    column = sql.Identifier("r", node.field.builtin)
    operator, value = node.operator, node.value
    if node.field.builtin == "tags":
        has = sql.SQL("r.tags @> ARRAY[{tag}]::text[]").format(tag=params(value))
        return has if operator == "=" else sql.SQL("NOT ({has})").format(has=has)
    if value is None:
        test = "IS NULL" if operator == "=" else "IS NOT NULL"
        return sql.SQL("{column} {test}").format(column=column, test=sql.SQL(test))
    if operator == "~":
        return sql.SQL("COALESCE(strpos(lower({column}::text), lower({value})) > 0, FALSE)").format(
            column=column, value=params(value)
        )
    placeholder = params(value)
    if node.field.builtin in _NULLABLE_COLUMNS or node.field.builtin in (
        "created_at",
        "updated_at",
    ):
        placeholder = sql.SQL("{value}::timestamptz").format(value=placeholder)
    if operator == "!=":
        return sql.SQL("{column} IS DISTINCT FROM {value}").format(column=column, value=placeholder)
    comparison = sql.SQL("{column} {operator} {value}").format(
        column=column, operator=sql.SQL(_ORDERING[operator]), value=placeholder
    )
    if node.field.builtin in _NULLABLE_COLUMNS:
        return sql.SQL("COALESCE({comparison}, FALSE)").format(comparison=comparison)
    return comparison


def _nested(path: tuple[str, ...], value: Value) -> Any:
    nested: Any = value
    for key in reversed(path):
        nested = {key: nested}
    return nested


def _config_condition(params: _Params, node: Comparison) -> sql.Composable:
    path = _config_path(params, node.field)
    operator, value = node.operator, node.value
    if value is None:
        test = "IS NULL" if operator == "=" else "IS NOT NULL"
        return sql.SQL("NULLIF({path}, 'null'::jsonb) {test}").format(path=path, test=sql.SQL(test))
    if operator == "~":
        return sql.SQL(
            "COALESCE(strpos(lower({path} #>> '{{}}'), lower({value})) > 0, FALSE)"
        ).format(path=path, value=params(str(value)))
    if isinstance(value, float) and math.isnan(value):
        return sql.SQL("TRUE") if operator == "!=" else _false()
    if operator in ("=", "!="):
        # Containment, so that the config index answers it.
        contains = sql.SQL("r.config @> {value}::jsonb").format(
            value=params(Jsonb(_nested(node.field.path, value)))
        )
        return contains if operator == "=" else sql.SQL("NOT ({c})").format(c=contains)
    if isinstance(value, bool):
        return _false()
    if isinstance(value, float):
        typed = sql.SQL(
            "CASE WHEN jsonb_typeof({path}) = 'number' THEN ({path})::numeric END"
        ).format(path=path)
        literal = (
            "Infinity" if value == math.inf else "-Infinity" if value == -math.inf else repr(value)
        )
        target: sql.Composable = sql.SQL("{value}::numeric").format(value=params(literal))
    else:
        typed = sql.SQL(
            "CASE WHEN jsonb_typeof({path}) = 'string' THEN {path} #>> '{{}}' END"
        ).format(path=path)
        target = params(value)
    return sql.SQL("COALESCE({typed} {operator} {target}, FALSE)").format(
        typed=typed, operator=sql.SQL(_ORDERING[operator]), target=target
    )


def _number_condition(params: _Params, node: Comparison) -> sql.Composable:
    """Metrics, results and summaries: a missing value satisfies only `!=` (and `= null`);
    NaN equals NaN and is never smaller or greater."""
    field, operator, value = node.field, node.operator, node.value
    if field.kind == "summary":
        return _summary_condition(params, node)
    if field.kind == "metric":
        table, alias, row = sql.SQL("run_metrics m"), "m", _metric_row(params, field.path[0])
        column = sql.Identifier("m", _METRIC_COLUMNS[field.aggregate or "last"])
    else:
        table, alias, row = sql.SQL("run_results x"), "x", _result_row(params, field.path[0])
        column = sql.Identifier("x", "value")
    del alias

    def exists(test: sql.Composable) -> sql.Composable:
        return sql.SQL("EXISTS (SELECT 1 FROM {table} WHERE {row} AND {test})").format(
            table=table, row=row, test=test
        )

    if value is None:
        present = exists(sql.SQL("{column} IS NOT NULL").format(column=column))
        return present if operator == "!=" else sql.SQL("NOT {p}").format(p=present)
    assert isinstance(value, float)
    if math.isnan(value) and operator not in ("=", "!="):
        return _false()
    target = sql.SQL("{value}::float8").format(value=params(value))
    if operator == "!=":
        equal = exists(sql.SQL("{column} = {target}").format(column=column, target=target))
        return sql.SQL("NOT {equal}").format(equal=equal)
    test = sql.SQL("{column} {operator} {target}").format(
        column=column, operator=sql.SQL(_ORDERING[operator]), target=target
    )
    if operator != "=":
        test = sql.SQL("{test} AND {column} <> 'NaN'::float8").format(test=test, column=column)
    return exists(test)


def _summary_condition(params: _Params, node: Comparison) -> sql.Composable:
    expression = _number_expression(params, node.field)
    operator, value = node.operator, node.value
    if value is None:
        missing = "IS NULL" if operator == "=" else "IS NOT NULL"
        return sql.SQL("{e} {test}").format(e=expression, test=sql.SQL(missing))
    assert isinstance(value, float)
    if math.isnan(value) and operator not in ("=", "!="):
        return _false()
    target = sql.SQL("{value}::float8").format(value=params(value))
    if operator == "!=":
        return sql.SQL("{e} IS DISTINCT FROM {target}").format(e=expression, target=target)
    test = sql.SQL("{e} {operator} {target}").format(
        e=expression, operator=sql.SQL(_ORDERING[operator]), target=target
    )
    if operator != "=":
        test = sql.SQL("{test} AND {e} <> 'NaN'::float8").format(test=test, e=expression)
    return sql.SQL("COALESCE({test}, FALSE)").format(test=test)


def condition(params: _Params, node: Node) -> sql.Composable:
    """The SQL of a filter tree whose bare names have been resolved; never NULL."""
    if isinstance(node, Not):
        return sql.SQL("NOT ({item})").format(item=condition(params, node.item))
    if isinstance(node, BoolOp):
        joiner = sql.SQL(" AND " if node.operator == "and" else " OR ")
        return sql.SQL("({items})").format(
            items=joiner.join(condition(params, item) for item in node.items)
        )
    kind = node.field.kind
    if kind == "builtin":
        return _builtin_condition(params, node)
    if kind == "config":
        return _config_condition(params, node)
    if kind in ("metric", "result", "summary"):
        return _number_condition(params, node)
    raise ValueError(f"unresolved field: {node.field.text}")


# ---------------------------------------------------------------- scope and filters


def _scope(params: _Params, scope: Scope) -> list[sql.Composable]:
    conditions: list[sql.Composable] = [
        sql.SQL(
            "r.workspace_id IN (SELECT w.workspace_id FROM workspace_members w"
            " WHERE w.user_id = {user})"
        ).format(user=params(scope.user_id))
    ]
    if scope.workspace_id is not None:
        conditions.append(sql.SQL("r.workspace_id = {id}").format(id=params(scope.workspace_id)))
    if scope.project_id is not None:
        conditions.append(sql.SQL("r.project_id = {id}").format(id=params(scope.project_id)))
    return conditions


def _simple_filters(params: _Params, filters: RunFilters) -> list[sql.Composable]:
    conditions: list[sql.Composable] = []
    if filters.statuses:
        conditions.append(sql.SQL("r.status = ANY({v}::text[])").format(v=params(filters.statuses)))
    if filters.tags:
        conditions.append(sql.SQL("r.tags @> {v}::text[]").format(v=params(filters.tags)))
    if filters.name_contains:
        conditions.append(
            sql.SQL("strpos(lower(r.name), lower({v})) > 0").format(v=params(filters.name_contains))
        )
    if filters.created_after is not None:
        conditions.append(sql.SQL("r.created_at > {v}").format(v=params(filters.created_after)))
    if filters.created_before is not None:
        conditions.append(sql.SQL("r.created_at < {v}").format(v=params(filters.created_before)))
    return conditions


@dataclass(frozen=True)
class FoundRun:
    row: RunRow
    sort_value: object


# A page is read in up to two parts when runs may lack the sort value: those that have it,
# in order (from an index where there is one), then those that do not, by id.
_ALL, _VALUED, _MISSING = "all", "valued", "missing"


def _sorted_table(sort: Sort) -> tuple[sql.Composable, sql.Identifier] | None:
    """For a sort by a metric or a result: the summary table to join and its column."""
    field = sort.field
    if field.kind == "metric":
        column = _METRIC_COLUMNS[field.aggregate or "last"]
        return sql.SQL("run_metrics"), sql.Identifier("s", column)
    if field.kind == "result":
        return sql.SQL("run_results"), sql.Identifier("s", "value")
    return None


def _statement(
    *,
    scope: Scope,
    filters: RunFilters,
    query: Node | None,
    sort: Sort,
    part: str,
    after: tuple[object, UUID] | None,
    limit: int,
) -> tuple[sql.Composed, dict[str, object]]:
    params = _Params()
    conditions = _scope(params, scope) + _simple_filters(params, filters)
    if query is not None:
        conditions.append(condition(params, query))
    source: sql.Composable = sql.SQL("runs r")
    run_id: sql.Composable = sql.SQL("r.id")
    table = _sorted_table(sort)
    if part == _ALL:
        key = sort_expression(params, sort.field)
    elif table is not None:
        name, column = table
        has_value = sql.SQL(
            "s.run_id = r.id AND s.name = {name} AND {column} IS NOT NULL"
            " AND {column} <> 'NaN'::float8"
        ).format(name=params(sort.field.path[0]), column=column)
        if part == _VALUED:
            source = sql.SQL("runs r JOIN {table} s ON {has_value}").format(
                table=name, has_value=has_value
            )
            key, run_id = column, sql.SQL("s.run_id")
        else:
            key = sql.SQL("NULL")
            conditions.append(
                sql.SQL("NOT EXISTS (SELECT 1 FROM {table} s WHERE {has_value})").format(
                    table=name, has_value=has_value
                )
            )
    else:
        expression = sort_expression(params, sort.field)
        test = "IS NOT NULL" if part == _VALUED else "IS NULL"
        conditions.append(sql.SQL("{e} {test}").format(e=expression, test=sql.SQL(test)))
        key = expression if part == _VALUED else sql.SQL("NULL")
    comparison = sql.SQL("<" if sort.descending else ">")
    if after is not None:
        if part == _MISSING:
            conditions.append(
                sql.SQL("{id} {comparison} {after}").format(
                    id=run_id, comparison=comparison, after=params(after[1])
                )
            )
        else:
            value = Jsonb(after[0]) if sort.field.kind == "config" else after[0]
            conditions.append(
                sql.SQL("({key}, {id}) {comparison} ({value}, {after})").format(
                    key=key,
                    id=run_id,
                    comparison=comparison,
                    value=params(value),
                    after=params(after[1]),
                )
            )
    direction = sql.SQL("DESC" if sort.descending else "ASC")
    order = sql.SQL("{id} {direction}").format(id=run_id, direction=direction)
    if part != _MISSING:
        order = sql.SQL("{key} {direction}, {order}").format(
            key=key, direction=direction, order=order
        )
    columns = sql.SQL(", ").join(sql.Identifier("r", name) for name in RUN_COLUMN_NAMES)
    statement = sql.SQL(
        "SELECT {columns}, {key} AS {sort_value} FROM {source} WHERE {where}"
        " ORDER BY {order} LIMIT {limit}"
    ).format(
        columns=columns,
        key=key,
        sort_value=sql.Identifier(_SORT_VALUE),
        source=source,
        where=sql.SQL(" AND ").join(conditions),
        order=order,
        limit=sql.Placeholder("row_limit"),
    )
    return statement, {**params.values, "row_limit": limit}


def search_statements(
    *,
    scope: Scope,
    filters: RunFilters,
    query: Node | None,
    sort: Sort,
    after: tuple[object, UUID] | None,
    limit: int,
) -> list[tuple[str, sql.Composed, dict[str, object]]]:
    """The queries of a page, in the order they are read: (part, statement, parameters)."""
    if sort.field.kind == "builtin" and sort.field.builtin in _NOT_NULL_COLUMNS:
        parts = [_ALL]
    elif after is not None and after[0] is None:
        parts = [_MISSING]
    else:
        parts = [_VALUED, _MISSING]
    statements = []
    for part in parts:
        keyset = None if after is None or (part == _MISSING and after[0] is not None) else after
        statement, values = _statement(
            scope=scope,
            filters=filters,
            query=query,
            sort=sort,
            part=part,
            after=keyset,
            limit=limit,
        )
        statements.append((part, statement, values))
    return statements


def search_runs(
    connection: Connection,
    *,
    scope: Scope,
    filters: RunFilters,
    query: Node | None,
    sort: Sort,
    after: tuple[object, UUID] | None,
    limit: int,
) -> list[FoundRun]:
    """Up to `limit` runs in `scope` matching the filters and `query`, in `sort` order (then
    by id, in the same direction; runs without the sort value last, by id), after `after`."""
    found: list[FoundRun] = []
    statements = search_statements(
        scope=scope, filters=filters, query=query, sort=sort, after=after, limit=limit
    )
    with connection.cursor(row_factory=dict_row) as cursor:
        for _, statement, values in statements:
            if len(found) >= limit:
                break
            cursor.execute(statement, {**values, "row_limit": limit - len(found)})
            for row in cursor.fetchall():
                sort_value = row.pop(_SORT_VALUE)
                found.append(FoundRun(RunRow(**row), sort_value))
    return found[:limit]


# ---------------------------------------------------------------- field catalogue


@dataclass(frozen=True)
class NameUse:
    """Where a bare name occurs among the searched runs."""

    config: bool
    result: bool
    metric: bool


def _jsonpath(path: tuple[str, ...]) -> str:
    quoted = ('"' + key.replace("\\", "\\\\").replace('"', '\\"') + '"' for key in path)
    return "$." + ".".join(quoted)


def name_uses(connection: Connection, scope: Scope, name: str) -> NameUse:
    """Whether some run in scope has `name` as a config key path (dots: nesting), a result
    or a metric."""
    params = _Params()
    where = sql.SQL(" AND ").join(_scope(params, scope))
    keys = tuple(name.split("."))
    # The top-level key first: the config index answers `?`, not a path's existence.
    first_key, path = params(keys[0]), params(_jsonpath(keys))
    result_name = params(name)
    metric_name = params(name)
    statement = sql.SQL(
        "SELECT EXISTS (SELECT 1 FROM runs r WHERE {where} AND r.config ? {first_key}"
        "  AND r.config @? {path}::jsonpath) AS config,"
        " EXISTS (SELECT 1 FROM run_results x JOIN runs r ON r.id = x.run_id"
        "  WHERE {where} AND x.name = {result_name}) AS result,"
        " EXISTS (SELECT 1 FROM run_metrics m JOIN runs r ON r.id = m.run_id"
        "  WHERE {where} AND m.name = {metric_name}) AS metric"
    ).format(
        where=where,
        first_key=first_key,
        path=path,
        result_name=result_name,
        metric_name=metric_name,
    )
    with connection.cursor(row_factory=class_row(NameUse)) as cursor:
        uses = cursor.execute(statement, params.values).fetchone()
    assert uses is not None
    return uses


@dataclass(frozen=True)
class KnownName:
    kind: str  # config, metrics or results
    name: str


def known_names(connection: Connection, scope: Scope, *, limit: int = 30) -> dict[str, list[str]]:
    """Some top-level config keys, metric names and result names of the runs in scope."""
    params = _Params()
    where = sql.SQL(" AND ").join(_scope(params, scope))
    bound = params(limit)
    statement = sql.SQL(
        "SELECT 'config' AS kind, k.name FROM (SELECT DISTINCT jsonb_object_keys(r.config) AS name"
        "  FROM runs r WHERE {where} ORDER BY 1 LIMIT {limit}) k"
        " UNION ALL SELECT 'metrics', n.name FROM (SELECT DISTINCT m.name FROM run_metrics m"
        "  JOIN runs r ON r.id = m.run_id WHERE {where} ORDER BY 1 LIMIT {limit}) n"
        " UNION ALL SELECT 'results', n.name FROM (SELECT DISTINCT x.name FROM run_results x"
        "  JOIN runs r ON r.id = x.run_id WHERE {where} ORDER BY 1 LIMIT {limit}) n"
    ).format(where=where, limit=bound)
    known: dict[str, list[str]] = {"config": [], "metrics": [], "results": []}
    with connection.cursor(row_factory=class_row(KnownName)) as cursor:
        for row in cursor.execute(statement, params.values).fetchall():
            known[row.kind].append(row.name)
    return known
