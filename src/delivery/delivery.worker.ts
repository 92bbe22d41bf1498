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

/** How often activities without queued deliveries are looked for. */
const RELAY_EVERY_MS = 30_000;

/** Schedules the delivery relay in worker processes. */
@Injectable()
export class DeliveryWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DeliveryWorker.name);
  private cancel: (() => void) | undefined;

  constructor(@InjectQueue(QueueName.deliver) private readonly queue: Queue) {}

  onApplicationBootstrap(): void {
    this.cancel = scheduleRepeating(
      this.queue,
      'relay',
      RELAY_EVERY_MS,
      { name: 'delivery.relay', data: {} },
      this.logger,
      { atStartAfterMs: 5000 },
    );
  }

  beforeApplicationShutdown(): void {
    this.cancel?.();
  }
}
