import {
  Column,
  Entity,
  Index,
  JoinColumn,
  ManyToOne,
  PrimaryColumn,
  PrimaryGeneratedColumn,
} from 'typeorm';

/** What a comment event says happened. */
export type CommentEventType =
  'comment.created' | 'comment.updated' | 'comment.deleted' | 'comment.approved';

/**
 * One change of a comment the platform hears about, written by the `comments_event` trigger in
 * the same transaction as the change (so no path that changes a comment can forget it), with the
 * row as it was then. The relay sends it to Kafka and queues its webhooks, then marks it done;
 * done events are kept a week.
 */
@Entity({ name: 'comment_events' })
@Index('comment_events_kafka_pending_idx', ['seq'], { where: 'kafka_done_at IS NULL' })
@Index('comment_events_webhooks_pending_idx', ['seq'], { where: 'webhooks_done_at IS NULL' })
@Index('comment_events_created_idx', ['createdAt'])
export class CommentEventEntity {
  /** Order of the events; the event's id on the wire. */
  @PrimaryGeneratedColumn({ type: 'bigint' })
  seq: string;

  @Column({ name: 'comment_id', type: 'uuid' })
  commentId: string;

  @Column({ type: 'varchar', length: 32 })
  type: CommentEventType;

  /** The comment's row after the change (`to_jsonb`). */
  @Column({ type: 'jsonb' })
  snapshot: Record<string, unknown>;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' })
  createdAt: Date;

  /** Sent to the Kafka topic, or passed over because Kafka is not configured. */
  @Column({ name: 'kafka_done_at', type: 'timestamptz', nullable: true })
  kafkaDoneAt: Date | null;

  /** One webhook delivery per configured URL was queued (or none is configured). */
  @Column({ name: 'webhooks_done_at', type: 'timestamptz', nullable: true })
  webhooksDoneAt: Date | null;
}

/** Where a webhook delivery stands. */
export type WebhookDeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One comment event POSTed to one webhook URL, with the outcome of its attempts. */
@Entity({ name: 'comment_webhook_deliveries' })
@Index('comment_webhook_deliveries_status_idx', ['status', 'updatedAt'])
export class WebhookDeliveryEntity {
  @PrimaryColumn({ name: 'event_seq', type: 'bigint' })
  eventSeq: string;

  @ManyToOne(() => CommentEventEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_seq' })
  event?: CommentEventEntity;

  @PrimaryColumn({ type: 'text' })
  url: string;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status: WebhookDeliveryStatus;

  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'last_status', type: 'int', nullable: true })
  lastStatus: number | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' })
  updatedAt: Date;
}
