import { describe, expect, it } from "vitest";
import type { MetricDigest, RunSummary } from "../types";
import { PALETTE, assignColors, colorAt, diffConfigs, flattenConfig, metricVersion, parseRunIds, stableKey, unionMetricNames } from "./compare";

describe("colors", () => {
  it("gives each run its own color, stable by order", () => {
    const colors = assignColors(["a", "b", "a", "c"]);
    expect(colors).toEqual({ a: PALETTE[0], b: PALETTE[1], c: PALETTE[2] });
  });

  it("keeps producing distinct colors past the palette", () => {
    const many = Array.from({ length: 50 }, (_, index) => colorAt(index));
    expect(new Set(many).size).toBe(50);
    expect(colorAt(PALETTE.length)).toMatch(/^hsl\(/);
  });
});

describe("flattenConfig", () => {
  it("flattens nested objects with dots and keeps arrays and empty objects", () => {
    expect(flattenConfig({ lr: 0.1, optim: { name: "adam", betas: [0.9, 0.99], sched: { warmup: 5 } }, extra: {} })).toEqual({
      lr: 0.1,
      "optim.name": "adam",
      "optim.betas": [0.9, 0.99],
      "optim.sched.warmup": 5,
      extra: {},
    });
    expect(flattenConfig(null)).toEqual({});
  });
});

describe("diffConfigs", () => {
  it("marks keys whose values differ, missing keys included", () => {
    const rows = diffConfigs([
      { lr: 0.1, bs: 32, tags: [1, 2], only_a: true },
      { lr: 0.01, bs: 32, tags: [1, 2] },
    ]);
    expect(rows.map((row) => [row.key, row.differs])).toEqual([
      ["bs", false],
      ["lr", true],
      ["only_a", true],
      ["tags", false],
    ]);
    expect(rows[2].values).toEqual([true, undefined]);
  });

  it("compares objects regardless of key order and 1 vs '1' as different", () => {
    expect(stableKey({ a: 1, b: 2 })).toBe(stableKey({ b: 2, a: 1 }));
    expect(diffConfigs([{ x: 1 }, { x: "1" }])[0].differs).toBe(true);
  });
});

describe("metrics across runs", () => {
  const digest = (count: number, last_step: number): MetricDigest => ({ last: 1, last_step, min: 1, max: 1, count });
  const summary = (metrics: Record<string, MetricDigest>): RunSummary => ({ metrics, results: {} });

  it("unions metric names", () => {
    expect(unionMetricNames([{ summary: summary({ loss: digest(1, 1), acc: digest(1, 1) }) }, { summary: null }, { summary: summary({ lr: digest(1, 1) }) }])).toEqual(["acc", "loss", "lr"]);
  });

  it("versions a metric by its counts", () => {
    const runs = [{ summary: summary({ loss: digest(3, 2) }) }, { summary: null }];
    expect(metricVersion(runs, "loss")).toBe("3@2|-");
  });

  it("parses run ids from the query", () => {
    expect(parseRunIds(" a, b,,a,c ")).toEqual(["a", "b", "c"]);
    expect(parseRunIds(null)).toEqual([]);
  });
});

import { isRunId } from "./compare";

describe("isRunId", () => {
  it("accepts UUIDs only", () => {
    expect(isRunId("0f8fad5b-d9cb-469f-a165-70867728950e")).toBe(true);
    expect(isRunId("nope")).toBe(false);
  });
});
