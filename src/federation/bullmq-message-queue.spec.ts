import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storable } from './bullmq-message-queue.js';

// Regression cases from test/e2e/inbox-fuzz.e2e-spec.ts: activities carrying NUL or a lone
// surrogate could not be stored by the Postgres queue backend (jsonb), and the inbox answered 500.
void describe('storable', () => {
  void it('replaces NUL and lone surrogates, at any depth, with U+FFFD', () => {
    const message = { a: 'x\u0000y', b: ['\ud800', { c: 'z\udfffz' }], d: 1 };
    assert.deepEqual(storable(message), { a: 'x\ufffdy', b: ['\ufffd', { c: 'z\ufffdz' }], d: 1 });
  });

  void it('keeps paired surrogates, escaped-looking text and clean messages as they are', () => {
    const emoji = { a: '\ud83d\ude00', b: '\\u0000 is text', c: '\\\\u0000' };
    assert.deepEqual(storable(emoji), emoji);
    const clean = { type: 'Create', n: [1, null, true] };
    assert.equal(storable(clean), clean);
  });
});
