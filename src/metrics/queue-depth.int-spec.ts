import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { createPostgresBackend, Queue } from 'bullmq';
import pg from 'pg';
import { runMigrations } from '../database/data-source.js';
import { queueConnection } from '../queue/connection.js';
import { testDatabaseUrl, testRedisUrl, uniqueName } from '../../test/support/database.js';
import { readQueueDepth } from './queue-depth.js';

// What a scrape reads from BullMQ, on its Postgres backend and, when the run has one, on Redis:
// counts per state, and the job at the head of the waiting list (the oldest one).

interface Backend {
  readonly name: string;
  /** A fresh queue, and how to remove it and what it stored. */
  open(): Promise<{ queue: Queue; cleanup: () => Promise<void> }>;
}

const postgres: Backend = {
  name: 'postgres',
  open: async () => {
    const url = testDatabaseUrl();
    const schema = uniqueName('qd');
    await runMigrations(url, { queueSchema: schema });
    const { connection, prefix } = queueConnection({ redisUrl: undefined }, url, { schema });
    const queue = new Queue(
      uniqueName('depth'),
      { connection: connection as never, prefix },
      createPostgresBackend,
    ) as unknown as Queue;
    return {
      queue,
      cleanup: async () => {
        await queue.disconnect();
        const client = new pg.Client({ connectionString: url });
        await client.connect();
        await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        await client.end();
      },
    };
  },
};

const redisUrl = testRedisUrl();
const redis: Backend = {
  name: 'redis',
  open: () => {
    const { connection, prefix } = queueConnection({ redisUrl }, '', {
      prefix: uniqueName('test'),
    });
    const queue = new Queue(uniqueName('depth'), { connection, prefix });
    return Promise.resolve({
      queue,
      cleanup: async () => {
        await queue.obliterate({ force: true });
        await queue.disconnect();
      },
    });
  },
};

for (const backend of redisUrl === undefined ? [postgres] : [postgres, redis]) {
  describe(`readQueueDepth on ${backend.name}`, () => {
    const cleanups: (() => Promise<void>)[] = [];
    after(async () => {
      for (const cleanup of cleanups) await cleanup();
    });

    it('counts waiting and delayed jobs and ages the oldest waiting one', async () => {
      const { queue, cleanup } = await backend.open();
      cleanups.push(cleanup);
      const empty = await readQueueDepth(queue);
      assert.deepEqual(empty.counts, { waiting: 0, active: 0, delayed: 0, failed: 0 });
      assert.equal(empty.oldestWaitingS, 0);

      await queue.add('first', {}, { timestamp: Date.now() - 60_000 });
      for (let i = 0; i < 25; i++) await queue.add('then', {});
      await queue.add('later', {}, { delay: 3_600_000 });
      const sut = await readQueueDepth(queue);
      assert.equal(sut.queue, queue.name);
      assert.deepEqual(sut.counts, { waiting: 26, active: 0, delayed: 1, failed: 0 });
      assert.ok(
        sut.oldestWaitingS >= 59 && sut.oldestWaitingS < 120,
        `the first job is the oldest: ${sut.oldestWaitingS}`,
      );
    });
  });
}
