import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { settleWithin } from './settle-within.js';

describe('settleWithin', () => {
  it('is true for a promise that settles in time', async () => {
    assert.equal(await settleWithin(Promise.resolve('x'), 1_000), true);
  });

  it('is false when the time runs out first', async () => {
    const never = new Promise(() => undefined);
    assert.equal(await settleWithin(never, 20), false);
  });

  it('rethrows a rejection', async () => {
    await assert.rejects(settleWithin(Promise.reject(new Error('down')), 1_000), /down/);
  });
});
