import pg from 'pg';
import { mintToken } from '../../../src/auth/mint-token.js';
import type { Scope } from '../../../src/auth/scopes.js';
import { testDatabaseUrl, testRedisUrl, uniqueName } from '../../support/database.js';
import { AppProcess, freePort } from './app-process.js';

export const JWT_SECRET = 'e2e-jwt-secret-0123456789abcdefghijklmnopqrstuvwxyz';
const SECRET_KEY = 'e2e-secret-key-0123456789abcdefghijklmnopqrstuv';

/** A running bridge on a database of its own, reachable at `origin` (http on 127.0.0.1). */
export interface Bridge {
  /** The service process; a new one after {@link Bridge.restart}. */
  readonly app: AppProcess;
  readonly origin: string;
  /** `127.0.0.1:PORT`, the host part of every handle. */
  readonly host: string;
  /** The bridge's own database. */
  readonly databaseUrl: string;
  /** Prefix of the bridge's queues (each bridge has its own). */
  readonly queuePrefix: string;
  /** Runs a query on the bridge's database. */
  sql<T extends pg.QueryResultRow>(text: string, params?: unknown[]): Promise<T[]>;
  /** Calls `/api/v1` with a token holding `scopes` (admin by default). */
  api(method: string, path: string, body?: unknown, scopes?: Scope[]): Promise<Response>;
  /**
   * Starts a new service process with the same environment (port, database, queue prefix,
   * `vars`) once the current one has exited (stop or kill it first), and waits until it is ready.
   */
  restart(timeoutMs?: number): Promise<AppProcess>;
  dispose(): Promise<void>;
}

async function admin<T>(use: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: testDatabaseUrl() });
  await client.connect();
  try {
    return await use(client);
  } finally {
    await client.end();
  }
}

/**
 * Starts the service (ROLE=all) with private addresses allowed, so that it federates with peers
 * on 127.0.0.1, and waits until it is ready.
 */
export async function startBridge(vars: Record<string, string> = {}): Promise<Bridge> {
  const database = uniqueName('e2e_fed');
  await admin((c) => c.query(`CREATE DATABASE "${database}"`));
  const url = new URL(testDatabaseUrl());
  url.pathname = `/${database}`;
  const port = await freePort();
  const queuePrefix = uniqueName('q');
  const origin = `http://127.0.0.1:${port}`;
  const env = {
    PORT: String(port),
    PUBLIC_URL: origin,
    DATABASE_URL: url.toString(),
    REDIS_URL: testRedisUrl(),
    SECRET_KEY,
    API_JWT_SECRET: JWT_SECRET,
    ALLOW_PRIVATE_ADDRESSES: 'true',
    LOG_LEVEL: 'debug',
    QUEUE_PREFIX: queuePrefix,
    ...vars,
  };
  let app = AppProcess.start(env);
  await app.waitUntilReady(20_000);
  const pool = new pg.Pool({ connectionString: url.toString(), max: 2 });
  return {
    get app() {
      return app;
    },
    origin,
    databaseUrl: url.toString(),
    queuePrefix,
    async sql<T extends pg.QueryResultRow>(text: string, params: unknown[] = []) {
      return (await pool.query<T>(text, params)).rows;
    },
    host: `127.0.0.1:${port}`,
    async api(method, path, body, scopes = ['admin']) {
      const token = await mintToken({ secret: JWT_SECRET, scopes, expiresIn: 600 });
      return fetch(`${origin}${path}`, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    },
    async restart(timeoutMs = 20_000) {
      if (app.isRunning()) throw new Error('restart(): the service process is still running');
      app = AppProcess.start(env);
      await app.waitUntilReady(timeoutMs);
      return app;
    },
    async dispose() {
      await pool.end();
      await app.dispose();
      await admin((c) => c.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`));
    },
  };
}
