import { Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { DeliveryQueue } from '../delivery/delivery-queue.js';
import { type JobMap, QueueName } from '../queue/jobs.js';
import { AppWorkerHost } from '../queue/queue-errors.js';
import { ActorUpdates } from './actor-updates.js';
import { Publisher, type PublishResult } from './publisher.js';

type PublishJob = Job<JobMap['article.publish'] | JobMap['actor.update']>;

/**
 * The `publish` queue: `article.publish` (one per stored story change, from ingestion) turns the
 * story's current state into activities; `actor.update` sends a changed profile. Both store
 * activities and deliveries in one transaction, then queue the deliveries; if queueing fails the
 * delivery relay does it later, so the job does not fail for that.
 */
@Processor(QueueName.publish)
export class PublishProcessor extends AppWorkerHost {
  private readonly logger = new Logger(PublishProcessor.name);

  constructor(
    private readonly publisher: Publisher,
    private readonly actorUpdates: ActorUpdates,
    private readonly deliveries: DeliveryQueue,
  ) {
    super();
  }

  async process(job: PublishJob): Promise<PublishResult | { activityIds: string[] }> {
    const result =
      job.name === 'actor.update'
        ? await this.actorUpdates.send((job.data as JobMap['actor.update']).actorId)
        : await this.publisher.publish((job.data as JobMap['article.publish']).articleId);
    if (result.activityIds.length > 0) {
      try {
        await this.deliveries.enqueue(result.activityIds);
      } catch (error) {
        this.logger.warn(
          `deliveries of ${result.activityIds.join(', ')} not queued yet (${String(error)}); the relay retries`,
        );
      }
    }
    return result;
  }
}
