import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_ATTEMPTS,
  RETRY_SCHEDULE_MS,
  retryAfterMs,
  retryDelayMs,
  verdictFor,
} from './retry-policy.js';

describe('retry policy', () => {
  it('spreads twelve attempts over about two days', () => {
    const total = RETRY_SCHEDULE_MS.reduce((a, b) => a + b, 0);
    assert.equal(MAX_ATTEMPTS, 12);
    assert.ok(total > 46 * 3600_000 && total < 50 * 3600_000, `${total / 3600_000} h`);
    assert.deepEqual(
      [...RETRY_SCHEDULE_MS].slice(0, 4),
      [30_000, 120_000, 600_000, 1_800_000],
      'the first retries come quickly',
    );
  });

  it('jitters each delay by ±20 % and stops after the last one', () => {
    assert.equal(retryDelayMs(1, 0), 24_000);
    assert.equal(retryDelayMs(1, 0.5), 30_000);
    assert.equal(retryDelayMs(1, 0.999_999), 36_000);
    assert.equal(retryDelayMs(2, 0.5), 120_000);
    assert.equal(retryDelayMs(MAX_ATTEMPTS - 1, 0.5), 9 * 3600_000);
    assert.equal(retryDelayMs(MAX_ATTEMPTS, 0.5), null);
    assert.equal(retryDelayMs(0, 0.5), null);
  });

  it('retries what may pass later and nothing else', () => {
    const cases: [number | null, string][] = [
      [200, 'delivered'],
      [202, 'delivered'],
      [204, 'delivered'],
      [null, 'retry'],
      [500, 'retry'],
      [502, 'retry'],
      [503, 'retry'],
      [401, 'retry'],
      [408, 'retry'],
      [429, 'retry'],
      [400, 'refused'],
      [403, 'refused'],
      [404, 'refused'],
      [413, 'refused'],
      [422, 'refused'],
      [301, 'refused'],
      [410, 'gone'],
    ];
    for (const [status, expected] of cases) assert.equal(verdictFor(status), expected, `${status}`);
  });

  it('reads Retry-After as seconds or a date, bounded', () => {
    const now = Date.parse('2026-11-22T00:00:00Z');
    assert.equal(retryAfterMs('120', now), 120_000);
    assert.equal(retryAfterMs('Sun, 22 Nov 2026 00:01:00 GMT', now), 60_000);
    assert.equal(retryAfterMs('Sat, 21 Nov 2026 00:00:00 GMT', now), 0);
    assert.equal(retryAfterMs('999999', now), 6 * 3600_000);
    assert.equal(retryAfterMs('soon', now), null);
    assert.equal(retryAfterMs(null, now), null);
  });
});
