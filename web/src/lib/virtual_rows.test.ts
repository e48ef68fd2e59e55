import { describe, expect, it } from "vitest";
import { rowWindow } from "./virtual_rows";

describe("rowWindow", () => {
  it("puts only the rows in view and the overscan in the DOM", () => {
    const window = rowWindow(20_000, 30, 0, 600, 10);
    expect(window.start).toBe(0);
    expect(window.end).toBe(31);
    expect(window.before).toBe(0);
    expect(window.after).toBe((20_000 - 31) * 30);
  });

  it("keeps the scrolled-past height above the first row shown", () => {
    const window = rowWindow(20_000, 30, 30_000, 600, 10);
    expect(window.start).toBe(990);
    expect(window.end).toBe(1031);
    expect(window.before + (window.end - window.start) * 30 + window.after).toBe(20_000 * 30);
  });

  it("stops at the last row and handles an empty list", () => {
    expect(rowWindow(5, 30, 10_000, 600).end).toBe(5);
    expect(rowWindow(0, 30, 0, 600)).toEqual({ start: 0, end: 0, before: 0, after: 0 });
  });
});
