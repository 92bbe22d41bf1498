import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DocumentLoader, type InboxContext, preloadedContexts } from '@fedify/fedify';
import { DocumentLoaderError } from '../../net/index.js';
import { fetchReplyObject, visibilityOf } from './create.handler.js';

const PUBLIC = 'https://www.w3.org/ns/activitystreams#Public';
const FOLLOWERS = 'https://a.example/users/x/followers';
const url = (s: string) => new URL(s);

describe('visibilityOf (a reply’s addressing)', () => {
  it('reads public, unlisted, followers-only and direct like Mastodon does', () => {
    assert.equal(visibilityOf([url(PUBLIC)], [PUBLIC, FOLLOWERS], FOLLOWERS), 'public');
    assert.equal(visibilityOf([url(FOLLOWERS)], [FOLLOWERS, PUBLIC], FOLLOWERS), 'unlisted');
    assert.equal(visibilityOf([url(FOLLOWERS)], [FOLLOWERS], FOLLOWERS), 'followers');
    assert.equal(
      visibilityOf([url('https://b.example/users/y')], ['https://b.example/users/y'], FOLLOWERS),
      'direct',
    );
    assert.equal(visibilityOf([], [], null), 'direct');
  });
});

/** A context whose loader serves `documents` (by URL, as if from `served`, else 404). */
function contextServing(
  documents: Record<string, { document: unknown; served?: string }>,
): InboxContext<void> {
  const contextLoader: DocumentLoader = (u) =>
    Promise.resolve({ contextUrl: null, document: preloadedContexts[u], documentUrl: u });
  const documentLoader: DocumentLoader = (u) => {
    const found = documents[u];
    if (found === undefined) {
      const response = new Response(null, { status: 404 });
      return Promise.reject(new DocumentLoaderError(u, 'status', 'HTTP 404', { response }));
    }
    return Promise.resolve({
      contextUrl: null,
      document: found.document,
      documentUrl: found.served ?? u,
    });
  };
  const origin = 'https://bridge.example';
  return {
    documentLoader,
    contextLoader,
    origin,
    canonicalOrigin: origin,
  } as unknown as InboxContext<void>;
}

const AS = 'https://www.w3.org/ns/activitystreams';
const note = (id: string, attributedTo = 'https://a.example/users/x') => ({
  '@context': AS,
  id,
  type: 'Note',
  attributedTo,
  inReplyTo: 'https://a.example/notes/0',
  content: '<p>hi</p>',
});

describe('fetchReplyObject (an ancestor of a reply)', () => {
  it('returns a Note served from its own origin', async () => {
    const ctx = contextServing({
      'https://a.example/notes/1': { document: note('https://a.example/notes/1') },
    });
    const fetched = await fetchReplyObject(ctx, url('https://a.example/notes/1'));
    assert.ok(fetched.ok);
    assert.equal(fetched.post.replyTargetId?.href, 'https://a.example/notes/0');
  });

  it('refuses what is not a Note, Article or Page, an id on another origin, a 404, ours', async () => {
    const ctx = contextServing({
      'https://a.example/users/x': {
        document: { '@context': AS, id: 'https://a.example/users/x', type: 'Person' },
      },
      'https://a.example/notes/2': {
        document: note('https://b.example/notes/2'),
        served: 'https://a.example/notes/2',
      },
    });
    const person = await fetchReplyObject(ctx, url('https://a.example/users/x'));
    assert.deepEqual(person, { ok: false, reason: 'not a Note, Article or Page' });
    const foreign = await fetchReplyObject(ctx, url('https://a.example/notes/2'));
    assert.equal(foreign.ok, false);
    assert.match(foreign.reason, /id is not on https:\/\/a\.example/);
    const missing = await fetchReplyObject(ctx, url('https://a.example/notes/3'));
    assert.deepEqual(missing, { ok: false, reason: 'fetch failed (HTTP 404)' });
    const ours = await fetchReplyObject(ctx, url('https://bridge.example/articles/x?page=1'));
    assert.equal(ours.ok, false, 'our own URLs are not fetched');
  });
});
