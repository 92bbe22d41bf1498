import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { feedEventId, firstPollSelection, itemPlatformId } from './feed-items.js';
import type { FeedItem } from './parse/index.js';
import { backoffInterval, cadenceInterval, nextPollAt } from './poll-schedule.js';

const item = (key: string, publishedAt: string | null): FeedItem => ({
  key,
  guid: key,
  link: null,
  title: key,
  contentHtml: '',
  excerpt: null,
  authors: [],
  categories: [],
  publishedAt: publishedAt === null ? null : new Date(publishedAt),
  updatedAt: null,
  coverImage: null,
  visibility: 'public',
  language: null,
  contentHash: 'h',
});

describe('feed items', () => {
  it('event ids are stable UUIDs per change, and an edit reverted later is a new change', () => {
    const first = feedEventId('f', 'k', null, 'A');
    assert.match(first, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(feedEventId('f', 'k', null, 'A'), first);
    const toB = feedEventId('f', 'k', 'A', 'B');
    const backToA = feedEventId('f', 'k', 'B', 'A');
    assert.equal(new Set([first, toB, backToA]).size, 3);
    assert.notEqual(feedEventId('g', 'k', null, 'A'), first);
  });

  it('URL keys are story ids across feeds; other keys are scoped to their feed', () => {
    assert.equal(itemPlatformId('f1', 'https://medium.com/p/abc'), 'https://medium.com/p/abc');
    assert.equal(itemPlatformId('f1', '1234'), 'feed:f1:1234');
  });

  it('the first poll federates items newer than the subscription plus the newest backfill', () => {
    const items = [
      item('old1', '2026-01-01T00:00:00Z'),
      item('old3', '2026-03-01T00:00:00Z'),
      item('undated', null),
      item('old2', '2026-02-01T00:00:00Z'),
      item('new', '2026-06-01T00:00:00Z'),
    ];
    const since = new Date('2026-05-01T00:00:00Z');
    assert.deepEqual([...firstPollSelection(items, since, 0)], ['new']);
    assert.deepEqual([...firstPollSelection(items, since, 2)].sort(), ['new', 'old2', 'old3']);
  });
});

describe('poll schedule', () => {
  const bounds = { minIntervalS: 300, maxIntervalS: 21_600 };
  const hoursAgo = (h: number) => new Date(Date.UTC(2026, 10, 20) - h * 3_600_000);

  it('half the median gap between the newest items, within bounds', () => {
    // gaps of 2 h → 1 h
    const dates = [0, 2, 4, 6, 8].map(hoursAgo);
    assert.equal(cadenceInterval(dates, bounds), 3600);
    // a daily feed → clamped to 6 h
    assert.equal(cadenceInterval([0, 24, 48].map(hoursAgo), bounds), 21_600);
    // bursts → clamped to 5 min
    assert.equal(cadenceInterval([0, 0.01, 0.02].map(hoursAgo), bounds), 300);
  });

  it('without two dated items: the geometric middle of the bounds', () => {
    assert.equal(cadenceInterval([null, hoursAgo(1)], bounds), Math.round(Math.sqrt(300 * 21_600)));
  });

  it('backs off exponentially from the minimum up to the maximum', () => {
    assert.deepEqual(
      [1, 2, 3, 10].map((f) => backoffInterval(f, bounds)),
      [600, 1200, 2400, 21_600],
    );
  });

  it('jitters by at most ±10 %', () => {
    const now = new Date(0);
    assert.equal(nextPollAt(now, 1000, 0).getTime(), 900_000);
    assert.equal(nextPollAt(now, 1000, 0.5).getTime(), 1_000_000);
    assert.ok(nextPollAt(now, 1000, 0.999_999).getTime() <= 1_100_000);
  });
});
