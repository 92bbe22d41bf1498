import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';
import { ActorEntity } from '../actors/actor.entity.js';
import { ArticleEntity } from '../articles/article.entity.js';

/** The activity types the bridge sends. */
export type OutboundActivityType = 'Create' | 'Update' | 'Delete' | 'Announce';

/** How one delivery stands: waiting or retrying, done, given up, or not attempted. */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed' | 'skipped';

/**
 * An activity one of our actors sent, exactly as it was signed and POSTed (`body`). Never
 * rewritten. The partial unique index makes a second Create of the same story impossible.
 */
@Entity({ name: 'outbound_activities' })
@Index('outbound_activities_actor_idx', ['actorId', 'createdAt'])
@Index('outbound_activities_article_idx', ['articleId', 'createdAt'])
@Index('outbound_activities_one_create_key', ['articleId'], {
  unique: true,
  where: `type = 'Create'`,
})
@Index('outbound_activities_unenqueued_idx', ['createdAt'], { where: 'enqueued_at IS NULL' })
export class OutboundActivityEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** The activity's ActivityPub id. */
  @Column({ type: 'text', unique: true })
  uri: string;

  @Column({ type: 'varchar', length: 16 })
  type: OutboundActivityType;

  /** Our actor that signs and sends it. */
  @Column({ name: 'actor_id', type: 'uuid' })
  actorId: string;

  @ManyToOne(() => ActorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'actor_id' })
  actor?: ActorEntity;

  /** The story it is about, when it is about one. */
  @Column({ name: 'article_id', type: 'uuid', nullable: true })
  articleId: string | null;

  @ManyToOne(() => ArticleEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'article_id' })
  article?: ArticleEntity;

  /** The id of its object (the Article, the actor, or the announced story). */
  @Column({ name: 'object_uri', type: 'text' })
  objectUri: string;

  /** The whole activity as JSON-LD, `@context` included. */
  @Column({ type: 'jsonb' })
  body: Record<string, unknown>;

  /** How many inboxes it was addressed to. */
  @Column({ type: 'int', default: 0 })
  recipients: number;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** Set once its deliveries are in the queue; a relay queues activities left without it. */
  @Column({ name: 'enqueued_at', type: 'timestamptz', nullable: true })
  enqueuedAt: Date | null;
}

/** One activity to one inbox: its status, attempts and the last answer. */
@Entity({ name: 'deliveries' })
@Index('deliveries_activity_inbox_key', ['activityId', 'inboxUrl'], { unique: true })
@Index('deliveries_pending_due_idx', ['nextAttemptAt'], { where: `status = 'pending'` })
export class DeliveryEntity {
  @PrimaryGeneratedColumn({ type: 'bigint' })
  id: string;

  @Column({ name: 'activity_id', type: 'uuid' })
  activityId: string;

  @ManyToOne(() => OutboundActivityEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'activity_id' })
  activity?: OutboundActivityEntity;

  @Column({ name: 'inbox_url', type: 'text' })
  inboxUrl: string;

  /** The inbox's host (with port when not the default). */
  @Column({ type: 'varchar', length: 255 })
  host: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: DeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** The HTTP status of the last answer; null when none came (network error, timeout). */
  @Column({ name: 'last_status', type: 'int', nullable: true })
  lastStatus: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  /** When the next attempt is due, while pending (set when the delivery is written). */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  @Column({ name: 'delivered_at', type: 'timestamptz', nullable: true })
  deliveredAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}

/**
 * What the bridge knows about a remote host it delivers to: the circuit breaker (consecutive
 * failures, open until) and Mastodon's unavailable-domain rule (distinct failure days since the
 * last success or signed inbound request).
 */
@Entity({ name: 'delivery_hosts' })
export class DeliveryHostEntity {
  @PrimaryColumn({ type: 'varchar', length: 255 })
  host: string;

  @Column({ name: 'consecutive_failures', type: 'int', default: 0 })
  consecutiveFailures: number;

  /** When the current run of consecutive failures began. */
  @Column({ name: 'failing_since', type: 'timestamptz', nullable: true })
  failingSince: Date | null;

  /** Deliveries wait until then; after it one probe goes through. */
  @Column({ name: 'open_until', type: 'timestamptz', nullable: true })
  openUntil: Date | null;

  /** When the current probe started; other deliveries wait while one is under way. */
  @Column({ name: 'probe_at', type: 'timestamptz', nullable: true })
  probeAt: Date | null;

  /** Distinct UTC days with a failed delivery since the last success. */
  @Column({ name: 'failure_days', type: 'date', array: true, default: () => "'{}'" })
  failureDays: string[];

  /** Set when the host reached the failure-day limit; deliveries to it are skipped. */
  @Column({ name: 'unavailable_since', type: 'timestamptz', nullable: true })
  unavailableSince: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null;

  @Column({ name: 'last_failure_at', type: 'timestamptz', nullable: true })
  lastFailureAt: Date | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
