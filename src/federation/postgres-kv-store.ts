import type { Temporal } from '@js-temporal/polyfill';
import type { KvKey, KvStore, KvStoreListEntry, KvStoreSetOptions } from '@fedify/fedify';

/** The one thing the store needs from a database handle; a `pg.Pool` fits. */
export interface SqlRunner {
  query(sql: string, parameters?: unknown[]): Promise<{ rows: unknown[] }>;
}

const TABLE = 'fedify_kv';
/** Rows fetched per round trip while listing. */
const LIST_PAGE = 500;

/**
 * Fedify's {@link KvStore} on a Postgres table (`fedify_kv`, created by the migrations).
 *
 * Keys are `text[]`; values are `jsonb`, so compare-and-swap compares JSON values, not their
 * spelling. An entry past its TTL reads as absent at once and is deleted by
 * {@link PostgresKvStore.purgeExpired}.
 */
export class PostgresKvStore implements KvStore {
  constructor(private readonly db: SqlRunner) {}

  async get<T = unknown>(key: KvKey): Promise<T | undefined> {
    const { rows } = await this.db.query(
      `SELECT value FROM ${TABLE} WHERE key = $1 AND (expires_at IS NULL OR expires_at > now())`,
      [key],
    );
    return (rows as { value: T }[])[0]?.value;
  }

  async set(key: KvKey, value: unknown, options?: KvStoreSetOptions): Promise<void> {
    await this.db.query(
      `INSERT INTO ${TABLE} (key, value, expires_at) VALUES ($1, $2::jsonb, ${expiry('$3')})
       ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at`,
      [key, toJson(value), ttlMs(options)],
    );
  }

  async delete(key: KvKey): Promise<void> {
    await this.db.query(`DELETE FROM ${TABLE} WHERE key = $1`, [key]);
  }

  /**
   * Sets `key` to `newValue` only if it currently holds `expectedValue` (`undefined`: absent or
   * expired). Atomic: one statement, safe across processes.
   */
  async cas(
    key: KvKey,
    expectedValue: unknown,
    newValue: unknown,
    options?: KvStoreSetOptions,
  ): Promise<boolean> {
    const params = [key, toJson(newValue), ttlMs(options)];
    const { rows } =
      expectedValue === undefined
        ? await this.db.query(
            `INSERT INTO ${TABLE} (key, value, expires_at) VALUES ($1, $2::jsonb, ${expiry('$3')})
             ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at
             WHERE ${TABLE}.expires_at IS NOT NULL AND ${TABLE}.expires_at <= now()
             RETURNING 1`,
            params,
          )
        : await this.db.query(
            `UPDATE ${TABLE} SET value = $2::jsonb, expires_at = ${expiry('$3')}
             WHERE key = $1 AND value = $4::jsonb AND (expires_at IS NULL OR expires_at > now())
             RETURNING 1`,
            [...params, toJson(expectedValue)],
          );
    return rows.length === 1;
  }

  /** Entries whose key starts with `prefix` (the key equal to it included), in key order. */
  async *list(prefix: KvKey = [] as unknown as KvKey): AsyncIterable<KvStoreListEntry> {
    let after: readonly string[] | null = null;
    for (;;) {
      const page = await this.db.query(
        `SELECT key, value FROM ${TABLE}
         WHERE ($1::int = 0 OR (key >= $2::text[] AND key[1:$1] = $2::text[]))
           AND (expires_at IS NULL OR expires_at > now())
           AND ($3::text[] IS NULL OR key > $3::text[])
         ORDER BY key LIMIT ${LIST_PAGE}`,
        [prefix.length, prefix, after],
      );
      const rows = page.rows as { key: string[]; value: unknown }[];
      for (const row of rows) yield { key: row.key as unknown as KvKey, value: row.value };
      if (rows.length < LIST_PAGE) return;
      after = rows[rows.length - 1]?.key ?? null;
    }
  }

  /** Deletes expired entries; returns how many. Called periodically by the worker. */
  async purgeExpired(): Promise<number> {
    const { rows } = await this.db.query(
      `DELETE FROM ${TABLE} WHERE expires_at IS NOT NULL AND expires_at <= now() RETURNING 1`,
    );
    return rows.length;
  }
}

function expiry(param: string): string {
  return `CASE WHEN ${param}::bigint IS NULL THEN NULL
          ELSE now() + ${param}::bigint * interval '1 millisecond' END`;
}

function ttlMs(options: KvStoreSetOptions | undefined): number | null {
  const ttl = options?.ttl as Temporal.Duration | undefined;
  return ttl === undefined ? null : Math.round(ttl.total({ unit: 'millisecond' }));
}

/** JSON text for a `jsonb` parameter; `undefined` (not JSON) is stored as `null`. */
function toJson(value: unknown): string {
  const json = JSON.stringify(value) as string | undefined; // undefined for undefined, functions
  return json ?? 'null';
}
