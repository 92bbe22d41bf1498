/**
 * When a failed delivery is tried again, and which answers are worth retrying.
 *
 * The schedule covers about two days (see {@link RETRY_SCHEDULE_MS}): long enough for a server
 * that is down for a weekend-length outage or a migration to get what it missed, short enough
 * that a dead server stops costing work. Each delay is spread by ±20 % so that the deliveries of
 * one fan-out that failed together do not come back together.
 */

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/**
 * Delay before retry n (index 0 = the first retry). Twelve attempts in all; the delays add up to
 * 48 h 42.5 min, so the last attempt is about two days after the first.
 */
export const RETRY_SCHEDULE_MS: readonly number[] = [
  30 * SECOND,
  2 * MINUTE,
  10 * MINUTE,
  30 * MINUTE,
  1 * HOUR,
  2 * HOUR,
  4 * HOUR,
  8 * HOUR,
  12 * HOUR,
  12 * HOUR,
  9 * HOUR,
];

/** Attempts per delivery: the first one and one per scheduled retry. */
export const MAX_ATTEMPTS = RETRY_SCHEDULE_MS.length + 1;

/** Spread of each delay, as a fraction either way. */
const JITTER = 0.2;

/**
 * The delay before the next attempt after `attemptsMade` failed ones (1 = the first attempt
 * failed), or null when none is left. `random` is in [0, 1); `scale` shortens the schedule
 * (`DELIVERY_RETRY_SCALE`, for tests and staging).
 */
export function retryDelayMs(
  attemptsMade: number,
  random: number = Math.random(),
  scale = 1,
): number | null {
  const base = RETRY_SCHEDULE_MS[attemptsMade - 1];
  if (base === undefined) return null;
  return Math.round(base * scale * (1 - JITTER + 2 * JITTER * random));
}

/** What to do about one answer from an inbox. */
export type Verdict =
  /** 2xx: done. */
  | 'delivered'
  /** Worth another attempt: network errors, timeouts, 5xx, 401, 408, 429. */
  | 'retry'
  /** 410: the inbox is gone for good; the followers behind it go too. */
  | 'gone'
  /** Any other 4xx (and unexpected 1xx/3xx): the server refused it; retrying changes nothing. */
  | 'refused';

/**
 * 401 is retried because it is often a race (the receiver could not fetch our key yet, or a key
 * rotation has not reached its cache); 408 and 429 ask for it. Everything else in 4xx means the
 * request itself is unacceptable.
 */
const RETRIED_CLIENT_ERRORS = new Set([401, 408, 429]);

/** The verdict for an HTTP status; `null` means no answer came (connection error, timeout). */
export function verdictFor(status: number | null): Verdict {
  if (status === null) return 'retry';
  if (status >= 200 && status < 300) return 'delivered';
  if (status === 410) return 'gone';
  if (status >= 500 || RETRIED_CLIENT_ERRORS.has(status)) return 'retry';
  return 'refused';
}

/**
 * How long a `Retry-After` header (seconds or an HTTP date) asks us to wait, bounded to
 * [0, 6 h]; null when absent or unreadable.
 */
export function retryAfterMs(header: string | null, now: number = Date.now()): number | null {
  if (header === null) return null;
  const trimmed = header.trim();
  let ms: number;
  if (/^\d+$/.test(trimmed)) ms = Number(trimmed) * SECOND;
  else {
    const at = Date.parse(trimmed);
    if (Number.isNaN(at)) return null;
    ms = at - now;
  }
  return Math.min(Math.max(ms, 0), 6 * HOUR);
}
