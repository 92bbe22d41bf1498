// The real service as a child process (test/e2e's AppProcess), on a database of its own that the
// benchmark creates, so that it can be stopped and started again on the same data.
import pg from 'pg';
import { mintToken } from '../../src/auth/mint-token.js';
import type { Scope } from '../../src/auth/scopes.js';
import { AppProcess, freePort } from '../../test/e2e/support/app-process.js';
import { uniqueName } from '../../test/support/database.js';

const PRELOAD = new URL('./cpu-profile-preload.js', import.meta.url).href;
const JWT_SECRET = 'bench-jwt-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const SECRET_KEY = 'bench-secret-key-0123456789abcdefghijklmnopqrstuv';

/** A database of its own on the benchmark's Postgres server. */
export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  sql<T extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>;
  /** Pids of the server backends connected to this database right now. */
  backendPids(): Promise<number[]>;
  drop(): Promise<void>;
}

async function onServer<T>(serverUrl: string, use: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

export async function createDatabase(
  serverUrl: string,
  keep: boolean,
  prefix = 'bench_ingest',
): Promise<BenchDatabase> {
  const name = uniqueName(prefix);
  await onServer(serverUrl, (c) => c.query(`CREATE DATABASE "${name}"`));
  const u = new URL(serverUrl);
  u.pathname = `/${name}`;
  const url = u.toString();
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  const admin = new pg.Pool({ connectionString: serverUrl, max: 1 });
  return {
    name,
    url,
    async sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []) {
      return (await pool.query<T>(text, params)).rows;
    },
    async backendPids() {
      const rows = await admin.query<{ pid: number }>(
        `SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`,
        [name],
      );
      return rows.rows.map((r) => r.pid);
    },
    async drop() {
      await pool.end();
      await admin.end();
      if (!keep) {
        await onServer(serverUrl, (c) => c.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
      }
    },
  };
}

export interface ServiceOptions {
  readonly databaseUrl: string;
  readonly redisUrl: string | undefined;
  readonly queuePrefix: string;
  /** More variables (an `undefined` value removes one). */
  readonly vars?: Record<string, string | undefined>;
  /** Profile the service's CPU into this directory (see cpu-profile-preload.ts). */
  readonly profileDir?: string | undefined;
}

/** A running service, reachable at `origin`. */
export interface Service {
  readonly app: AppProcess;
  readonly origin: string;
  readonly port: number;
  /** Milliseconds from spawn to ready. */
  readonly readyMs: number;
  token(scopes: Scope[]): Promise<string>;
  api(method: string, path: string, body?: unknown, scopes?: Scope[]): Promise<Response>;
  /** SIGTERM and wait (graceful: a CPU profile is written then). */
  stop(): Promise<void>;
}

export async function startService(options: ServiceOptions): Promise<Service> {
  const port = await freePort();
  const origin = `http://127.0.0.1:${port}`;
  const app = AppProcess.start({
    PORT: String(port),
    PUBLIC_URL: origin,
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    SECRET_KEY,
    API_JWT_SECRET: JWT_SECRET,
    ALLOW_PRIVATE_ADDRESSES: 'true',
    LOG_LEVEL: 'info',
    LOG_FORMAT: 'json',
    QUEUE_PREFIX: options.queuePrefix,
    ROLE: 'all',
    // Defaults unless the scenario sets them: nothing leaks in from the caller's environment.
    KAFKA_BROKERS: undefined,
    KAFKA_TOPIC: undefined,
    KAFKA_GROUP_ID: undefined,
    FEED_CONCURRENCY: undefined,
    FEED_MIN_INTERVAL_S: undefined,
    FEED_MAX_INTERVAL_S: undefined,
    FEED_BACKFILL: undefined,
    NODE_OPTIONS: options.profileDir === undefined ? undefined : `--import=${PRELOAD}`,
    BENCH_CPU_PROF_DIR: options.profileDir,
    ...options.vars,
  });
  let readyMs: number;
  try {
    readyMs = await app.waitUntilReady(60_000);
  } catch (error) {
    await app.dispose();
    throw error;
  }
  const token = (scopes: Scope[]): Promise<string> =>
    mintToken({ secret: JWT_SECRET, scopes, expiresIn: 3600 });
  return {
    app,
    origin,
    port,
    readyMs,
    token,
    async api(method, path, body, scopes = ['admin']) {
      return fetch(`${origin}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${await token(scopes)}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    async stop() {
      if (app.isRunning()) await app.stop('SIGTERM', 30_000);
    },
  };
}
