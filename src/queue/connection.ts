import type { ConnectionOptions } from 'bullmq';
import type { AppConfig } from '../config/config.js';

/** What every Queue and Worker of the service is built with. */
export interface QueueConnection {
  readonly backend: 'redis' | 'postgres';
  readonly connection: ConnectionOptions | PostgresQueueConnection;
  readonly prefix: string;
}

/** Connection options BullMQ's Postgres backend takes (a pg pool config plus its schema). */
export interface PostgresQueueConnection {
  readonly connectionString: string;
  readonly schema: string;
  readonly max: number;
  readonly connectionTimeoutMillis: number;
}

/** Schema of BullMQ's tables when queues live in Postgres. */
export const QUEUE_SCHEMA = 'bullmq';

/** The schema BullMQ's Postgres backend needs migrated, or `undefined` when queues are on Redis. */
export function queueSchema(config: Pick<AppConfig, 'redisUrl'>): string | undefined {
  return config.redisUrl === undefined ? QUEUE_SCHEMA : undefined;
}

/** Reconnect delays grow to this and stay there, so a dead Redis is retried, not hammered. */
export const MAX_RECONNECT_DELAY_MS = 5_000;

/** Exponential reconnect backoff: 100 ms, 200 ms, 400 ms … capped at {@link MAX_RECONNECT_DELAY_MS}. */
export function reconnectDelay(attempt: number): number {
  return Math.min(100 * 2 ** Math.max(0, attempt - 1), MAX_RECONNECT_DELAY_MS);
}

/**
 * Chooses the queue backend: Redis when `REDIS_URL` is set, otherwise BullMQ's Postgres backend in
 * the service's own database (schema `bullmq`).
 */
export function queueConnection(
  config: Pick<AppConfig, 'redisUrl'>,
  databaseUrl: string,
  options: { schema?: string; prefix?: string } = {},
): QueueConnection {
  const prefix = options.prefix ?? 'bridge';
  if (config.redisUrl === undefined) {
    return {
      backend: 'postgres',
      prefix,
      connection: {
        connectionString: databaseUrl,
        schema: options.schema ?? QUEUE_SCHEMA,
        max: 4,
        connectionTimeoutMillis: 5_000,
      },
    };
  }
  const url = new URL(config.redisUrl);
  const db = url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0;
  return {
    backend: 'redis',
    prefix,
    connection: {
      host: url.hostname.replace(/^\[|\]$/g, ''),
      port: url.port === '' ? 6379 : Number(url.port),
      ...(url.username ? { username: decodeURIComponent(url.username) } : {}),
      ...(url.password ? { password: decodeURIComponent(url.password) } : {}),
      db,
      ...(url.protocol === 'rediss:' ? { tls: {} } : {}),
      // Workers block on Redis; BullMQ requires this to be null for them.
      maxRetriesPerRequest: null,
      // While Redis is unreachable, commands fail at once instead of waiting in memory: an inbox
      // POST gets a 5xx (the sender retries), a readiness probe says down, shutdown is not held.
      enableOfflineQueue: false,
      retryStrategy: reconnectDelay,
    },
  };
}
