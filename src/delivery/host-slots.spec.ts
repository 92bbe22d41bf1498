import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { HostSlots } from './host-slots.js';

describe('HostSlots', () => {
  it('gives `limit` slots per host and null beyond, never waiting', () => {
    const slots = new HostSlots(2);
    const a = slots.tryAcquire('a.example');
    const b = slots.tryAcquire('a.example');
    assert.ok(a && b);
    assert.equal(slots.tryAcquire('a.example'), null, 'the host is full');
    const other = slots.tryAcquire('b.example');
    assert.ok(other, 'other hosts are not affected');
    assert.equal(slots.inFlight('a.example'), 2);
    a();
    a(); // a second call is a no-op, not a second free slot
    assert.equal(slots.inFlight('a.example'), 1);
    const c = slots.tryAcquire('a.example');
    assert.ok(c);
    assert.equal(slots.tryAcquire('a.example'), null);
    b();
    c();
    other();
    assert.equal(slots.inFlight('a.example'), 0);
    assert.equal(slots.inFlight('b.example'), 0);
  });

  it('refuses a limit below one', () => {
    assert.throws(() => new HostSlots(0), RangeError);
  });
});
