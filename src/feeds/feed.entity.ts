import { Column, Entity, Index, JoinColumn, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';
import { ActorEntity } from '../actors/actor.entity.js';
import type { FeedStatus, WebSubState } from './feed.js';

/** A polled RSS/Atom feed and its polling state. */
@Entity({ name: 'feeds' })
@Index('feeds_url_key', ['url'], { unique: true })
@Index('feeds_due_idx', ['nextPollAt'], { where: `status <> 'disabled'` })
@Index('feeds_websub_token_key', ['websubToken'], { unique: true })
export class FeedEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Where it is fetched from; a permanent redirect replaces it. */
  @Column({ type: 'text' })
  url: string;

  /** The URL it was registered with. */
  @Column({ name: 'registered_url', type: 'text' })
  registeredUrl: string;

  /** The author or publication its stories belong to. */
  @Column({ name: 'owner_id', type: 'uuid' })
  ownerId: string;

  @ManyToOne(() => ActorEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'owner_id' })
  owner?: ActorEntity;

  @Column({ name: 'min_interval_s', type: 'integer' })
  minIntervalS: number;

  @Column({ name: 'max_interval_s', type: 'integer' })
  maxIntervalS: number;

  /** How many items older than the subscription the first poll federates. */
  @Column({ type: 'integer', default: 0 })
  backfill: number;

  @Column({ type: 'varchar', length: 16, default: 'active' })
  status: FeedStatus;

  @Column({ name: 'disabled_reason', type: 'text', nullable: true })
  disabledReason: string | null;

  @Column({ type: 'text', nullable: true })
  title: string | null;

  @Column({ type: 'text', nullable: true })
  etag: string | null;

  @Column({ name: 'last_modified', type: 'text', nullable: true })
  lastModified: string | null;

  /** Whether the first poll recorded the items that existed at subscription time. */
  @Column({ type: 'boolean', default: false })
  baselined: boolean;

  /** The current polling interval (adaptive, within the bounds). */
  @Column({ name: 'interval_s', type: 'integer' })
  intervalS: number;

  @Column({ name: 'next_poll_at', type: 'timestamptz', default: () => 'now()' })
  nextPollAt: Date;

  @Column({ name: 'last_polled_at', type: 'timestamptz', nullable: true })
  lastPolledAt: Date | null;

  @Column({ name: 'last_success_at', type: 'timestamptz', nullable: true })
  lastSuccessAt: Date | null;

  /** The last poll's HTTP status, when it got one. */
  @Column({ name: 'last_status', type: 'integer', nullable: true })
  lastStatus: number | null;

  @Column({ name: 'consecutive_failures', type: 'integer', default: 0 })
  consecutiveFailures: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'websub_hub', type: 'text', nullable: true })
  websubHub: string | null;

  @Column({ name: 'websub_topic', type: 'text', nullable: true })
  websubTopic: string | null;

  @Column({ name: 'websub_state', type: 'varchar', length: 16, default: 'none' })
  websubState: WebSubState;

  /** Unguessable part of the callback URL. */
  @Column({ name: 'websub_token', type: 'varchar', length: 64 })
  websubToken: string;

  /** HMAC secret given to the hub. */
  @Column({ name: 'websub_secret', type: 'varchar', length: 64, nullable: true })
  websubSecret: string | null;

  @Column({ name: 'websub_expires_at', type: 'timestamptz', nullable: true })
  websubExpiresAt: Date | null;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;
}

/** An item seen in a feed: what it became and the hash that detects edits. */
@Entity({ name: 'feed_items' })
export class FeedItemEntity {
  @Column({ name: 'feed_id', type: 'uuid', primary: true })
  feedId: string;

  @ManyToOne(() => FeedEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'feed_id' })
  feed?: FeedEntity;

  /** Normalized guid, else normalized link. */
  @Column({ name: 'item_key', type: 'text', primary: true })
  itemKey: string;

  @Column({ name: 'content_hash', type: 'varchar', length: 64 })
  contentHash: string;

  @Column({ name: 'article_platform_id', type: 'text' })
  articlePlatformId: string;

  /** False for items recorded but not federated (older than the subscription). */
  @Column({ type: 'boolean' })
  federated: boolean;

  @Column({ name: 'published_at', type: 'timestamptz', nullable: true })
  publishedAt: Date | null;

  @Column({ name: 'first_seen_at', type: 'timestamptz', default: () => 'now()' })
  firstSeenAt: Date;

  @Column({ name: 'last_changed_at', type: 'timestamptz', default: () => 'now()' })
  lastChangedAt: Date;
}
