// Parallel coordinates: one axis per config key that varies, a last axis for a metric.
import { formatConfigValue, formatNumber } from "./format";
import { stableKey } from "./compare";

export interface ParallelRun {
  id: string;
  name: string;
  /** Flattened config. */
  config: Record<string, unknown>;
  /** The chosen metric's value (null when the run has none or it is not finite). */
  metric: number | null;
}

export interface AxisTick {
  /** 0 (bottom) .. 1 (top). */
  position: number;
  label: string;
}

export interface ParallelAxis {
  key: string;
  kind: "numeric" | "categorical";
  /** A numeric axis on a log scale. */
  log?: boolean;
  ticks: AxisTick[];
  /** Position of a value on this axis, or null (missing / not on the axis). */
  position: (value: unknown) => number | null;
}

export interface ParallelLine {
  id: string;
  name: string;
  /** One position per axis (null: no value). */
  positions: (number | null)[];
  metric: number | null;
  /** 0..1 along the metric's range (null without a metric). */
  metricPosition: number | null;
}

export interface ParallelModel {
  axes: ParallelAxis[];
  lines: ParallelLine[];
}

function isNumber(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value);
}

/** Whether values are better read on a log axis: all positive and spanning 2+ decades (learning rates). */
export function wantsLog(values: readonly number[]): boolean {
  if (values.length < 2 || values.some((value) => value <= 0)) return false;
  return Math.max(...values) / Math.min(...values) >= 100;
}

/** A linear (or, for positive values over 2+ decades, log) axis over [min, max]; one value: in the middle. */
export function numericAxis(key: string, values: readonly number[], allowLog = true): ParallelAxis {
  const log = allowLog && wantsLog(values);
  const map = (value: number) => (log ? Math.log10(value) : value);
  const min = Math.min(...values.map(map));
  const max = Math.max(...values.map(map));
  const span = max - min;
  const position = (value: unknown) => {
    if (!isNumber(value) || (log && value <= 0)) return null;
    return span === 0 ? 0.5 : (map(value) - min) / span;
  };
  const unmap = (value: number) => (log ? Math.pow(10, value) : value);
  const ticks: AxisTick[] = span === 0
    ? [{ position: 0.5, label: formatNumber(unmap(min)) }]
    : [min, min + span / 2, max].map((value) => ({ position: (value - min) / span, label: formatNumber(unmap(value), 3) }));
  return { key, kind: "numeric", ticks, position, ...(log ? { log: true } : {}) };
}

/** Categories spread evenly bottom to top in sorted order (one category: in the middle). */
export function categoricalAxis(key: string, values: readonly unknown[]): ParallelAxis {
  const byKey = new Map<string, unknown>();
  for (const value of values) byKey.set(stableKey(value), value);
  const keys = [...byKey.keys()].sort((a, b) => formatConfigValue(byKey.get(a)).localeCompare(formatConfigValue(byKey.get(b)), "en", { numeric: true }));
  const step = keys.length > 1 ? 1 / (keys.length - 1) : 0;
  const where = new Map(keys.map((key, index) => [key, keys.length > 1 ? index * step : 0.5]));
  return {
    key,
    kind: "categorical",
    ticks: keys.map((key) => ({ position: where.get(key) as number, label: formatConfigValue(byKey.get(key)) })),
    position: (value) => (value === undefined ? null : where.get(stableKey(value)) ?? null),
  };
}

/** Config keys whose values are not all the same across the runs (missing counts as a value). */
export function varyingKeys(runs: readonly ParallelRun[]): string[] {
  const keys = new Set<string>();
  for (const run of runs) for (const key of Object.keys(run.config)) keys.add(key);
  return [...keys]
    .filter((key) => new Set(runs.map((run) => stableKey(run.config[key]))).size > 1)
    .sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
}

export const METRIC_AXIS_KEY = "\u0000metric";

export function buildParallel(runs: readonly ParallelRun[], metricLabel: string, maxAxes = 12): ParallelModel {
  const axes: ParallelAxis[] = [];
  for (const key of varyingKeys(runs).slice(0, maxAxes)) {
    const present = runs.map((run) => run.config[key]).filter((value) => value !== undefined && value !== null);
    if (!present.length) continue;
    axes.push(present.every(isNumber) ? numericAxis(key, present) : categoricalAxis(key, present));
  }
  const metrics = runs.map((run) => run.metric).filter(isNumber);
  const metricAxis = metrics.length ? numericAxis(metricLabel, metrics, false) : { ...numericAxis(metricLabel, [0], false), ticks: [] };
  axes.push({ ...metricAxis, key: METRIC_AXIS_KEY });
  const lines = runs.map((run) => {
    const positions = axes.map((axis) => (axis.key === METRIC_AXIS_KEY ? (metrics.length ? axis.position(run.metric) : null) : axis.position(run.config[axis.key])));
    const metricPosition = metrics.length && isNumber(run.metric) ? metricAxis.position(run.metric) : null;
    return { id: run.id, name: run.name, positions, metric: isNumber(run.metric) ? run.metric : null, metricPosition };
  });
  return { axes, lines };
}

/** A color from blue (0) through purple to orange-red (1) for the metric's position; grey without. */
export function metricColor(position: number | null): string {
  if (position === null) return "#9aa3b2";
  const t = Math.max(0, Math.min(1, position));
  const stops: [number, number, number][] = [
    [49, 99, 206],
    [146, 82, 178],
    [232, 96, 45],
  ];
  const scaled = t * (stops.length - 1);
  const index = Math.min(stops.length - 2, Math.floor(scaled));
  const local = scaled - index;
  const [a, b] = [stops[index], stops[index + 1]];
  const channel = (i: number) => Math.round(a[i] + (b[i] - a[i]) * local);
  return `rgb(${channel(0)}, ${channel(1)}, ${channel(2)})`;
}

/** SVG path segments of one line (a break wherever a position is null). */
export function linePath(positions: readonly (number | null)[], xs: readonly number[], top: number, height: number): string {
  let path = "";
  let pen = false;
  positions.forEach((position, index) => {
    if (position === null) {
      pen = false;
      return;
    }
    const y = top + (1 - position) * height;
    path += `${pen ? "L" : "M"}${xs[index].toFixed(1)},${y.toFixed(1)}`;
    pen = true;
  });
  return path;
}

/** The line whose drawn y at `px` is closest to `py` (within `maxDistance`), or null. */
export function nearestLine(
  lines: readonly Pick<ParallelLine, "id" | "positions">[],
  xs: readonly number[],
  top: number,
  height: number,
  px: number,
  py: number,
  maxDistance = 24,
): string | null {
  if (xs.length === 0) return null;
  let segment = 0;
  while (segment < xs.length - 2 && px > xs[segment + 1]) segment += 1;
  let best: string | null = null;
  let bestDistance = maxDistance;
  for (const line of lines) {
    let y: number | null = null;
    const a = line.positions[segment];
    const b = line.positions[segment + 1];
    if (xs.length === 1 || b === undefined) y = a;
    else if (a !== null && b !== null) {
      const t = Math.max(0, Math.min(1, (px - xs[segment]) / (xs[segment + 1] - xs[segment])));
      y = a + (b - a) * t;
    } else {
      // a break: the nearer axis' point, if it has one
      y = Math.abs(px - xs[segment]) < Math.abs(px - xs[segment + 1]) ? a : b;
    }
    if (y === null) continue;
    const distance = Math.abs(top + (1 - y) * height - py);
    if (distance < bestDistance) {
      bestDistance = distance;
      best = line.id;
    }
  }
  return best;
}

/** The metric the chart starts with: the one most runs have a value of; among those, one whose
 * name says loss, else the first given. */
export function defaultMetricChoice<T extends { value: string }>(choices: readonly T[], count: (choice: T) => number): T | undefined {
  let best: T | undefined;
  let bestScore = -1;
  for (const choice of choices) {
    const score = count(choice) * 2 + (/loss/i.test(choice.value) ? 1 : 0);
    if (score > bestScore) {
      best = choice;
      bestScore = score;
    }
  }
  return best;
}

/** A label cut to `max` characters, keeping its end (the distinctive part of a dotted key). */
export function shortLabel(label: string, max: number): string {
  if (label.length <= max) return label;
  return `…${label.slice(label.length - (max - 1))}`;
}
