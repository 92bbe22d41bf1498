import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { PUBLIC_SCHEMAS, schemaFileText } from '../cli/write-schemas.js';
import { commandOf, eventIdOf, uniqueTags, validateArticleEvent } from './article-event.js';
import type { ArticleEvent } from './article-event.schema.js';

const repoFile = (path: string) => new URL(`../../../${path}`, import.meta.url);

const event = (): ArticleEvent => ({
  schemaVersion: 1,
  eventId: '0B6F3A52-7E4C-4D61-9D0A-3C2B1A4F5E6D',
  type: 'article.published',
  occurredAt: '2026-11-20T10:00:00Z',
  article: {
    id: 'p-1',
    url: 'https://stories.example/p-1',
    title: '  A title ',
    subtitle: '  ',
    contentHtml: '<p>x</p>',
    tags: ['#Writing', 'writing', ' fediverse '],
    publishedAt: '2026-11-20T10:00:00Z',
    updatedAt: '2026-11-20T11:00:00+01:00',
    visibility: 'members',
    coverImage: { url: 'https://img.example/c.png' },
    authors: [
      { id: 'u1', username: 'ada', displayName: 'Ada', bio: null },
      { id: 'u1', username: 'ada', displayName: 'Ada again' },
    ],
    publication: { id: 'pub', slug: 'engines', name: 'Engines', customDomain: 'blog.example' },
  },
});

describe('article event schema v1', () => {
  it('schemas/ holds exactly what the code validates with', async () => {
    for (const [name, schema] of Object.entries(PUBLIC_SCHEMAS)) {
      const onDisk = await readFile(repoFile(`schemas/${name}`), 'utf8');
      assert.equal(
        onDisk,
        schemaFileText(schema),
        `schemas/${name} is stale: npm run schemas:write`,
      );
    }
  });

  it('accepts the documented example and a minimal delete', () => {
    assert.equal(validateArticleEvent(event()).ok, true);
    const del = {
      schemaVersion: 1,
      eventId: '0b6f3a52-7e4c-4d61-9d0a-3c2b1a4f5e6d',
      type: 'article.deleted',
      occurredAt: '2026-11-20T10:00:00Z',
      article: { id: 'p-1' },
    };
    assert.equal(validateArticleEvent(del).ok, true);
  });

  it('reports problems of the branch the type selects, by pointer, once each', () => {
    const bad = { ...event(), article: { ...event().article, visibility: 'secret', title: 5 } };
    const result = validateArticleEvent(bad);
    assert.ok(!result.ok);
    const pointers = result.problems.map((p) => p.pointer).sort();
    assert.deepEqual(pointers, ['/article/title', '/article/visibility']);
  });

  it('eventIdOf reads a usable id from anything', () => {
    assert.equal(eventIdOf(event()), '0b6f3a52-7e4c-4d61-9d0a-3c2b1a4f5e6d');
    assert.equal(eventIdOf({ eventId: 'nope' }), null);
    assert.equal(eventIdOf('text'), null);
    assert.equal(eventIdOf(null), null);
  });
});

describe('commandOf', () => {
  it('normalizes: lower-case id, trimmed text, blank → null, tags deduplicated, authors unique', () => {
    const cmd = commandOf(event(), 'kafka');
    assert.ok(cmd.kind === 'upsert');
    assert.equal(cmd.eventId, '0b6f3a52-7e4c-4d61-9d0a-3c2b1a4f5e6d');
    assert.equal(cmd.eventType, 'article.published');
    assert.equal(cmd.article.title, 'A title');
    assert.equal(cmd.article.subtitle, null);
    assert.deepEqual(cmd.article.tags, ['Writing', 'fediverse']);
    assert.deepEqual(cmd.article.coverImage, { url: 'https://img.example/c.png', alt: '' });
    assert.equal(cmd.article.updatedAt.toISOString(), '2026-11-20T10:00:00.000Z');
    assert.equal(cmd.article.commentsEnabled, true);
    assert.equal(cmd.authors.length, 1);
    assert.deepEqual(cmd.authors[0]?.profile, { username: 'ada', displayName: 'Ada', bio: null });
    assert.deepEqual(cmd.publication?.profile, {
      slug: 'engines',
      name: 'Engines',
      customDomain: 'blog.example',
    });
  });

  it('a delete needs only the story id', () => {
    const cmd = commandOf(
      {
        schemaVersion: 1,
        eventId: '0b6f3a52-7e4c-4d61-9d0a-3c2b1a4f5e6d',
        type: 'article.deleted',
        occurredAt: '2026-11-20T10:00:00Z',
        article: { id: 'p-9' },
      },
      'http',
    );
    assert.deepEqual(cmd, {
      kind: 'delete',
      eventId: '0b6f3a52-7e4c-4d61-9d0a-3c2b1a4f5e6d',
      source: 'http',
      occurredAt: new Date('2026-11-20T10:00:00Z'),
      platformId: 'p-9',
    });
  });

  it('uniqueTags keeps the first spelling and drops empties', () => {
    assert.deepEqual(uniqueTags(['#A', 'a', '', '##', 'B ']), ['A', 'B']);
  });
});
