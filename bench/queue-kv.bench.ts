// npm run bench: throughput of the two stores Fedify leans on — the KV store (idempotence and
// caches on every inbox hit) and the message queue (every delivery) — on real Postgres, and on
// Redis when REDIS_URL is set. Uses DATABASE_URL's server, or an embedded Postgres.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPostgresBackend, Queue, Worker } from 'bullmq';
import pg from 'pg';
import { runMigrations } from '../src/database/data-source.js';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres.js';
import { BullMqMessageQueue } from '../src/federation/bullmq-message-queue.js';
import { PostgresKvStore } from '../src/federation/postgres-kv-store.js';
import { queueConnection } from '../src/queue/connection.js';

const KV_OPS = 5_000;
const MESSAGES = 2_000;

async function timed(label: string, n: number, fn: () => Promise<void>): Promise<void> {
  const t0 = performance.now();
  await fn();
  const ms = performance.now() - t0;
  console.log(
    `${label.padEnd(44)} ${String(Math.round((n / ms) * 1000)).padStart(7)} /s  (${n} in ${Math.round(ms)} ms)`,
  );
}

async function benchKv(url: string): Promise<void> {
  const schema = `bench_${Date.now()}`;
  await runMigrations(url, { schema });
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  const pool = new pg.Pool({ connectionString: u.toString(), max: 8 });
  const kv = new PostgresKvStore(pool);
  const keys = Array.from({ length: KV_OPS }, (_, i) => ['bench', `k${i}`] as const);
  const parallel = async (op: (k: (typeof keys)[number]) => Promise<unknown>): Promise<void> => {
    for (let i = 0; i < keys.length; i += 32) await Promise.all(keys.slice(i, i + 32).map(op));
  };
  await timed('kv set (32 in flight)', KV_OPS, () => parallel((k) => kv.set(k, { id: k[1] })));
  await timed('kv get (32 in flight)', KV_OPS, () => parallel((k) => kv.get(k)));
  await timed('kv cas (32 in flight)', KV_OPS, () => parallel((k) => kv.cas(k, { id: k[1] }, 1)));
  await pool.query(`DROP SCHEMA "${schema}" CASCADE`);
  await pool.end();
}

async function benchQueue(
  name: string,
  make: () => { sut: BullMqMessageQueue; close: () => Promise<void> },
): Promise<void> {
  const { sut, close } = make();
  const messages = Array.from({ length: MESSAGES }, (_, i) => i);
  await timed(`mq ${name}: enqueueMany`, MESSAGES, () => sut.enqueueMany(messages));
  let seen = 0;
  const controller = new AbortController();
  let done = (): void => undefined;
  const all = new Promise<void>((r) => (done = r));
  const listening = sut.listen(
    () => {
      if (++seen === MESSAGES) done();
    },
    { signal: controller.signal },
  );
  await timed(`mq ${name}: processed (concurrency 8)`, MESSAGES, () => all);
  controller.abort();
  await listening;
  await close();
}

async function main(): Promise<void> {
  let url = process.env.DATABASE_URL;
  let stop = (): Promise<void> => Promise.resolve();
  if (url === undefined || url === '') {
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-bench-'));
    const db = await startEmbeddedPostgres({ dataDir, log: () => undefined });
    url = db.url;
    stop = async () => {
      await db.stop();
      await rm(dataDir, { recursive: true, force: true });
    };
    console.log('(embedded Postgres)');
  }
  try {
    await benchKv(url);
    const schema = `bench_mq_${Date.now()}`;
    await runMigrations(url, { queueSchema: schema });
    const pgConn = queueConnection({ redisUrl: undefined }, url, { schema });
    const pgOpts = { connection: pgConn.connection as never, prefix: pgConn.prefix };
    await benchQueue('postgres', () => {
      const queue = new Queue(`bench${Date.now()}`, pgOpts, createPostgresBackend);
      return {
        sut: new BullMqMessageQueue(queue, {
          createWorker: (n, p) =>
            new Worker(n, p, { ...pgOpts, concurrency: 8 }, createPostgresBackend),
        }),
        close: () => queue.close(),
      };
    });
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    await client.query(`DROP SCHEMA "${schema}" CASCADE`);
    await client.end();
    const redisUrl = process.env.REDIS_URL;
    if (redisUrl !== undefined && redisUrl !== '') {
      const r = queueConnection({ redisUrl }, '', { prefix: `bench${Date.now()}` });
      const rOpts = { connection: r.connection as never, prefix: r.prefix };
      await benchQueue('redis', () => {
        const queue = new Queue('bench', rOpts);
        return {
          sut: new BullMqMessageQueue(queue, {
            createWorker: (n, p) => new Worker(n, p, { ...rOpts, concurrency: 8 }),
          }),
          close: async () => {
            await queue.obliterate({ force: true });
            await queue.close();
          },
        };
      });
    }
  } finally {
    await stop();
  }
}

await main();
