import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decideDelete, decideUpsert } from './decide.js';

const at = (iso: string) => new Date(iso);
const stored = (updatedAt: string, hash = 'h1', deletedAt: Date | null = null) => ({
  sourceUpdatedAt: at(updatedAt),
  contentHash: hash,
  deletedAt,
});

describe('decideUpsert', () => {
  it('creates an unknown story', () => {
    assert.deepEqual(decideUpsert(null, { updatedAt: at('2026-01-01'), contentHash: 'h' }, false), {
      outcome: 'applied',
      change: 'create',
    });
  });
  it('updates when newer and different', () => {
    const d = decideUpsert(
      stored('2026-01-01'),
      { updatedAt: at('2026-01-02'), contentHash: 'h2' },
      false,
    );
    assert.deepEqual(d, { outcome: 'applied', change: 'update' });
  });
  it('same time, different content: the later arrival wins', () => {
    const d = decideUpsert(
      stored('2026-01-01'),
      { updatedAt: at('2026-01-01'), contentHash: 'h2' },
      false,
    );
    assert.deepEqual(d, { outcome: 'applied', change: 'update' });
  });
  it('newer but the same content: unchanged', () => {
    const d = decideUpsert(
      stored('2026-01-01'),
      { updatedAt: at('2026-01-05'), contentHash: 'h1' },
      false,
    );
    assert.deepEqual(d, { outcome: 'unchanged', reason: 'same_content' });
  });
  it('older: stale', () => {
    const d = decideUpsert(
      stored('2026-01-02'),
      { updatedAt: at('2026-01-01'), contentHash: 'h9' },
      false,
    );
    assert.deepEqual(d, { outcome: 'stale', reason: 'older_than_stored' });
  });
  it('deleted (stored or logged before the story arrived): stale', () => {
    const deleted = stored('2026-01-01', 'h1', at('2026-01-03'));
    const newer = { updatedAt: at('2026-02-01'), contentHash: 'h2' };
    assert.deepEqual(decideUpsert(deleted, newer, false), {
      outcome: 'stale',
      reason: 'article_deleted',
    });
    assert.deepEqual(decideUpsert(null, newer, true), {
      outcome: 'stale',
      reason: 'article_deleted',
    });
  });
});

describe('decideDelete', () => {
  it('deletes a live story once', () => {
    assert.deepEqual(decideDelete(stored('2026-01-01')), { outcome: 'applied', change: 'delete' });
    assert.deepEqual(decideDelete(stored('2026-01-01', 'h', at('2026-01-02'))), {
      outcome: 'unchanged',
      reason: 'already_deleted',
    });
  });
  it('records a delete of an unknown story without a change', () => {
    assert.deepEqual(decideDelete(null), {
      outcome: 'applied',
      change: null,
      reason: 'unknown_article',
    });
  });
});
