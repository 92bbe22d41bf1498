import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostSlots } from './host-slots.js';

describe('HostSlots', () => {
  it('lets `limit` requests per host through and queues the rest in order', async () => {
    const slots = new HostSlots(2);
    const a = await slots.acquire('a.example');
    const b = await slots.acquire('a.example');
    const other = await slots.acquire('b.example');
    assert.equal(slots.inFlight('a.example'), 2);
    const order: string[] = [];
    const third = slots.acquire('a.example').then((release) => {
      order.push('third');
      return release;
    });
    const fourth = slots.acquire('a.example').then((release) => {
      order.push('fourth');
      return release;
    });
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, [], 'both wait while the host is full');
    a();
    a(); // a second call is a no-op, not a second free slot
    const releaseThird = await third;
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(order, ['third']);
    assert.equal(slots.inFlight('a.example'), 2);
    b();
    const releaseFourth = await fourth;
    assert.deepEqual(order, ['third', 'fourth']);
    releaseThird();
    releaseFourth();
    other();
    assert.equal(slots.inFlight('a.example'), 0);
    assert.equal(slots.inFlight('b.example'), 0);
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new HostSlots(0), RangeError);
  });
});
