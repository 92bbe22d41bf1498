/** Options of a {@link Refresher}. */
export interface RefresherOptions {
  /** A value is reused this long after it was read. */
  readonly ttlMs: number;
  /** A caller waits this long for a read in progress, then goes on without a value. */
  readonly timeoutMs: number;
  /** Clock, for tests. Default `Date.now`. */
  readonly now?: () => number;
}

/**
 * A value read on demand from something slow (a database, a queue backend, Kafka brokers), for
 * scrapes: reused for `ttlMs`; never read twice at once (a read that outlives a caller's
 * `timeoutMs` goes on, and its value serves the next callers); a failed read leaves nothing.
 */
export class Refresher<T> {
  readonly #load: () => Promise<T>;
  readonly #ttlMs: number;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  #last: { readonly at: number; readonly value: T } | undefined;
  #inflight: Promise<T | undefined> | undefined;

  constructor(load: () => Promise<T>, options: RefresherOptions) {
    this.#load = load;
    this.#ttlMs = options.ttlMs;
    this.#timeoutMs = options.timeoutMs;
    this.#now = options.now ?? Date.now;
  }

  /** The current value, or `undefined` when the read failed or did not finish in time. */
  async get(): Promise<T | undefined> {
    const last = this.#last;
    if (last !== undefined && this.#now() - last.at < this.#ttlMs) return last.value;
    if (this.#inflight === undefined) {
      const read = this.#read();
      this.#inflight = read;
      void read.finally(() => {
        if (this.#inflight === read) this.#inflight = undefined;
      });
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<undefined>((resolve) => {
      timer = setTimeout(() => {
        resolve(undefined);
      }, this.#timeoutMs);
    });
    try {
      return await Promise.race([this.#inflight, timedOut]);
    } finally {
      clearTimeout(timer);
    }
  }

  async #read(): Promise<T | undefined> {
    try {
      const value = await this.#load();
      this.#last = { at: this.#now(), value };
      return value;
    } catch {
      this.#last = undefined;
      return undefined;
    }
  }
}
