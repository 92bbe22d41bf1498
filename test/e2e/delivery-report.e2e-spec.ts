import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { type Bridge, startBridge } from './support/bridge.js';
import { publishedEvent } from './support/events.js';

interface Counts {
  delivered: number;
  pending: number;
  failed: number;
  skipped: number;
}

interface Report {
  platformId: string;
  articleId: string;
  totals: Counts;
  activities: {
    id: string;
    type: string;
    actor: string;
    createdAt: string;
    recipients: number;
    counts: Counts;
  }[];
  failuresByHost: {
    host: string;
    failed: number;
    pending: number;
    lastStatus: number | null;
    lastError: string | null;
    lastAttemptAt: string;
  }[];
}

// The report over HTTP. Rows are written with SQL, as the delivery code would leave them; the
// aggregates themselves are covered by delivery-report.repository.int-spec.ts.
describe('delivery report (GET /api/v1/articles/{platformId}/deliveries)', () => {
  let bridge: Bridge;
  let articleId: string;

  before(async () => {
    bridge = await startBridge();
    const res = await bridge.api('POST', '/api/v1/events', publishedEvent('dr-1'), ['ingest']);
    assert.equal(res.status, 202, await res.clone().text());
    articleId = ((await res.json()) as { articleId: string }).articleId;
  });
  after(async () => {
    await bridge.dispose();
  });

  const report = (platformId: string, scopes: Parameters<Bridge['api']>[3] = ['ingest']) =>
    bridge.api('GET', `/api/v1/articles/${platformId}/deliveries`, undefined, scopes);

  it('reports each activity about the story and the failing hosts', async () => {
    const [author] = await bridge.sql<{ id: string }>(
      `SELECT id FROM actors WHERE kind = 'author' AND platform_id = 'u-ada'`,
    );
    assert.ok(author);
    // An Update, so that it cannot collide with a Create the publishing code may send itself.
    const uri = `${bridge.origin}/activities/${randomUUID()}`;
    const [activity] = await bridge.sql<{ id: string }>(
      `INSERT INTO outbound_activities (uri, type, actor_id, article_id, object_uri, body, recipients, created_at)
       VALUES ($1, 'Update', $2, $3, $4, '{}', 4, '2026-11-20T10:05:00Z') RETURNING id`,
      [uri, author.id, articleId, `${bridge.origin}/articles/${articleId}`],
    );
    assert.ok(activity);
    await bridge.sql(
      `INSERT INTO deliveries (activity_id, inbox_url, host, status, attempts, last_status, last_error, updated_at)
       VALUES ($1, 'https://a.example/inbox', 'a.example', 'delivered', 1, 202, NULL, '2026-11-20T10:06:00Z'),
              ($1, 'https://b.example/inbox', 'b.example', 'failed', 16, 500, 'Internal Server Error', '2026-11-20T11:00:00Z'),
              ($1, 'https://c.example/inbox', 'c.example', 'pending', 2, NULL, 'connect timeout', '2026-11-20T10:30:00Z'),
              ($1, 'https://d.example/inbox', 'd.example', 'skipped', 0, NULL, NULL, '2026-11-20T10:05:00Z')`,
      [activity.id],
    );

    const res = await report('dr-1');
    assert.equal(res.status, 200, await res.clone().text());
    const body = (await res.json()) as Report;
    const admin = (await (await bridge.api('GET', '/api/v1/authors/u-ada')).json()) as {
      actorId: string;
    };
    assert.equal(body.platformId, 'dr-1');
    assert.equal(body.articleId, articleId);
    assert.deepEqual(body.totals, { delivered: 1, pending: 1, failed: 1, skipped: 1 });
    assert.deepEqual(
      body.activities.find((a) => a.id === uri),
      {
        id: uri,
        type: 'Update',
        actor: admin.actorId,
        createdAt: '2026-11-20T10:05:00.000Z',
        recipients: 4,
        counts: { delivered: 1, pending: 1, failed: 1, skipped: 1 },
      },
    );
    assert.deepEqual(body.failuresByHost, [
      {
        host: 'b.example',
        failed: 1,
        pending: 0,
        lastStatus: 500,
        lastError: 'Internal Server Error',
        lastAttemptAt: '2026-11-20T11:00:00.000Z',
      },
      {
        host: 'c.example',
        failed: 0,
        pending: 1,
        lastStatus: null,
        lastError: 'connect timeout',
        lastAttemptAt: '2026-11-20T10:30:00.000Z',
      },
    ]);
  });

  it('is 404 with a reason for an unknown story', async () => {
    const res = await report('no-such-story');
    assert.equal(res.status, 404);
    assert.deepEqual(await res.json(), { error: 'not_found', message: 'no story no-such-story' });
  });

  it('needs a token (401) with the ingest scope (403)', async () => {
    const anonymous = await fetch(`${bridge.origin}/api/v1/articles/dr-1/deliveries`);
    assert.equal(anonymous.status, 401);
    assert.equal((await report('dr-1', ['comments:read'])).status, 403);
    assert.equal((await report('no-such-story', ['comments:read'])).status, 403, 'auth first');
    assert.equal((await report('dr-1', ['admin'])).status, 200);
  });
});
