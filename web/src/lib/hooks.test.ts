import { describe, expect, it } from "vitest";
import { submitWhen } from "./hooks";

function submitEvent() {
  const event = { prevented: false, preventDefault() { event.prevented = true; } };
  return event;
}

describe("submitWhen", () => {
  it("keeps the browser from sending the form and runs the action when ready", () => {
    let runs = 0;
    const event = submitEvent();
    submitWhen(true, async () => { runs += 1; })(event as unknown as Event);
    expect(event.prevented).toBe(true);
    expect(runs).toBe(1);
  });

  it("keeps the browser from sending the form but does not run the action when not ready", () => {
    let runs = 0;
    const event = submitEvent();
    submitWhen(false, async () => { runs += 1; })(event as unknown as Event);
    expect(event.prevented).toBe(true);
    expect(runs).toBe(0);
  });
});
