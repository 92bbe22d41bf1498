import './node-compat.js';
import { createFederation, type Federation } from '@fedify/fedify';
import { getQueueToken } from '@nestjs/bullmq';
import { type DynamicModule, Module, type Provider } from '@nestjs/common';
import { type Queue, Worker } from 'bullmq';
import type pg from 'pg';
import { APP_CONFIG } from '../config/config.module.js';
import { runsWorkers } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { PG_POOL } from '../database/database.module.js';
import { QUEUE_CONNECTION } from '../queue/queue.module.js';
import type { QueueConnection } from '../queue/connection.js';
import { QueueName } from '../queue/jobs.js';
import { logWorkerError } from '../queue/queue-errors.js';
import { BullMqMessageQueue } from './bullmq-message-queue.js';
import { FEDERATION, FEDIFY_KV } from './federation.tokens.js';
import { FederationWorker } from './federation.worker.js';
import { KvPurgeProcessor } from './kv-purge.processor.js';
import { registerNodeInfo } from './nodeinfo.js';
import { PostgresKvStore } from './postgres-kv-store.js';

/**
 * Fedify's `Federation`, built once per process: KV store on Postgres, message queues on BullMQ
 * (one queue each for inbox, outbox and fan-out). Queues are started only where workers run
 * (`ROLE` `worker` or `all`); a `web` process only enqueues.
 */
@Module({})
export class FederationModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    const federationProvider: Provider = {
      provide: FEDERATION,
      inject: [
        APP_CONFIG,
        FEDIFY_KV,
        QUEUE_CONNECTION,
        getQueueToken(QueueName.fedifyInbox),
        getQueueToken(QueueName.fedifyOutbox),
        getQueueToken(QueueName.fedifyFanout),
      ],
      useFactory: (
        cfg: RuntimeConfig,
        kv: PostgresKvStore,
        connection: QueueConnection,
        inbox: Queue,
        outbox: Queue,
        fanout: Queue,
      ): Federation<void> => {
        const mq = (queue: Queue): BullMqMessageQueue =>
          new BullMqMessageQueue(queue, {
            // The Postgres backend, when used, is BullMQ's process-wide default (QueueModule).
            createWorker: (name, processor) =>
              new Worker(name, processor, {
                connection: connection.connection,
                prefix: connection.prefix,
                concurrency: 8,
              }),
            drainTimeoutMs: Math.floor(cfg.shutdownTimeoutMs / 2),
            onError: (error) => {
              logWorkerError(queue.name, error);
            },
          });
        // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- Fedify's "no context data"
        const federation = createFederation<void>({
          kv,
          queue: { inbox: mq(inbox), outbox: mq(outbox), fanout: mq(fanout) },
          manuallyStartQueue: true,
          origin: cfg.publicUrl.origin,
          allowPrivateAddress: cfg.allowPrivateAddresses,
        });
        registerNodeInfo(federation, () =>
          // No actors or articles exist yet; the actor and article stores replace these zeros.
          Promise.resolve({
            users: { total: 0, activeMonth: 0, activeHalfyear: 0 },
            localPosts: 0,
            localComments: 0,
          }),
        );
        return federation;
      },
    };
    return {
      module: FederationModule,
      providers: [
        {
          provide: FEDIFY_KV,
          inject: [PG_POOL],
          useFactory: (pool: pg.Pool) => new PostgresKvStore(pool),
        },
        federationProvider,
        ...(runsWorkers(config) ? [FederationWorker, KvPurgeProcessor] : []),
      ],
      exports: [FEDERATION, FEDIFY_KV],
    };
  }
}
