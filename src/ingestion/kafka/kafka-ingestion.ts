import {
  Controller,
  Get,
  Inject,
  Injectable,
  Logger,
  NotFoundException,
  type OnApplicationBootstrap,
  type BeforeApplicationShutdown,
  ServiceUnavailableException,
  UseGuards,
} from '@nestjs/common';
import { ApiOkResponse } from '@nestjs/swagger';
import { ApiAuthGuard } from '../../auth/api-auth.guard.js';
import { APP_CONFIG } from '../../config/config.module.js';
import { runsWorkers } from '../../config/config.js';
import type { RuntimeConfig } from '../../config/runtime.js';
import { ApiEndpoint, ApiTag } from '../../openapi/api-endpoint.js';
import { ref } from '../../openapi/schemas.js';
import { Metrics } from '../../metrics/metrics.js';
import type { EventSink } from '../ingest.js';
import {
  KafkaIngestConsumer,
  type KafkaIngestLogger,
  type KafkaIngestLag,
  type KafkaIngestStats,
} from './kafka-ingest-consumer.js';

/** DI token of the {@link KafkaIngestConsumer} (present only when `KAFKA_BROKERS` is set). */
export const KAFKA_CONSUMER = Symbol('KAFKA_CONSUMER');

/** Builds the consumer from the configuration. */
export function kafkaConsumerFactory(config: RuntimeConfig, sink: EventSink): KafkaIngestConsumer {
  return new KafkaIngestConsumer({
    brokers: [...config.kafkaBrokers],
    clientId: config.kafka.clientId,
    groupId: config.kafka.groupId,
    topic: config.kafka.topic,
    dlqTopic: config.kafka.dlqTopic,
    sink,
    logger: nestKafkaLogger('KafkaIngest'),
  });
}

/** A Nest logger in the shape the Kafka clients log to. */
export function nestKafkaLogger(context: string): KafkaIngestLogger {
  const logger = new Logger(context);
  return {
    log: (m) => {
      logger.log(m);
    },
    warn: (m) => {
      logger.warn(m);
    },
    error: (m) => {
      logger.error(m);
    },
  };
}

/**
 * Runs the consumer in worker processes: started after boot (not awaited, so a broker that is
 * down does not hold the boot — kafkajs keeps retrying), stopped at the start of shutdown, before
 * the database closes, so the message in hand is finished and committed.
 */
@Injectable()
export class KafkaIngestionRunner implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(KafkaIngestionRunner.name);
  private started: Promise<void> | undefined;

  constructor(
    @Inject(KAFKA_CONSUMER) private readonly consumer: KafkaIngestConsumer,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
    private readonly metrics: Metrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!runsWorkers(this.config)) return;
    this.metrics.kafkaLagSource(async () => {
      const { topic, partitions } = await this.consumer.lag();
      return { topic, partitions: partitions.map((p) => ({ ...p, lag: Number(p.lag) })) };
    });
    this.started = this.consumer.start().catch((error: unknown) => {
      this.logger.error(`Kafka consumer did not start: ${String(error)}`);
    });
  }

  /** Before any module closes: the database must still be there for the message in hand. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.consumer.stop();
    await this.started;
  }
}

/** `GET /api/v1/ingestion/kafka` (scope `admin`): consumer lag per partition, from the brokers. */
@Controller('api/v1/ingestion')
@UseGuards(ApiAuthGuard)
@ApiTag('Events')
export class KafkaLagController {
  constructor(@Inject(KAFKA_CONSUMER) private readonly consumer: KafkaIngestConsumer | null) {}

  @Get('kafka')
  @ApiEndpoint({
    summary: 'Kafka consumer lag',
    description:
      "Per partition of the article events topic: the group's committed offset, the end offset " +
      "and the lag, read from the brokers; and this process's consumer counters.",
    scopes: ['admin'],
    errors: {
      404: 'Kafka ingestion is off: `KAFKA_BROKERS` is not set (`kafka_off`).',
      503: 'The brokers did not answer (`kafka_unavailable`).',
    },
  })
  @ApiOkResponse({ description: 'The lag.', schema: ref('KafkaLag') })
  async lag(): Promise<KafkaIngestLag & { consumer: KafkaIngestStats | null }> {
    if (this.consumer === null) {
      throw new NotFoundException({ error: 'kafka_off', message: 'KAFKA_BROKERS is not set' });
    }
    try {
      // In-process counters only mean something where the consumer runs (ROLE worker or all).
      return { ...(await this.consumer.lag()), consumer: this.consumer.stats() };
    } catch (error) {
      throw new ServiceUnavailableException({
        error: 'kafka_unavailable',
        message: `could not read offsets: ${String(error)}`,
      });
    }
  }
}
