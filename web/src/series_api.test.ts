import { describe, expect, it } from "vitest";
import { bucketsFromColumns } from "./series_api";

describe("bucketsFromColumns", () => {
  it("turns parallel arrays into one bucket per index, times as RFC 3339", () => {
    const buckets = bucketsFromColumns({
      step_start: [0, 16],
      step_end: [15, 31],
      count: [16, 9],
      min: [0.5, "NaN"],
      max: [2, null],
      mean: [1.25, null],
      last: [0.75, "Infinity"],
      last_step: [15, 30],
      last_logged_ms: [1_795_428_930_123, null],
    });
    expect(buckets).toEqual([
      { step_start: 0, step_end: 15, count: 16, min: 0.5, max: 2, mean: 1.25, last: 0.75, last_step: 15, last_logged_at: "2026-11-23T10:15:30.123Z" },
      { step_start: 16, step_end: 31, count: 9, min: "NaN", max: null, mean: null, last: "Infinity", last_step: 30, last_logged_at: "" },
    ]);
  });

  it("gives no buckets for empty columns", () => {
    const empty = { step_start: [], step_end: [], count: [], min: [], max: [], mean: [], last: [], last_step: [], last_logged_ms: [] };
    expect(bucketsFromColumns(empty)).toEqual([]);
  });
});
