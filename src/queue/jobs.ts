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
}

export type JobName = keyof JobMap;
