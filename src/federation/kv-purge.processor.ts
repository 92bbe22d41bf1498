import { Processor } from '@nestjs/bullmq';
import { Inject, Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { type JobMap, QueueName } from '../queue/jobs.js';
import { AppWorkerHost } from '../queue/queue-errors.js';
import { FEDIFY_KV } from './federation.tokens.js';
import type { PostgresKvStore } from './postgres-kv-store.js';

/** Deletes expired entries of Fedify's KV store (`maintenance.purge-kv`). */
@Processor(QueueName.maintenance)
export class KvPurgeProcessor extends AppWorkerHost {
  private readonly logger = new Logger(KvPurgeProcessor.name);

  constructor(@Inject(FEDIFY_KV) private readonly kv: PostgresKvStore) {
    super();
  }

  async process(job: Job<JobMap['maintenance.purge-kv']>): Promise<number> {
    const purged = await this.kv.purgeExpired();
    if (purged > 0) this.logger.log(`purged ${purged} expired KV entries (job ${job.id ?? '?'})`);
    return purged;
  }
}
