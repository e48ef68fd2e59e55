import { describe, expect, it } from "vitest";
import { METRIC_AXIS_KEY, buildParallel, categoricalAxis, defaultMetricChoice, linePath, metricColor, numericAxis, shortLabel, varyingKeys, type ParallelRun } from "./parallel";

describe("axes", () => {
  it("scales numbers linearly between min and max", () => {
    const axis = numericAxis("lr", [0.1, 0.3, 0.2]);
    expect(axis.position(0.1)).toBe(0);
    expect(axis.position(0.3)).toBe(1);
    expect(axis.position(0.2)).toBeCloseTo(0.5);
    expect(axis.position("x")).toBeNull();
    expect(axis.ticks.map((tick) => tick.label)).toEqual(["0.1", "0.2", "0.3"]);
    expect(axis.log).toBeUndefined();
  });

  it("puts a single value in the middle", () => {
    expect(numericAxis("bs", [32, 32]).position(32)).toBe(0.5);
    expect(categoricalAxis("opt", ["adam"]).position("adam")).toBe(0.5);
  });

  it("spreads categories evenly in sorted order", () => {
    const axis = categoricalAxis("opt", ["sgd", "adam", "rmsprop", "adam"]);
    expect(axis.kind).toBe("categorical");
    expect(axis.ticks.map((tick) => [tick.label, tick.position])).toEqual([
      ["adam", 0],
      ["rmsprop", 0.5],
      ["sgd", 1],
    ]);
    expect(axis.position("sgd")).toBe(1);
    expect(axis.position("lion")).toBeNull();
    expect(axis.position(undefined)).toBeNull();
  });
});

describe("buildParallel", () => {
  const runs: ParallelRun[] = [
    { id: "a", name: "A", config: { lr: 0.1, bs: 32, opt: "adam" }, metric: 0.5 },
    { id: "b", name: "B", config: { lr: 0.3, bs: 32, opt: "sgd" }, metric: 1.5 },
    { id: "c", name: "C", config: { lr: 0.2, bs: 32 }, metric: null },
  ];

  it("keeps only keys that vary", () => {
    expect(varyingKeys(runs)).toEqual(["lr", "opt"]);
  });

  it("builds one axis per varying key plus the metric", () => {
    const model = buildParallel(runs, "loss");
    expect(model.axes.map((axis) => [axis.key, axis.kind])).toEqual([
      ["lr", "numeric"],
      ["opt", "categorical"],
      [METRIC_AXIS_KEY, "numeric"],
    ]);
    expect(model.lines[0].positions).toEqual([0, 0, 0]);
    expect(model.lines[1].positions).toEqual([1, 1, 1]);
    expect(model.lines[2].positions[0]).toBeCloseTo(0.5);
    expect(model.lines[2].positions[1]).toBeNull();
    expect(model.lines[2].positions[2]).toBeNull();
    expect(model.lines[1].metricPosition).toBe(1);
    expect(model.lines[2].metricPosition).toBeNull();
  });

  it("draws lines with breaks at missing values", () => {
    expect(linePath([1, null, 0, 0.5], [0, 10, 20, 30], 5, 100)).toBe("M0.0,5.0M20.0,105.0L30.0,55.0");
  });

  it("colors by metric position", () => {
    expect(metricColor(0)).toBe("rgb(49, 99, 206)");
    expect(metricColor(1)).toBe("rgb(232, 96, 45)");
    expect(metricColor(null)).toBe("#9aa3b2");
  });
});

import { nearestLine } from "./parallel";

describe("nearestLine", () => {
  const lines = [
    { id: "low", positions: [0, 0] },
    { id: "rising", positions: [0, 1] },
    { id: "gap", positions: [null, 0.5] },
  ];
  it("picks the line closest to the cursor between two axes", () => {
    // at x = 50 (halfway), "rising" is at 0.5 → y = 100 - 50 = 50 on a 100-high plot
    expect(nearestLine(lines, [0, 100], 0, 100, 50, 50)).toBe("rising");
    expect(nearestLine(lines, [0, 100], 0, 100, 50, 99)).toBe("low");
    expect(nearestLine(lines, [0, 100], 0, 100, 90, 52)).toBe("gap");
  });
  it("gives null when nothing is near", () => {
    expect(nearestLine([{ id: "a", positions: [1, 1] }], [0, 100], 0, 100, 50, 90)).toBeNull();
  });
});

import { wantsLog } from "./parallel";

describe("log axes", () => {
  it("uses a log scale for positive values over two decades", () => {
    expect(wantsLog([0.1, 0.01, 0.001])).toBe(true);
    expect(wantsLog([0.1, 0.2])).toBe(false);
    expect(wantsLog([0, 10, 1000])).toBe(false);
    const axis = numericAxis("lr", [0.1, 0.01, 0.001]);
    expect(axis.log).toBe(true);
    expect(axis.position(0.01)).toBeCloseTo(0.5);
    expect(axis.ticks.map((tick) => tick.label)).toEqual(["0.001", "0.01", "0.1"]);
    expect(numericAxis("lr", [0.1, 0.001], false).log).toBeUndefined();
  });
});

describe("defaultMetricChoice", () => {
  const choices = [{ value: "metric:train/loss" }, { value: "metric:acc" }, { value: "result:val/loss" }];

  it("takes the metric most runs have", () => {
    const counts: Record<string, number> = { "metric:train/loss": 1, "metric:acc": 3, "result:val/loss": 2 };
    expect(defaultMetricChoice(choices, (choice) => counts[choice.value])?.value).toBe("metric:acc");
  });

  it("prefers a loss among equally common metrics", () => {
    expect(defaultMetricChoice([{ value: "metric:acc" }, ...choices], () => 2)?.value).toBe("metric:train/loss");
  });

  it("gives nothing without choices", () => {
    expect(defaultMetricChoice([], () => 1)).toBeUndefined();
  });
});

describe("shortLabel", () => {
  it("keeps short labels and the end of long ones", () => {
    expect(shortLabel("lr", 10)).toBe("lr");
    expect(shortLabel("optimizer.schedule.warmup_steps", 12)).toBe("…armup_steps");
    expect(shortLabel("optimizer.schedule.warmup_steps", 12).length).toBe(12);
  });
});
