import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { dataSourceOptions, ENTITIES } from './data-source.js';

/** SQL that would bring a migrated database in line with the entities. */
export interface SchemaDrift {
  readonly up: readonly string[];
  readonly down: readonly string[];
}

/**
 * Migrates a scratch database (created on the server `url` points at, dropped afterwards) and asks
 * TypeORM what it would still change to match the entities. Empty means migrations and entities
 * agree.
 */
export async function schemaDrift(
  url: string,
  entities: DataSourceOptions['entities'] = ENTITIES,
): Promise<SchemaDrift> {
  const scratch = `bridge_drift_${randomBytes(4).toString('hex')}`;
  const scratchUrl = new URL(url);
  scratchUrl.pathname = `/${scratch}`;
  await admin(url, `CREATE DATABASE ${scratch}`);
  try {
    const dataSource = new DataSource({
      ...dataSourceOptions(scratchUrl.toString(), { poolSize: 2 }),
      entities,
    });
    await dataSource.initialize();
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      const sql = await dataSource.driver.createSchemaBuilder().log();
      return {
        up: sql.upQueries.map((q) => q.query),
        down: sql.downQueries.map((q) => q.query),
      };
    } finally {
      await dataSource.destroy();
    }
  } finally {
    await admin(url, `DROP DATABASE IF EXISTS ${scratch} WITH (FORCE)`);
  }
}

async function admin(url: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
