import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deletedEvent, publishedEvent, updatedEvent } from './support/events.js';
import { type Bridge, startBridge } from './support/bridge.js';

interface Accepted {
  eventId: string;
  outcome: string;
  reason?: string;
  change?: string;
  articleId?: string;
}

interface Refusal {
  error: string;
  message: string;
  problems?: { pointer: string; message: string }[];
}

describe('HTTP ingest: POST /api/v1/events', () => {
  let bridge: Bridge;

  before(async () => {
    bridge = await startBridge();
  });
  after(async () => {
    await bridge.dispose();
  });

  const post = async (
    body: unknown,
    scopes: ('ingest' | 'admin' | 'comments:read')[] = ['ingest'],
  ) => {
    const res = await bridge.api('POST', '/api/v1/events', body, scopes);
    return { status: res.status, body: (await res.json()) as Accepted & Refusal };
  };

  it('stores a published story, its actors, one change and one queued publish job', async () => {
    const event = publishedEvent('a-1');
    const res = await post(event);
    assert.equal(res.status, 202);
    assert.equal(res.body.eventId, event.eventId);
    assert.equal(res.body.outcome, 'applied');
    assert.equal(res.body.change, 'create');

    const [article] = await bridge.sql<{
      title: string;
      visibility: string;
      tags: string[];
      handle: string;
    }>(
      `SELECT a.title, a.visibility, a.tags, p.handle FROM articles a
         JOIN actors p ON p.id = a.primary_author_id WHERE a.platform_id = 'a-1'`,
    );
    assert.deepEqual(article, {
      title: 'Story a-1',
      visibility: 'public',
      tags: ['fediverse', 'Writing'],
      handle: 'ada',
    });
    const members = await bridge.sql<{ handle: string }>(
      `SELECT au.handle FROM publication_members m
         JOIN actors pub ON pub.id = m.publication_id JOIN actors au ON au.id = m.author_id
        WHERE pub.platform_id = 'pub-1'`,
    );
    assert.deepEqual(members, [{ handle: 'ada' }]);
    const changes = await bridge.sql<{ change: string; enqueued: boolean }>(
      `SELECT change, enqueued_at IS NOT NULL AS enqueued FROM article_changes WHERE event_id = $1`,
      [event.eventId],
    );
    assert.deepEqual(changes, [{ change: 'create', enqueued: true }]);

    const log = await bridge.api('GET', `/api/v1/events/${String(event.eventId)}`, undefined, [
      'ingest',
    ]);
    assert.equal(log.status, 200);
    const body = (await log.json()) as { log: { source: string; outcome: string; type: string }[] };
    assert.deepEqual(
      body.log.map((l) => [l.source, l.type, l.outcome]),
      [['http', 'article.published', 'applied']],
    );
  });

  it('a duplicate eventId has no second effect, and is logged', async () => {
    const event = publishedEvent('a-dup');
    assert.equal((await post(event)).body.outcome, 'applied');
    const again = await post(event);
    assert.equal(again.status, 202);
    assert.equal(again.body.outcome, 'duplicate');
    const [counts] = await bridge.sql<{ changes: string; lines: string }>(
      `SELECT (SELECT count(*) FROM article_changes WHERE event_id = $1) AS changes,
              (SELECT count(*) FROM ingest_log WHERE event_id = $1) AS lines`,
      [event.eventId],
    );
    assert.deepEqual(counts, { changes: '1', lines: '2' });
  });

  it('concurrent copies of one event take effect once', async () => {
    const event = publishedEvent('a-race');
    const results = await Promise.all(Array.from({ length: 8 }, () => post(event)));
    assert.deepEqual(results.map((r) => r.body.outcome).sort(), [
      'applied',
      ...Array<string>(7).fill('duplicate'),
    ]);
    const [row] = await bridge.sql<{ n: string }>(
      `SELECT count(*) AS n FROM article_changes WHERE event_id = $1`,
      [event.eventId],
    );
    assert.equal(row?.n, '1');
  });

  it('updates: newer with new content → update; same content → unchanged; older → stale', async () => {
    await post(publishedEvent('a-up'));
    const newer = await post(
      updatedEvent('a-up', '2026-11-20T12:00:00.000Z', { title: 'Better title' }),
    );
    assert.deepEqual([newer.body.outcome, newer.body.change], ['applied', 'update']);
    const same = await post(
      updatedEvent('a-up', '2026-11-20T13:00:00.000Z', { title: 'Better title' }),
    );
    assert.deepEqual([same.body.outcome, same.body.reason], ['unchanged', 'same_content']);
    const older = await post(
      updatedEvent('a-up', '2026-11-20T11:00:00.000Z', { title: 'Old title' }),
    );
    assert.deepEqual([older.body.outcome, older.body.reason], ['stale', 'older_than_stored']);
    const [article] = await bridge.sql<{ title: string; changes: string }>(
      `SELECT title, (SELECT count(*) FROM article_changes c WHERE c.article_id = a.id) AS changes
         FROM articles a WHERE platform_id = 'a-up'`,
    );
    assert.deepEqual(article, { title: 'Better title', changes: '2' });
  });

  it('a stale event does not roll back its authors’ profiles', async () => {
    await post(
      updatedEvent('a-stale-actor', '2026-11-20T12:00:00.000Z', {
        authors: [{ id: 'u-stale', username: 'stale', displayName: 'New name' }],
      }),
    );
    const old = await post(
      updatedEvent('a-stale-actor', '2026-11-20T11:00:00.000Z', {
        authors: [{ id: 'u-stale', username: 'stale', displayName: 'Old name' }],
      }),
    );
    assert.equal(old.body.outcome, 'stale');
    const [actor] = await bridge.sql<{ name: string }>(
      `SELECT name FROM actors WHERE platform_id = 'u-stale'`,
    );
    assert.equal(actor?.name, 'New name');
  });

  it('an update that arrives before its publish creates the story; the late publish is stale', async () => {
    const update = await post(
      updatedEvent('a-ooo', '2026-11-20T15:00:00.000Z', { title: 'Edited' }),
    );
    assert.deepEqual([update.body.outcome, update.body.change], ['applied', 'create']);
    const late = await post(publishedEvent('a-ooo'));
    assert.equal(late.body.outcome, 'stale');
    const [article] = await bridge.sql<{ title: string }>(
      `SELECT title FROM articles WHERE platform_id = 'a-ooo'`,
    );
    assert.equal(article?.title, 'Edited');
  });

  it('delete marks the story deleted once; a delete before the publish suppresses it', async () => {
    await post(publishedEvent('a-del'));
    const del = await post(deletedEvent('a-del'));
    assert.deepEqual([del.body.outcome, del.body.change], ['applied', 'delete']);
    const again = await post(deletedEvent('a-del'));
    assert.deepEqual([again.body.outcome, again.body.reason], ['unchanged', 'already_deleted']);
    const revived = await post(updatedEvent('a-del', '2026-11-22T00:00:00.000Z'));
    assert.deepEqual([revived.body.outcome, revived.body.reason], ['stale', 'article_deleted']);

    const early = await post(deletedEvent('a-never'));
    assert.equal(early.body.outcome, 'applied');
    assert.equal(early.body.change, undefined);
    const late = await post(publishedEvent('a-never'));
    assert.deepEqual([late.body.outcome, late.body.reason], ['stale', 'article_deleted']);
    const rows = await bridge.sql(`SELECT 1 FROM articles WHERE platform_id = 'a-never'`);
    assert.equal(rows.length, 0);
  });

  it('merges actor profiles: fields an event leaves out keep their values', async () => {
    const put = await bridge.api('PUT', '/api/v1/authors/u-grace', {
      username: 'grace',
      displayName: 'Grace',
      bio: 'Admiral',
      links: [{ name: 'Site', url: 'https://grace.example/' }],
    });
    assert.equal(put.status, 201);
    await post(
      publishedEvent('a-merge', {
        authors: [{ id: 'u-grace', username: 'grace', displayName: 'Grace Hopper' }],
      }),
    );
    const [actor] = await bridge.sql<{
      name: string;
      summary_html: string;
      profile_links: unknown;
    }>(`SELECT name, summary_html, profile_links FROM actors WHERE platform_id = 'u-grace'`);
    assert.deepEqual(actor, {
      name: 'Grace Hopper',
      summary_html: '<p>Admiral</p>',
      profile_links: [{ name: 'Site', url: 'https://grace.example/' }],
    });
  });

  it('refuses a custom domain another publication holds with 422 and a reason', async () => {
    await post(
      publishedEvent('a-dom1', {
        publication: { id: 'pub-d1', slug: 'd1', name: 'D1', customDomain: 'blog.example' },
      }),
    );
    const res = await post(
      publishedEvent('a-dom2', {
        publication: { id: 'pub-d2', slug: 'd2', name: 'D2', customDomain: 'blog.example' },
      }),
    );
    assert.equal(res.status, 422);
    assert.equal(res.body.error, 'custom_domain_taken');
    const rows = await bridge.sql(`SELECT 1 FROM articles WHERE platform_id = 'a-dom2'`);
    assert.equal(rows.length, 0);
  });

  it('needs the ingest scope', async () => {
    assert.equal((await post(publishedEvent('a-scope'), ['comments:read'])).status, 403);
    const anonymous = await fetch(`${bridge.origin}/api/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(publishedEvent('a-anon')),
    });
    assert.equal(anonymous.status, 401);
  });

  describe('every schema violation class → 400 with a JSON pointer', () => {
    const base = () => publishedEvent('a-bad');
    const article = (overrides: Record<string, unknown>) => publishedEvent('a-bad', overrides);
    const without = (field: string) => {
      const event = base();
      const a = Object.entries(event.article as Record<string, unknown>).filter(
        ([key]) => key !== field,
      );
      return { ...event, article: Object.fromEntries(a) };
    };
    const cases: [string, unknown, string][] = [
      ['not an object', [1, 2], '/'],
      ['missing eventId', { ...base(), eventId: undefined }, '/eventId'],
      ['eventId not a uuid', { ...base(), eventId: 'abc' }, '/eventId'],
      ['unknown schemaVersion', { ...base(), schemaVersion: 2 }, '/schemaVersion'],
      ['unknown type', { ...base(), type: 'article.liked' }, '/type'],
      ['bad occurredAt', { ...base(), occurredAt: 'yesterday' }, '/occurredAt'],
      ['unknown top-level field', { ...base(), extra: true }, '/extra'],
      ['missing article', { ...base(), article: undefined }, '/article'],
      ['missing title', without('title'), '/article/title'],
      ['blank title', article({ title: '   ' }), '/article/title'],
      ['http url', article({ url: 'http://stories.example/p/1' }), '/article/url'],
      ['relative url', article({ url: '/p/1' }), '/article/url'],
      ['contentHtml not a string', article({ contentHtml: 42 }), '/article/contentHtml'],
      ['tags not an array', article({ tags: 'a,b' }), '/article/tags'],
      ['empty tag', article({ tags: [''] }), '/article/tags/0'],
      ['bad visibility', article({ visibility: 'private' }), '/article/visibility'],
      ['bad language', article({ language: 'english language' }), '/article/language'],
      ['bad publishedAt', article({ publishedAt: '2026-13-45' }), '/article/publishedAt'],
      ['no authors', article({ authors: [] }), '/article/authors'],
      [
        'author without username',
        article({ authors: [{ id: 'x', displayName: 'X' }] }),
        '/article/authors/0/username',
      ],
      ['coverImage without url', article({ coverImage: { alt: 'a' } }), '/article/coverImage/url'],
      [
        'publication without slug',
        article({ publication: { id: 'p', name: 'P' } }),
        '/article/publication/slug',
      ],
      [
        'bad customDomain',
        article({ publication: { id: 'p', slug: 'p', name: 'P', customDomain: 'not a host' } }),
        '/article/publication/customDomain',
      ],
      ['unknown article field', article({ body: 'x' }), '/article/body'],
      [
        'deleted without article id',
        {
          schemaVersion: 1,
          eventId: '6f1c4f57-3f2a-4a8e-9a51-2b4d7c9e0f11',
          type: 'article.deleted',
          occurredAt: '2026-11-21T10:00:00Z',
          article: {},
        },
        '/article/id',
      ],
    ];
    for (const [name, body, pointer] of cases) {
      it(name, async () => {
        const res = await post(JSON.parse(JSON.stringify(body)) as unknown);
        assert.equal(res.status, 400, JSON.stringify(res.body));
        assert.equal(res.body.error, 'invalid_event');
        assert.ok(
          res.body.problems?.some((p) => p.pointer === pointer),
          `expected a problem at ${pointer}, got ${JSON.stringify(res.body.problems)}`,
        );
      });
    }

    it('malformed JSON → 400', async () => {
      const { mintToken } = await import('../../src/auth/mint-token.js');
      const { JWT_SECRET } = await import('./support/bridge.js');
      const token = await mintToken({ secret: JWT_SECRET, scopes: ['ingest'], expiresIn: 60 });
      const res = await fetch(`${bridge.origin}/api/v1/events`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{"schemaVersion": 1,',
      });
      assert.equal(res.status, 400);
    });

    it('rejections are in the ingest log with their reason', async () => {
      const event = publishedEvent('a-bad', {}, { schemaVersion: 7 });
      await post(event);
      const res = await bridge.api('GET', `/api/v1/events/${String(event.eventId)}`, undefined, [
        'ingest',
      ]);
      const body = (await res.json()) as {
        log: { outcome: string; reason: string; problems: unknown[] }[];
      };
      const [line] = body.log;
      assert.ok(line, 'a log line');
      assert.equal(line.outcome, 'rejected');
      assert.equal(line.reason, 'invalid_event');
      assert.ok(line.problems.length > 0);
    });
  });
});
