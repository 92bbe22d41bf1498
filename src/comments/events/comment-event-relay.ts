import { InjectQueue } from '@nestjs/bullmq';
import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { Queue } from 'bullmq';
import { Kafka, logLevel, Partitioners, type Producer } from 'kafkajs';
import { createHash } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { APP_CONFIG } from '../../config/config.module.js';
import type { RuntimeConfig } from '../../config/runtime.js';
import { kafkaLogCreator } from '../../ingestion/kafka/kafka-ingest-consumer.js';
import { nestKafkaLogger } from '../../ingestion/kafka/kafka-ingestion.js';
import { type JobMap, QueueName } from '../../queue/jobs.js';
import { commentEventMessage } from './comment-event.js';
import { type CommentEventSink, CommentEventsRepository } from './comment-events.repository.js';

/** Events handled per sink and pass. */
const BATCH = 200;
/** Pause between passes that found nothing to do. */
const IDLE_MS = 250;
/** Longest pause after Kafka failed (it doubles from 1 s). */
const KAFKA_BACKOFF_MAX_MS = 30_000;
/** Done events are kept this long, then purged (checked every 10 minutes). */
const KEEP_MS = 7 * 86_400_000;
const PURGE_EVERY_MS = 600_000;

/** Attempts of one webhook delivery: about 5.7 hours with the default scale. */
export const WEBHOOK_ATTEMPTS = 12;
const WEBHOOK_FIRST_DELAY_MS = 5_000;

/**
 * Relays comment events (rows the `comments_event` trigger writes with every change) to the
 * platform, in worker processes: to the Kafka topic in the order of their ids (at least once; the
 * event id lets a consumer drop repeats), and as one `comment.webhook` job per configured URL.
 * Each sink has its own loop, and one process relays to it at a time (a session advisory lock per
 * sink); a sink that is not configured has its events passed over.
 */
@Injectable()
export class CommentEventRelay implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CommentEventRelay.name);
  private readonly kafka: Kafka | null;
  private producer: Promise<Producer> | null = null;
  private kafkaFailures = 0;
  private kafkaRetryAt = 0;
  private lastPurge = 0;
  private readonly timers = new Map<CommentEventSink, NodeJS.Timeout>();
  private readonly running = new Map<CommentEventSink, Promise<void>>();
  private stopping = false;

  constructor(
    private readonly events: CommentEventsRepository,
    @InjectQueue(QueueName.webhooks) private readonly webhooks: Queue,
    @Inject(APP_CONFIG) private readonly config: RuntimeConfig,
  ) {
    this.kafka =
      config.kafkaBrokers.length === 0
        ? null
        : new Kafka({
            clientId: config.kafka.clientId,
            brokers: [...config.kafkaBrokers],
            connectionTimeout: 3000,
            logLevel: logLevel.WARN,
            logCreator: kafkaLogCreator(nestKafkaLogger('CommentEventsKafka')),
          });
  }

  onApplicationBootstrap(): void {
    this.schedule('kafka', 0);
    this.schedule('webhooks', 0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    await Promise.all(this.running.values());
    if (this.producer !== null) {
      await this.producer.then((p) => p.disconnect()).catch(() => undefined);
    }
  }

  /** Each sink has its own loop: a broker that hangs never holds back the webhooks. */
  private schedule(sink: CommentEventSink, delayMs: number): void {
    if (this.stopping) return;
    const timer = setTimeout(() => {
      const run = this.pass(sink)
        .catch((error: unknown) => {
          this.logger.warn(`comment events not relayed to ${sink} yet: ${String(error)}`);
          return false;
        })
        .then((busy) => {
          this.schedule(sink, busy ? 0 : IDLE_MS);
        });
      this.running.set(sink, run);
    }, delayMs);
    this.timers.set(sink, timer);
  }

  /** One pass for `sink`; whether a full batch was handled (more may be waiting). */
  async pass(sink: CommentEventSink): Promise<boolean> {
    const handled = await this.events.exclusively(sink, (conn) =>
      sink === 'kafka' ? this.toKafka(conn) : this.toWebhooks(conn),
    );
    if (sink === 'webhooks' && Date.now() - this.lastPurge > PURGE_EVERY_MS) {
      this.lastPurge = Date.now();
      const purged = await this.events.purge(KEEP_MS);
      if (purged > 0) this.logger.log(`purged ${purged} comment event(s) older than 7 days`);
    }
    return (handled ?? 0) >= BATCH;
  }

  /**
   * The next batch to the topic, in the order of the events' ids; marked sent only once the
   * broker acknowledged it (at least once: a crash in between sends it again).
   */
  private async toKafka(conn: EntityManager): Promise<number> {
    if (this.kafka === null) return this.passOver(conn, 'kafka');
    if (Date.now() < this.kafkaRetryAt) return 0;
    const pending = await this.events.pending(conn, 'kafka', BATCH);
    if (pending.length === 0) return 0;
    try {
      const producer = await this.connectedProducer();
      await producer.send({
        topic: this.config.commentEvents.kafkaTopic,
        acks: -1,
        messages: pending.map((event) => ({
          key: event.articlePlatformId,
          value: JSON.stringify(commentEventMessage(event)),
          headers: { type: event.type },
        })),
      });
    } catch (error) {
      this.kafkaFailures += 1;
      const wait = Math.min(KAFKA_BACKOFF_MAX_MS, 1000 * 2 ** (this.kafkaFailures - 1));
      this.kafkaRetryAt = Date.now() + wait;
      this.logger.warn(
        `${pending.length} comment event(s) not sent to Kafka (${String(error)}); retrying in ${wait} ms`,
      );
      return 0;
    }
    this.kafkaFailures = 0;
    await this.events.markDone(
      conn,
      'kafka',
      pending.map((e) => e.seq),
    );
    return pending.length;
  }

  /**
   * One delivery row per (event, URL), committed before its job is queued (so the job always
   * finds its row), then the jobs; a crash in between queues them again, and the job ids make
   * that a no-op while the first jobs are kept.
   */
  private async toWebhooks(conn: EntityManager): Promise<number> {
    const urls = this.config.commentEvents.webhookUrls.map((u) => u.href);
    if (urls.length === 0) return this.passOver(conn, 'webhooks');
    const pending = await this.events.pending(conn, 'webhooks', BATCH);
    if (pending.length === 0) return 0;
    const seqs = pending.map((e) => e.seq);
    await this.events.addWebhookDeliveries(conn, seqs, urls);
    const data: JobMap['comment.webhook'][] = seqs.flatMap((seq) =>
      urls.map((url) => ({ seq, url })),
    );
    await this.webhooks.addBulk(
      data.map((d) => ({
        name: 'comment.webhook',
        data: d,
        opts: {
          jobId: `webhook-${d.seq}-${urlKey(d.url)}`,
          attempts: WEBHOOK_ATTEMPTS,
          backoff: {
            type: 'exponential',
            delay: Math.max(
              1,
              Math.round(WEBHOOK_FIRST_DELAY_MS * this.config.delivery.retryScale),
            ),
          },
          removeOnComplete: { age: 86_400, count: 10_000 },
          removeOnFail: { age: 7 * 86_400, count: 10_000 },
        },
      })),
    );
    await this.events.markDone(conn, 'webhooks', seqs);
    return pending.length;
  }

  /** Events of a sink that is not configured are not kept for later; said once per batch. */
  private async passOver(conn: EntityManager, sink: 'kafka' | 'webhooks'): Promise<number> {
    const count = await this.events.passOver(conn, sink);
    if (count > 0) {
      this.logger.debug(`${count} comment event(s) not sent to ${sink}: it is not configured`);
    }
    return count;
  }

  private connectedProducer(): Promise<Producer> {
    if (this.producer === null) {
      const kafka = this.kafka;
      if (kafka === null) throw new Error('Kafka is not configured');
      const producer = kafka.producer({
        allowAutoTopicCreation: true,
        // A broker that is down fails the pass in seconds; the relay backs off on its own.
        retry: { retries: 2, initialRetryTime: 300 },
        createPartitioner: Partitioners.DefaultPartitioner,
      });
      this.producer = producer.connect().then(
        () => producer,
        (error: unknown) => {
          this.producer = null;
          throw error;
        },
      );
    }
    return this.producer;
  }
}

function urlKey(url: string): string {
  return createHash('sha256').update(url).digest('hex').slice(0, 16);
}
