/**
 * Wraps a loader so that its value is reused for `ttlMs`; concurrent callers share one load, and a
 * failed load is not cached.
 */
export function cachedLookup<T>(load: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | undefined;
  return () => {
    const now = Date.now();
    if (cached !== undefined && now - cached.at < ttlMs) return cached.value;
    const value = load();
    const entry = { at: now, value };
    cached = entry;
    value.catch(() => {
      if (cached === entry) cached = undefined;
    });
    return value;
  };
}

/**
 * Values by key, each reused for `ttlMs`, at most `max` of them (the oldest goes first).
 * Concurrent callers of one key share one load; a failed load, or a value `keep` refuses, is not
 * kept.
 */
export class TtlCache<K, V> {
  readonly #entries = new Map<K, { at: number; value: Promise<V> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max: number,
    private readonly keep: (value: V) => boolean = () => true,
  ) {}

  get(key: K, load: () => Promise<V>): Promise<V> {
    const now = Date.now();
    const hit = this.#entries.get(key);
    if (hit !== undefined && now - hit.at < this.ttlMs) return hit.value;
    this.#entries.delete(key);
    if (this.#entries.size >= this.max) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    const entry = { at: now, value: load() };
    this.#entries.set(key, entry);
    const forget = () => {
      if (this.#entries.get(key) === entry) this.#entries.delete(key);
    };
    entry.value.then((value) => {
      if (!this.keep(value)) forget();
    }, forget);
    return entry.value;
  }
}
