import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { IngestOutcomeKind, IngestSource, Problem } from './ingest.js';

/**
 * Append-only record of every input ingestion saw, valid or not: what it was, where it came from
 * and what became of it. Rows are only ever inserted.
 *
 * The partial unique index is the idempotency guard: an event id takes effect at most once
 * (`applied`, `unchanged` and `stale` are final); `duplicate` and `rejected` lines may repeat.
 */
@Entity({ name: 'ingest_log' })
@Index('ingest_log_event_effect_key', ['eventId'], {
  unique: true,
  where: `outcome IN ('applied', 'unchanged', 'stale')`,
})
@Index('ingest_log_event_idx', ['eventId'])
@Index('ingest_log_article_idx', ['articlePlatformId', 'id'])
@Index('ingest_log_received_idx', ['receivedAt'])
export class IngestLogEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'event_id', type: 'uuid', nullable: true })
  eventId: string | null;

  @Column({ type: 'varchar', length: 16 })
  source: IngestSource;

  /** Where in the source: `topic/partition@offset`, a feed id, a request id. */
  @Column({ type: 'text', nullable: true })
  origin: string | null;

  @Column({ name: 'event_type', type: 'varchar', length: 32, nullable: true })
  eventType: string | null;

  @Column({ name: 'article_platform_id', type: 'text', nullable: true })
  articlePlatformId: string | null;

  @Column({ type: 'varchar', length: 16 })
  outcome: IngestOutcomeKind;

  @Column({ type: 'varchar', length: 64, nullable: true })
  reason: string | null;

  @Column({ type: 'text', nullable: true })
  message: string | null;

  @Column({ type: 'jsonb', nullable: true })
  problems: Problem[] | null;

  /** The change stored for an `applied` event. */
  @Column({ name: 'change_id', type: 'bigint', nullable: true })
  changeId: string | null;

  @Column({ name: 'received_at', type: 'timestamptz', default: () => 'now()' })
  receivedAt: Date;
}
