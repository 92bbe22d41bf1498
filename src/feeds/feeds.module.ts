import { InjectQueue } from '@nestjs/bullmq';
import {
  type BeforeApplicationShutdown,
  type DynamicModule,
  Inject,
  Injectable,
  Logger,
  Module,
  type OnApplicationBootstrap,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { ActorsModule } from '../actors/actors.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { APP_CONFIG } from '../config/config.module.js';
import { runsWorkers, servesHttp } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { IngestionModule } from '../ingestion/ingestion.module.js';
import { SafeFetch } from '../net/safe-fetch.js';
import { QueueName } from '../queue/jobs.js';
import { scheduleRepeating } from '../queue/schedule.js';
import { PACKAGE } from '../version.js';
import { FeedPoller } from './feed-poller.js';
import { FeedRepository } from './feed.repository.js';
import { FeedsController } from './feeds.controller.js';
import { FeedsProcessor } from './feeds.processor.js';
import { FEED_FETCH } from './feeds.tokens.js';
import { WebSubController } from './websub.controller.js';
import { WebSubSubscriber } from './websub-subscriber.js';

/** Largest feed document read. */
export const MAX_FEED_BYTES = 5 * 1024 * 1024;
/** How often due feeds are looked for. */
const TICK_EVERY_MS = 5_000;

@Injectable()
class FeedFetchCloser implements OnApplicationShutdown {
  constructor(@Inject(FEED_FETCH) private readonly fetcher: SafeFetch) {}
  async onApplicationShutdown(): Promise<void> {
    await this.fetcher.close();
  }
}

/** Schedules the feed tick in worker processes and sizes the poll worker. */
@Injectable()
class FeedsWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(FeedsWorker.name);
  private cancel: (() => void) | undefined;

  constructor(
    @InjectQueue(QueueName.feeds) private readonly queue: Queue,
    private readonly processor: FeedsProcessor,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.processor.worker.concurrency = this.config.feeds.concurrency;
    this.cancel = scheduleRepeating(
      this.queue,
      'feeds-tick',
      TICK_EVERY_MS,
      { name: 'feeds.tick', data: {} },
      this.logger,
    );
  }

  beforeApplicationShutdown(): void {
    this.cancel?.();
  }
}

/**
 * RSS/Atom feeds: subscriptions (admin API), polling (worker processes), WebSub callbacks; new and
 * changed items go to ingestion as commands.
 */
@Module({})
export class FeedsModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    return {
      module: FeedsModule,
      imports: [ActorsModule, AuthModule, IngestionModule.forRoot(config)],
      controllers: servesHttp(config) ? [FeedsController, WebSubController] : [],
      providers: [
        {
          provide: FEED_FETCH,
          inject: [APP_CONFIG],
          useFactory: (cfg: RuntimeConfig) =>
            new SafeFetch({
              allowPrivateAddresses: cfg.allowPrivateAddresses,
              userAgent: `${PACKAGE.name}/${PACKAGE.version} (feed reader; +${cfg.publicUrl.origin})`,
              maxBytes: MAX_FEED_BYTES,
              connectTimeoutMs: 5_000,
              totalTimeoutMs: 20_000,
            }),
        },
        FeedFetchCloser,
        FeedRepository,
        FeedPoller,
        WebSubSubscriber,
        ...(runsWorkers(config) ? [FeedsProcessor, FeedsWorker] : []),
      ],
    };
  }
}
