// The run table's logic as pure functions: columns, cell values, sorting, filters and the query box.
import { metricNumber, type Run, type RunStatus } from "../types";
import { flattenConfig } from "./compare";

// ------------------------------------------------------------------ rows

/** A run with its config flattened (`model.layers`) and its summary as numbers, computed once. */
export interface Row {
  run: Run;
  config: Record<string, unknown>;
  /** Metric last values and results by name; a result wins over a metric of the same name. */
  summary: Record<string, number>;
}

export function summaryValues(run: Run): Record<string, number> {
  const values: Record<string, number> = {};
  const summary = run.summary;
  if (!summary) return values;
  for (const [name, digest] of Object.entries(summary.metrics ?? {})) {
    const number = metricNumber(digest?.last ?? null);
    if (number !== null) values[name] = number;
  }
  for (const [name, value] of Object.entries(summary.results ?? {})) {
    const number = metricNumber(value);
    if (number !== null) values[name] = number;
  }
  return values;
}

export function toRows(runs: readonly Run[]): Row[] {
  return runs.map((run) => ({ run, config: flattenConfig(run.config), summary: summaryValues(run) }));
}

// ------------------------------------------------------------------ columns

export type BuiltinColumn = "status" | "name" | "tags" | "created" | "duration";
export const BUILTIN_COLUMNS: readonly BuiltinColumn[] = ["status", "name", "tags", "created", "duration"];

/** Column keys: a built-in name, `config:<dotted key>` or `summary:<metric or result name>`. */
export type ColumnKey = string;

export interface ParsedColumn {
  kind: "builtin" | "config" | "summary";
  name: string;
}

export function parseColumnKey(key: ColumnKey): ParsedColumn {
  if (key.startsWith("config:")) return { kind: "config", name: key.slice("config:".length) };
  if (key.startsWith("summary:")) return { kind: "summary", name: key.slice("summary:".length) };
  return { kind: "builtin", name: key };
}

export function columnLabel(key: ColumnKey): string {
  const { kind, name } = parseColumnKey(key);
  if (kind !== "builtin") return name;
  return name.charAt(0).toUpperCase() + name.slice(1);
}

export interface KeyCount {
  key: string;
  count: number;
}

export interface DiscoveredColumns {
  /** Flattened config keys, most common first (then by name). */
  config: KeyCount[];
  /** Summary names (metrics and results), most common first (then by name). */
  summary: KeyCount[];
}

function countKeys(lists: Iterable<string[]>): KeyCount[] {
  const counts = new Map<string, number>();
  for (const keys of lists) for (const key of keys) counts.set(key, (counts.get(key) ?? 0) + 1);
  return [...counts.entries()]
    .map(([key, count]) => ({ key, count }))
    .sort((a, b) => b.count - a.count || naturalCollator.compare(a.key, b.key));
}

export function discoverColumns(rows: readonly Row[]): DiscoveredColumns {
  return {
    config: countKeys(rows.map((row) => Object.keys(row.config))),
    summary: countKeys(rows.map((row) => Object.keys(row.summary))),
  };
}

/** Up to `perKind` summary names (system metrics only when nothing else) and config keys. */
export function defaultColumns(discovered: DiscoveredColumns, perKind = 4): ColumnKey[] {
  const userMetrics = discovered.summary.filter((item) => !item.key.startsWith("system/"));
  const summary = (userMetrics.length ? userMetrics : discovered.summary).slice(0, perKind);
  return [
    ...summary.map((item) => `summary:${item.key}`),
    ...discovered.config.slice(0, perKind).map((item) => `config:${item.key}`),
  ];
}

/** Saved column choices, dropping anything that is not a list of strings. */
export function parseSavedColumns(raw: string | null): ColumnKey[] | null {
  if (!raw) return null;
  try {
    const value: unknown = JSON.parse(raw);
    if (Array.isArray(value) && value.every((item) => typeof item === "string")) return value as string[];
  } catch {
    // fall through
  }
  return null;
}

// ------------------------------------------------------------------ cell values

/** Milliseconds a run has taken (until now while it has not ended), or undefined before it started. */
export function runDurationMs(run: Run, now: number): number | undefined {
  const start = run.started_at ?? run.created_at;
  if (!start) return undefined;
  const finishedAt = run.ended_at ?? run.heartbeat_at ?? run.updated_at;
  const end = run.ended_at ? Date.parse(run.ended_at) : isActive(run.status) ? now : Date.parse(finishedAt);
  return Math.max(0, end - Date.parse(start));
}

export function isActive(status: RunStatus): boolean {
  return status === "running" || status === "pending";
}

/** The value a column shows and sorts by (undefined when the run has none). */
export function cellValue(row: Row, key: ColumnKey, now: number): unknown {
  const { kind, name } = parseColumnKey(key);
  if (kind === "config") return row.config[name];
  if (kind === "summary") return row.summary[name];
  switch (name) {
    case "name":
      return row.run.name;
    case "status":
      return row.run.status;
    case "tags":
      return row.run.tags.length ? row.run.tags.join(", ") : undefined;
    case "created":
      return Date.parse(row.run.created_at);
    case "duration":
      return runDurationMs(row.run, now);
    default:
      return undefined;
  }
}

/** True when every value the rows have in this column is a number (right-aligned), false for text. */
export function isNumericColumn(rows: readonly Row[], key: ColumnKey): boolean {
  let seen = false;
  for (const row of rows) {
    const value = cellValue(row, key, 0);
    if (value === undefined || value === null) continue;
    if (typeof value !== "number") return false;
    seen = true;
  }
  return seen;
}

// ------------------------------------------------------------------ sorting

export type SortDirection = "asc" | "desc";
export interface SortSpec {
  key: ColumnKey;
  direction: SortDirection;
}

/** `-summary:loss` → loss descending; `config:lr` → ascending. Empty → null. */
export function parseSort(text: string | null | undefined): SortSpec | null {
  if (!text) return null;
  const descending = text.startsWith("-");
  const key = descending ? text.slice(1) : text;
  return key ? { key, direction: descending ? "desc" : "asc" } : null;
}

export function formatSort(sort: SortSpec | null): string | undefined {
  if (!sort) return undefined;
  return `${sort.direction === "desc" ? "-" : ""}${sort.key}`;
}

/** A header click: first ascending, then descending, then ascending again. */
export function nextSort(current: SortSpec | null, key: ColumnKey): SortSpec {
  if (current?.key === key && current.direction === "asc") return { key, direction: "desc" };
  return { key, direction: "asc" };
}

export const naturalCollator = new Intl.Collator(undefined, { numeric: true, sensitivity: "base" });

function isMissing(value: unknown): boolean {
  return value === undefined || value === null || value === "" || (typeof value === "number" && Number.isNaN(value));
}

/** Numbers before booleans before text before other values (arrays, objects). */
function typeRank(value: unknown): number {
  if (typeof value === "number") return 0;
  if (typeof value === "boolean") return 1;
  if (typeof value === "string") return 2;
  return 3;
}

/**
 * Compare two cell values in a direction. Missing values (undefined, null, "", NaN) always go last,
 * NaN before truly missing ones; numbers compare numerically, text naturally ("run-2" < "run-10").
 */
export function compareValues(a: unknown, b: unknown, direction: SortDirection): number {
  const aMissing = isMissing(a);
  const bMissing = isMissing(b);
  if (aMissing || bMissing) {
    if (aMissing && bMissing) {
      const aNaN = typeof a === "number" ? 0 : 1;
      const bNaN = typeof b === "number" ? 0 : 1;
      return aNaN - bNaN;
    }
    return aMissing ? 1 : -1;
  }
  const sign = direction === "asc" ? 1 : -1;
  const rankDifference = typeRank(a) - typeRank(b);
  if (rankDifference) return sign * rankDifference;
  if (typeof a === "number" && typeof b === "number") {
    return a === b ? 0 : sign * (a < b ? -1 : 1);
  }
  if (typeof a === "boolean" && typeof b === "boolean") return sign * (Number(a) - Number(b));
  const aText = typeof a === "string" ? a : JSON.stringify(a);
  const bText = typeof b === "string" ? b : JSON.stringify(b);
  return sign * naturalCollator.compare(aText, bText);
}

/** A sorted copy; ties keep the incoming order (newest first from the API). */
export function sortRows(rows: readonly Row[], sort: SortSpec | null, now: number): Row[] {
  if (!sort) return [...rows];
  const keyed = rows.map((row, index) => ({ row, index, value: cellValue(row, sort.key, now) }));
  keyed.sort((a, b) => compareValues(a.value, b.value, sort.direction) || a.index - b.index);
  return keyed.map((item) => item.row);
}

// ------------------------------------------------------------------ the query box

export type Operator = "=" | "!=" | ">" | ">=" | "<" | "<=";

export interface Condition {
  key: string;
  operator: Operator;
  value: string;
  /** The condition as typed, for messages. */
  text: string;
}

export interface ParsedQuery {
  conditions: Condition[];
  errors: string[];
}

/** Split on spaces outside double quotes. */
function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let current = "";
  let quoted = false;
  let started = false;
  for (const char of text) {
    if (char === '"') {
      quoted = !quoted;
      started = true;
      current += char;
    } else if (/\s/.test(char) && !quoted) {
      if (started) tokens.push(current);
      current = "";
      started = false;
    } else {
      current += char;
      started = true;
    }
  }
  if (started) tokens.push(current);
  return tokens;
}

const CONDITION = /^([^<>=!"]+?)\s*(>=|<=|!=|==|=|>|<)\s*(.*)$/s;

/** `lr>0.01 optimizer=adam model.layers>=4 name="a b"` → conditions, plus a message per bad part. */
export function parseQuery(text: string): ParsedQuery {
  const conditions: Condition[] = [];
  const errors: string[] = [];
  for (const token of tokenize(text)) {
    const match = CONDITION.exec(token);
    if (!match) {
      errors.push(`"${token}" is not a condition: write key, operator and value, e.g. lr>0.01 or optimizer=adam`);
      continue;
    }
    const [, rawKey, rawOperator, rawValue] = match;
    const key = rawKey.trim();
    let value = rawValue.trim();
    if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
    else if (value.includes('"')) {
      errors.push(`"${token}" has an unclosed quote`);
      continue;
    }
    if (!value) {
      errors.push(`"${token}" needs a value after ${rawOperator}`);
      continue;
    }
    const operator = (rawOperator === "==" ? "=" : rawOperator) as Operator;
    conditions.push({ key, operator, value, text: token });
  }
  return { conditions, errors };
}

export interface ResolvedCondition extends Condition {
  source: "config" | "summary";
  name: string;
}

export interface ResolvedQuery {
  conditions: ResolvedCondition[];
  errors: string[];
}

/**
 * Match condition keys to config keys or summary names (a config key wins; `config.x` and
 * `summary.x` say which). Unknown keys become messages and their conditions are left out.
 */
export function resolveQuery(parsed: ParsedQuery, discovered: DiscoveredColumns): ResolvedQuery {
  const configKeys = new Set(discovered.config.map((item) => item.key));
  const summaryKeys = new Set(discovered.summary.map((item) => item.key));
  const conditions: ResolvedCondition[] = [];
  const errors = [...parsed.errors];
  for (const condition of parsed.conditions) {
    const { key } = condition;
    let resolved: ResolvedCondition | null = null;
    if (configKeys.has(key)) resolved = { ...condition, source: "config", name: key };
    else if (summaryKeys.has(key)) resolved = { ...condition, source: "summary", name: key };
    else if (key.startsWith("config.") && configKeys.has(key.slice(7))) {
      resolved = { ...condition, source: "config", name: key.slice(7) };
    } else if (key.startsWith("summary.") && summaryKeys.has(key.slice(8))) {
      resolved = { ...condition, source: "summary", name: key.slice(8) };
    }
    if (resolved) conditions.push(resolved);
    else errors.push(`Unknown key "${key}": no run has a config key or summary value of that name${suggest(key, configKeys, summaryKeys)}`);
  }
  return { conditions, errors };
}

function suggest(key: string, ...sets: Set<string>[]): string {
  const lower = key.toLowerCase();
  const all = sets.flatMap((set) => [...set]);
  const close = all.filter((candidate) => {
    const other = candidate.toLowerCase();
    return other.includes(lower) || lower.includes(other) || other.endsWith(`.${lower}`) || other.endsWith(`/${lower}`);
  });
  return close.length ? ` (did you mean ${close.slice(0, 3).join(", ")}?)` : "";
}

/** The condition's value as a number ("NaN", "inf" included), or null when it is text. */
function numberOf(text: string): number | null {
  const lower = text.toLowerCase();
  if (lower === "nan") return Number.NaN;
  if (lower === "inf" || lower === "infinity" || lower === "+inf") return Number.POSITIVE_INFINITY;
  if (lower === "-inf" || lower === "-infinity") return Number.NEGATIVE_INFINITY;
  if (text.trim() === "") return null;
  const number = Number(text);
  return Number.isNaN(number) ? null : number;
}

function ordered(difference: number, operator: Operator): boolean {
  switch (operator) {
    case "=":
      return difference === 0;
    case "!=":
      return difference !== 0;
    case ">":
      return difference > 0;
    case ">=":
      return difference >= 0;
    case "<":
      return difference < 0;
    case "<=":
      return difference <= 0;
  }
}

/**
 * Does a value satisfy `operator value`? A missing value only satisfies `!=`. Numbers compare
 * numerically (NaN equals only NaN and is never greater or smaller), the rest as text,
 * case-insensitive and natural.
 */
export function matchesValue(actual: unknown, operator: Operator, expected: string): boolean {
  if (actual === undefined || actual === null) return operator === "!=";
  const expectedNumber = numberOf(expected);
  let actualNumber: number | null = null;
  if (typeof actual === "number") actualNumber = actual;
  else if (typeof actual === "boolean") actualNumber = null;
  else if (typeof actual === "string") actualNumber = numberOf(actual);
  if (actualNumber !== null && expectedNumber !== null) {
    if (Number.isNaN(actualNumber) || Number.isNaN(expectedNumber)) {
      const same = Number.isNaN(actualNumber) && Number.isNaN(expectedNumber);
      if (operator === "=") return same;
      if (operator === "!=") return !same;
      return false;
    }
    const difference = actualNumber === expectedNumber ? 0 : actualNumber > expectedNumber ? 1 : -1;
    return ordered(difference, operator);
  }
  const text = typeof actual === "string" ? actual : JSON.stringify(actual);
  return ordered(naturalCollator.compare(text, expected), operator);
}

export function matchesConditions(row: Row, conditions: readonly ResolvedCondition[]): boolean {
  return conditions.every((condition) => {
    const actual = condition.source === "config" ? row.config[condition.name] : row.summary[condition.name];
    return matchesValue(actual, condition.operator, condition.value);
  });
}

// ------------------------------------------------------------------ filters

export const PROBLEM_STATUS = "failed_or_crashed";
export type StatusFilter = "" | RunStatus | typeof PROBLEM_STATUS;

export const STATUS_FILTER_OPTIONS: { value: StatusFilter; label: string }[] = [
  { value: "", label: "All statuses" },
  { value: "running", label: "Running" },
  { value: "pending", label: "Pending" },
  { value: "finished", label: "Finished" },
  { value: "failed", label: "Failed" },
  { value: "crashed", label: "Crashed" },
  { value: "canceled", label: "Canceled" },
  { value: PROBLEM_STATUS, label: "Crashed or failed" },
];

export function matchesStatus(status: RunStatus, filter: string): boolean {
  if (!filter || filter === "all") return true;
  if (filter === PROBLEM_STATUS) return status === "failed" || status === "crashed";
  return status === filter;
}

export interface RunFilters {
  name?: string;
  status?: string;
  tag?: string;
  query?: string;
}

export interface FilterResult {
  rows: Row[];
  /** Messages about the query box (bad syntax, unknown keys); the rest of the query still applies. */
  errors: string[];
}

/** Rows whose name contains `name` (any case), with the status, carrying the tag, matching the query. */
export function filterRows(rows: readonly Row[], filters: RunFilters, discovered: DiscoveredColumns): FilterResult {
  const name = filters.name?.trim().toLowerCase() ?? "";
  const tag = filters.tag?.trim().toLowerCase() ?? "";
  const status = filters.status ?? "";
  const { conditions, errors } = resolveQuery(parseQuery(filters.query ?? ""), discovered);
  const kept = rows.filter(
    (row) =>
      (!name || row.run.name.toLowerCase().includes(name)) &&
      matchesStatus(row.run.status, status) &&
      (!tag || row.run.tags.some((candidate) => candidate.toLowerCase() === tag)) &&
      matchesConditions(row, conditions),
  );
  return { rows: kept, errors };
}

/** Every tag of the runs, sorted, for the tag filter's suggestions. */
export function allTags(rows: readonly Row[]): string[] {
  const tags = new Set<string>();
  for (const row of rows) for (const tag of row.run.tags) tags.add(tag);
  return [...tags].sort(naturalCollator.compare);
}

// ------------------------------------------------------------------ selection

export const MAX_COMPARE = 50;

/** Ids to compare, in table order, or a reason why the button is disabled. */
export function compareSelection(selected: ReadonlySet<string>, orderedIds: readonly string[]): { ids: string[]; problem: string | null } {
  const inOrder = orderedIds.filter((id) => selected.has(id));
  const rest = [...selected].filter((id) => !inOrder.includes(id));
  const ids = [...inOrder, ...rest];
  if (ids.length < 2) return { ids, problem: "Select at least two runs to compare" };
  if (ids.length > MAX_COMPARE) return { ids, problem: `Compare at most ${MAX_COMPARE} runs at once` };
  return { ids, problem: null };
}
