// Grouping runs by config keys (sweeps, seeds): runs sharing the values of the keys form a group,
// drawn as one line (the mean at each step) with a band (min-max, or ± one standard deviation).
import type { Run, SeriesBucket } from "../types";
import { flattenConfig, stableKey } from "./compare";
import { formatConfigValue } from "./format";
import type { GroupBand } from "./layout";
import { bucketValue } from "./series";

export interface RunGroup {
  /** Stable identity of the group: its values, encoded. */
  key: string;
  /** "lr=0.01 · optimizer=adam" */
  label: string;
  runIds: string[];
}

/** Text for a config value in a group's label ("–" where a run lacks the key). */
function valueLabel(value: unknown): string {
  return value === undefined ? "–" : formatConfigValue(value);
}

/** The runs grouped by the values of `keys` (flattened, dotted config keys), groups in the order
 * their first run comes; no keys: no groups. */
export function groupRuns(runs: readonly Pick<Run, "id" | "config">[], keys: readonly string[]): RunGroup[] {
  if (!keys.length) return [];
  const groups = new Map<string, RunGroup>();
  for (const run of runs) {
    const config = flattenConfig(run.config);
    const values = keys.map((key) => config[key]);
    const key = values.map((value) => (value === undefined ? "\u0000" : stableKey(value))).join("\u0001");
    let group = groups.get(key);
    if (!group) {
      group = { key, label: keys.map((name, index) => `${name}=${valueLabel(values[index])}`).join(" · "), runIds: [] };
      groups.set(key, group);
    }
    group.runIds.push(run.id);
  }
  return [...groups.values()];
}

/** Config keys worth grouping by: those with more than one value among the runs, then those all
 * runs share, each sorted. */
export function groupingKeys(runs: readonly Pick<Run, "config">[]): string[] {
  const values = new Map<string, Set<string>>();
  for (const run of runs) {
    for (const [key, value] of Object.entries(flattenConfig(run.config))) {
      const seen = values.get(key) ?? new Set<string>();
      seen.add(stableKey(value));
      values.set(key, seen);
    }
  }
  const byName = (a: string, b: string) => a.localeCompare(b, "en", { numeric: true });
  const keys = [...values.keys()];
  const varying = keys.filter((key) => (values.get(key)?.size ?? 0) > 1).sort(byName);
  const constant = keys.filter((key) => (values.get(key)?.size ?? 0) <= 1).sort(byName);
  return [...varying, ...constant];
}

/** One series for a group: at each bucket (the runs' series share their buckets), the mean of the
 * runs' values, with `min`/`max` the band: the lowest and highest value (minmax), the mean ± one
 * standard deviation (std), or the mean itself (none). `count` is how many runs had a value. */
export function aggregateBuckets(seriesOfRuns: readonly (readonly SeriesBucket[])[], band: GroupBand): SeriesBucket[] {
  interface Slot {
    stepEnd: number;
    lastStep: number;
    loggedAt: string;
    values: number[];
  }
  const slots = new Map<number, Slot>();
  for (const buckets of seriesOfRuns) {
    for (const bucket of buckets) {
      let slot = slots.get(bucket.step_start);
      if (!slot) {
        slot = { stepEnd: bucket.step_end, lastStep: bucket.last_step, loggedAt: bucket.last_logged_at, values: [] };
        slots.set(bucket.step_start, slot);
      }
      slot.stepEnd = Math.max(slot.stepEnd, bucket.step_end);
      slot.lastStep = Math.max(slot.lastStep, bucket.last_step);
      if (bucket.last_logged_at > slot.loggedAt) slot.loggedAt = bucket.last_logged_at;
      const value = bucketValue(bucket);
      if (value !== null) slot.values.push(value);
    }
  }
  return [...slots.entries()]
    .sort(([a], [b]) => a - b)
    .map(([stepStart, slot]) => {
      const { values } = slot;
      const n = values.length;
      const mean = n ? values.reduce((total, value) => total + value, 0) / n : null;
      let low = mean;
      let high = mean;
      if (mean !== null && band === "minmax") {
        low = Math.min(...values);
        high = Math.max(...values);
      } else if (mean !== null && band === "std") {
        const std = Math.sqrt(values.reduce((total, value) => total + (value - mean) ** 2, 0) / n);
        low = mean - std;
        high = mean + std;
      }
      return {
        step_start: stepStart,
        step_end: slot.stepEnd,
        count: n,
        min: low,
        max: high,
        mean,
        last: mean ?? "NaN",
        last_step: slot.lastStep,
        last_logged_at: slot.loggedAt,
      };
    });
}

export const BAND_LABELS: Record<GroupBand, string> = { minmax: "min–max", std: "± std", none: "no band" };

/** Group keys from a query parameter ("lr,optimizer") and back. */
export function parseGroupKeys(text: string | null): string[] {
  return (text ?? "")
    .split(",")
    .map((key) => key.trim())
    .filter(Boolean)
    .slice(0, 5);
}

export function parseBand(text: string | null): GroupBand {
  return text === "std" || text === "none" ? text : "minmax";
}
