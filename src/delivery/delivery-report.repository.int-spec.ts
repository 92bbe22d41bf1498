import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { DataSource } from 'typeorm';
import {
  createTestSchema,
  openTestDataSource,
  type TestSchema,
  uniqueName,
} from '../../test/support/database.js';
import { DeliveryReportRepository, MAX_FAILING_HOSTS } from './delivery-report.repository.js';
import type { DeliveryStatus, OutboundActivityType } from './delivery.entity.js';

// The delivery report's aggregates on a real Postgres, rows written with SQL as the delivery
// code would leave them. Times are fixed so that "latest attempt" can be checked exactly.

const T0 = Date.parse('2026-11-20T12:00:00.000Z');
/** `minutes` after T0, as an ISO string. */
const at = (minutes: number): string => new Date(T0 + minutes * 60_000).toISOString();

interface DeliveryRow {
  host: string;
  status: DeliveryStatus;
  attempts?: number;
  lastStatus?: number | null;
  lastError?: string | null;
  /** Minutes after T0 of its last update (its last attempt). */
  updated?: number;
}

describe('DeliveryReportRepository', () => {
  let schema: TestSchema;
  let db: DataSource;
  let sut: DeliveryReportRepository;
  let authorId: string;
  let publicationId: string;

  before(async () => {
    schema = await createTestSchema();
    db = await openTestDataSource(schema);
    sut = new DeliveryReportRepository(db);
    authorId = await insertActor('author');
    publicationId = await insertActor('publication');
  });
  after(async () => {
    await db.destroy();
    await schema.drop();
  });

  async function insertActor(kind: 'author' | 'publication'): Promise<string> {
    const name = uniqueName(kind.slice(0, 3));
    const { rows } = await schema.pool.query<{ id: string }>(
      `INSERT INTO actors (kind, platform_id, handle, platform_handle, name)
       VALUES ($1, $2::text, $2::text, $2::text, $2::text) RETURNING id`,
      [kind, name],
    );
    assert.ok(rows[0]);
    return rows[0].id;
  }

  async function insertArticle(): Promise<string> {
    const { rows } = await schema.pool.query<{ id: string }>(
      `INSERT INTO articles (platform_id, canonical_url, title, content_html, tags, visibility,
         primary_author_id, author_ids, content_hash, published_at, source_updated_at, last_event_id)
       VALUES ($1, 'https://stories.example/1', 'T', '', '[]', 'public', $2, $3, 'h', now(), now(), $4)
       RETURNING id`,
      [uniqueName('s'), authorId, JSON.stringify([authorId]), randomUUID()],
    );
    assert.ok(rows[0]);
    return rows[0].id;
  }

  /** An activity about `articleId` created `minutes` after T0, with its deliveries. */
  async function insertActivity(
    articleId: string,
    type: OutboundActivityType,
    actorId: string,
    minutes: number,
    deliveries: readonly DeliveryRow[],
  ): Promise<string> {
    const uri = `https://bridge.example/activities/${randomUUID()}`;
    const { rows } = await schema.pool.query<{ id: string }>(
      `INSERT INTO outbound_activities (uri, type, actor_id, article_id, object_uri, body, recipients, created_at)
       VALUES ($1, $2, $3, $4, 'https://bridge.example/articles/x', '{}', $5, $6) RETURNING id`,
      [uri, type, actorId, articleId, deliveries.length, at(minutes)],
    );
    const activityId = rows[0]?.id;
    assert.ok(activityId);
    for (const [i, d] of deliveries.entries()) {
      await schema.pool.query(
        `INSERT INTO deliveries (activity_id, inbox_url, host, status, attempts, last_status,
           last_error, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [
          activityId,
          `https://${d.host}/inbox/${i}`,
          d.host,
          d.status,
          d.attempts ?? (d.status === 'pending' || d.status === 'skipped' ? 0 : 1),
          d.lastStatus ?? null,
          d.lastError ?? null,
          at(minutes),
          at(d.updated ?? minutes),
        ],
      );
    }
    return uri;
  }

  it('counts deliveries per activity and in total, and groups failures by host', async () => {
    const story = await insertArticle();
    // Inserted out of order: the report sorts by creation time.
    const update = await insertActivity(story, 'Update', authorId, 120, [
      {
        host: 'b.example',
        status: 'pending',
        attempts: 3,
        lastStatus: 502,
        lastError: 'Bad gateway',
        updated: 150,
      },
      {
        host: 'e.example',
        status: 'failed',
        attempts: 10,
        lastStatus: 410,
        lastError: 'Gone',
        updated: 140,
      },
      {
        host: 'f.example',
        status: 'failed',
        attempts: 1,
        lastStatus: 404,
        lastError: 'Not Found',
        updated: 160,
      },
      { host: 'a.example', status: 'delivered', lastStatus: 202 },
      { host: 'c.example', status: 'skipped' },
    ]);
    const create = await insertActivity(story, 'Create', authorId, 0, [
      { host: 'a.example', status: 'delivered', lastStatus: 202 },
      { host: 'a.example', status: 'delivered', lastStatus: 200 },
      {
        host: 'b.example',
        status: 'failed',
        attempts: 16,
        lastStatus: 500,
        lastError: 'Internal',
        updated: 90,
      },
      { host: 'c.example', status: 'pending', attempts: 0 },
      { host: 'd.example', status: 'skipped' },
      {
        host: 'e.example',
        status: 'pending',
        attempts: 2,
        lastStatus: null,
        lastError: 'timeout',
        updated: 100,
      },
    ]);
    const announce = await insertActivity(story, 'Announce', publicationId, 60, [
      { host: 'a.example', status: 'delivered', lastStatus: 202 },
      {
        host: 'b.example',
        status: 'failed',
        attempts: 16,
        lastStatus: 503,
        lastError: 'Unavailable',
        updated: 130,
      },
    ]);
    // Another story's failures stay out of this report.
    const other = await insertArticle();
    await insertActivity(other, 'Create', authorId, 10, [
      { host: 'b.example', status: 'failed', attempts: 16, lastStatus: 418, updated: 500 },
      { host: 'z.example', status: 'failed', attempts: 16, lastStatus: 500 },
      { host: 'z.example', status: 'failed', attempts: 16, lastStatus: 500 },
      { host: 'a.example', status: 'delivered' },
    ]);

    const report = await sut.forArticle(story);

    assert.deepEqual(report.totals, { delivered: 4, pending: 3, failed: 4, skipped: 2 });
    assert.deepEqual(
      report.activities.map((a) => ({ ...a, createdAt: a.createdAt.toISOString() })),
      [
        {
          uri: create,
          type: 'Create',
          actorId: authorId,
          createdAt: at(0),
          recipients: 6,
          counts: { delivered: 2, pending: 2, failed: 1, skipped: 1 },
        },
        {
          uri: announce,
          type: 'Announce',
          actorId: publicationId,
          createdAt: at(60),
          recipients: 2,
          counts: { delivered: 1, pending: 0, failed: 1, skipped: 0 },
        },
        {
          uri: update,
          type: 'Update',
          actorId: authorId,
          createdAt: at(120),
          recipients: 5,
          counts: { delivered: 1, pending: 1, failed: 2, skipped: 1 },
        },
      ],
    );
    // b: two given up and one retrying, its latest attempt the Update's 502. e: one of each, the
    // latest the Update's 410 (not the Create's timeout). f: one failure. c (pending, never
    // tried), a (delivered) and d (skipped) are not failures; z is another story's.
    assert.deepEqual(
      report.failuresByHost.map((h) => ({ ...h, lastAttemptAt: h.lastAttemptAt.toISOString() })),
      [
        {
          host: 'b.example',
          failed: 2,
          pending: 1,
          lastStatus: 502,
          lastError: 'Bad gateway',
          lastAttemptAt: at(150),
        },
        {
          host: 'e.example',
          failed: 1,
          pending: 1,
          lastStatus: 410,
          lastError: 'Gone',
          lastAttemptAt: at(140),
        },
        {
          host: 'f.example',
          failed: 1,
          pending: 0,
          lastStatus: 404,
          lastError: 'Not Found',
          lastAttemptAt: at(160),
        },
      ],
    );
  });

  it('takes status and error from the same, latest attempt, even when it had no answer', async () => {
    const story = await insertArticle();
    await insertActivity(story, 'Create', authorId, 0, [
      {
        host: 'slow.example',
        status: 'failed',
        attempts: 16,
        lastStatus: 500,
        lastError: 'Internal',
        updated: 10,
      },
      {
        host: 'slow.example',
        status: 'pending',
        attempts: 4,
        lastStatus: null,
        lastError: 'connect timeout',
        updated: 20,
      },
    ]);
    const report = await sut.forArticle(story);
    assert.deepEqual(
      report.failuresByHost.map((h) => [h.host, h.failed, h.pending, h.lastStatus, h.lastError]),
      [['slow.example', 1, 1, null, 'connect timeout']],
    );
  });

  it(`lists at most ${MAX_FAILING_HOSTS} hosts, those with most failures first`, async () => {
    const story = await insertArticle();
    const uri = await insertActivity(story, 'Create', authorId, 0, [
      { host: 'worst.example', status: 'failed', lastStatus: 500, updated: 5 },
      { host: 'worst.example', status: 'failed', lastStatus: 500, updated: 5 },
      { host: 'worst.example', status: 'failed', lastStatus: 500, updated: 5 },
    ]);
    await schema.pool.query(
      `INSERT INTO deliveries (activity_id, inbox_url, host, status, attempts, last_status, updated_at)
       SELECT a.id, 'https://h' || n || '.example/inbox', 'h' || n || '.example', 'failed', 16, 500, $2
         FROM outbound_activities a, generate_series(1, 120) AS n
        WHERE a.uri = $1`,
      [uri, at(1)],
    );
    // One host with two failures across two activities ranks second.
    await insertActivity(story, 'Update', authorId, 30, [
      {
        host: 'h7.example',
        status: 'failed',
        lastStatus: 429,
        lastError: 'Too Many Requests',
        updated: 40,
      },
    ]);
    const report = await sut.forArticle(story);
    assert.equal(report.totals.failed, 3 + 120 + 1);
    assert.equal(report.failuresByHost.length, MAX_FAILING_HOSTS);
    assert.deepEqual(
      report.failuresByHost.slice(0, 2).map((h) => [h.host, h.failed, h.lastStatus]),
      [
        ['worst.example', 3, 500],
        ['h7.example', 2, 429],
      ],
    );
    assert.ok(report.failuresByHost.slice(2).every((h) => h.failed === 1));
  });

  it('lists a Create before the Announce sent with it (same created_at)', async () => {
    // Ids are random, so a few stories make a lucky order unlikely.
    for (let n = 0; n < 5; n++) {
      const story = await insertArticle();
      const announce = await insertActivity(story, 'Announce', publicationId, 0, []);
      const create = await insertActivity(story, 'Create', authorId, 0, []);
      const report = await sut.forArticle(story);
      assert.deepEqual(
        report.activities.map((a) => a.uri),
        [create, announce],
      );
    }
  });

  it('reports a story with nothing sent as zeros', async () => {
    const story = await insertArticle();
    assert.deepEqual(await sut.forArticle(story), {
      totals: { delivered: 0, pending: 0, failed: 0, skipped: 0 },
      activities: [],
      failuresByHost: [],
    });
  });

  it('counts an activity without deliveries as zeros', async () => {
    const story = await insertArticle();
    const uri = await insertActivity(story, 'Create', authorId, 0, []);
    const report = await sut.forArticle(story);
    assert.deepEqual(
      report.activities.map((a) => [a.uri, a.counts]),
      [[uri, { delivered: 0, pending: 0, failed: 0, skipped: 0 }]],
    );
  });
});
