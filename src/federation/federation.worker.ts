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
import { FEDERATION } from './federation.tokens.js';

/** How often expired KV entries are purged. */
const KV_PURGE_EVERY_MS = 10 * 60 * 1000;
/** Retry delay for registering the purge schedule while the queue backend is unreachable. */
const SCHEDULE_RETRY_MS = 30_000;

/**
 * Runs Fedify's queue listeners in worker processes, and stops them first on shutdown: no new job
 * is taken, running ones finish (or go back to the queue), and only then does Nest close the rest.
 */
@Injectable()
export class FederationWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FederationWorker.name);
  private readonly abort = new AbortController();
  private running: Promise<void> | undefined;
  private retry: NodeJS.Timeout | undefined;

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
    this.scheduleKvPurge();
    this.logger.log('federation queues started');
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearTimeout(this.retry);
    this.abort.abort();
    await this.running;
    this.logger.log('federation queues drained');
  }

  private scheduleKvPurge(): void {
    this.maintenance
      .upsertJobScheduler(
        'purge-kv',
        { every: KV_PURGE_EVERY_MS },
        { name: 'maintenance.purge-kv', data: {} },
      )
      .catch((err: unknown) => {
        if (this.abort.signal.aborted) return;
        this.logger.warn(`could not schedule KV purge (${String(err)}); retrying`);
        this.retry = setTimeout(() => {
          this.scheduleKvPurge();
        }, SCHEDULE_RETRY_MS);
        this.retry.unref();
      });
  }
}
