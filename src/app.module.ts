import { type DynamicModule, Module } from '@nestjs/common';
import { ConfigModule } from './config/config.module.js';
import { servesHttp } from './config/config.js';
import type { RuntimeConfig } from './config/runtime.js';
import { DatabaseModule } from './database/database.module.js';
import { FederationModule } from './federation/federation.module.js';
import { FeedsModule } from './feeds/feeds.module.js';
import { HealthModule } from './health/health.module.js';
import { IngestionModule } from './ingestion/ingestion.module.js';
import { PublishingModule } from './publishing/publishing.module.js';
import { LoggingModule } from './logging/logging.module.js';
import { MetricsModule } from './metrics/metrics.module.js';
import { QueueModule } from './queue/queue.module.js';

/** The whole service, shaped by `ROLE`: HTTP parts only where HTTP is served. */
@Module({})
export class AppModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggingModule.forRoot(config.logLevel, config.logFormat),
        DatabaseModule.forRoot(),
        QueueModule.forRoot(config),
        MetricsModule.forRoot(config),
        FederationModule.forRoot(config),
        IngestionModule.forRoot(config),
        FeedsModule.forRoot(config),
        PublishingModule.forRoot(config),
        ...(servesHttp(config) ? [HealthModule] : []),
      ],
    };
  }
}
