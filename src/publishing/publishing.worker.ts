import { InjectQueue } from '@nestjs/bullmq';
import {
  type BeforeApplicationShutdown,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueName } from '../queue/jobs.js';
import { scheduleRepeating } from '../queue/schedule.js';

/** How often stories left behind by failed or lost publish jobs are looked for. */
const RECONCILE_EVERY_MS = 5 * 60_000;

/** Schedules the publish reconcile sweep in worker processes. */
@Injectable()
export class PublishingWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(PublishingWorker.name);
  private cancel: (() => void) | undefined;

  constructor(@InjectQueue(QueueName.publish) private readonly queue: Queue) {}

  onApplicationBootstrap(): void {
    this.cancel = scheduleRepeating(
      this.queue,
      'reconcile',
      RECONCILE_EVERY_MS,
      { name: 'publish.reconcile', data: {} },
      this.logger,
      { atStartAfterMs: 5000 },
    );
  }

  beforeApplicationShutdown(): void {
    this.cancel?.();
  }
}
