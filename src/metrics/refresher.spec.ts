import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Refresher } from './refresher.js';

void describe('Refresher', () => {
  it('reuses a value for the TTL and reads again after it', async () => {
    let clock = 1_000;
    let reads = 0;
    const sut = new Refresher(() => Promise.resolve(++reads), {
      ttlMs: 100,
      timeoutMs: 50,
      now: () => clock,
    });
    assert.deepEqual(await Promise.all([sut.get(), sut.get()]), [1, 1], 'one read at once');
    clock += 99;
    assert.equal(await sut.get(), 1);
    clock += 1;
    assert.equal(await sut.get(), 2);
    assert.equal(reads, 2);
  });

  it('gives up on a slow read after the timeout; the read goes on and serves the next caller', async () => {
    let release: (value: string) => void = () => undefined;
    let reads = 0;
    const sut = new Refresher(
      () => {
        reads += 1;
        return new Promise<string>((resolve) => {
          release = resolve;
        });
      },
      { ttlMs: 60_000, timeoutMs: 20 },
    );
    assert.equal(await sut.get(), undefined, 'timed out');
    assert.equal(await sut.get(), undefined, 'still the same read');
    assert.equal(reads, 1, 'never two reads at once');
    release('late');
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(await sut.get(), 'late');
    assert.equal(reads, 1);
  });

  it('keeps nothing from a failed read (synchronous throws included) and reads again', async () => {
    let fail = true;
    const sut = new Refresher(
      () => {
        if (fail) throw new Error('down');
        return Promise.resolve('up');
      },
      { ttlMs: 60_000, timeoutMs: 50 },
    );
    assert.equal(await sut.get(), undefined);
    fail = false;
    assert.equal(await sut.get(), 'up');
  });
});
