// Series requests in page order, a few at a time: the charts at the top of a page arrive
// first instead of every chart sharing the server (and the network) at once.

export class RequestQueue {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly limit: number) {
    if (limit < 1) throw new Error("a queue runs at least one task at a time");
  }

  /** Run `task` once fewer than `limit` queued tasks are running (first queued, first run). */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active < this.limit) this.active += 1;
    else await new Promise<void>((resolve) => this.waiting.push(resolve)); // the slot is handed over
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      if (next) next();
      else this.active -= 1;
    }
  }

  get running(): number {
    return this.active;
  }
}

/** The queue every chart's series request goes through. */
export const seriesRequests = new RequestQueue(3);
