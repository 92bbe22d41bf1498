import { type DynamicModule, Module } from '@nestjs/common';
import { ActorsModule } from '../../actors/actors.module.js';
import { ArticlesModule } from '../../articles/articles.module.js';
import { CommentsModule } from '../../comments/comments.module.js';
import { ConfigModule } from '../../config/config.module.js';
import type { RuntimeConfig } from '../../config/runtime.js';
import { DatabaseModule } from '../../database/database.module.js';
import { DeliveryModule } from '../../delivery/delivery.module.js';
import { KeyRotationService } from '../../federation/key-rotation.js';
import { FeedsModule } from '../../feeds/feeds.module.js';
import { FollowersModule } from '../../followers/followers.module.js';
import { Publisher } from '../../publishing/publisher.js';
import { QueueModule } from '../../queue/queue.module.js';
import { AdminRepository } from './admin.repository.js';
import { Backfiller } from './backfiller.js';

/**
 * What the admin CLI needs of the service, for a configuration with `ROLE=web` (see
 * {@link cliConfig}): the database, the queues as producers, and the domain modules whose
 * services the commands call. No HTTP server is started (an application context has none), and
 * no queue worker, scheduler or Kafka consumer exists, since those are only provided where
 * workers run. {@link KeyRotationService} is provided here rather than through the federation
 * module, which would build a whole Fedify federation for one service.
 */
@Module({})
export class CliModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    return {
      module: CliModule,
      imports: [
        ConfigModule.forRoot(config),
        DatabaseModule.forRoot(),
        QueueModule.forRoot(config),
        ActorsModule,
        ArticlesModule,
        FollowersModule,
        CommentsModule.forRoot(config),
        DeliveryModule.forRoot(config),
        FeedsModule.forRoot(config),
      ],
      providers: [KeyRotationService, AdminRepository, Publisher, Backfiller],
    };
  }
}

/**
 * The service's configuration as the CLI runs it: `ROLE=web`, so that modules leave out queue
 * processors, schedulers and consumers and keep their API controllers (`add-feed` calls the
 * feeds API's own code); Kafka off, since no command consumes or produces there.
 */
export function cliConfig(config: RuntimeConfig): RuntimeConfig {
  return { ...config, role: 'web', kafkaBrokers: [] };
}
