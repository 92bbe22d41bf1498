import { Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { DeliveryQueue } from '../delivery/delivery-queue.js';
import { type JobMap, QueueName } from '../queue/jobs.js';
import { AppWorkerHost } from '../queue/queue-errors.js';
import { ActorUpdates } from './actor-updates.js';
import { Publisher, type PublishResult } from './publisher.js';
import { ReplyPublisher } from './reply-publisher.js';

type PublishJob = Job<
  | JobMap['article.publish']
  | JobMap['actor.update']
  | JobMap['publish.reconcile']
  | JobMap['comment.reply']
>;

/** Stories the reconcile sweep publishes per run. */
const RECONCILE_BATCH = 100;

/**
 * The `publish` queue: `article.publish` (one per stored story change, from ingestion) turns the
 * story's current state into activities; `actor.update` sends a changed profile;
 * `comment.reply` sends an answer written on the platform;
 * `publish.reconcile` (every 5 minutes) publishes stories whose jobs failed for good or were lost. Both store
 * activities and deliveries in one transaction, then queue the deliveries; if queueing fails the
 * delivery relay does it later, so the job does not fail for that.
 */
@Processor(QueueName.publish)
export class PublishProcessor extends AppWorkerHost {
  private readonly logger = new Logger(PublishProcessor.name);

  constructor(
    private readonly publisher: Publisher,
    private readonly actorUpdates: ActorUpdates,
    private readonly replies: ReplyPublisher,
    private readonly deliveries: DeliveryQueue,
  ) {
    super();
  }

  async process(
    job: PublishJob,
  ): Promise<PublishResult | { activityIds: string[] } | { reconciled: number }> {
    if (job.name === 'publish.reconcile') return this.reconcile();
    let result: PublishResult | { activityIds: string[] };
    if (job.name === 'actor.update') {
      result = await this.actorUpdates.send((job.data as JobMap['actor.update']).actorId);
    } else if (job.name === 'comment.reply') {
      const lastTry = job.attemptsMade + 1 >= (job.opts.attempts ?? 1);
      result = await this.replies.publish((job.data as JobMap['comment.reply']).commentId, lastTry);
    } else {
      result = await this.publisher.publish((job.data as JobMap['article.publish']).articleId);
    }
    await this.queueDeliveries(result.activityIds);
    return result;
  }

  /** Publishes stories, and sends answers, that fell behind (see the `behind` methods). */
  private async reconcile(): Promise<{ reconciled: number }> {
    const ids = await this.publisher.behind(RECONCILE_BATCH);
    for (const id of ids) {
      const result = await this.publisher.publish(id);
      await this.queueDeliveries(result.activityIds);
    }
    if (ids.length > 0) this.logger.warn(`reconciled ${ids.length} story(ies) left behind`);
    const answers = await this.replies.behind(RECONCILE_BATCH);
    for (const id of answers) {
      // The job had its tries: a commenter that still cannot be looked up is left out.
      const result = await this.replies.publish(id, true).catch((error: unknown) => {
        this.logger.warn(`answer ${id} not reconciled: ${String(error)}`);
        return { activityIds: [] };
      });
      await this.queueDeliveries(result.activityIds);
    }
    if (answers.length > 0) this.logger.warn(`sent ${answers.length} answer(s) left behind`);
    return { reconciled: ids.length + answers.length };
  }

  private async queueDeliveries(activityIds: readonly string[]): Promise<void> {
    if (activityIds.length === 0) return;
    try {
      await this.deliveries.enqueue(activityIds);
    } catch (error) {
      this.logger.warn(
        `deliveries of ${activityIds.join(', ')} not queued yet (${String(error)}); the relay retries`,
      );
    }
  }
}
