import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { QueueName } from '../queue/jobs.js';

const TIMEOUT_MS = 2_000;

/** Ready when the queue backend answers a count query within {@link TIMEOUT_MS}. */
@Injectable()
export class QueueHealthIndicator {
  constructor(
    private readonly health: HealthIndicatorService,
    @Inject(getQueueToken(QueueName.maintenance)) private readonly queue: Queue,
  ) {}

  async check(key = 'queue'): Promise<HealthIndicatorResult> {
    const indicator = this.health.check(key);
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.queue.getJobCounts('waiting'),
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`no answer within ${TIMEOUT_MS} ms`));
          }, TIMEOUT_MS);
        }),
      ]);
      return indicator.up();
    } catch (err) {
      return indicator.down({ message: err instanceof Error ? err.message : String(err) });
    } finally {
      clearTimeout(timer);
    }
  }
}
