/** Small helpers for timing and summarising samples. */

/** Nanoseconds on the monotonic clock. */
export const now = (): bigint => process.hrtime.bigint();

/** Milliseconds between two {@link now} readings. */
export const msBetween = (from: bigint, to: bigint): number => Number(to - from) / 1e6;

/** The `p`-th percentile (0–100, nearest rank) of `values`; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] ?? Number.NaN;
}

/** Latency summary in milliseconds. */
export interface LatencySummary {
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly max: number;
  readonly mean: number;
}

export function summarise(ms: readonly number[]): LatencySummary {
  const mean = ms.length === 0 ? Number.NaN : ms.reduce((a, b) => a + b, 0) / ms.length;
  return {
    p50: round(percentile(ms, 50), 2),
    p90: round(percentile(ms, 90), 2),
    p99: round(percentile(ms, 99), 2),
    max: round(percentile(ms, 100), 2),
    mean: round(mean, 2),
  };
}

export function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/** `n` per second over `ms`. */
export const perSecond = (n: number, ms: number): number => (ms > 0 ? round((n / ms) * 1000) : 0);

/** Counts of `key(item)`. */
export function countBy<T>(items: Iterable<T>, key: (item: T) => string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls `predicate` every `everyMs` until it holds; false after `timeoutMs`. */
export async function waitUntil(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs: number,
  everyMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await predicate()) return true;
    if (Date.now() > deadline) return false;
    await sleep(everyMs);
  }
}

/** A plain-text table with a header row; numbers right-aligned. */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  const cells = [header, ...rows].map((r) =>
    r.map((c) => (typeof c === 'number' ? fmt(c) : String(c))),
  );
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[], raw: readonly unknown[]): string =>
    r
      .map((c, i) =>
        typeof raw[i] === 'number' ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0),
      )
      .join('  ');
  const [head = [], ...body] = cells;
  return [
    line(head, header),
    widths.map((w) => '-'.repeat(w)).join('  '),
    ...body.map((r, i) => line(r, rows[i] ?? [])),
  ].join('\n');
}

/** A number with thin grouping (12 345.6). */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return '—';
  const [int = '', frac] = String(round(value, Math.abs(value) < 10 ? 2 : 1)).split('.');
  const grouped = int.replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return frac === undefined ? grouped : `${grouped}.${frac}`;
}
