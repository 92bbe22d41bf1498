import { getQueueToken } from '@nestjs/bullmq';
import { Inject, Injectable } from '@nestjs/common';
import { type HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import type { Queue } from 'bullmq';
import { settleWithin } from '../common/settle-within.js';
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
    try {
      if (await settleWithin(this.queue.getJobCounts('waiting'), TIMEOUT_MS)) return indicator.up();
      return indicator.down({ message: `no answer within ${TIMEOUT_MS} ms` });
    } catch (err) {
      return indicator.down({ message: err instanceof Error ? err.message : String(err) });
    }
  }
}
