import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { dataSourceOptions, runMigrations } from '../../src/database/data-source.js';

/** The Postgres server tests use: DATABASE_URL's, or the embedded one scripts/test.mjs started. */
export function testDatabaseUrl(): string {
  const url = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (url === undefined || url === '') {
    throw new Error('TEST_DATABASE_URL is not set: run tests through `npm test`');
  }
  return url;
}

/** Redis for the Redis variants of queue tests, when the run has one (REDIS_URL). */
export function testRedisUrl(): string | undefined {
  const url = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL;
  return url === undefined || url === '' ? undefined : url;
}

/** A fresh, migrated schema of its own for one test; `drop()` removes it. */
export interface TestSchema {
  readonly name: string;
  /** Connection string whose sessions use this schema first. */
  readonly url: string;
  readonly pool: pg.Pool;
  drop(): Promise<void>;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${randomBytes(5).toString('hex')}`;
}

/** Creates a schema, runs the service's migrations into it and opens a small pool on it. */
export async function createTestSchema(): Promise<TestSchema> {
  const base = testDatabaseUrl();
  const name = uniqueName('t');
  const url = withSearchPath(base, name);
  await runMigrations(base, { schema: name });
  const pool = new pg.Pool({ connectionString: url, max: 4 });
  return {
    name,
    url,
    pool,
    drop: async () => {
      await pool.end();
      const admin = new pg.Client({ connectionString: base });
      await admin.connect();
      try {
        await admin.query(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
      } finally {
        await admin.end();
      }
    },
  };
}

/** `url` with `options=-c search_path=<schema>`, which node-postgres passes to the server. */
export function withSearchPath(url: string, schema: string): string {
  const u = new URL(url);
  u.searchParams.set('options', `-c search_path=${schema}`);
  return u.toString();
}

/** Polls `predicate` every 20 ms until it holds or `timeoutMs` passes. */
export async function waitFor(
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 5_000,
  what = 'condition',
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await predicate()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

/** A TypeORM data source (two connections) on a test schema, as the service's repositories use. */
export function openTestDataSource(schema: TestSchema): Promise<DataSource> {
  const base = new URL(schema.url);
  base.searchParams.delete('options');
  return new DataSource(
    dataSourceOptions(base.toString(), { schema: schema.name, poolSize: 2 }),
  ).initialize();
}
