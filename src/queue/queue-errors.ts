import { getQueueToken, OnWorkerEvent, WorkerHost } from '@nestjs/bullmq';
import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import type { Queue } from 'bullmq';
import { ALL_QUEUES } from './jobs.js';
import { RateLimitedLog } from './rate-limited-log.js';

const logger = new Logger('Queue');
/** One log line per queue per 30 s while its backend is failing. */
export const queueErrors = new RateLimitedLog((message) => {
  logger.warn(message);
});

/** Logs a worker's error, rate-limited per queue. */
export function logWorkerError(queueName: string, error: Error): void {
  queueErrors.log(`worker:${queueName}`, `worker ${queueName}: ${error.message}`);
}

/**
 * Listens for errors on every queue. A BullMQ queue or worker without an `error` listener prints
 * each failure's full stack to stderr, many times a second while its backend is down.
 */
@Injectable()
export class QueueErrorReporter implements OnModuleInit {
  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    for (const name of ALL_QUEUES) {
      const queue = this.moduleRef.get<Queue>(getQueueToken(name), { strict: false });
      queue.on('error', (error: Error) => {
        queueErrors.log(`queue:${name}`, `queue ${name}: ${error.message}`);
      });
    }
  }
}

/** Base for the service's processors: their worker errors are logged, rate-limited. */
export abstract class AppWorkerHost extends WorkerHost {
  @OnWorkerEvent('error')
  onWorkerError(error: Error): void {
    logWorkerError(this.worker.name, error);
  }
}
