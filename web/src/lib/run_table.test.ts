import { describe, expect, it } from "vitest";
import type { Run } from "../types";
import {
  cellValue,
  compareSelection,
  defaultColumns,
  discoverColumns,
  isNumericColumn,
  formatSort,
  nextSort,
  parseSavedColumns,
  parseSort,
  runDurationMs,
  summaryValues,
  toRows,
} from "./run_table";

let counter = 0;
function makeRun(overrides: Partial<Run> = {}): Run {
  counter += 1;
  return {
    id: `run-${counter}`,
    project_id: "p",
    workspace_id: "w",
    name: `run ${counter}`,
    description: "",
    config: {},
    tags: [],
    notes: "",
    status: "finished",
    created_by: null,
    created_at: "2026-01-01T00:00:00Z",
    updated_at: "2026-01-01T01:00:00Z",
    started_at: "2026-01-01T00:00:00Z",
    ended_at: "2026-01-01T00:30:00Z",
    heartbeat_at: null,
    summary: { metrics: {}, results: {} },
    ...overrides,
  };
}

function digest(last: number | "NaN" | "Infinity" | "-Infinity" | null) {
  return { last, last_step: 10, min: last, max: last, count: 11 };
}

describe("summaryValues", () => {
  it("takes metric last values and results, results winning, NaN strings as numbers", () => {
    const run = makeRun({
      summary: {
        metrics: { loss: digest(0.5), acc: digest("NaN"), gone: digest(null) },
        results: { loss: 0.25, best: "Infinity" },
      },
    });
    const values = summaryValues(run);
    expect(values.loss).toBe(0.25);
    expect(values.acc).toBeNaN();
    expect(values.best).toBe(Number.POSITIVE_INFINITY);
    expect("gone" in values).toBe(false);
  });
  it("is empty without a summary", () => {
    expect(summaryValues(makeRun({ summary: null }))).toEqual({});
  });
});

describe("column discovery", () => {
  const rows = toRows([
    makeRun({ config: { lr: 0.1, optimizer: "adam", model: { layers: 2 } }, summary: { metrics: { loss: digest(1), "system/cpu": digest(3) }, results: { best: 1 } } }),
    makeRun({ config: { lr: 0.2, optimizer: "sgd" }, summary: { metrics: { loss: digest(2), "system/cpu": digest(3) }, results: {} } }),
    makeRun({ config: { lr: 0.3, seed: 1 }, summary: { metrics: { loss: digest(3), acc: digest(0.5), "system/cpu": digest(3) }, results: {} } }),
  ]);

  it("counts keys and orders the most common first, then by name", () => {
    const discovered = discoverColumns(rows);
    expect(discovered.config.map((item) => item.key)).toEqual(["lr", "optimizer", "model.layers", "seed"]);
    expect(discovered.config[0]).toEqual({ key: "lr", count: 3 });
    expect(discovered.summary.map((item) => item.key)).toEqual(["loss", "system/cpu", "acc", "best"]);
  });

  it("defaults to up to four of each, system metrics left out when others exist", () => {
    expect(defaultColumns(discoverColumns(rows))).toEqual([
      "summary:loss",
      "summary:acc",
      "summary:best",
      "config:lr",
      "config:optimizer",
      "config:model.layers",
      "config:seed",
    ]);
    expect(defaultColumns(discoverColumns(rows), 1)).toEqual(["summary:loss", "config:lr"]);
  });

  it("falls back to system metrics when they are all there is", () => {
    const only = toRows([makeRun({ summary: { metrics: { "system/cpu": digest(1) }, results: {} } })]);
    expect(defaultColumns(discoverColumns(only))).toEqual(["summary:system/cpu"]);
  });

  it("reads saved columns defensively", () => {
    expect(parseSavedColumns('["config:lr","summary:loss"]')).toEqual(["config:lr", "summary:loss"]);
    expect(parseSavedColumns("not json")).toBeNull();
    expect(parseSavedColumns('{"a":1}')).toBeNull();
    expect(parseSavedColumns("[1,2]")).toBeNull();
    expect(parseSavedColumns(null)).toBeNull();
  });
});

describe("cell values", () => {
  it("reads config, summary and built-in columns", () => {
    const [row] = toRows([
      makeRun({ name: "alpha", tags: ["a", "b"], config: { model: { layers: 4 } }, summary: { metrics: { loss: digest(0.1) }, results: {} } }),
    ]);
    const now = Date.parse("2026-01-02T00:00:00Z");
    expect(cellValue(row, "config:model.layers", now)).toBe(4);
    expect(cellValue(row, "summary:loss", now)).toBe(0.1);
    expect(cellValue(row, "summary:missing", now)).toBeUndefined();
    expect(cellValue(row, "name", now)).toBe("alpha");
    expect(cellValue(row, "tags", now)).toBe("a, b");
    expect(cellValue(row, "created", now)).toBe(Date.parse("2026-01-01T00:00:00Z"));
    expect(cellValue(row, "duration", now)).toBe(30 * 60 * 1000);
  });

  it("tells numeric columns from text ones", () => {
    const rows = toRows([
      makeRun({ config: { lr: 0.1, opt: "adam", mixed: 1 } }),
      makeRun({ config: { lr: 0.2, mixed: "auto" } }),
      makeRun({}),
    ]);
    expect(isNumericColumn(rows, "config:lr")).toBe(true);
    expect(isNumericColumn(rows, "config:opt")).toBe(false);
    expect(isNumericColumn(rows, "config:mixed")).toBe(false);
    expect(isNumericColumn(rows, "config:absent")).toBe(false);
  });

  it("measures a running run until now", () => {
    const run = makeRun({ status: "running", ended_at: null, started_at: "2026-01-01T00:00:00Z" });
    expect(runDurationMs(run, Date.parse("2026-01-01T00:00:42Z"))).toBe(42_000);
  });
});

describe("sorting", () => {
  it("parses, formats and cycles sort specs", () => {
    expect(parseSort("-summary:loss")).toEqual({ key: "summary:loss", direction: "desc" });
    expect(parseSort("config:lr")).toEqual({ key: "config:lr", direction: "asc" });
    expect(parseSort("")).toBeNull();
    expect(parseSort("-")).toBeNull();
    expect(formatSort({ key: "name", direction: "desc" })).toBe("-name");
    expect(formatSort(null)).toBeUndefined();
    expect(nextSort(null, "name")).toEqual({ key: "name", direction: "asc" });
    expect(nextSort({ key: "name", direction: "asc" }, "name")).toEqual({ key: "name", direction: "desc" });
    expect(nextSort({ key: "name", direction: "desc" }, "name")).toEqual({ key: "name", direction: "asc" });
    expect(nextSort({ key: "name", direction: "desc" }, "created")).toEqual({ key: "created", direction: "asc" });
  });
});

describe("compareSelection", () => {
  it("keeps the table order and needs two to fifty runs", () => {
    expect(compareSelection(new Set(["c", "a"]), ["a", "b", "c"])).toEqual({ ids: ["a", "c"], problem: null });
    expect(compareSelection(new Set(["a"]), ["a"]).problem).toContain("at least two");
    const many = new Set(Array.from({ length: 51 }, (_, index) => `r${index}`));
    expect(compareSelection(many, []).problem).toContain("at most 50");
  });

  it("keeps selected runs the filter hides, after the visible ones", () => {
    expect(compareSelection(new Set(["hidden", "b"]), ["a", "b"]).ids).toEqual(["b", "hidden"]);
  });
});
