/** Bounds of a feed's polling interval, in seconds. */
export interface IntervalBounds {
  readonly minIntervalS: number;
  readonly maxIntervalS: number;
}

/** How many of the newest publication gaps the cadence is read from. */
const CADENCE_GAPS = 10;
/** Jitter: ± this fraction of the interval, so feeds added together do not poll together. */
const JITTER = 0.1;

/**
 * The interval a feed's posting cadence suggests: half the median gap between its newest items'
 * publication times, within the bounds. Without two dated items: the geometric middle of the
 * bounds.
 */
export function cadenceInterval(
  publishedAt: readonly (Date | null)[],
  bounds: IntervalBounds,
): number {
  const times = publishedAt
    .filter((d): d is Date => d !== null)
    .map((d) => d.getTime())
    .sort((a, b) => b - a)
    .slice(0, CADENCE_GAPS + 1);
  const gaps: number[] = [];
  for (let i = 1; i < times.length; i++) {
    const gap = (times[i - 1] ?? 0) - (times[i] ?? 0);
    if (gap > 0) gaps.push(gap / 1000);
  }
  if (gaps.length === 0) {
    return clamp(Math.round(Math.sqrt(bounds.minIntervalS * bounds.maxIntervalS)), bounds);
  }
  gaps.sort((a, b) => a - b);
  const mid = Math.floor(gaps.length / 2);
  const median =
    gaps.length % 2 === 1 ? (gaps[mid] ?? 0) : ((gaps[mid - 1] ?? 0) + (gaps[mid] ?? 0)) / 2;
  return clamp(Math.round(median / 2), bounds);
}

/**
 * After `failures` consecutive failures: the minimum interval doubled per failure, within the
 * bounds (so a broken feed ends up polled at the maximum interval).
 */
export function backoffInterval(failures: number, bounds: IntervalBounds): number {
  return clamp(bounds.minIntervalS * 2 ** Math.min(Math.max(failures, 0), 30), bounds);
}

/** When to poll next: `intervalS` from `now`, ± 10 % jitter (`random` in [0, 1)). */
export function nextPollAt(now: Date, intervalS: number, random: number = Math.random()): Date {
  const jittered = intervalS * (1 + JITTER * (2 * random - 1));
  return new Date(now.getTime() + Math.round(jittered * 1000));
}

function clamp(seconds: number, bounds: IntervalBounds): number {
  return Math.min(bounds.maxIntervalS, Math.max(bounds.minIntervalS, seconds));
}
