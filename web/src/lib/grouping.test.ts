import { describe, expect, it } from "vitest";
import type { SeriesBucket } from "../types";
import { aggregateBuckets, groupingKeys, groupRuns, parseBand, parseGroupKeys } from "./grouping";

const RUNS = [
  { id: "a", config: { lr: 0.1, seed: 1, model: { depth: 2 } } },
  { id: "b", config: { lr: 0.1, seed: 2, model: { depth: 2 } } },
  { id: "c", config: { lr: 0.01, seed: 1, model: { depth: 2 } } },
  { id: "d", config: { seed: 3, model: { depth: 2 } } },
];

function bucket(step: number, value: number): SeriesBucket {
  return { step_start: step, step_end: step, count: 1, min: value, max: value, mean: value, last: value, last_step: step, last_logged_at: "2026-01-01T00:00:00Z" };
}

describe("groupRuns", () => {
  it("groups runs sharing the values of the keys, in the order of their first run", () => {
    const groups = groupRuns(RUNS, ["lr"]);
    expect(groups.map((group) => group.runIds)).toEqual([["a", "b"], ["c"], ["d"]]);
    expect(groups.map((group) => group.label)).toEqual(["lr=0.1", "lr=0.01", "lr=–"]);
  });

  it("groups by several keys, nested ones dotted", () => {
    expect(groupRuns(RUNS, ["model.depth", "seed"]).map((group) => group.runIds)).toEqual([["a", "c"], ["b"], ["d"]]);
  });

  it("makes no groups without keys", () => {
    expect(groupRuns(RUNS, [])).toEqual([]);
  });
});

describe("groupingKeys", () => {
  it("lists the keys that vary first", () => {
    expect(groupingKeys(RUNS)).toEqual(["lr", "seed", "model.depth"]);
  });
});

describe("aggregateBuckets", () => {
  const runs = [
    [bucket(0, 1), bucket(1, 2)],
    [bucket(0, 3), bucket(1, 4)],
    [bucket(0, 5)],
  ];

  it("draws the mean with the min-max band", () => {
    const out = aggregateBuckets(runs, "minmax");
    expect(out.map((item) => [item.step_start, item.mean, item.min, item.max, item.count])).toEqual([
      [0, 3, 1, 5, 3],
      [1, 3, 2, 4, 2],
    ]);
  });

  it("draws the mean ± one standard deviation", () => {
    const [first] = aggregateBuckets(runs, "std");
    const std = Math.sqrt(8 / 3);
    expect(first.min).toBeCloseTo(3 - std);
    expect(first.max).toBeCloseTo(3 + std);
  });

  it("leaves out values that are not finite", () => {
    const out = aggregateBuckets([[bucket(0, 1)], [{ ...bucket(0, 0), mean: "NaN", last: "NaN" }]], "none");
    expect(out[0]).toMatchObject({ mean: 1, min: 1, max: 1, count: 1 });
  });
});

describe("query parameters", () => {
  it("reads group keys and the band", () => {
    expect(parseGroupKeys(" lr, seed ,,")).toEqual(["lr", "seed"]);
    expect(parseBand("std")).toBe("std");
    expect(parseBand("other")).toBe("minmax");
  });
});
