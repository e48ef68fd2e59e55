import { describe, expect, it } from "vitest";
import type { Run, RunStatus } from "../types";
import {
  PROBLEM_STATUS,
  cellValue,
  compareSelection,
  compareValues,
  defaultColumns,
  discoverColumns,
  filterRows,
  isNumericColumn,
  formatSort,
  matchesStatus,
  matchesValue,
  nextSort,
  parseQuery,
  parseSavedColumns,
  parseSort,
  resolveQuery,
  runDurationMs,
  sortRows,
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

function names(rows: { run: Run }[]): string[] {
  return rows.map((row) => row.run.name);
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

  it("compares numbers numerically, not as text", () => {
    expect(compareValues(9, 10, "asc")).toBeLessThan(0);
    expect(compareValues(9, 10, "desc")).toBeGreaterThan(0);
    expect(compareValues(-Infinity, -1e300, "asc")).toBeLessThan(0);
  });

  it("compares text naturally and case-insensitively", () => {
    expect(compareValues("run-2", "run-10", "asc")).toBeLessThan(0);
    expect(compareValues("Adam", "adam", "asc")).toBe(0);
  });

  it("puts missing values last in both directions, NaN before missing", () => {
    for (const direction of ["asc", "desc"] as const) {
      expect(compareValues(undefined, 1, direction)).toBeGreaterThan(0);
      expect(compareValues(1, undefined, direction)).toBeLessThan(0);
      expect(compareValues(Number.NaN, 1, direction)).toBeGreaterThan(0);
      expect(compareValues(Number.NaN, undefined, direction)).toBeLessThan(0);
      expect(compareValues(null, "", direction)).toBe(0);
    }
  });

  it("sorts rows by summary values with missing and NaN at the end, stable on ties", () => {
    const rows = toRows([
      makeRun({ name: "none" }),
      makeRun({ name: "ten", summary: { metrics: { loss: digest(10) }, results: {} } }),
      makeRun({ name: "nan", summary: { metrics: { loss: digest("NaN") }, results: {} } }),
      makeRun({ name: "nine", summary: { metrics: { loss: digest(9) }, results: {} } }),
      makeRun({ name: "nine-b", summary: { metrics: { loss: digest(9) }, results: {} } }),
    ]);
    const now = Date.now();
    expect(names(sortRows(rows, { key: "summary:loss", direction: "asc" }, now))).toEqual(["nine", "nine-b", "ten", "nan", "none"]);
    expect(names(sortRows(rows, { key: "summary:loss", direction: "desc" }, now))).toEqual(["ten", "nine", "nine-b", "nan", "none"]);
    expect(names(sortRows(rows, null, now))).toEqual(["none", "ten", "nan", "nine", "nine-b"]);
  });

  it("sorts mixed config values: numbers before text, whatever the direction keeps missing last", () => {
    const rows = toRows([
      makeRun({ name: "text", config: { x: "auto" } }),
      makeRun({ name: "missing" }),
      makeRun({ name: "two", config: { x: 2 } }),
      makeRun({ name: "ten", config: { x: 10 } }),
    ]);
    expect(names(sortRows(rows, { key: "config:x", direction: "asc" }, 0))).toEqual(["two", "ten", "text", "missing"]);
    expect(names(sortRows(rows, { key: "config:x", direction: "desc" }, 0))).toEqual(["text", "ten", "two", "missing"]);
  });

  it("sorts names naturally", () => {
    const rows = toRows([makeRun({ name: "run-10" }), makeRun({ name: "run-2" }), makeRun({ name: "Run-1" })]);
    expect(names(sortRows(rows, { key: "name", direction: "asc" }, 0))).toEqual(["Run-1", "run-2", "run-10"]);
  });
});

describe("parseQuery", () => {
  it("parses every operator, == as =, and nested and slashed keys", () => {
    const { conditions, errors } = parseQuery("lr>0.01  optimizer=adam loss<=0.5 batch_size!=32 model.layers>=4 train/acc<1 seed==7");
    expect(errors).toEqual([]);
    expect(conditions.map(({ key, operator, value }) => [key, operator, value])).toEqual([
      ["lr", ">", "0.01"],
      ["optimizer", "=", "adam"],
      ["loss", "<=", "0.5"],
      ["batch_size", "!=", "32"],
      ["model.layers", ">=", "4"],
      ["train/acc", "<", "1"],
      ["seed", "=", "7"],
    ]);
  });

  it("accepts quoted values with spaces", () => {
    const { conditions, errors } = parseQuery('note="two words" lr>1');
    expect(errors).toEqual([]);
    expect(conditions[0]).toMatchObject({ key: "note", operator: "=", value: "two words" });
    expect(conditions[1]).toMatchObject({ key: "lr", operator: ">", value: "1" });
  });

  it("reports bad parts and keeps the good ones", () => {
    const { conditions, errors } = parseQuery('lr adam> >3 lr>0.1 x="open');
    expect(conditions.map((condition) => condition.text)).toEqual(["lr>0.1"]);
    expect(errors).toHaveLength(4);
    expect(errors[0]).toContain('"lr" is not a condition');
    expect(errors[1]).toContain("needs a value");
    expect(errors[2]).toContain('">3" is not a condition');
    expect(errors[3]).toContain("unclosed quote");
  });

  it("is empty for blank text", () => {
    expect(parseQuery("   ")).toEqual({ conditions: [], errors: [] });
  });
});

describe("resolveQuery", () => {
  const discovered = {
    config: [{ key: "lr", count: 1 }, { key: "model.layers", count: 1 }, { key: "loss", count: 1 }],
    summary: [{ key: "loss", count: 1 }, { key: "train/acc", count: 1 }],
  };

  it("prefers config keys, and config./summary. prefixes choose", () => {
    const resolved = resolveQuery(parseQuery("lr>1 model.layers>2 loss<1 summary.loss<1 config.lr<3 train/acc>0"), discovered);
    expect(resolved.errors).toEqual([]);
    expect(resolved.conditions.map((condition) => [condition.source, condition.name])).toEqual([
      ["config", "lr"],
      ["config", "model.layers"],
      ["config", "loss"],
      ["summary", "loss"],
      ["config", "lr"],
      ["summary", "train/acc"],
    ]);
  });

  it("turns unknown keys into messages with suggestions, not exceptions", () => {
    const resolved = resolveQuery(parseQuery("acc>0.5 layers>2 nope=1"), discovered);
    expect(resolved.conditions).toEqual([]);
    expect(resolved.errors[0]).toContain('Unknown key "acc"');
    expect(resolved.errors[0]).toContain("train/acc");
    expect(resolved.errors[1]).toContain("model.layers");
    expect(resolved.errors[2]).toContain('Unknown key "nope"');
    expect(resolved.errors[2]).not.toContain("did you mean");
  });
});

describe("matchesValue", () => {
  it("compares numbers numerically", () => {
    expect(matchesValue(0.1, ">", "0.01")).toBe(true);
    expect(matchesValue(0.001, ">", "0.01")).toBe(false);
    expect(matchesValue(32, "!=", "32")).toBe(false);
    expect(matchesValue(64, "!=", "32")).toBe(true);
    expect(matchesValue(32, "=", "32.0")).toBe(true);
    expect(matchesValue(0.5, "<=", "0.5")).toBe(true);
    expect(matchesValue(10, ">", "9")).toBe(true);
    expect(matchesValue("10", ">", "9")).toBe(true);
    expect(matchesValue(1e-5, "<", "1e-4")).toBe(true);
  });

  it("compares text case-insensitively", () => {
    expect(matchesValue("Adam", "=", "adam")).toBe(true);
    expect(matchesValue("sgd", "=", "adam")).toBe(false);
    expect(matchesValue("sgd", "!=", "adam")).toBe(true);
    expect(matchesValue(true, "=", "true")).toBe(true);
    expect(matchesValue(false, "=", "true")).toBe(false);
    expect(matchesValue([1, 2], "=", "[1,2]")).toBe(true);
  });

  it("handles NaN and infinities", () => {
    expect(matchesValue(Number.NaN, "<", "1")).toBe(false);
    expect(matchesValue(Number.NaN, ">", "1")).toBe(false);
    expect(matchesValue(Number.NaN, "=", "NaN")).toBe(true);
    expect(matchesValue(Number.NaN, "!=", "nan")).toBe(false);
    expect(matchesValue(1, "!=", "NaN")).toBe(true);
    expect(matchesValue(Number.POSITIVE_INFINITY, ">", "1e308")).toBe(true);
    expect(matchesValue(Number.POSITIVE_INFINITY, "=", "inf")).toBe(true);
  });

  it("lets a missing value satisfy only !=", () => {
    expect(matchesValue(undefined, "!=", "32")).toBe(true);
    expect(matchesValue(undefined, "=", "32")).toBe(false);
    expect(matchesValue(null, "<", "32")).toBe(false);
  });
});

describe("filters", () => {
  const runs = [
    makeRun({ name: "Baseline-A", status: "finished", tags: ["baseline"], config: { lr: 0.1, optimizer: "adam", model: { layers: 6 }, batch_size: 32 }, summary: { metrics: { loss: digest(0.4) }, results: {} } }),
    makeRun({ name: "sweep-b", status: "running", tags: ["sweep", "Baseline2"], config: { lr: 0.001, optimizer: "sgd", model: { layers: 2 }, batch_size: 64 }, summary: { metrics: { loss: digest(0.9) }, results: {} } }),
    makeRun({ name: "sweep-c", status: "crashed", tags: ["sweep"], config: { lr: 0.05, optimizer: "adam", batch_size: 32 }, summary: { metrics: { loss: digest("NaN") }, results: {} } }),
    makeRun({ name: "sweep-d", status: "failed", tags: [], config: { lr: 0.02 }, summary: null }),
  ];
  const rows = toRows(runs);
  const discovered = discoverColumns(rows);
  const run = (filters: Parameters<typeof filterRows>[1]) => filterRows(rows, filters, discovered);

  it("filters by name, any case", () => {
    expect(names(run({ name: "SWEEP" }).rows)).toEqual(["sweep-b", "sweep-c", "sweep-d"]);
    expect(names(run({ name: "  base " }).rows)).toEqual(["Baseline-A"]);
  });

  it("filters by status, including crashed or failed and all", () => {
    expect(names(run({ status: "running" }).rows)).toEqual(["sweep-b"]);
    expect(names(run({ status: PROBLEM_STATUS }).rows)).toEqual(["sweep-c", "sweep-d"]);
    expect(run({ status: "" }).rows).toHaveLength(4);
    expect(run({ status: "all" }).rows).toHaveLength(4);
    const statuses: RunStatus[] = ["failed", "crashed", "finished"];
    expect(statuses.map((status) => matchesStatus(status, PROBLEM_STATUS))).toEqual([true, true, false]);
  });

  it("filters by a whole tag, any case", () => {
    expect(names(run({ tag: "baseline" }).rows)).toEqual(["Baseline-A"]);
    expect(names(run({ tag: "SWEEP" }).rows)).toEqual(["sweep-b", "sweep-c"]);
  });

  it("applies the query on config (nested too) and summary values", () => {
    expect(names(run({ query: "lr>0.01" }).rows)).toEqual(["Baseline-A", "sweep-c", "sweep-d"]);
    expect(names(run({ query: "optimizer=adam lr<0.08" }).rows)).toEqual(["sweep-c"]);
    expect(names(run({ query: "model.layers>4" }).rows)).toEqual(["Baseline-A"]);
    expect(names(run({ query: "loss<=0.5" }).rows)).toEqual(["Baseline-A"]);
    expect(names(run({ query: "batch_size!=32" }).rows)).toEqual(["sweep-b", "sweep-d"]);
  });

  it("reports an unknown key and keeps the rest of the query", () => {
    const result = run({ query: "bogus>1 lr>0.04" });
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0]).toContain('Unknown key "bogus"');
    expect(names(result.rows)).toEqual(["Baseline-A", "sweep-c"]);
  });

  it("combines every filter", () => {
    expect(names(run({ name: "sweep", status: PROBLEM_STATUS, tag: "sweep", query: "lr>0.01" }).rows)).toEqual(["sweep-c"]);
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
