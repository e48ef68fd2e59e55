import { describe, expect, it } from "vitest";
import { clampWeight, emaSmooth } from "./smoothing";

describe("emaSmooth", () => {
  it("is the identity at weight 0", () => {
    expect(emaSmooth([1, 5, null, 3], 0)).toEqual([1, 5, null, 3]);
  });

  it("matches a hand-computed debiased EMA", () => {
    // w = 0.5: last = 0.5*1 = 0.5, /(1-0.5) = 1
    // then last = 0.25 + 1.5 = 1.75, /(1-0.25) = 2.3333…
    // then last = 0.875 + 2 = 2.875, /(1-0.125) = 3.2857…
    const out = emaSmooth([1, 3, 4], 0.5);
    expect(out[0]).toBeCloseTo(1, 10);
    expect(out[1]).toBeCloseTo(7 / 3, 10);
    expect(out[2]).toBeCloseTo(2.875 / 0.875, 10);
  });

  it("starts at the first value (debiased), not pulled towards 0", () => {
    expect(emaSmooth([10, 10, 10], 0.9)).toEqual([10, 10, 10].map(() => expect.closeTo(10, 10)));
  });

  it("keeps NaN, infinities and nulls as gaps without poisoning later points", () => {
    const out = emaSmooth([2, Number.NaN, null, Number.POSITIVE_INFINITY, 4], 0.5);
    expect(out[0]).toBeCloseTo(2);
    expect(Number.isNaN(out[1] as number)).toBe(true);
    expect(out[2]).toBeNull();
    expect(out[3]).toBe(Number.POSITIVE_INFINITY);
    // 4 is the second finite point: last = 0.5 * (0.5 * 2) + 0.5 * 4 = 2.5, debiased by 1 - 0.5² = 0.75
    expect(out[4]).toBeCloseTo(2.5 / 0.75, 10);
  });

  it("clamps the weight", () => {
    expect(clampWeight(-1)).toBe(0);
    expect(clampWeight(Number.NaN)).toBe(0);
    expect(clampWeight(1)).toBe(0.99);
    expect(clampWeight(0.6)).toBe(0.6);
  });
});
