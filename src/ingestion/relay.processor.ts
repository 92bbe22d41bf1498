import { Processor } from '@nestjs/bullmq';
import { Logger } from '@nestjs/common';
import type { Job } from 'bullmq';
import { type JobMap, QueueName } from '../queue/jobs.js';
import { AppWorkerHost } from '../queue/queue-errors.js';
import { IngestService } from './ingest.service.js';

/**
 * `ingest.relay-changes`: queues the publish jobs of stored changes that never got one (the
 * process died between commit and enqueue, or the queue backend was down then).
 */
@Processor(QueueName.ingest)
export class RelayProcessor extends AppWorkerHost {
  private readonly logger = new Logger(RelayProcessor.name);

  constructor(private readonly ingest: IngestService) {
    super();
  }

  async process(job: Job<JobMap['ingest.relay-changes']>): Promise<number> {
    const relayed = await this.ingest.relayPending();
    if (relayed > 0) {
      this.logger.log(`queued ${relayed} publish job(s) left behind (job ${job.id ?? '?'})`);
    }
    return relayed;
  }
}
