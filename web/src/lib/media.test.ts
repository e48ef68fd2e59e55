import { describe, expect, it } from "vitest";
import { firstAtStep, histogramBars, itemsAtStep, linkExpired, mediaSteps, nearestStepIndex, sampleSteps } from "./media";

describe("media steps", () => {
  const items = [
    { step: 5, created_at: "2024-01-01T00:00:02Z", id: "b" },
    { step: 1, created_at: "2024-01-01T00:00:00Z", id: "a" },
    { step: 5, created_at: "2024-01-01T00:00:01Z", id: "c" },
  ];

  it("lists distinct steps ascending", () => {
    expect(mediaSteps(items)).toEqual([1, 5]);
  });

  it("finds the items at a step, oldest first", () => {
    expect(itemsAtStep(items, 5).map((item) => item.id)).toEqual(["c", "b"]);
    expect(itemsAtStep(items, null)).toEqual([]);
  });

  it("finds the nearest step, the last by default", () => {
    expect(nearestStepIndex([1, 5, 10], null)).toBe(2);
    expect(nearestStepIndex([1, 5, 10], 4)).toBe(1);
    expect(nearestStepIndex([1, 5, 10], 100)).toBe(2);
    expect(nearestStepIndex([], 3)).toBe(-1);
  });
});

describe("linkExpired", () => {
  it("is true once the link is (almost) expired", () => {
    const now = Date.parse("2024-01-01T00:05:00Z");
    expect(linkExpired("2024-01-01T00:04:00Z", now)).toBe(true);
    expect(linkExpired("2024-01-01T00:05:10Z", now)).toBe(true);
    expect(linkExpired("2024-01-01T00:10:00Z", now)).toBe(false);
    expect(linkExpired(null, now)).toBe(false);
  });
});

describe("histogramBars", () => {
  it("scales bins to the box with the tallest bar full height", () => {
    const bars = histogramBars([0, 1, 3], [2, 4], 300, 100);
    expect(bars).toEqual([
      { x: 0, y: 50, width: 100, height: 50, from: 0, to: 1, count: 2 },
      { x: 100, y: 0, width: 200, height: 100, from: 1, to: 3, count: 4 },
    ]);
  });

  it("copes with empty and degenerate histograms", () => {
    expect(histogramBars([0], [], 100, 100)).toEqual([]);
    expect(histogramBars([1, 1], [0], 100, 100)[0]).toMatchObject({ width: 100, height: 0 });
  });
});

describe("sampleSteps", () => {
  it("keeps every step when they fit", () => {
    expect(sampleSteps([1, 2, 3], 5)).toEqual([1, 2, 3]);
  });

  it("spreads the picks evenly, the first and last included", () => {
    const steps = Array.from({ length: 100 }, (_, index) => index * 10);
    const picked = sampleSteps(steps, 5);
    expect(picked).toEqual([0, 250, 500, 740, 990]);
  });
});

describe("firstAtStep", () => {
  it("gives each run its first item at the step", () => {
    const items = [
      { run_id: "a", step: 1, created_at: "2026-01-01T00:00:02Z", id: "a2" },
      { run_id: "a", step: 1, created_at: "2026-01-01T00:00:01Z", id: "a1" },
      { run_id: "b", step: 2, created_at: "2026-01-01T00:00:01Z", id: "b2" },
    ];
    const byRun = firstAtStep(items, 1);
    expect([...byRun.entries()].map(([run, item]) => [run, item.id])).toEqual([["a", "a1"]]);
  });
});
