// What a benchmark runs against and records: the Postgres server (DATABASE_URL, else the local
// one, else an embedded one), Redis (REDIS_URL, else the local one, or none), the code version,
// and results written as prettier-formatted JSON. Shared by the ingest and fan-out benchmarks.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import pg from 'pg';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres.js';
import { probePort } from '../../test/e2e/support/app-process.js';

export interface Backends {
  serverUrl: string;
  postgres: string;
  redisUrl: string | undefined;
  redis: string;
  stop(): Promise<void>;
}

/** Finds (or starts) Postgres, and Redis unless `useRedis` is false. */
export async function backends(useRedis: boolean): Promise<Backends> {
  let serverUrl = process.env.DATABASE_URL;
  let source = 'DATABASE_URL';
  let stop = (): Promise<void> => Promise.resolve();
  if (serverUrl === undefined || serverUrl === '') {
    if ((await probePort(5432)) === 'open') {
      serverUrl = 'postgres://postgres@127.0.0.1:5432/postgres';
      source = 'local';
    } else {
      const dataDir = await mkdtemp(join(tmpdir(), 'bridge-bench-'));
      const db = await startEmbeddedPostgres({ dataDir, log: () => undefined });
      serverUrl = db.url;
      source = 'embedded';
      stop = async () => {
        await db.stop();
        await rm(dataDir, { recursive: true, force: true });
      };
    }
  }
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  const { rows } = await client.query<{ v: string }>(
    `SELECT current_setting('server_version') AS v`,
  );
  await client.end();
  const postgres = `PostgreSQL ${rows[0]?.v ?? '?'} (${source}, ${redact(serverUrl)})`;

  let redisUrl: string | undefined;
  let redis = 'none: BullMQ on its Postgres backend';
  if (useRedis) {
    redisUrl = process.env.REDIS_URL;
    if ((redisUrl === undefined || redisUrl === '') && (await probePort(6379)) === 'open') {
      redisUrl = 'redis://127.0.0.1:6379';
    }
    if (redisUrl === '') redisUrl = undefined;
    if (redisUrl !== undefined) {
      const r = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
      await r.connect();
      const info = await r.info('server');
      r.disconnect();
      redis = `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'} (${redact(redisUrl)})`;
    }
  }
  return { serverUrl, postgres, redisUrl, redis, stop };
}

function redact(url: string): string {
  const u = new URL(url);
  if (u.password !== '') u.password = '***';
  return u.toString();
}

/** Removes a queue prefix's keys from Redis (BullMQ leaves its queues behind). */
export async function dropQueues(redisUrl: string | undefined, prefix: string): Promise<void> {
  if (redisUrl === undefined) return;
  const r = new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await r.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
      cursor = next;
      if (keys.length > 0) await r.unlink(...keys);
    } while (cursor !== '0');
  } finally {
    r.disconnect();
  }
}

/**
 * The commit the service was built from, and whether src/ had uncommitted changes;
 * `BENCH_CODE_VERSION` names it instead (a benchmark run from an exported tree, outside git).
 */
export function codeVersion(): string {
  const named = process.env.BENCH_CODE_VERSION;
  if (named !== undefined && named !== '') return named;
  try {
    const git = (...args: string[]): string =>
      execFileSync('git', args, { cwd: fileURLToPath(new URL('../../..', import.meta.url)) })
        .toString()
        .trim();
    const dirty = git('status', '--porcelain', '--', 'src', 'migrations')
      .split('\n')
      .filter((l) => l !== '').length;
    return `${git('rev-parse', '--short', 'HEAD')}${dirty > 0 ? ` + ${dirty} uncommitted file(s) in src/ or migrations/` : ''}`;
  } catch {
    return 'unknown';
  }
}

/** JSON as prettier would format it (so `npm run format:check` stays green), when available. */
export async function prettyJson(value: unknown): Promise<string> {
  const text = JSON.stringify(value, null, 2);
  try {
    const prettier = await import('prettier');
    return await prettier.format(text, { parser: 'json' });
  } catch {
    return `${text}\n`;
  }
}
