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

/** How often stored changes without a queued publish job are looked for. */
const RELAY_EVERY_MS = 30_000;

/** Schedules ingestion's upkeep in worker processes. */
@Injectable()
export class IngestionWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(IngestionWorker.name);
  private cancel: (() => void) | undefined;

  constructor(@InjectQueue(QueueName.ingest) private readonly queue: Queue) {}

  onApplicationBootstrap(): void {
    this.cancel = scheduleRepeating(
      this.queue,
      'relay-changes',
      RELAY_EVERY_MS,
      { name: 'ingest.relay-changes', data: {} },
      this.logger,
    );
  }

  beforeApplicationShutdown(): void {
    this.cancel?.();
  }
}
