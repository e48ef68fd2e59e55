// Comparing runs: one color per run, config flattening and diffing, the metrics they share.
import type { Run } from "../types";

/** Distinct, readable on light and dark backgrounds (Tableau 10 + extras). */
export const PALETTE = [
  "#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
  "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#8c8c8c",
  "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#17becf",
];

/** The color of the index-th run: the palette first, then hues spaced by the golden angle. */
export function colorAt(index: number): string {
  if (index < PALETTE.length) return PALETTE[index];
  const hue = Math.round((index * 137.508) % 360);
  return `hsl(${hue}, 62%, 50%)`;
}

/** One color per id, in the order given (the same run keeps its color in every chart). */
export function assignColors(ids: readonly string[]): Record<string, string> {
  const colors: Record<string, string> = {};
  let next = 0;
  for (const id of ids) if (!(id in colors)) colors[id] = colorAt(next++);
  return colors;
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Nested objects as dotted keys (`{opt: {lr: 1}}` → `{"opt.lr": 1}`); arrays stay values. */
export function flattenConfig(config: Record<string, unknown> | null | undefined, prefix = ""): Record<string, unknown> {
  const flat: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(config ?? {})) {
    const path = prefix ? `${prefix}.${key}` : key;
    if (isPlainObject(value) && Object.keys(value).length > 0) Object.assign(flat, flattenConfig(value, path));
    else flat[path] = value;
  }
  return flat;
}

/** A stable text for comparing config values (object keys sorted). */
export function stableKey(value: unknown): string {
  if (value === undefined) return "\u0000undefined";
  if (Array.isArray(value)) return `[${value.map(stableKey).join(",")}]`;
  if (isPlainObject(value)) {
    return `{${Object.keys(value).sort().map((key) => `${JSON.stringify(key)}:${stableKey(value[key])}`).join(",")}}`;
  }
  return JSON.stringify(value) ?? String(value);
}

export interface DiffRow {
  key: string;
  /** One value per config (undefined: the key is missing there). */
  values: unknown[];
  differs: boolean;
}

/** Every key of the flattened configs, sorted, marked when the values are not all the same. */
export function diffConfigs(configs: readonly Record<string, unknown>[]): DiffRow[] {
  const keys = new Set<string>();
  for (const config of configs) for (const key of Object.keys(config)) keys.add(key);
  return [...keys]
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }))
    .map((key) => {
      const values = configs.map((config) => (Object.prototype.hasOwnProperty.call(config, key) ? config[key] : undefined));
      const first = stableKey(values[0]);
      return { key, values, differs: values.some((value) => stableKey(value) !== first) };
    });
}

/** Names of the metrics any of the runs logged, sorted. */
export function unionMetricNames(runs: readonly Pick<Run, "summary">[]): string[] {
  const names = new Set<string>();
  for (const run of runs) for (const name of Object.keys(run.summary?.metrics ?? {})) names.add(name);
  return [...names].sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

/** Changes whenever any run logged more of the metric (to know when to fetch its series again). */
export function metricVersion(runs: readonly Pick<Run, "summary">[], name: string): string {
  return runs
    .map((run) => {
      const digest = run.summary?.metrics[name];
      return digest ? `${digest.count}@${digest.last_step ?? ""}` : "-";
    })
    .join("|");
}

/** Ids from `?runs=a,b,,c` (trimmed, no duplicates, order kept). */
export function parseRunIds(text: string | null): string[] {
  return [...new Set((text ?? "").split(",").map((part) => part.trim()).filter(Boolean))];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Whether `text` is a run id the API could know (a UUID). */
export function isRunId(text: string): boolean {
  return UUID.test(text);
}
