import { BullModule } from '@nestjs/bullmq';
import { type DynamicModule, Module } from '@nestjs/common';
import { createPostgresBackend, setDefaultBackendFactory } from 'bullmq';
import type { RuntimeConfig } from '../config/runtime.js';
import { queueConnection } from './connection.js';
import { ALL_QUEUES } from './jobs.js';
import { QueueErrorReporter } from './queue-errors.js';

/** Injection token of the {@link QueueConnection} every Queue and Worker is built with. */
export const QUEUE_CONNECTION = Symbol('QUEUE_CONNECTION');

/**
 * BullMQ through @nestjs/bullmq, on Redis when `REDIS_URL` is set and otherwise on BullMQ's
 * Postgres backend. That backend is selected process-wide before any queue exists: BullMQ reads
 * it from a constructor argument or the default factory, never from queue options.
 */
@Module({})
export class QueueModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    const connection = queueConnection(config, config.databaseUrl, {
      prefix: config.queuePrefix,
    });
    if (connection.backend === 'postgres') setDefaultBackendFactory(createPostgresBackend);
    return {
      module: QueueModule,
      global: true,
      imports: [
        BullModule.forRoot({
          connection: connection.connection,
          prefix: connection.prefix,
        }),
        BullModule.registerQueue(...ALL_QUEUES.map((name) => ({ name }))),
      ],
      providers: [{ provide: QUEUE_CONNECTION, useValue: connection }, QueueErrorReporter],
      exports: [BullModule, QUEUE_CONNECTION],
    };
  }
}
