import { describe, expect, it } from "vitest";
import type { SeriesBucket } from "../types";
import {
  bucketPoints,
  bucketValue,
  buildPlot,
  columnsKey,
  filterMetrics,
  groupMetrics,
  hasTimes,
  logFilter,
  mainColumn,
  plotNumber,
  pointsForWidth,
} from "./series";

function bucket(step: number, value: SeriesBucket["mean"], extra: Partial<SeriesBucket> = {}): SeriesBucket {
  return {
    step_start: step,
    step_end: step,
    count: 1,
    min: value,
    max: value,
    mean: value,
    last: value ?? "NaN",
    last_step: step,
    last_logged_at: new Date(Date.UTC(2024, 0, 1, 0, 0, step)).toISOString(),
    ...extra,
  };
}

describe("plotNumber / bucketValue", () => {
  it("turns NaN and infinities into gaps", () => {
    expect(plotNumber("NaN")).toBeNull();
    expect(plotNumber("Infinity")).toBeNull();
    expect(plotNumber("-Infinity")).toBeNull();
    expect(plotNumber(null)).toBeNull();
    expect(plotNumber(2.5)).toBe(2.5);
  });

  it("uses the mean, else the last value", () => {
    expect(bucketValue(bucket(1, 3, { last: 9 }))).toBe(3);
    expect(bucketValue(bucket(1, null, { last: 9 }))).toBe(9);
    expect(bucketValue(bucket(1, null, { last: "NaN" }))).toBeNull();
  });
});

describe("bucketPoints", () => {
  it("places buckets at their last step, sorted", () => {
    const points = bucketPoints([bucket(10, 2, { step_start: 0, step_end: 10, min: 1, max: 5 }), bucket(3, 1)].reverse(), "step");
    expect(points.map((p) => p.x)).toEqual([3, 10]);
    expect(points[1]).toEqual({ x: 10, step: 10, value: 2, min: 1, max: 5 });
  });

  it("places buckets at their logging time (seconds) on the time axis", () => {
    const points = bucketPoints([bucket(5, 1)], "time");
    expect(points[0].x).toBe(Date.UTC(2024, 0, 1, 0, 0, 5) / 1000);
    expect(points[0].step).toBe(5);
  });

  it("knows when logging times are missing", () => {
    const old = { ...bucket(1, 1) } as Partial<SeriesBucket>;
    delete old.last_logged_at;
    expect(hasTimes([old as SeriesBucket])).toBe(false);
    expect(hasTimes([bucket(1, 1)])).toBe(true);
    expect(hasTimes([])).toBe(false);
  });
});

describe("logFilter", () => {
  it("drops non-positive values and counts them", () => {
    expect(logFilter([1, 0, -2, null, 3])).toEqual({ values: [1, null, null, null, 3], dropped: 2 });
  });
});

describe("buildPlot", () => {
  const buckets = [bucket(0, 1), bucket(1, "NaN"), bucket(2, 3), bucket(3, -1)];

  it("builds max, min and main columns with gaps for NaN", () => {
    const model = buildPlot([{ label: "loss", color: "red", buckets }], { xAxis: "step", logScale: false, smoothing: 0, bands: true });
    expect(model.data[0]).toEqual([0, 1, 2, 3]);
    expect(model.columns.map((c) => c.role)).toEqual(["max", "min", "main"]);
    expect(model.data[mainColumn(model, 0)]).toEqual([1, null, 3, -1]);
    expect(model.nonFinite).toBe(1);
    expect(model.steps[0]).toEqual([0, 1, 2, 3]);
  });

  it("adds a faint raw column when smoothing", () => {
    const model = buildPlot([{ label: "loss", color: "red", buckets: [bucket(0, 1), bucket(1, 3)] }], {
      xAxis: "step", logScale: false, smoothing: 0.5, bands: false,
    });
    expect(model.columns.map((c) => c.role)).toEqual(["raw", "main"]);
    expect(model.data[1]).toEqual([1, 3]);
    expect(model.data[2][0]).toBeCloseTo(1);
    expect(model.data[2][1]).toBeCloseTo(7 / 3);
    expect(columnsKey(model.columns)).toBe("0r,0m");
  });

  it("drops non-positive values on a log scale", () => {
    const model = buildPlot([{ label: "loss", color: "red", buckets }], { xAxis: "step", logScale: true, smoothing: 0, bands: false });
    expect(model.data[1]).toEqual([1, null, 3, null]);
    expect(model.droppedForLog).toBe(1);
  });

  it("aligns several lines on the union of their x, undefined where a line has no point", () => {
    const model = buildPlot(
      [
        { label: "a", color: "red", buckets: [bucket(0, 1), bucket(2, 2)] },
        { label: "b", color: "blue", buckets: [bucket(1, 5), bucket(2, "NaN")] },
      ],
      { xAxis: "step", logScale: false, smoothing: 0, bands: false },
    );
    expect(model.data[0]).toEqual([0, 1, 2]);
    expect(model.data[1]).toEqual([1, undefined, 2]);
    expect(model.data[2]).toEqual([undefined, 5, null]);
    expect(mainColumn(model, 1)).toBe(2);
  });

  it("falls back to steps when times are missing", () => {
    const old = { ...bucket(1, 1) } as Partial<SeriesBucket>;
    delete old.last_logged_at;
    const model = buildPlot([{ label: "a", color: "red", buckets: [old as SeriesBucket] }], { xAxis: "time", logScale: false, smoothing: 0, bands: false });
    expect(model.xAxis).toBe("step");
    expect(model.data[0]).toEqual([1]);
  });

  it("uses times when asked and available", () => {
    const model = buildPlot([{ label: "a", color: "red", buckets: [bucket(1, 1), bucket(2, 2)] }], { xAxis: "time", logScale: false, smoothing: 0, bands: false });
    expect(model.xAxis).toBe("time");
    expect(model.data[0]).toEqual([Date.UTC(2024, 0, 1, 0, 0, 1) / 1000, Date.UTC(2024, 0, 1, 0, 0, 2) / 1000]);
    expect(model.steps[0]).toEqual([1, 2]);
  });
});

describe("metric sections", () => {
  it("groups by prefix, unprefixed first and system last", () => {
    expect(groupMetrics(["train/loss", "system/gpu", "acc", "eval/acc", "train/acc"])).toEqual([
      { prefix: "", names: ["acc"] },
      { prefix: "eval", names: ["eval/acc"] },
      { prefix: "train", names: ["train/acc", "train/loss"] },
      { prefix: "system", names: ["system/gpu"] },
    ]);
  });

  it("filters by every term", () => {
    expect(filterMetrics(["train/loss", "eval/loss", "train/acc"], "TRAIN loss")).toEqual(["train/loss"]);
    expect(filterMetrics(["a", "b"], "  ")).toEqual(["a", "b"]);
  });

  it("asks for about 1.5 buckets per pixel, bounded", () => {
    expect(pointsForWidth(600)).toBe(900);
    expect(pointsForWidth(0)).toBe(1000);
    expect(pointsForWidth(10_000)).toBe(5000);
  });
});

import { chartSettingsQuery, parseChartSettings } from "./series";

describe("chart settings in the URL", () => {
  it("parses with defaults and clamps smoothing", () => {
    expect(parseChartSettings(new URLSearchParams(""))).toEqual({ xAxis: "step", logScale: false, smoothing: 0 });
    expect(parseChartSettings(new URLSearchParams("x=time&log=1&smooth=3"))).toEqual({ xAxis: "time", logScale: true, smoothing: 0.99 });
  });

  it("round-trips, leaving defaults out", () => {
    expect(chartSettingsQuery({ xAxis: "step", logScale: false, smoothing: 0 })).toEqual({ x: undefined, log: undefined, smooth: undefined });
    const settings = { xAxis: "time" as const, logScale: true, smoothing: 0.6 };
    expect(parseChartSettings(new URLSearchParams(chartSettingsQuery(settings) as Record<string, string>))).toEqual(settings);
  });
});
