import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { type JobMap, QueueName } from '../queue/jobs.js';
import { DeliveryRepository, type PendingDelivery } from './delivery.repository.js';
import { MAX_ATTEMPTS } from './retry-policy.js';

/** Jobs added per round trip to the queue backend. */
const BULK = 1000;
/** A pending delivery this far past its due time has lost its job. */
const OVERDUE_MS = 15 * 60_000;

/** The BullMQ job id of a delivery: one job per row, so re-queueing cannot double it. */
export function deliveryJobId(deliveryId: string): string {
  return `delivery-${deliveryId}`;
}

/**
 * Puts stored deliveries into the `deliver` queue: after the transaction that stored their
 * activity, and again from the relay for activities left unqueued by a crash or a queue outage.
 */
@Injectable()
export class DeliveryQueue {
  constructor(
    private readonly deliveries: DeliveryRepository,
    @InjectQueue(QueueName.deliver) private readonly queue: Queue,
  ) {}

  /** Queues the pending deliveries of each activity and marks the activities queued. */
  async enqueue(activityIds: readonly string[]): Promise<number> {
    let total = 0;
    for (const activityId of activityIds) {
      const pending = await this.deliveries.pending(activityId);
      await this.add(pending);
      total += pending.length;
      await this.deliveries.markEnqueued([activityId]);
    }
    return total;
  }

  /**
   * Queues activities older than `olderThanMs` that were never confirmed queued, then pending
   * deliveries overdue by a quarter of an hour, whose job is gone (queue data lost, a job failed
   * outside the processor). A delivery whose job still exists is not doubled: the job id is the
   * delivery's.
   */
  async relay(olderThanMs = 10_000, batch = 100): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.deliveries.unenqueued(olderThanMs, batch);
      if (ids.length > 0) total += await this.enqueue(ids);
      if (ids.length < batch) break;
    }
    const overdue = await this.deliveries.overdue(OVERDUE_MS, BULK);
    await this.add(overdue);
    return total + overdue.length;
  }

  private async add(deliveries: readonly PendingDelivery[]): Promise<void> {
    for (let i = 0; i < deliveries.length; i += BULK) {
      await this.queue.addBulk(
        deliveries.slice(i, i + BULK).map((d) => ({
          name: 'delivery.send',
          data: {
            deliveryId: d.id,
            activityId: d.activityId,
            inbox: d.inboxUrl,
          } satisfies JobMap['delivery.send'],
          opts: {
            jobId: deliveryJobId(d.id),
            // One more than the schedule: the processor decides when to give up and records it.
            attempts: MAX_ATTEMPTS + 1,
            backoff: { type: 'delivery' },
            removeOnComplete: true,
            removeOnFail: { count: 10_000 },
          },
        })),
      );
    }
  }
}
