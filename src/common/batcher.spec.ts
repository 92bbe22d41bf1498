import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Batcher } from './batcher.js';

describe('Batcher', () => {
  it('runs calls made in the same turn together and answers each', async () => {
    const runs: number[][] = [];
    const sut = new Batcher<number, number>((items) => {
      runs.push([...items]);
      return Promise.resolve(items.map((n) => n * 10));
    });
    const answers = await Promise.all([sut.add(1), sut.add(2), sut.add(3)]);
    assert.deepEqual(answers, [10, 20, 30]);
    assert.deepEqual(runs, [[1, 2, 3]]);
    assert.equal(await sut.add(4), 40);
    assert.deepEqual(runs, [[1, 2, 3], [4]]);
  });

  it('runs at once when `max` items wait', async () => {
    const runs: number[][] = [];
    const sut = new Batcher<number, number>((items) => {
      runs.push([...items]);
      return Promise.resolve(items);
    }, 2);
    await Promise.all([sut.add(1), sut.add(2), sut.add(3)]);
    assert.deepEqual(runs, [[1, 2], [3]]);
  });

  it('fails every call of a batch that failed, and later batches still run', async () => {
    let fail = true;
    const sut = new Batcher<number, number>((items) =>
      fail ? Promise.reject(new Error('database down')) : Promise.resolve(items),
    );
    const results = await Promise.allSettled([sut.add(1), sut.add(2)]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    fail = false;
    assert.equal(await sut.add(3), 3);
  });
});
