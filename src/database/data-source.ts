import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runMigrations as runQueueMigrations } from 'bullmq';
import pg from 'pg';
import { DataSource, type DataSourceOptions } from 'typeorm';
import { ActorKeyEntity } from '../actors/actor-key.entity.js';
import { ActorEntity } from '../actors/actor.entity.js';
import { MembershipEntity } from '../actors/membership.entity.js';
import { FedifyKvEntity } from '../federation/fedify-kv.entity.js';
import { FollowerEntity } from '../followers/follower.entity.js';
import { ArticleChangeEntity } from '../articles/article-change.entity.js';
import { ArticleEntity } from '../articles/article.entity.js';
import { IngestLogEntity } from '../ingestion/ingest-log.entity.js';
import { FeedEntity, FeedItemEntity } from '../feeds/feed.entity.js';
import {
  DeliveryEntity,
  DeliveryHostEntity,
  OutboundActivityEntity,
} from '../delivery/delivery.entity.js';
import { ArticleFederationEntity } from '../publishing/article-federation.entity.js';
import {
  ArticleInteractionEntity,
  CommentEditEntity,
  CommentEntity,
  CommentTombstoneEntity,
  ModerationBlockEntity,
  ModerationPolicyEntity,
  ModerationReportEntity,
} from '../comments/comment.entity.js';
import {
  CommentEventEntity,
  WebhookDeliveryEntity,
} from '../comments/events/comment-event.entity.js';

/** Every entity of the service. The migration drift check compares these with migrations/. */
export const ENTITIES = [
  FedifyKvEntity,
  ActorEntity,
  ActorKeyEntity,
  MembershipEntity,
  FollowerEntity,
  ArticleEntity,
  ArticleChangeEntity,
  IngestLogEntity,
  FeedEntity,
  FeedItemEntity,
  ArticleFederationEntity,
  OutboundActivityEntity,
  DeliveryEntity,
  DeliveryHostEntity,
  CommentEntity,
  CommentEditEntity,
  CommentTombstoneEntity,
  ArticleInteractionEntity,
  ModerationReportEntity,
  ModerationPolicyEntity,
  ModerationBlockEntity,
  CommentEventEntity,
  WebhookDeliveryEntity,
];

/** dist/ root: this file is dist/src/database/data-source.js once built. */
const DIST_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const MIGRATIONS_GLOB = join(DIST_ROOT, 'migrations', '*.js');

/** TypeORM options shared by the app, the migration CLI and the tests. */
export function dataSourceOptions(
  url: string,
  options: { schema?: string; poolSize?: number } = {},
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: ENTITIES,
    migrations: [MIGRATIONS_GLOB],
    migrationsTableName: 'typeorm_migrations',
    // gen_random_uuid() is built into Postgres 13+; uuid-ossp would need an extension.
    uuidExtension: 'pgcrypto',
    installExtensions: false,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    ...(options.schema === undefined ? {} : { schema: options.schema }),
    extra: {
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: 5_000,
      ...(options.schema === undefined ? {} : { options: `-c search_path=${options.schema}` }),
    },
  };
}

/** Advisory lock id taken while migrating, so replicas starting together migrate once. */
const MIGRATION_LOCK = 0x6272_6467; // "brdg"

/** Options for {@link runMigrations}. */
export interface MigrateOptions {
  /** Schema for the service's tables; the connection's default (public) when unset. */
  readonly schema?: string;
  /** Also create or upgrade BullMQ's Postgres-backend tables in this schema (queues on Postgres). */
  readonly queueSchema?: string;
}

/**
 * Runs pending migrations under a Postgres advisory lock, then BullMQ's own schema migrations when
 * queues live in Postgres (those take their own lock). Returns the names of the entity migrations
 * applied.
 */
export async function runMigrations(url: string, options: MigrateOptions = {}): Promise<string[]> {
  const applied = await runEntityMigrations(url, options.schema);
  if (options.queueSchema !== undefined) {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await runQueueMigrations(client, options.queueSchema);
    } finally {
      await client.end();
    }
  }
  return applied;
}

async function runEntityMigrations(url: string, schema: string | undefined): Promise<string[]> {
  const options = schema === undefined ? {} : { schema };
  const dataSource = new DataSource(dataSourceOptions(url, { ...options, poolSize: 2 }));
  await dataSource.initialize();
  const runner = dataSource.createQueryRunner();
  try {
    await runner.connect();
    if (options.schema !== undefined) {
      await runner.query(`CREATE SCHEMA IF NOT EXISTS "${options.schema}"`);
    }
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      const applied = await dataSource.runMigrations({ transaction: 'each' });
      return applied.map((m) => m.name);
    } finally {
      await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  } finally {
    await runner.release();
    await dataSource.destroy();
  }
}
