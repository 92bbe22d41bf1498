import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TtlCache } from './cached-lookup.js';

void describe('TtlCache', () => {
  it('shares one load per key, refetches after the TTL, and evicts the oldest past max', async () => {
    let loads = 0;
    const load = (value: string) => () => {
      loads += 1;
      return Promise.resolve(value);
    };
    const cache = new TtlCache<string, string>(40, 2);
    const [a1, a2] = await Promise.all([cache.get('a', load('A')), cache.get('a', load('A'))]);
    assert.deepEqual([a1, a2, loads], ['A', 'A', 1]);
    await cache.get('b', load('B'));
    await cache.get('c', load('C')); // evicts a
    await cache.get('a', load('A2'));
    assert.equal(loads, 4);
    assert.equal(await cache.get('c', load('C2')), 'C', 'c is still fresh');
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await cache.get('c', load('C3')), 'C3', 'stale after the TTL');
  });

  it('keeps neither failed loads nor values `keep` refuses', async () => {
    const cache = new TtlCache<string, string | null>(60_000, 10, (v) => v !== null);
    await assert.rejects(cache.get('x', () => Promise.reject(new Error('down'))));
    assert.equal(await cache.get('x', () => Promise.resolve('up')), 'up');
    assert.equal(await cache.get('y', () => Promise.resolve(null)), null);
    await Promise.resolve();
    assert.equal(await cache.get('y', () => Promise.resolve('now')), 'now');
  });
});
