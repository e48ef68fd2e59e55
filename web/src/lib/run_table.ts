// The run table's logic as pure functions: columns, cell values, sort specs, filters and selection
// (the server searches and sorts: run_search.ts).
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

export interface RunFilters {
  name?: string;
  status?: string;
  tag?: string;
  query?: string;
}

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
