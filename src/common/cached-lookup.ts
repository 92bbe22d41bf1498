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
