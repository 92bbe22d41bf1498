import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { handleCandidates, isValidHandle, MAX_HANDLE_LENGTH, normalizeHandle } from './handle.js';

function firstCandidates(raw: string, count: number): string[] {
  const out: string[] = [];
  for (const candidate of handleCandidates(raw)) {
    out.push(candidate);
    if (out.length === count) break;
  }
  return out;
}

describe('normalizeHandle', () => {
  const cases: [string, string][] = [
    ['Alice', 'alice'],
    ['@jane.doe', 'jane.doe'],
    ['José Ñúñez', 'jose_nunez'],
    ['the-daily--brief', 'the-daily_brief'],
    ['.hidden.', 'hidden'],
    ['emoji🙂name', 'emoji_name'],
    ['日本語', 'user'],
    ['-_-', 'user'],
    ['', 'user'],
    ['---', 'user'],
  ];
  for (const [raw, expected] of cases) {
    it(`${JSON.stringify(raw)} → ${expected}`, () => {
      assert.equal(normalizeHandle(raw), expected);
    });
  }

  it('always yields a valid handle, cut to the maximum length', () => {
    const long = normalizeHandle(`${'a'.repeat(MAX_HANDLE_LENGTH - 1)}.-b`);
    assert.ok(isValidHandle(long), long);
    assert.ok(long.length <= MAX_HANDLE_LENGTH);
    for (const raw of ['A.B', 'x-', '-_-', 'Ωmega', 'a b c', '__init__']) {
      assert.ok(isValidHandle(normalizeHandle(raw)), raw);
    }
  });
});

describe('handleCandidates', () => {
  it('tries the handle, then numbered variants', () => {
    assert.deepEqual(firstCandidates('Alice', 3), ['alice', 'alice_2', 'alice_3']);
  });

  it('skips reserved handles', () => {
    assert.deepEqual(firstCandidates('Instance', 2), ['instance_2', 'instance_3']);
  });

  it('keeps suffixed handles within the length limit', () => {
    const second = firstCandidates('x'.repeat(100), 2)[1] ?? '';
    assert.equal(second.length, MAX_HANDLE_LENGTH);
    assert.ok(second.endsWith('_2'));
  });
});
