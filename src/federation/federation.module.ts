import './node-compat.js';
import { createFederation, type Federation } from '@fedify/fedify';
import { Temporal } from '@js-temporal/polyfill';
import { getQueueToken } from '@nestjs/bullmq';
import {
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationShutdown,
  type Provider,
} from '@nestjs/common';
import { type Queue, Worker } from 'bullmq';
import type pg from 'pg';
import { setGlobalDispatcher } from 'undici';
import { ActorKeysService } from '../actors/actor-keys.service.js';
import { ActorsModule } from '../actors/actors.module.js';
import { ActorsService } from '../actors/actors.service.js';
import { AuthModule } from '../auth/auth.module.js';
import { APP_CONFIG } from '../config/config.module.js';
import { runsWorkers, servesHttp } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { PG_POOL } from '../database/database.module.js';
import { FollowerRepository } from '../followers/follower.repository.js';
import { FollowersModule } from '../followers/followers.module.js';
import { CommentIntake } from '../comments/comment-intake.js';
import { CommentsModule } from '../comments/comments.module.js';
import { DeliveryModule } from '../delivery/delivery.module.js';
import { DELIVERY_HOST_HEALTH } from '../delivery/delivery.tokens.js';
import type { HostHealth } from '../delivery/host-health.js';
import {
  createAuthenticatedDocumentLoaderFactory,
  createContextLoader,
  createDocumentLoader,
  SafeFetch,
} from '../net/index.js';
import { OutboxModule } from '../publishing/outbox.module.js';
import { OutboxService } from '../publishing/outbox.service.js';
import { QUEUE_CONNECTION } from '../queue/queue.module.js';
import type { QueueConnection } from '../queue/connection.js';
import { QueueName } from '../queue/jobs.js';
import { logWorkerError } from '../queue/queue-errors.js';
import { Metrics } from '../metrics/metrics.js';
import { PACKAGE } from '../version.js';
import { registerActorDispatcher } from './actor.dispatcher.js';
import { BullMqMessageQueue } from './bullmq-message-queue.js';
import { registerCollections } from './collections.dispatcher.js';
import { FEDERATION, FEDIFY_KV, REMOTE_JSON, SAFE_FETCH } from './federation.tokens.js';
import { FederationWorker } from './federation.worker.js';
import { registerInbox } from './inbox/inbox.listeners.js';
import { KeyRotationController } from './key-rotation.controller.js';
import { KeyRotationService } from './key-rotation.js';
import { KvPurgeProcessor } from './kv-purge.processor.js';
import { registerNodeInfo } from './nodeinfo.js';
import { PostgresKvStore } from './postgres-kv-store.js';
import { remoteJsonFetcher } from './remote-json.js';
import { WebController } from './web/web.controller.js';

/** Signatures older or newer than this are refused (Fedify's and Mastodon's window). */
const SIGNATURE_WINDOW = Temporal.Duration.from({ hours: 1 });

/** Closes the SSRF-safe fetch's connection pool at shutdown. */
@Injectable()
class SafeFetchCloser implements OnApplicationShutdown {
  constructor(@Inject(SAFE_FETCH) private readonly safeFetch: SafeFetch) {}
  async onApplicationShutdown(): Promise<void> {
    await this.safeFetch.close();
  }
}

/**
 * Fedify's `Federation`, built once per process: KV store on Postgres, message queues on BullMQ
 * (one queue each for inbox, outbox and fan-out), every remote fetch and delivery through the
 * SSRF-safe fetch. Dispatchers serve our actors and their collections; inbox handlers keep
 * followers. Queues are started only where workers run (`ROLE` `worker` or `all`).
 */
@Module({})
export class FederationModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    const safeFetchProvider: Provider = {
      provide: SAFE_FETCH,
      inject: [APP_CONFIG],
      useFactory: (cfg: RuntimeConfig) => {
        const safeFetch = new SafeFetch({
          allowPrivateAddresses: cfg.allowPrivateAddresses,
          userAgent: `${PACKAGE.name}/${PACKAGE.version} (+${cfg.publicUrl.origin})`,
        });
        // Fedify's deliveries use the global fetch: make them dial only checked addresses too.
        setGlobalDispatcher(safeFetch.dispatcher);
        return safeFetch;
      },
    };

    const federationProvider: Provider = {
      provide: FEDERATION,
      inject: [
        APP_CONFIG,
        FEDIFY_KV,
        QUEUE_CONNECTION,
        SAFE_FETCH,
        ActorsService,
        ActorKeysService,
        FollowerRepository,
        OutboxService,
        DELIVERY_HOST_HEALTH,
        CommentIntake,
        getQueueToken(QueueName.fedifyInbox),
        getQueueToken(QueueName.fedifyOutbox),
        getQueueToken(QueueName.fedifyFanout),
        Metrics,
      ],
      useFactory: (
        cfg: RuntimeConfig,
        kv: PostgresKvStore,
        connection: QueueConnection,
        safeFetch: SafeFetch,
        actors: ActorsService,
        keys: ActorKeysService,
        followers: FollowerRepository,
        outboxService: OutboxService,
        hostHealth: HostHealth,
        comments: CommentIntake,
        inbox: Queue,
        outbox: Queue,
        fanout: Queue,
        metrics: Metrics,
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
        const documentLoader = createDocumentLoader(safeFetch);
        const contextLoader = createContextLoader(safeFetch);
        // eslint-disable-next-line @typescript-eslint/no-invalid-void-type -- Fedify's "no context data"
        const federation = createFederation<void>({
          kv,
          queue: { inbox: mq(inbox), outbox: mq(outbox), fanout: mq(fanout) },
          manuallyStartQueue: true,
          origin: cfg.publicUrl.origin,
          // Private addresses and the User-Agent are the SSRF-safe fetch's business (Fedify
          // refuses those options next to custom loaders).
          documentLoaderFactory: () => documentLoader,
          contextLoaderFactory: () => contextLoader,
          authenticatedDocumentLoaderFactory: createAuthenticatedDocumentLoaderFactory(safeFetch),
          signatureTimeWindow: SIGNATURE_WINDOW,
        });
        const log = new Logger('Inbox');
        registerActorDispatcher(federation, { actors, keys, publicUrl: cfg.publicUrl });
        const collectionsLog = new Logger('Collections');
        registerCollections(federation, {
          actors,
          followers,
          hideFollowers: cfg.hideFollowers,
          outbox: outboxService,
          warn: (m) => {
            collectionsLog.warn(m);
          },
        });
        registerInbox(
          federation,
          {
            actors,
            followers,
            log: (m) => {
              log.log(m);
            },
            seen: (host) => hostHealth.seen(host),
            comments,
          },
          metrics,
        );
        registerNodeInfo(federation, async () => {
          const counts = await actors.counts();
          return {
            users: {
              total: counts.total,
              activeMonth: counts.activeMonth,
              activeHalfyear: counts.activeHalfyear,
            },
            // Stories and comments arrive with the publishing and comments issues.
            localPosts: 0,
            localComments: 0,
          };
        });
        return federation;
      },
    };
    return {
      module: FederationModule,
      imports: [
        ActorsModule,
        FollowersModule,
        OutboxModule,
        AuthModule,
        DeliveryModule.forRoot(config),
        CommentsModule.forRoot(config),
      ],
      controllers: servesHttp(config) ? [WebController, KeyRotationController] : [],
      providers: [
        {
          provide: FEDIFY_KV,
          inject: [PG_POOL],
          useFactory: (pool: pg.Pool) => new PostgresKvStore(pool),
        },
        safeFetchProvider,
        SafeFetchCloser,
        {
          provide: REMOTE_JSON,
          inject: [SAFE_FETCH],
          useFactory: (safeFetch: SafeFetch) => remoteJsonFetcher(safeFetch),
        },
        federationProvider,
        KeyRotationService,
        ...(runsWorkers(config) ? [FederationWorker, KvPurgeProcessor] : []),
      ],
      exports: [FEDERATION, FEDIFY_KV, SAFE_FETCH],
    };
  }
}
