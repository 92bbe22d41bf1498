import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Temporal } from '@js-temporal/polyfill';
import type { KvKey } from '@fedify/fedify';
import { createTestSchema, type TestSchema } from '../../test/support/database.js';
import { PostgresKvStore } from './postgres-kv-store.js';

// Contract for Fedify's KvStore, run on a real Postgres in a schema of its own.
describe('PostgresKvStore', () => {
  let schema: TestSchema;
  let sut: PostgresKvStore;
  before(async () => {
    schema = await createTestSchema();
    sut = new PostgresKvStore(schema.pool);
  });
  after(async () => {
    await schema.drop();
  });

  const collect = async (prefix?: KvKey): Promise<{ key: readonly string[]; value: unknown }[]> => {
    const out: { key: readonly string[]; value: unknown }[] = [];
    for await (const entry of sut.list(prefix)) out.push(entry);
    return out;
  };

  it('sets, gets, overwrites and deletes JSON values', async () => {
    const value = { a: [1, 'two', null], nested: { ok: true } };
    assert.equal(await sut.get(['kv', 'missing']), undefined);
    await sut.set(['kv', 'x'], value);
    assert.deepEqual(await sut.get(['kv', 'x']), value);
    await sut.set(['kv', 'x'], 'replaced');
    assert.equal(await sut.get(['kv', 'x']), 'replaced');
    await sut.delete(['kv', 'x']);
    assert.equal(await sut.get(['kv', 'x']), undefined);
    await sut.delete(['kv', 'x']); // deleting what is gone is fine
  });

  it('keeps keys that differ only in how they split apart', async () => {
    await sut.set(['split', 'a', 'b'], 1);
    await sut.set(['split', 'a/b'], 2);
    assert.equal(await sut.get(['split', 'a', 'b']), 1);
    assert.equal(await sut.get(['split', 'a/b']), 2);
  });

  it('expires entries after their TTL', async () => {
    await sut.set(['ttl', 'short'], 'v', { ttl: Temporal.Duration.from({ milliseconds: 300 }) });
    await sut.set(['ttl', 'long'], 'v', { ttl: Temporal.Duration.from({ hours: 1 }) });
    assert.equal(await sut.get(['ttl', 'short']), 'v');
    await new Promise((r) => setTimeout(r, 450));
    assert.equal(await sut.get(['ttl', 'short']), undefined);
    assert.equal(await sut.get(['ttl', 'long']), 'v');
    assert.deepEqual(
      (await collect(['ttl'])).map((e) => e.key),
      [['ttl', 'long']],
    );
    assert.equal(await sut.purgeExpired(), 1);
    assert.equal(await sut.purgeExpired(), 0);
  });

  it('setting without a TTL clears an earlier one', async () => {
    await sut.set(['ttl2'], 'v', { ttl: Temporal.Duration.from({ milliseconds: 200 }) });
    await sut.set(['ttl2'], 'v2');
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(await sut.get(['ttl2']), 'v2');
  });

  it('compare-and-swap succeeds only against the current value', async () => {
    assert.equal(await sut.cas(['cas', 'k'], undefined, 1), true, 'absent → 1');
    assert.equal(await sut.cas(['cas', 'k'], undefined, 2), false, 'not absent any more');
    assert.equal(await sut.cas(['cas', 'k'], 5, 2), false, 'wrong expected value');
    assert.equal(await sut.get(['cas', 'k']), 1);
    assert.equal(await sut.cas(['cas', 'k'], 1, { n: 2 }), true);
    assert.equal(await sut.cas(['cas', 'k'], { n: 2 }, 'three'), true, 'objects compare as JSON');
    assert.equal(await sut.get(['cas', 'k']), 'three');
  });

  it('compare-and-swap treats an expired entry as absent', async () => {
    await sut.set(['cas', 'exp'], 'old', { ttl: Temporal.Duration.from({ milliseconds: 100 }) });
    await new Promise((r) => setTimeout(r, 200));
    assert.equal(await sut.cas(['cas', 'exp'], 'old', 'new'), false);
    assert.equal(await sut.cas(['cas', 'exp'], undefined, 'new'), true);
    assert.equal(await sut.get(['cas', 'exp']), 'new');
  });

  it('compare-and-swap lets exactly one of many concurrent writers win', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => sut.cas(['cas', 'race'], undefined, i)),
    );
    assert.equal(results.filter(Boolean).length, 1);
  });

  it('lists by prefix, the prefix key itself included, in key order', async () => {
    await sut.set(['list', 'b'], 2);
    await sut.set(['list', 'a'], 1);
    await sut.set(['list'], 0);
    await sut.set(['list', 'a', 'deep'], 3);
    await sut.set(['listing'], 'not under ["list"]');
    const entries = await collect(['list']);
    assert.deepEqual(
      entries.map((e) => [e.key, e.value]),
      [
        [['list'], 0],
        [['list', 'a'], 1],
        [['list', 'a', 'deep'], 3],
        [['list', 'b'], 2],
      ],
    );
    assert.deepEqual(
      (await collect(['list', 'a'])).map((e) => e.key),
      [
        ['list', 'a'],
        ['list', 'a', 'deep'],
      ],
    );
  });

  it('lists more entries than one page holds', async () => {
    const keys = Array.from({ length: 1203 }, (_, i) => `k${String(i).padStart(5, '0')}`);
    await schema.pool.query(
      `INSERT INTO fedify_kv (key, value) SELECT ARRAY['page', k], to_jsonb(k) FROM unnest($1::text[]) AS k`,
      [keys],
    );
    const listed = await collect(['page']);
    assert.equal(listed.length, keys.length);
    assert.deepEqual(
      listed.map((e) => e.value),
      keys,
    );
  });
});
