import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reconnectDelay, MAX_RECONNECT_DELAY_MS } from './connection.js';
import { RateLimitedLog } from './rate-limited-log.js';

describe('RateLimitedLog', () => {
  it('writes the first error, suppresses repeats within the interval, then reports the count', () => {
    let now = 0;
    const lines: string[] = [];
    const sut = new RateLimitedLog(
      (m) => lines.push(m),
      1_000,
      () => now,
    );
    sut.log('redis', 'down');
    for (let i = 0; i < 500; i++) sut.log('redis', 'down');
    now = 1_000;
    sut.log('redis', 'down');
    assert.deepEqual(lines, ['down', 'down (500 similar suppressed)']);
  });

  it('keeps keys apart', () => {
    const lines: string[] = [];
    const sut = new RateLimitedLog(
      (m) => lines.push(m),
      1_000,
      () => 0,
    );
    sut.log('a', 'a1');
    sut.log('b', 'b1');
    sut.log('a', 'a2');
    assert.deepEqual(lines, ['a1', 'b1']);
  });
});

describe('reconnectDelay', () => {
  it('grows exponentially and stays at the cap', () => {
    assert.deepEqual([1, 2, 3, 4].map(reconnectDelay), [100, 200, 400, 800]);
    assert.equal(reconnectDelay(50), MAX_RECONNECT_DELAY_MS);
    assert.equal(reconnectDelay(10_000), MAX_RECONNECT_DELAY_MS);
  });
});
