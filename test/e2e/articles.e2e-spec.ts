import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type Bridge, startBridge } from './support/bridge.js';
import { deletedEvent, publishedEvent } from './support/events.js';

const AP = 'application/activity+json';

describe('article URLs (/articles/{id})', () => {
  let bridge: Bridge;

  before(async () => {
    bridge = await startBridge({ PLATFORM_TAG_URL: 'https://stories.example/tag/{tag}' });
  });
  after(async () => {
    await bridge.dispose();
  });

  async function ingest(event: Record<string, unknown>): Promise<string> {
    const res = await bridge.api('POST', '/api/v1/events', event, ['ingest']);
    const body = (await res.json()) as { articleId?: string };
    assert.equal(res.status, 202);
    assert.ok(body.articleId);
    return body.articleId;
  }

  const get = (path: string, accept?: string) =>
    fetch(`${bridge.origin}${path}`, {
      redirect: 'manual',
      headers: accept === undefined ? {} : { accept },
    });

  it('ActivityPub clients get the Article; its authors and followers collections resolve', async () => {
    const id = await ingest(
      publishedEvent('art-1', { language: 'en', tags: ['Engines'], contentHtml: '<p>Body</p>' }),
    );
    const res = await get(`/articles/${id}`, AP);
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^application\/activity\+json/);
    const article = (await res.json()) as Record<string, unknown> & {
      attributedTo: string[];
      cc: string[];
      url: { href: string; mimeType: string };
    };
    assert.equal(article.id, `${bridge.origin}/articles/${id}`);
    assert.equal(article.type, 'Article');
    assert.equal(article.name, 'Story art-1');
    assert.equal(article.summary, '<p>A subtitle</p>');
    assert.equal(article.content, '<p>Body</p>');
    assert.deepEqual(article.url, {
      type: 'Link',
      href: 'https://stories.example/p/art-1',
      mediaType: 'text/html',
      mimeType: 'text/html',
    });
    assert.equal(article.attributedTo.length, 2, 'the author, then the publication');
    for (const actor of article.attributedTo) {
      const doc = await get(new URL(actor).pathname, AP);
      assert.equal(doc.status, 200, actor);
    }
    for (const followers of article.cc) {
      const doc = await get(new URL(followers).pathname, AP);
      assert.equal(doc.status, 200, followers);
    }
  });

  it('browsers are sent to the canonical URL', async () => {
    const id = await ingest(publishedEvent('art-2'));
    const res = await get(`/articles/${id}`, 'text/html');
    assert.equal(res.status, 302);
    assert.equal(res.headers.get('location'), 'https://stories.example/p/art-2');
  });

  it('a members-only story never serves its full text', async () => {
    const id = await ingest(
      publishedEvent('art-3', { visibility: 'members', contentHtml: '<p>SECRET-FULL-TEXT</p>' }),
    );
    const body = await (await get(`/articles/${id}`, AP)).text();
    assert.ok(!body.includes('SECRET-FULL-TEXT'));
    assert.match(body, /members only/i);
  });

  it('a deleted story answers 410 with a Tombstone', async () => {
    const id = await ingest(publishedEvent('art-4'));
    const del = await bridge.api('POST', '/api/v1/events', deletedEvent('art-4'), ['ingest']);
    assert.equal(del.status, 202);
    const res = await get(`/articles/${id}`, AP);
    assert.equal(res.status, 410);
    assert.deepEqual(await res.json(), {
      '@context': 'https://www.w3.org/ns/activitystreams',
      id: `${bridge.origin}/articles/${id}`,
      type: 'Tombstone',
      formerType: 'Article',
      deleted: '2026-11-21T10:00:00Z',
    });
    assert.equal((await get(`/articles/${id}`, 'text/html')).status, 410);
  });

  it('unknown or malformed ids are 404', async () => {
    assert.equal((await get('/articles/6f1c4f57-3f2a-4a8e-9a51-2b4d7c9e0f11', AP)).status, 404);
    assert.equal((await get('/articles/not-a-uuid', AP)).status, 404);
  });

  it('hashtag links: a collection of public stories for ActivityPub, the platform page for browsers', async () => {
    const tagged = await ingest(publishedEvent('tag-1', { tags: ['Difference Engine'] }));
    await ingest(publishedEvent('tag-2', { tags: ['difference engine'], visibility: 'unlisted' }));
    const res = await get('/tags/difference%20engine', AP);
    assert.equal(res.status, 200);
    const collection = (await res.json()) as { totalItems: number; orderedItems: string[] };
    assert.equal(collection.totalItems, 1, 'the unlisted story is not listed');
    assert.deepEqual(collection.orderedItems, [`${bridge.origin}/articles/${tagged}`]);

    const page = await get('/tags/Difference%20Engine', 'text/html');
    assert.equal(page.status, 302);
    assert.equal(page.headers.get('location'), 'https://stories.example/tag/difference%20engine');
  });
});
