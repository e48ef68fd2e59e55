import { describe, expect, it } from "vitest";
import type { SeriesBucket } from "../types";
import { EMPTY_LAYOUT, compilePattern, defaultLayout, defaultXAxis, panelsFor, freshPanelId, movePanel, newPanel, normalizeLayout, panelMetrics, panelTitle, resized, yRange } from "./layout";
import { buildPlot } from "./series";

const NAMES = ["train/loss", "val/loss", "train/acc", "val/acc", "lr", "system/gpu.0.util"];

describe("panelMetrics", () => {
  it("draws the named metrics that exist, then the pattern's matches, each once", () => {
    const panel = newPanel({ id: "p", metrics: ["val/loss", "gone"], pattern: "loss$" });
    expect(panelMetrics(panel, NAMES)).toEqual(["val/loss", "train/loss"]);
  });

  it("draws nothing for a pattern that is not a regular expression", () => {
    expect(panelMetrics(newPanel({ id: "p", pattern: "(" }), NAMES)).toEqual([]);
    expect(compilePattern("(").error).toBeTruthy();
    expect(compilePattern("^val/").error).toBeNull();
  });
});

describe("defaultLayout", () => {
  it("is a panel per metric, unprefixed first, system metrics left out", () => {
    const panels = defaultLayout(NAMES).panels;
    expect(panels.map((panel) => panel.metrics[0])).toEqual(["lr", "train/acc", "train/loss", "val/acc", "val/loss"]);
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
  });

  it("charts system metrics when a run has no others", () => {
    expect(defaultLayout(["system/cpu", "system/gpu.0.util"]).panels.map((panel) => panel.metrics[0])).toEqual(["system/cpu", "system/gpu.0.util"]);
  });

  it("puts system metrics last when asked for every metric", () => {
    expect(panelsFor(NAMES).map((panel) => panel.metrics[0]).at(-1)).toBe("system/gpu.0.util");
  });
});

describe("panel helpers", () => {
  it("gives a fresh id", () => {
    expect(freshPanelId([newPanel({ id: "panel-2", metrics: ["a"] }), newPanel({ id: "x", metrics: ["a"] })])).toBe("panel-3");
  });

  it("titles a panel by its own title, its one metric or its first and a count", () => {
    expect(panelTitle(newPanel({ id: "p", title: "Losses" }), ["a", "b"])).toBe("Losses");
    expect(panelTitle(newPanel({ id: "p" }), ["a"])).toBe("a");
    expect(panelTitle(newPanel({ id: "p", metrics: ["a"] }), ["a", "b", "c"])).toBe("a +2");
  });

  it("resizes by whole columns and clamps the height", () => {
    const panel = newPanel({ id: "p", metrics: ["a"], span: 1, height: 220 });
    expect(resized(panel, 400, 100, 350, 4)).toEqual({ span: 2, height: 320 });
    expect(resized(panel, 5000, -500, 350, 3)).toEqual({ span: 3, height: 160 });
    expect(resized(panel, -1000, 5000, 350, 4)).toEqual({ span: 1, height: 800 });
  });

  it("gives a repeated panel id a fresh one", () => {
    const panels = ["a", "a", "a~2"].map((id) => newPanel({ id, metrics: ["x"] }));
    expect(normalizeLayout({ ...EMPTY_LAYOUT, panels }).panels.map((panel) => panel.id)).toEqual(["a", "a~3", "a~2"]);
  });

  it("fixes the y range only when its minimum is below its maximum", () => {
    expect(yRange({ y_min: 0, y_max: 1 })).toEqual({ yMin: 0, yMax: 1 });
    expect(yRange({ y_min: null, y_max: 1 })).toEqual({ yMin: null, yMax: 1 });
    expect(yRange({ y_min: 2, y_max: 1 })).toEqual({ yMin: null, yMax: null });
  });

  it("moves a panel", () => {
    const panels = ["a", "b", "c"].map((id) => newPanel({ id, metrics: [id] }));
    expect(movePanel(panels, 0, 2).map((panel) => panel.id)).toEqual(["b", "c", "a"]);
  });
});

describe("relative time axis", () => {
  it("plots seconds since the first point of any line", () => {
    const at = (step: number, second: number): SeriesBucket => ({
      step_start: step,
      step_end: step,
      count: 1,
      min: step,
      max: step,
      mean: step,
      last: step,
      last_step: step,
      last_logged_at: new Date(Date.UTC(2024, 0, 1, 0, 0, second)).toISOString(),
    });
    const model = buildPlot(
      [
        { label: "a", color: "#000", buckets: [at(0, 10), at(1, 20)] },
        { label: "b", color: "#111", buckets: [at(0, 15)] },
      ],
      { xAxis: "relative", logScale: false, smoothing: 0, bands: false },
    );
    expect(model.xAxis).toBe("relative");
    expect(model.data[0]).toEqual([0, 5, 10]);
  });
});

describe("system metrics on a wall-clock axis", () => {
  it("starts system metric panels on wall time and the others on steps", () => {
    const axes = Object.fromEntries(panelsFor(NAMES).map((panel) => [panel.metrics[0], panel.x_axis]));
    expect(axes["system/gpu.0.util"]).toBe("time");
    expect(axes["train/loss"]).toBe("step");
    expect(defaultXAxis(["system/cpu", "system/training_step"])).toBe("time");
    expect(defaultXAxis(["system/cpu", "train/loss"])).toBe("step");
    expect(defaultXAxis([])).toBe("step");
  });
});
