import { describe, expect, it } from "vitest";
import { RequestQueue } from "./request_queue";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((done) => (resolve = done));
  return { promise, resolve };
}

describe("RequestQueue", () => {
  it("runs at most `limit` tasks at once, in the order they were queued", async () => {
    const queue = new RequestQueue(2);
    const started: number[] = [];
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const results = gates.map((gate, index) =>
      queue.run(async () => {
        started.push(index);
        await gate.promise;
        return index;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(queue.running).toBe(2);

    gates[1].resolve();
    await results[1];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect(queue.running).toBe(2);

    gates[0].resolve();
    gates[2].resolve();
    gates[3].resolve();
    expect(await Promise.all(results)).toEqual([0, 1, 2, 3]);
    expect(queue.running).toBe(0);
  });

  it("frees the slot of a task that fails", async () => {
    const queue = new RequestQueue(1);
    await expect(queue.run(() => Promise.reject(new Error("boom")))).rejects.toThrow("boom");
    expect(await queue.run(async () => "next")).toBe("next");
    expect(queue.running).toBe(0);
  });

  it("never lets a newcomer overtake a waiting task", async () => {
    const queue = new RequestQueue(1);
    const order: string[] = [];
    const gate = deferred();
    const first = queue.run(async () => {
      order.push("first");
      await gate.promise;
    });
    const second = queue.run(async () => {
      order.push("second");
    });
    gate.resolve();
    await first;
    const third = queue.run(async () => {
      order.push("third");
    });
    await Promise.all([second, third]);
    expect(order).toEqual(["first", "second", "third"]);
  });
});
