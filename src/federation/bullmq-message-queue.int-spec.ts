import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { Temporal } from '@js-temporal/polyfill';
import { testMessageQueue } from '@fedify/testing';
import { createPostgresBackend, Queue, Worker } from 'bullmq';
import pg from 'pg';
import { runMigrations } from '../database/data-source.js';
import { queueConnection } from '../queue/connection.js';
import { testDatabaseUrl, testRedisUrl, uniqueName, waitFor } from '../../test/support/database.js';
import { BullMqMessageQueue, type BullMqMessageQueueOptions } from './bullmq-message-queue.js';

// Fedify's own MessageQueue contract (@fedify/testing), plus what it does not cover (abort,
// drain on abort, depth), on BullMQ's Postgres backend and, when the run has one, on Redis.
// Each case gets storage of its own: a fresh schema on Postgres, a fresh key prefix on Redis.

interface Storage {
  /** A BullMqMessageQueue on queue `name`; every call with the same name shares one queue. */
  make(name: string, options?: Partial<BullMqMessageQueueOptions>): BullMqMessageQueue;
  cleanup(): Promise<void>;
}

type Backend = { readonly name: string; storage(): Promise<Storage> };

const postgres: Backend = {
  name: 'postgres',
  storage: async () => {
    const url = testDatabaseUrl();
    const schema = uniqueName('mq');
    await runMigrations(url, { queueSchema: schema });
    const { connection, prefix } = queueConnection({ redisUrl: undefined }, url, { schema });
    const opts = { connection: connection as never, prefix };
    const closables: { disconnect(): Promise<void> }[] = [];
    return {
      make: (name, options) => {
        const queue = new Queue(name, opts, createPostgresBackend);
        closables.push(queue);
        return new BullMqMessageQueue(queue, {
          createWorker: (n, processor) => {
            const worker = new Worker(
              n,
              processor,
              { ...opts, concurrency: 4 },
              createPostgresBackend,
            );
            closables.push(worker);
            return worker;
          },
          ...options,
        });
      },
      cleanup: async () => {
        await Promise.all(closables.map((c) => c.disconnect()));
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
  storage: () => {
    const prefix = uniqueName('test');
    const { connection } = queueConnection({ redisUrl }, '', { prefix });
    const opts = { connection: connection as never, prefix };
    const queues: Queue[] = [];
    const workers: Worker[] = [];
    return Promise.resolve({
      make: (name: string, options?: Partial<BullMqMessageQueueOptions>) => {
        const queue = new Queue(name, opts);
        queues.push(queue);
        return new BullMqMessageQueue(queue, {
          createWorker: (n, processor) => {
            const worker = new Worker(n, processor, { ...opts, concurrency: 4 });
            workers.push(worker);
            return worker;
          },
          ...options,
        });
      },
      cleanup: async () => {
        for (const q of queues) await q.obliterate({ force: true });
        // A force-closed worker reconnects to record a late job's result; close that too.
        await Promise.all([...queues, ...workers].map((c) => c.disconnect()));
      },
    });
  },
};

const backends = redisUrl === undefined ? [postgres] : [postgres, redis];

for (const backend of backends) {
  describe(`BullMqMessageQueue on ${backend.name}`, () => {
    const storages: Storage[] = [];
    const fresh = async (): Promise<Storage> => {
      const storage = await backend.storage();
      storages.push(storage);
      return storage;
    };
    after(async () => {
      for (const s of storages) await s.cleanup();
    });

    it('passes Fedify’s MessageQueue test suite', async () => {
      const storage = await fresh();
      const name = uniqueName('contract');
      await testMessageQueue(
        () => storage.make(name),
        ({ controller }) => {
          controller.abort();
        },
      );
    });

    it('stops listening when the signal aborts, after the running job finishes', async () => {
      const sut = (await fresh()).make(uniqueName('abort'), { drainTimeoutMs: 5_000 });
      const controller = new AbortController();
      const events: string[] = [];
      const listening = sut.listen(
        async (message) => {
          events.push(`start ${String(message)}`);
          await new Promise((r) => setTimeout(r, 400));
          events.push(`end ${String(message)}`);
        },
        { signal: controller.signal },
      );
      await sut.enqueue('slow');
      await waitFor(() => events.includes('start slow'), 10_000, 'the job to start');
      controller.abort();
      await listening;
      assert.deepEqual(events, ['start slow', 'end slow'], 'finished before listen() returned');
      await sut.enqueue('after');
      await new Promise((r) => setTimeout(r, 500));
      assert.deepEqual(events, ['start slow', 'end slow'], 'nothing is taken after abort');
      assert.equal((await sut.getDepth()).ready, 1, 'the new message waits in the queue');
    });

    it('force-closes when a job outlasts the drain timeout, and the job stays queued', async () => {
      const sut = (await fresh()).make(uniqueName('stuck'), { drainTimeoutMs: 300 });
      const controller = new AbortController();
      let started = false;
      let release = (): void => undefined;
      const released = new Promise<void>((r) => (release = r));
      let finished = false;
      const listening = sut.listen(
        async () => {
          started = true;
          await released;
          finished = true;
        },
        { signal: controller.signal },
      );
      await sut.enqueue('stuck');
      await waitFor(() => started, 10_000, 'the job to start');
      const t0 = Date.now();
      controller.abort();
      await listening;
      assert.ok(Date.now() - t0 < 3_000, `listen() returned after ${Date.now() - t0} ms`);
      const depth = await sut.getDepth();
      assert.equal(depth.ready, 0, 'the job is still active (locked), not lost or completed');
      release();
      await waitFor(() => finished, 2_000, 'the abandoned job body to end');
      await new Promise((r) => setTimeout(r, 200)); // its late completion attempt
    });

    it('reports depth with ready and delayed messages apart', async () => {
      const sut = (await fresh()).make(uniqueName('depth'));
      await sut.enqueueMany(['a', 'b']);
      await sut.enqueue('later', { delay: Temporal.Duration.from({ hours: 1 }) });
      assert.deepEqual(await sut.getDepth(), { queued: 3, ready: 2, delayed: 1 });
    });

    it('returns at once from listen() with an already aborted signal', async () => {
      const sut = (await fresh()).make(uniqueName('pre'));
      await sut.listen(() => undefined, { signal: AbortSignal.abort() });
    });
  });
}
