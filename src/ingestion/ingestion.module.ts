import { type DynamicModule, Module } from '@nestjs/common';
import { ActorsModule } from '../actors/actors.module.js';
import { AuthModule } from '../auth/auth.module.js';
import { runsWorkers, servesHttp } from '../config/config.js';
import type { RuntimeConfig } from '../config/runtime.js';
import { EventsController } from './events.controller.js';
import { EVENT_SINK } from './ingest.js';
import { IngestRepository } from './ingest.repository.js';
import { IngestService } from './ingest.service.js';
import { IngestionWorker } from './ingestion.worker.js';
import { RelayProcessor } from './relay.processor.js';

/**
 * Ingestion: article events from HTTP and Kafka (and, through {@link EVENT_SINK}, from feeds)
 * become stored stories, changes and publish jobs.
 */
@Module({})
export class IngestionModule {
  static forRoot(config: RuntimeConfig): DynamicModule {
    return {
      module: IngestionModule,
      imports: [ActorsModule, AuthModule],
      controllers: servesHttp(config) ? [EventsController] : [],
      providers: [
        IngestRepository,
        IngestService,
        { provide: EVENT_SINK, useExisting: IngestService },
        ...(runsWorkers(config) ? [IngestionWorker, RelayProcessor] : []),
      ],
      exports: [EVENT_SINK, IngestService, IngestRepository],
    };
  }
}
