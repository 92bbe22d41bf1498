import type { Federation } from '@fedify/fedify';
import { getQueueToken } from '@nestjs/bullmq';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { QueueName } from '../queue/jobs.js';
import { scheduleRepeating } from '../queue/schedule.js';
import { FEDERATION } from './federation.tokens.js';

/** How often expired KV entries are purged. */
const KV_PURGE_EVERY_MS = 10 * 60 * 1000;

/**
 * Runs Fedify's queue listeners in worker processes, and stops them first on shutdown: no new job
 * is taken, running ones finish (or go back to the queue), and only then does Nest close the rest.
 */
@Injectable()
export class FederationWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FederationWorker.name);
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private cancelSchedule: (() => void) | undefined;

  constructor(
    @Inject(FEDERATION) private readonly federation: Federation<void>,
    @Inject(getQueueToken(QueueName.maintenance)) private readonly maintenance: Queue,
  ) {}

  onApplicationBootstrap(): void {
    this.running = this.federation
      .startQueue(undefined, { signal: this.abort.signal })
      .catch((err: unknown) => {
        this.logger.error(`federation queues stopped: ${String(err)}`);
      });
    // Not awaited: a queue backend that is down must not hold the boot; retried until it works.
    this.cancelSchedule = scheduleRepeating(
      this.maintenance,
      'purge-kv',
      KV_PURGE_EVERY_MS,
      { name: 'maintenance.purge-kv', data: {} },
      this.logger,
    );
    this.logger.log('federation queues started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.cancelSchedule?.();
    this.abort.abort();
    await this.running;
    this.logger.log('federation queues drained');
  }
}
