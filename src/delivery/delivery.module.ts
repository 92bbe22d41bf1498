import {
  type DynamicModule,
  Inject,
  Injectable,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { ActorsModule } from '../actors/actors.module.js';
import { APP_CONFIG } from '../config/config.module.js';
import { runsWorkers } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { FollowersModule } from '../followers/followers.module.js';
import { SafeFetch } from '../net/index.js';
import { PACKAGE } from '../version.js';
import { DeliveryProcessor } from './delivery.processor.js';
import { DeliveryQueue } from './delivery-queue.js';
import { DeliveryRepository } from './delivery.repository.js';
import { DELIVERY_HOST_HEALTH, DELIVERY_SENDER, DELIVERY_SLOTS } from './delivery.tokens.js';
import { DeliveryWorker } from './delivery.worker.js';
import { HostHealth } from './host-health.js';
import { HostSlots } from './host-slots.js';
import { InboxSender } from './inbox-sender.js';

const DELIVERY_FETCH = Symbol('DELIVERY_FETCH');

/** Sizes the delivery worker and closes the delivery connection pool at shutdown. */
@Injectable()
class DeliveryLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(
    @Inject(DELIVERY_FETCH) private readonly http: SafeFetch,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    private readonly moduleRef: ModuleRef,
  ) {}

  onApplicationBootstrap(): void {
    if (!runsWorkers(this.config)) return;
    const processor = this.moduleRef.get(DeliveryProcessor, { strict: true });
    processor.worker.concurrency = this.config.delivery.concurrency;
  }

  async onApplicationShutdown(): Promise<void> {
    await this.http.close();
  }
}

const memo = new WeakMap<RuntimeConfig, DynamicModule>();

/**
 * Delivery of our actors' activities: stored activities and deliveries, the `deliver` queue and
 * its worker (signing, POST, retries, host health), and the relay that re-queues what a crash
 * left behind. Publishing writes activities through {@link DeliveryRepository} and queues them
 * with {@link DeliveryQueue}.
 */
@Module({})
export class DeliveryModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    const cached = memo.get(config);
    if (cached !== undefined) return cached;
    const workers = runsWorkers(config);
    const module: DynamicModule = {
      module: DeliveryModule,
      imports: [ActorsModule, FollowersModule],
      providers: [
        DeliveryRepository,
        DeliveryQueue,
        {
          provide: DELIVERY_FETCH,
          inject: [APP_CONFIG],
          useFactory: (cfg: RuntimeConfig) =>
            new SafeFetch({
              allowPrivateAddresses: cfg.allowPrivateAddresses,
              userAgent: `${PACKAGE.name}/${PACKAGE.version} (+${cfg.publicUrl.origin})`,
              // Inboxes answer with little or nothing; redirects are not followed for a POST.
              maxBytes: 64 * 1024,
              maxRedirects: 0,
              totalTimeoutMs: 15_000,
            }),
        },
        {
          provide: DELIVERY_SENDER,
          inject: [DELIVERY_FETCH],
          useFactory: (http: SafeFetch) => new InboxSender(http),
        },
        {
          provide: DELIVERY_HOST_HEALTH,
          inject: [getDataSourceToken(), APP_CONFIG],
          useFactory: (db: DataSource, cfg: RuntimeConfig) =>
            new HostHealth(db, {
              baseOpenMs: 60_000 * cfg.delivery.retryScale,
              maxOpenMs: 3_600_000 * cfg.delivery.retryScale,
              probeTimeoutMs: 60_000 * cfg.delivery.retryScale,
            }),
        },
        {
          provide: DELIVERY_SLOTS,
          inject: [APP_CONFIG],
          useFactory: (cfg: RuntimeConfig) => new HostSlots(cfg.delivery.hostConcurrency),
        },
        DeliveryLifecycle,
        ...(workers ? [DeliveryProcessor, DeliveryWorker] : []),
      ],
      exports: [DeliveryRepository, DeliveryQueue, DELIVERY_HOST_HEALTH],
    };
    memo.set(config, module);
    return module;
  }
}
