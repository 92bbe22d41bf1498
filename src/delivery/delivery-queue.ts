import { InjectQueue } from '@nestjs/bullmq';
import { Injectable } from '@nestjs/common';
import type { Queue } from 'bullmq';
import { type JobMap, QueueName } from '../queue/jobs.js';
import { DeliveryRepository } from './delivery.repository.js';
import { MAX_ATTEMPTS } from './retry-policy.js';

/** Jobs added per round trip to the queue backend. */
const BULK = 1000;

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
      for (let i = 0; i < pending.length; i += BULK) {
        await this.queue.addBulk(
          pending.slice(i, i + BULK).map((d) => ({
            name: 'delivery.send',
            data: {
              deliveryId: d.id,
              activityId,
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
      total += pending.length;
      await this.deliveries.markEnqueued([activityId]);
    }
    return total;
  }

  /** Queues activities older than `olderThanMs` that were never confirmed queued. */
  async relay(olderThanMs = 10_000, batch = 100): Promise<number> {
    let total = 0;
    for (;;) {
      const ids = await this.deliveries.unenqueued(olderThanMs, batch);
      if (ids.length === 0) return total;
      total += await this.enqueue(ids);
      if (ids.length < batch) return total;
    }
  }
}
