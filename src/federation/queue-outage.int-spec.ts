import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createPostgresBackend, Queue, Worker } from 'bullmq';
import { runMigrations } from '../database/data-source.js';
import { startEmbeddedPostgres, type EmbeddedPostgres } from '../database/embedded-postgres.js';
import { BullMqMessageQueue, type QueueLike, type WorkerLike } from './bullmq-message-queue.js';
import { waitFor } from '../../test/support/database.js';
import { queueConnection } from '../queue/connection.js';
import { RateLimitedLog } from '../queue/rate-limited-log.js';

// A queue backend that goes away must cost little while it is gone (no spinning worker, a few
// log lines rather than thousands) and work again when it is back. Each case runs its own server
// so it can be stopped without touching anyone else's.

const OUTAGE_MS = 4_000;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const address = s.address();
      s.close(() => {
        resolve(typeof address === 'object' && address ? address.port : 0);
      });
    });
  });
}

interface Harness {
  readonly lines: string[];
  readonly received: unknown[];
  readonly sut: BullMqMessageQueue;
  readonly stop: () => Promise<void>;
}

type OutageQueue = QueueLike & {
  on(event: 'error', listener: (error: Error) => void): unknown;
  close(): Promise<void>;
};

function harness(queue: OutageQueue, makeWorker: (processor: never) => WorkerLike): Harness {
  const lines: string[] = [];
  const received: unknown[] = [];
  const log = new RateLimitedLog((m) => lines.push(m), 30_000);
  queue.on('error', (e: Error) => {
    log.log('queue', e.message);
  });
  const controller = new AbortController();
  const sut = new BullMqMessageQueue(queue, {
    createWorker: (_name, processor) => makeWorker(processor as never),
    onError: (e) => {
      log.log('worker', e.message);
    },
    drainTimeoutMs: 1_000,
  });
  const listening = sut.listen(
    (m) => {
      received.push(m);
    },
    { signal: controller.signal },
  );
  return {
    lines,
    received,
    sut,
    stop: async () => {
      controller.abort();
      await listening;
      await queue.close();
    },
  };
}

/** CPU time this process used while `fn` ran, as a share of the wall time. */
async function cpuShare(fn: () => Promise<void>): Promise<number> {
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  await fn();
  const cpu = process.cpuUsage(cpu0);
  return (cpu.user + cpu.system) / 1000 / (performance.now() - t0);
}

/** While the backend is down: little CPU, a few log lines. */
async function expectQuietOutage(h: Harness, backend: string): Promise<void> {
  const share = await cpuShare(() => new Promise((r) => setTimeout(r, OUTAGE_MS)));
  assert.ok(share < 0.25, `CPU while ${backend} is down: ${(share * 100).toFixed(0)}%`);
  assert.ok(h.lines.length <= 4, `log lines while down: ${h.lines.length}\n${h.lines.join('\n')}`);
}

/** Once the backend is back: enqueueing works again and the same worker processes the message. */
async function expectRecovery(h: Harness, timeoutMs: number): Promise<void> {
  const enqueued = async (): Promise<boolean> => {
    try {
      await h.sut.enqueue('after');
      return true;
    } catch {
      return false;
    }
  };
  await waitFor(enqueued, timeoutMs, 'enqueue to work again');
  await waitFor(() => h.received.includes('after'), timeoutMs, 'the worker to resume');
}

describe('queue backend outage', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const c of cleanups.reverse()) await c().catch(() => undefined);
  });

  it('Redis: bounded backoff while down, and the worker resumes when it is back', async () => {
    const port = await freePort();
    const startRedis = (): ChildProcess =>
      spawn(
        'redis-server',
        ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
        {
          stdio: 'ignore',
        },
      );
    let redis = startRedis();
    cleanups.push(() => Promise.resolve(void redis.kill('SIGKILL')));
    const { connection, prefix } = queueConnection({ redisUrl: `redis://127.0.0.1:${port}` }, '');
    const opts = { connection: connection as never, prefix };
    await waitFor(
      async () => {
        const probe = new Queue('probe', opts);
        try {
          await probe.getJobCounts();
          return true;
        } catch {
          return false;
        } finally {
          await probe.disconnect();
        }
      },
      5_000,
      'redis to start',
    );

    const h = harness(new Queue('outage', opts), (p) => new Worker('outage', p, opts));
    cleanups.push(h.stop);
    await h.sut.enqueue('before');
    await waitFor(() => h.received.includes('before'), 5_000, 'the first message');

    redis.kill('SIGKILL');
    await expectQuietOutage(h, 'Redis');
    redis = startRedis();
    await expectRecovery(h, 15_000);
  });

  it('Postgres backend: bounded backoff while down, and the worker resumes when it is back', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-outage-'));
    const port = await freePort();
    let db: EmbeddedPostgres = await startEmbeddedPostgres({ dataDir, port, log: () => undefined });
    cleanups.push(async () => {
      await db.stop();
      await rm(dataDir, { recursive: true, force: true });
    });
    await runMigrations(db.url, { queueSchema: 'bullmq' });
    const { connection, prefix } = queueConnection({ redisUrl: undefined }, db.url);
    const opts = { connection: connection as never, prefix };
    const h = harness(
      new Queue('outage', opts, createPostgresBackend),
      (p) => new Worker('outage', p, opts, createPostgresBackend),
    );
    cleanups.push(h.stop);
    await h.sut.enqueue('before');
    await waitFor(() => h.received.includes('before'), 5_000, 'the first message');

    await db.stop();
    await expectQuietOutage(h, 'Postgres');
    db = await startEmbeddedPostgres({ dataDir, port, log: () => undefined });
    await expectRecovery(h, 20_000);
  });
});
