import { describe, expect, it } from "vitest";
import { submitWhen } from "./hooks";

describe("submitWhen", () => {
  it.each([
    { ready: true, runs: 1 },
    { ready: false, runs: 0 },
  ])("keeps the browser from sending the form and runs the action $runs time(s) when ready is $ready", ({ ready, runs }) => {
    let ran = 0;
    let prevented = false;
    const event = { preventDefault: () => (prevented = true) } as unknown as Event;
    submitWhen(ready, async () => {
      ran += 1;
    })(event);
    expect(prevented).toBe(true);
    expect(ran).toBe(runs);
  });
});
