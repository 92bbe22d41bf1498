/**
 * Every queue and job of the service, and the payload each job carries. Producers and processors
 * both type against {@link JobMap}, so a payload change is a compile error on both sides.
 */

/** BullMQ queue names. Fedify's three internal queues are kept apart so a delivery backlog
 * (outbox) never delays processing of what others send us (inbox). */
export const QueueName = {
  fedifyInbox: 'fedify-inbox',
  fedifyOutbox: 'fedify-outbox',
  fedifyFanout: 'fedify-fanout',
  maintenance: 'maintenance',
  /** One job per stored story change, for the publisher (rendering and delivery). */
  publish: 'publish',
  /** Ingestion upkeep: re-queueing changes whose publish job was never confirmed. */
  ingest: 'ingest',
  /** Feed polling: a scheduler tick and one job per due feed. */
  feeds: 'feeds',
  /** One job per (activity, inbox) delivery of what our actors publish, plus its relay. */
  deliver: 'deliver',
  /** One job per (comment event, webhook URL). */
  webhooks: 'webhooks',
} as const;
export type QueueName = (typeof QueueName)[keyof typeof QueueName];

export const ALL_QUEUES: readonly QueueName[] = Object.values(QueueName);

/** Job name → payload. */
export interface JobMap {
  /** A message Fedify queued for itself: an inbound activity, an outbound delivery or a fan-out.
   * Opaque to us; Fedify serialises and reads it. */
  'fedify.message': { readonly message: unknown };
  /** Deletes expired entries of Fedify's key–value store. Repeats every few minutes. */
  'maintenance.purge-kv': Readonly<Record<string, never>>;
  /** A stored change of a story to publish (create, update or delete). */
  'article.publish': {
    readonly changeId: string;
    readonly articleId: string;
    readonly change: 'create' | 'update' | 'delete';
    readonly eventId: string;
  };
  /** Queues changes whose publish job was never confirmed queued. Repeats every 30 s. */
  'ingest.relay-changes': Readonly<Record<string, never>>;
  /** Finds feeds due for a poll and queues them. Repeats every few seconds. */
  'feeds.tick': Readonly<Record<string, never>>;
  /** Polls one feed. */
  'feeds.poll': { readonly feedId: string };
  /** Posts one stored activity to one inbox (a `deliveries` row). */
  'delivery.send': {
    readonly deliveryId: string;
    readonly activityId: string;
    readonly inbox: string;
  };
  /** Queues deliveries of activities whose jobs were never confirmed queued. Repeats. */
  'delivery.relay': Readonly<Record<string, never>>;
  /** Sends Update of an actor whose profile changed to its followers. */
  'actor.update': { readonly actorId: string };
  /** Publishes stories whose stored state is ahead of what followers were sent. Repeats. */
  'publish.reconcile': Readonly<Record<string, never>>;
  /** Sends an answer written on the platform (a stored local comment) as a Create(Note). */
  'comment.reply': { readonly commentId: string };
  /** POSTs one comment event to one webhook URL (a `comment_webhook_deliveries` row). */
  'comment.webhook': { readonly seq: string; readonly url: string };
}

export type JobName = keyof JobMap;

/**
 * Options of every job on the `publish` queue: a failed attempt (database restart, pool timeout)
 * is tried again — 8 attempts over about 4 minutes —, and finished jobs are kept a day for
 * inspection. The publisher is idempotent, so a job that runs again does no harm; what still
 * fails is caught by the `publish.reconcile` sweep.
 */
export const PUBLISH_JOB_OPTIONS = {
  attempts: 8,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: { age: 86_400, count: 10_000 },
  removeOnFail: { age: 7 * 86_400, count: 10_000 },
} as const;
