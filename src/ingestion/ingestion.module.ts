import { type DynamicModule, Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module.js';
import { AuthModule } from '../auth/auth.module.js';
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
  static forRoot(config: RuntimeConfig): DynamicModule {
    const kafkaOn = config.kafkaBrokers.length > 0;
    return {
      module: IngestionModule,
      imports: [ActorsModule, AuthModule],
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
