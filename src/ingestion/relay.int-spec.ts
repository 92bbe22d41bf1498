import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { createPostgresBackend, Queue } from 'bullmq';
import { DataSource } from 'typeorm';
import type { ActorsService } from '../actors/actors.service.js';
import { dataSourceOptions, runMigrations } from '../database/data-source.js';
import { queueConnection } from '../queue/connection.js';
import type { JobMap } from '../queue/jobs.js';
import { createTestSchema, type TestSchema, uniqueName } from '../../test/support/database.js';
import { IngestRepository } from './ingest.repository.js';
import type { ReplyBack } from '../comments/reply-back.js';
import { IngestService, publishJobId } from './ingest.service.js';

// The outbox relay against real Postgres and BullMQ's Postgres backend. ActorsService is not
// reached on this path (relaying touches no actors), so none is given.

type PublishQueue = Queue<JobMap['article.publish'], unknown, 'article.publish'>;

describe('publish job relay', () => {
  let schema: TestSchema;
  let db: DataSource;
  let queue: PublishQueue;
  let service: IngestService;

  before(async () => {
    schema = await createTestSchema();
    const base = new URL(schema.url);
    base.searchParams.delete('options');
    await runMigrations(base.toString(), { queueSchema: `${schema.name}_q` });
    db = await new DataSource(
      dataSourceOptions(base.toString(), { schema: schema.name }),
    ).initialize();
    const { connection, prefix } = queueConnection({ redisUrl: undefined }, base.toString(), {
      schema: `${schema.name}_q`,
      prefix: uniqueName('p'),
    });
    queue = new Queue(
      'publish',
      { connection: connection as never, prefix },
      createPostgresBackend,
    ) as unknown as PublishQueue;
    service = new IngestService(
      new IngestRepository(db),
      null as unknown as ActorsService,
      queue,
      null as unknown as ReplyBack,
    );
  });
  after(async () => {
    await queue.close();
    await db.destroy();
    await schema.pool.query(`DROP SCHEMA IF EXISTS "${schema.name}_q" CASCADE`);
    await schema.drop();
  });

  /** A stored story with one change whose job was never queued, `ageS` seconds old. */
  async function strandedChange(ageS: number): Promise<{ changeId: string; eventId: string }> {
    const eventId = randomUUID();
    const [actor] = (
      await schema.pool.query<{ id: string }>(
        `INSERT INTO actors (kind, platform_id, handle, platform_handle, name)
         VALUES ('author', $1, $1, $1, 'A') RETURNING id`,
        [uniqueName('a')],
      )
    ).rows;
    const [article] = (
      await schema.pool.query<{ id: string }>(
        `INSERT INTO articles (platform_id, canonical_url, title, content_html, tags, visibility,
           primary_author_id, author_ids, content_hash, published_at, source_updated_at, last_event_id)
         VALUES ($1, 'https://x.example/1', 'T', '', '[]', 'public', $2, $3, 'h', now(), now(), $4)
         RETURNING id`,
        [uniqueName('s'), actor?.id, JSON.stringify([actor?.id]), eventId],
      )
    ).rows;
    const [change] = (
      await schema.pool.query<{ id: string }>(
        `INSERT INTO article_changes (article_id, change, event_id, created_at)
         VALUES ($1, 'create', $2, now() - make_interval(secs => $3)) RETURNING id`,
        [article?.id, eventId, ageS],
      )
    ).rows;
    assert.ok(change);
    return { changeId: change.id, eventId };
  }

  it('queues changes left without a job, once, and marks them queued', async () => {
    const old = await strandedChange(60);
    const fresh = await strandedChange(0);
    assert.equal(await service.relayPending(10_000), 1, 'only the change older than the grace');
    const job = await queue.getJob(publishJobId(old.eventId));
    assert.deepEqual(job?.data, {
      changeId: old.changeId,
      articleId: job?.data.articleId,
      change: 'create',
      eventId: old.eventId,
    });
    const { rows } = await schema.pool.query<{ id: string; queued: boolean }>(
      `SELECT id, enqueued_at IS NOT NULL AS queued FROM article_changes ORDER BY id`,
    );
    assert.deepEqual(rows, [
      { id: old.changeId, queued: true },
      { id: fresh.changeId, queued: false },
    ]);
    assert.equal(await service.relayPending(10_000), 0, 'nothing twice');
  });

  it('a change whose enqueue failed stays unmarked, and the relay queues it later', async () => {
    const stranded = await strandedChange(0);
    const broken = new IngestService(
      new IngestRepository(db),
      null as unknown as ActorsService,
      {
        addBulk: () => Promise.reject(new Error('queue backend down')),
      } as unknown as PublishQueue,
      null as unknown as ReplyBack,
    );
    await broken.enqueue([
      {
        id: stranded.changeId,
        articleId: randomUUID(),
        change: 'create',
        eventId: stranded.eventId,
      },
    ]);
    const { rows } = await schema.pool.query<{ queued: boolean }>(
      `SELECT enqueued_at IS NOT NULL AS queued FROM article_changes WHERE id = $1`,
      [stranded.changeId],
    );
    assert.deepEqual(rows, [{ queued: false }]);
    // With no grace period: this one and the fresh one the first case left behind.
    assert.equal(await service.relayPending(0), 2);
    assert.ok(await queue.getJob(publishJobId(stranded.eventId)));
  });
});
