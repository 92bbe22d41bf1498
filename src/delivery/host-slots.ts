/**
 * A per-host cap on requests in flight, within one process: `acquire(host)` resolves when one of
 * the host's `limit` slots is free, with the function that frees it. Waiters are served in
 * arrival order. Hosts without requests in flight cost no memory.
 */
export class HostSlots {
  readonly #inFlight = new Map<string, number>();
  readonly #waiting = new Map<string, (() => void)[]>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be ≥ 1');
  }

  async acquire(host: string): Promise<() => void> {
    const busy = this.#inFlight.get(host) ?? 0;
    if (busy < this.limit) {
      this.#inFlight.set(host, busy + 1);
    } else {
      // The slot is handed over by release(): the count stays as it is.
      await new Promise<void>((resolve) => {
        const queue = this.#waiting.get(host);
        if (queue === undefined) this.#waiting.set(host, [resolve]);
        else queue.push(resolve);
      });
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#release(host);
    };
  }

  /** Requests in flight to `host`. */
  inFlight(host: string): number {
    return this.#inFlight.get(host) ?? 0;
  }

  #release(host: string): void {
    const queue = this.#waiting.get(host);
    const next = queue?.shift();
    if (next !== undefined) {
      if (queue?.length === 0) this.#waiting.delete(host);
      next();
      return;
    }
    const busy = (this.#inFlight.get(host) ?? 1) - 1;
    if (busy === 0) this.#inFlight.delete(host);
    else this.#inFlight.set(host, busy);
  }
}
