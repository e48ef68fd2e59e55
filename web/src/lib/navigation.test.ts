import { describe, expect, it } from "vitest";
import { safeNext, splitHashPath } from "./navigation";

describe("safeNext", () => {
  it("keeps in-app hash paths with their query", () => {
    expect(safeNext("/runs/abc?tab=media")).toBe("/runs/abc?tab=media");
    expect(safeNext("#/projects/p")).toBe("/projects/p");
  });

  it("falls back to / for missing, external or looping targets", () => {
    expect(safeNext(null)).toBe("/");
    expect(safeNext("")).toBe("/");
    expect(safeNext("https://evil.example")).toBe("/");
    expect(safeNext("//evil.example")).toBe("/");
    expect(safeNext("/login")).toBe("/");
    expect(safeNext("/login?next=/x")).toBe("/");
    expect(safeNext("/signup")).toBe("/");
    expect(safeNext("/a b")).toBe("/");
  });

  it("does not mistake /loginsreport for the login page", () => {
    expect(safeNext("/loginsreport")).toBe("/loginsreport");
  });
});

describe("splitHashPath", () => {
  it("splits path and query", () => {
    expect(splitHashPath("/compare?runs=a,b&x=1")).toEqual({ path: "/compare", query: { runs: "a,b", x: "1" } });
    expect(splitHashPath("/runs/x")).toEqual({ path: "/runs/x", query: {} });
    expect(splitHashPath("")).toEqual({ path: "/", query: {} });
  });
});
