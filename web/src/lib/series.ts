// Metric buckets from the API → the column arrays uPlot draws (gaps, time axis, log scale, smoothing).
import { metricNumber, type MetricValue, type SeriesBucket } from "../types";
import { emaSmooth, MAX_SMOOTHING } from "./smoothing";

/** step: the logged step; time: wall-clock time; relative: seconds since the first point drawn. */
export type XAxisMode = "step" | "time" | "relative";

/** A value uPlot can draw: a finite number, or null (a gap). NaN and ±Infinity become gaps. */
export function plotNumber(value: MetricValue | null | undefined): number | null {
  const number = metricNumber(value ?? null);
  return number !== null && Number.isFinite(number) ? number : null;
}

/** The value a bucket is drawn at: its mean, or its last value when it has no finite mean. */
export function bucketValue(bucket: SeriesBucket): number | null {
  const mean = plotNumber(bucket.mean);
  return mean !== null ? mean : plotNumber(bucket.last);
}

/** Whether every bucket says when it was logged (the time axis needs it). */
export function hasTimes(buckets: readonly SeriesBucket[]): boolean {
  return buckets.length > 0 && buckets.every((bucket) => typeof bucket.last_logged_at === "string" && !Number.isNaN(Date.parse(bucket.last_logged_at)));
}

export interface PlotPoint {
  /** Step, or seconds since the epoch on the time axis. */
  x: number;
  step: number;
  value: number | null;
  min: number | null;
  max: number | null;
}

/** One point per bucket at its last step (or its logging time), sorted by x; one point per x. */
export function bucketPoints(buckets: readonly SeriesBucket[], mode: XAxisMode): PlotPoint[] {
  const byX = new Map<number, PlotPoint>();
  for (const bucket of buckets) {
    const step = Number.isFinite(bucket.last_step) ? bucket.last_step : (bucket.step_start + bucket.step_end) / 2;
    let x = step;
    if (mode === "time") {
      const time = bucket.last_logged_at ? Date.parse(bucket.last_logged_at) : Number.NaN;
      if (Number.isNaN(time)) continue;
      x = time / 1000;
    }
    byX.set(x, { x, step, value: bucketValue(bucket), min: plotNumber(bucket.min), max: plotNumber(bucket.max) });
  }
  return [...byX.values()].sort((a, b) => a.x - b.x);
}

/** For a log axis: non-positive values become gaps. Returns the values and how many were dropped. */
export function logFilter(values: readonly (number | null)[]): { values: (number | null)[]; dropped: number } {
  let dropped = 0;
  const out = values.map((value) => {
    if (value !== null && value <= 0) {
      dropped += 1;
      return null;
    }
    return value;
  });
  return { values: out, dropped };
}

export interface PlotLine {
  label: string;
  color: string;
  buckets: readonly SeriesBucket[];
}

export interface PlotOptions {
  xAxis: XAxisMode;
  logScale: boolean;
  smoothing: number;
  /** Draw the min/max band of each line. */
  bands: boolean;
}

export type ColumnRole = "min" | "max" | "raw" | "main";

export interface PlotColumn {
  role: ColumnRole;
  /** Index of the PlotLine the column belongs to. */
  line: number;
}

/** uPlot columns: null is a gap, undefined means "this line has no point at this x" (spanned). */
export type PlotValue = number | null | undefined;

export interface PlotModel {
  /** xs first, then one array per column. */
  data: [number[], ...PlotValue[][]];
  columns: PlotColumn[];
  /** Per line, the step at each x (undefined where the line has no point). */
  steps: (number | undefined)[][];
  /** The x axis actually used: "time" falls back to "step" when a line has no logging times. */
  xAxis: XAxisMode;
  /** Points left out of the log plot because they are ≤ 0. */
  droppedForLog: number;
  /** Points that are NaN or infinite (drawn as gaps). */
  nonFinite: number;
}

/** Column index (into `data`, so ≥ 1) of a line's main column. */
export function mainColumn(model: PlotModel, line: number): number {
  const index = model.columns.findIndex((column) => column.line === line && column.role === "main");
  return index < 0 ? -1 : index + 1;
}

/** The structure of the columns, to know when a chart must be rebuilt rather than given new data. */
export function columnsKey(columns: readonly PlotColumn[]): string {
  return columns.map((column) => `${column.line}${column.role[0]}`).join(",");
}

export function buildPlot(lines: readonly PlotLine[], options: PlotOptions): PlotModel {
  const timeOk = options.xAxis !== "step" && lines.some((line) => line.buckets.length > 0) &&
    lines.every((line) => line.buckets.length === 0 || hasTimes(line.buckets));
  const xAxis: XAxisMode = timeOk ? options.xAxis : "step";
  const smoothing = options.smoothing > 0 ? options.smoothing : 0;
  const perLine = lines.map((line) => bucketPoints(line.buckets, xAxis === "step" ? "step" : "time"));
  if (xAxis === "relative") relativeToFirst(perLine);

  const xSet = new Set<number>();
  for (const points of perLine) for (const point of points) xSet.add(point.x);
  const xs = [...xSet].sort((a, b) => a - b);
  const xIndex = new Map(xs.map((x, index) => [x, index]));

  const columns: PlotColumn[] = [];
  const arrays: PlotValue[][] = [];
  const steps: (number | undefined)[][] = [];
  let droppedForLog = 0;
  let nonFinite = 0;

  const place = (points: PlotPoint[], values: readonly (number | null)[]): PlotValue[] => {
    const column: PlotValue[] = new Array<PlotValue>(xs.length).fill(undefined);
    points.forEach((point, index) => {
      column[xIndex.get(point.x) as number] = values[index];
    });
    return column;
  };

  perLine.forEach((points, line) => {
    for (const bucket of lines[line].buckets) if (bucketValue(bucket) === null) nonFinite += 1;
    const stepColumn: (number | undefined)[] = new Array<number | undefined>(xs.length).fill(undefined);
    for (const point of points) stepColumn[xIndex.get(point.x) as number] = point.step;
    steps.push(stepColumn);

    let raw = points.map((point) => point.value);
    let smooth = smoothing ? (emaSmooth(raw, smoothing) as (number | null)[]) : raw;
    let mins = points.map((point) => point.min);
    let maxs = points.map((point) => point.max);
    if (options.logScale) {
      const filtered = logFilter(raw);
      droppedForLog += filtered.dropped;
      raw = filtered.values;
      smooth = logFilter(smooth).values;
      mins = logFilter(mins).values;
      maxs = logFilter(maxs).values;
    }
    if (options.bands) {
      // upper edge first, as uPlot bands expect
      columns.push({ role: "max", line }, { role: "min", line });
      arrays.push(place(points, maxs), place(points, mins));
    }
    if (smoothing) {
      columns.push({ role: "raw", line });
      arrays.push(place(points, raw));
    }
    columns.push({ role: "main", line });
    arrays.push(place(points, smoothing ? smooth : raw));
  });

  return { data: [xs, ...arrays], columns, steps, xAxis, droppedForLog, nonFinite };
}

/** Wall-clock xs made seconds since the earliest point of any line. */
function relativeToFirst(perLine: PlotPoint[][]): void {
  let first = Number.POSITIVE_INFINITY;
  for (const points of perLine) if (points.length) first = Math.min(first, points[0].x);
  if (!Number.isFinite(first)) return;
  for (const points of perLine) for (const point of points) point.x -= first;
}

export interface MetricSection {
  /** The part of the names before the first "/" ("" for names without one). */
  prefix: string;
  names: string[];
}

/** Metrics grouped like W&B sections: no prefix first, then by prefix, `system` last. */
export function groupMetrics(names: readonly string[]): MetricSection[] {
  const sections = new Map<string, string[]>();
  for (const name of names) {
    const slash = name.indexOf("/");
    const prefix = slash > 0 ? name.slice(0, slash) : "";
    const list = sections.get(prefix) ?? [];
    list.push(name);
    sections.set(prefix, list);
  }
  const rank = (prefix: string) => (prefix === "" ? 0 : prefix === "system" ? 2 : 1);
  return [...sections.entries()]
    .map(([prefix, list]) => ({ prefix, names: list.sort((a, b) => a.localeCompare(b, "en", { numeric: true })) }))
    .sort((a, b) => rank(a.prefix) - rank(b.prefix) || a.prefix.localeCompare(b.prefix));
}

/** Names matching every whitespace-separated term of `search` (case-insensitive). */
export function filterMetrics(names: readonly string[], search: string): string[] {
  const terms = search.toLowerCase().split(/\s+/).filter(Boolean);
  if (!terms.length) return names.slice();
  return names.filter((name) => terms.every((term) => name.toLowerCase().includes(term)));
}

/** How many buckets to ask for so a chart of `width` CSS pixels stays sharp yet cheap. */
export function pointsForWidth(width: number): number {
  if (!Number.isFinite(width) || width <= 0) return 1000;
  return Math.max(100, Math.min(5000, Math.round(width * 1.5)));
}

export interface ChartSettings {
  xAxis: XAxisMode;
  logScale: boolean;
  smoothing: number;
}

/** Chart settings from the page's query (`x=time&log=1&smooth=0.6`), defaults otherwise. */
export function parseChartSettings(query: URLSearchParams): ChartSettings {
  const smoothing = Number.parseFloat(query.get("smooth") ?? "");
  return {
    xAxis: query.get("x") === "time" ? "time" : "step",
    logScale: query.get("log") === "1",
    smoothing: Number.isFinite(smoothing) ? Math.max(0, Math.min(MAX_SMOOTHING, smoothing)) : 0,
  };
}

/** The query parameters for chart settings (defaults left out so URLs stay short). */
export function chartSettingsQuery(settings: ChartSettings): Record<string, string | undefined> {
  return {
    x: settings.xAxis === "time" ? "time" : undefined,
    log: settings.logScale ? "1" : undefined,
    smooth: settings.smoothing > 0 ? String(settings.smoothing) : undefined,
  };
}
