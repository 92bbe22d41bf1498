import { InjectQueue, Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job, Queue } from 'bullmq';
import { Metrics } from '../metrics/metrics.js';
import { type JobMap, QueueName } from '../queue/jobs.js';
import { AppWorkerHost } from '../queue/queue-errors.js';
import { FeedPoller, type PollSummary } from './feed-poller.js';
import { FeedRepository } from './feed.repository.js';

/** Feeds claimed per tick. */
const CLAIM_BATCH = 500;
/** A claimed feed is not claimed again for this long, unless its poll sets another time. */
const CLAIM_LEASE_S = 300;

type FeedJob = Job<
  JobMap['feeds.tick'] | JobMap['feeds.poll'],
  unknown,
  'feeds.tick' | 'feeds.poll'
>;

/**
 * The `feeds` queue: `feeds.tick` claims due feeds and queues one `feeds.poll` each;
 * `feeds.poll` polls one. Concurrency is `FEED_CONCURRENCY` (set on the worker in FeedsModule).
 */
@Processor(QueueName.feeds)
export class FeedsProcessor extends AppWorkerHost {
  private readonly logger = new Logger(FeedsProcessor.name);

  constructor(
    private readonly feeds: FeedRepository,
    private readonly poller: FeedPoller,
    @InjectQueue(QueueName.feeds) private readonly queue: Queue,
    private readonly metrics: Metrics,
  ) {
    super();
  }

  async process(job: FeedJob): Promise<number | PollSummary> {
    if (job.name === 'feeds.tick') return this.tick();
    const { feedId } = job.data as JobMap['feeds.poll'];
    try {
      const summary = await this.poller.poll(feedId);
      this.metrics.feedPoll(summary.result);
      return summary;
    } catch (error) {
      this.metrics.feedPoll('error');
      throw error;
    }
  }

  private async tick(): Promise<number> {
    const due = await this.feeds.claimDue(CLAIM_BATCH, CLAIM_LEASE_S);
    if (due.length === 0) return 0;
    const stamp = Date.now();
    await this.queue.addBulk(
      due.map((feedId) => ({
        name: 'feeds.poll',
        data: { feedId },
        opts: {
          jobId: `poll-${feedId}-${stamp}`,
          removeOnComplete: { count: 1000 },
          removeOnFail: { count: 1000 },
        },
      })),
    );
    this.logger.debug(`queued ${due.length} feed poll(s)`);
    return due.length;
  }
}
