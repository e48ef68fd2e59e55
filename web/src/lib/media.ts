// Media of a run: steps for the slider, items at a step, histogram bars, expired links.
import type { MediaItem } from "../types";

/** The distinct steps of the items, ascending. */
export function mediaSteps(items: readonly Pick<MediaItem, "step">[]): number[] {
  return [...new Set(items.map((item) => item.step))].sort((a, b) => a - b);
}

/** The items logged at `step`, oldest first. */
export function itemsAtStep<T extends Pick<MediaItem, "step" | "created_at">>(items: readonly T[], step: number | null): T[] {
  if (step === null) return [];
  return items.filter((item) => item.step === step).sort((a, b) => a.created_at.localeCompare(b.created_at));
}

/** Index in `steps` of the step closest to `wanted` (the last one when wanted is null). */
export function nearestStepIndex(steps: readonly number[], wanted: number | null): number {
  if (!steps.length) return -1;
  if (wanted === null || !Number.isFinite(wanted)) return steps.length - 1;
  let best = 0;
  for (let index = 1; index < steps.length; index += 1) {
    if (Math.abs(steps[index] - wanted) < Math.abs(steps[best] - wanted)) best = index;
  }
  return best;
}

/** Whether a presigned link has expired (or will within `marginMs`). */
export function linkExpired(expiresAt: string | null | undefined, now = Date.now(), marginMs = 15_000): boolean {
  if (!expiresAt) return false;
  const at = Date.parse(expiresAt);
  return !Number.isNaN(at) && at - marginMs <= now;
}

export interface HistogramBar {
  x: number;
  y: number;
  width: number;
  height: number;
  from: number;
  to: number;
  count: number;
}

/** Bars of a histogram (bin edges, one more than counts) in a width × height box, y down. */
export function histogramBars(bins: readonly number[], counts: readonly number[], width: number, height: number): HistogramBar[] {
  const n = Math.min(counts.length, bins.length - 1);
  if (n <= 0) return [];
  const low = bins[0];
  const high = bins[n];
  const span = high - low;
  const top = Math.max(0, ...counts.slice(0, n).filter((count) => Number.isFinite(count)));
  const bars: HistogramBar[] = [];
  for (let index = 0; index < n; index += 1) {
    const from = bins[index];
    const to = bins[index + 1];
    const count = Number.isFinite(counts[index]) ? counts[index] : 0;
    const x = span > 0 ? ((from - low) / span) * width : (index / n) * width;
    const w = span > 0 ? ((to - from) / span) * width : width / n;
    const h = top > 0 ? (count / top) * height : 0;
    bars.push({ x, y: height - h, width: Math.max(0, w), height: h, from, to, count });
  }
  return bars;
}

/** At most `max` of the steps, evenly spread, the first and the last always among them. */
export function sampleSteps(steps: readonly number[], max: number): number[] {
  if (steps.length <= max) return steps.slice();
  if (max <= 1) return steps.slice(-1);
  const picked = new Set<number>();
  for (let index = 0; index < max; index += 1) picked.add(Math.round((index * (steps.length - 1)) / (max - 1)));
  return [...picked].sort((a, b) => a - b).map((index) => steps[index]);
}

/** Each run's first item at `step` (runs without one left out). */
export function firstAtStep<T extends Pick<MediaItem, "run_id" | "step" | "created_at">>(items: readonly T[], step: number | null): Map<string, T> {
  const byRun = new Map<string, T>();
  for (const item of itemsAtStep(items, step)) if (!byRun.has(item.run_id)) byRun.set(item.run_id, item);
  return byRun;
}
