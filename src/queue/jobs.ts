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
}

export type JobName = keyof JobMap;
