/**
 * A per-host cap on requests in flight, within one process: `tryAcquire(host)` gives one of the
 * host's `limit` slots, with the function that frees it, or null when all are taken — the caller
 * steps aside instead of waiting, so a slow host never holds slots other hosts could use. Hosts
 * without requests in flight cost no memory.
 */
export class HostSlots {
  readonly #inFlight = new Map<string, number>();

  constructor(readonly limit: number) {
    if (!Number.isInteger(limit) || limit < 1) throw new RangeError('limit must be ≥ 1');
  }

  /** A slot now, or null when the host is at its limit. */
  tryAcquire(host: string): (() => void) | null {
    const busy = this.#inFlight.get(host) ?? 0;
    if (busy >= this.limit) return null;
    this.#inFlight.set(host, busy + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#inFlight.get(host) ?? 1) - 1;
      if (left === 0) this.#inFlight.delete(host);
      else this.#inFlight.set(host, left);
    };
  }

  /** Requests in flight to `host`. */
  inFlight(host: string): number {
    return this.#inFlight.get(host) ?? 0;
  }
}
