import { type DynamicModule, Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { CommentsModule } from '../comments/comments.module.js';
import { APP_CONFIG } from '../config/config.module.js';
import { runsWorkers, servesHttp } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { EventsController } from './events.controller.js';
import { EVENT_SINK } from './ingest.js';
import { IngestRepository } from './ingest.repository.js';
import { IngestService } from './ingest.service.js';
import { IngestionWorker } from './ingestion.worker.js';
import { RelayProcessor } from './relay.processor.js';
import {
  KAFKA_CONSUMER,
  kafkaConsumerFactory,
  KafkaIngestionRunner,
  KafkaLagController,
} from './kafka/kafka-ingestion.js';

/**
 * Ingestion: article events from HTTP and Kafka (and, through {@link EVENT_SINK}, from feeds)
 * become stored stories, changes and publish jobs.
 */
@Module({})
export class IngestionModule {
  /**
   * One module per configuration. Nest identifies a dynamic module by its object, so every
   * `forRoot(config)` (AppModule's, FeedsModule's, …) must return the same one: a second object
   * would be a second module instance — a second IngestService and relay, the lag route mapped
   * twice and, with KAFKA_BROKERS, a second Kafka consumer joining the group in the same process.
   */
  private static readonly modules = new WeakMap<RuntimeConfig, DynamicModule>();

  static forRoot(config: RuntimeConfig): DynamicModule {
    let module = IngestionModule.modules.get(config);
    if (module === undefined) {
      module = IngestionModule.build(config);
      IngestionModule.modules.set(config, module);
    }
    return module;
  }

  private static build(config: RuntimeConfig): DynamicModule {
    const kafkaOn = config.kafkaBrokers.length > 0;
    return {
      module: IngestionModule,
      imports: [ActorsModule, AuthModule, CommentsModule.forRoot(config)],
      controllers: servesHttp(config) ? [EventsController, KafkaLagController] : [],
      providers: [
        IngestRepository,
        IngestService,
        { provide: EVENT_SINK, useExisting: IngestService },
        ...(runsWorkers(config) ? [IngestionWorker, RelayProcessor] : []),
        kafkaOn
          ? {
              provide: KAFKA_CONSUMER,
              inject: [APP_CONFIG, EVENT_SINK],
              useFactory: kafkaConsumerFactory,
            }
          : { provide: KAFKA_CONSUMER, useValue: null },
        ...(kafkaOn && runsWorkers(config) ? [KafkaIngestionRunner] : []),
      ],
      exports: [EVENT_SINK, IngestService, IngestRepository],
    };
  }
}
