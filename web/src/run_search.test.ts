import { describe, expect, it } from "vitest";
import type { Page } from "./api";
import { mergeRefresh, searchParameters, serverSortField } from "./run_search";
import type { Run } from "./types";

function run(id: string, status: Run["status"] = "finished"): Run {
  return { id, status, name: id } as unknown as Run;
}

describe("searchParameters", () => {
  it("sends the filters and sort to the server in its language", () => {
    expect(
      searchParameters({
        filters: { name: " adam ", status: "failed_or_crashed", tag: "keep", query: "lr>0.01 optimizer=adam" },
        sort: { key: "summary:train/loss", direction: "desc" },
      }),
    ).toEqual({ name_contains: "adam", status: ["failed", "crashed"], tag: ["keep"], filter: "lr>0.01 optimizer=adam", sort: "-summary.train/loss" });
  });

  it("leaves out what is empty", () => {
    expect(searchParameters({ filters: {}, sort: null })).toEqual({ name_contains: undefined, status: [], tag: undefined, filter: undefined, sort: undefined });
  });
});

describe("serverSortField", () => {
  it("maps the table's columns to the server's fields", () => {
    expect(serverSortField("created")).toBe("created_at");
    expect(serverSortField("config:model.layers")).toBe("config.model.layers");
    expect(serverSortField("tags")).toBeNull();
    expect(serverSortField("duration")).toBeNull();
    expect(serverSortField("config:a key with spaces")).toBeNull();
  });
});

describe("mergeRefresh", () => {
  it("replaces the first page, updates live runs loaded later and drops those now on the first page", () => {
    const pages: Page<Run>[] = [
      { items: [run("a", "running"), run("b")], next_cursor: "c1" },
      { items: [run("c", "running"), run("d")], next_cursor: "c2" },
    ];
    const first: Page<Run> = { items: [run("new", "running"), run("a", "finished")], next_cursor: "other" };
    const merged = mergeRefresh(pages, first, [run("c", "finished")]);
    expect(merged.map((page) => page.items.map((item) => `${item.id}:${item.status}`))).toEqual([
      ["new:running", "a:finished"],
      ["c:finished", "d:finished"],
    ]);
    expect(merged[merged.length - 1].next_cursor).toBe("c2");
  });
});
