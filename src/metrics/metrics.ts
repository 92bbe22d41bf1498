import type { UnverifiedActivityReason } from '@fedify/fedify';
import { Inject, Injectable } from '@nestjs/common';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { IngestOutcomeKind, IngestSource } from '../ingestion/ingest.js';
import { Refresher } from './refresher.js';

/** Injection token of the process's prom-client {@link Registry} (never the global default). */
export const METRICS_REGISTRY = Symbol('METRICS_REGISTRY');

/** Prefix of every series the service exposes. */
export const METRIC_PREFIX = 'bridge_';

/** A registry with Node's process metrics (`bridge_process_*`, `bridge_nodejs_*`) in it. */
export function createRegistry(): Registry {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: METRIC_PREFIX });
  return registry;
}

/** What one `delivery.send` job came to (the delivery processor's outcomes). */
export type DeliveryOutcome = 'delivered' | 'retry' | 'failed' | 'gone' | 'skipped' | 'waiting';
const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = [
  'delivered',
  'retry',
  'failed',
  'gone',
  'skipped',
  'waiting',
];

/** What an inbox listener did with a verified activity. */
export type InboxOutcome = 'handled' | 'ignored' | 'error';

/** Why an inbound activity's signature was not accepted. */
export type SignatureFailure = 'no_signature' | 'invalid_signature' | 'key_fetch_error';
const SIGNATURE_FAILURES: Record<UnverifiedActivityReason['type'], SignatureFailure> = {
  noSignature: 'no_signature',
  invalidSignature: 'invalid_signature',
  keyFetchError: 'key_fetch_error',
};

/** What one feed poll came to (`error`: the poll threw, an outage or a bug). */
export type FeedPollOutcome =
  'fetched' | 'not-modified' | 'failed' | 'disabled' | 'skipped' | 'error';
const FEED_POLL_OUTCOMES: readonly FeedPollOutcome[] = [
  'fetched',
  'not-modified',
  'failed',
  'disabled',
  'skipped',
  'error',
];

const INGEST_SOURCES: readonly IngestSource[] = ['http', 'kafka', 'feed', 'websub'];
const INGEST_OUTCOMES: readonly IngestOutcomeKind[] = [
  'applied',
  'unchanged',
  'stale',
  'duplicate',
  'rejected',
];

/** Queue states whose job counts are exposed. */
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed'] as const;
export type QueueState = (typeof QUEUE_STATES)[number];

/** One queue as read at scrape time. */
export interface QueueDepth {
  readonly queue: string;
  readonly counts: Readonly<Record<QueueState, number>>;
  /** Seconds the oldest waiting job has waited; 0 when none waits. */
  readonly oldestWaitingS: number;
}

/** Consumer-group lag per partition, as read from the brokers. */
export interface KafkaLagReading {
  readonly topic: string;
  readonly partitions: readonly { readonly partition: number; readonly lag: number }[];
}

/** Scrape-time readings; each has a `bridge_metrics_collector_up` series. */
export type Collector = 'queues' | 'comments' | 'kafka';

/** How long each reading is reused, and how long a scrape waits for it. */
const READINGS: Record<Collector, { ttlMs: number; timeoutMs: number }> = {
  queues: { ttlMs: 2_000, timeoutMs: 2_000 },
  comments: { ttlMs: 5_000, timeoutMs: 2_000 },
  // Each reading connects an admin client to the brokers.
  kafka: { ttlMs: 15_000, timeoutMs: 3_000 },
};

/** HTTP status of a delivery attempt as a bounded label; `error`: no answer. */
export function statusClass(status: number | null): string {
  if (status === null) return 'error';
  if (status >= 200 && status < 600) return `${Math.floor(status / 100)}xx`;
  return 'other';
}

/** What inbox listeners report (see registerInbox). */
export interface InboxMetrics {
  inbox(type: string, outcome: InboxOutcome): void;
  signatureFailure(reason: UnverifiedActivityReason['type']): void;
}

/**
 * The service's Prometheus series, one set per process (in {@link METRICS_REGISTRY}). Code that
 * does the work reports through the typed hooks (`delivery`, `inbox`, `ingest`, …); readings that
 * live elsewhere (queue depth, comments, Kafka lag) are registered as sources and read on scrape,
 * each reused for a few seconds and time-bounded so a slow backend never holds a scrape.
 */
@Injectable()
export class Metrics implements InboxMetrics {
  private readonly deliveries: Counter<'outcome'>;
  private readonly attemptSeconds: Histogram<'status_class'>;
  private readonly deliveredSeconds: Histogram;
  private readonly inboxActivities: Counter<'type' | 'outcome'>;
  private readonly signatureFailures: Counter<'reason'>;
  private readonly ingested: Counter<'source' | 'outcome'>;
  private readonly feedPolls: Counter<'outcome'>;
  private readonly queueJobs: Gauge<'queue' | 'state'>;
  private readonly queueOldest: Gauge<'queue'>;
  private readonly comments: Gauge<'status'>;
  private readonly kafkaLag: Gauge<'topic' | 'partition'>;
  private readonly collectorUp: Gauge<'collector'>;
  private readonly sources = new Map<Collector, () => Promise<void>>();

  constructor(@Inject(METRICS_REGISTRY) readonly registry: Registry) {
    const registers = [registry];
    this.deliveries = new Counter({
      name: 'bridge_deliveries_total',
      help: 'delivery.send jobs by outcome: delivered, retry (attempt failed, retried later), failed, gone (410), skipped, waiting (host breaker open or host at its cap).',
      labelNames: ['outcome'],
      registers,
    });
    this.attemptSeconds = new Histogram({
      name: 'bridge_delivery_attempt_duration_seconds',
      help: 'Duration of each delivery POST to an inbox, by HTTP status class (error: no answer).',
      labelNames: ['status_class'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 15],
      registers,
    });
    this.deliveredSeconds = new Histogram({
      name: 'bridge_delivery_time_to_delivered_seconds',
      help: 'Time from a delivery being queued (right after its activity was stored) to the inbox accepting it, retries included.',
      buckets: [0.5, 1, 5, 15, 60, 300, 900, 3600, 14_400, 86_400, 172_800],
      registers,
    });
    this.inboxActivities = new Counter({
      name: 'bridge_inbox_activities_total',
      help: 'Verified inbound activities by type and outcome: handled, ignored (a type nothing here handles), error (the handler threw; Fedify retries).',
      labelNames: ['type', 'outcome'],
      registers,
    });
    this.signatureFailures = new Counter({
      name: 'bridge_inbox_signature_failures_total',
      help: 'Inbound activities whose signature could not be verified, by reason: no_signature, invalid_signature, key_fetch_error.',
      labelNames: ['reason'],
      registers,
    });
    this.ingested = new Counter({
      name: 'bridge_ingested_events_total',
      help: 'Article and comment-reply events by source (http, kafka, feed, websub) and outcome (applied, unchanged, stale, duplicate, rejected).',
      labelNames: ['source', 'outcome'],
      registers,
    });
    this.feedPolls = new Counter({
      name: 'bridge_feed_polls_total',
      help: 'Feed polls by outcome: fetched, not-modified, failed (HTTP or parse error), disabled (410), skipped, error (the poll threw).',
      labelNames: ['outcome'],
      registers,
    });
    this.queueJobs = new Gauge({
      name: 'bridge_queue_jobs',
      help: 'Jobs per queue and state (waiting, active, delayed, failed), read from BullMQ on scrape.',
      labelNames: ['queue', 'state'],
      registers,
    });
    this.queueOldest = new Gauge({
      name: 'bridge_queue_oldest_waiting_job_age_seconds',
      help: 'Age of the oldest waiting job per queue (since it was queued or became due); 0 when none waits.',
      labelNames: ['queue'],
      registers,
    });
    this.comments = new Gauge({
      name: 'bridge_comments',
      help: 'Stored comments by moderation status, read from the database on scrape.',
      labelNames: ['status'],
      registers,
    });
    this.kafkaLag = new Gauge({
      name: 'bridge_kafka_consumer_lag',
      help: 'Messages of the ingest topic not yet committed by the consumer group, per partition (exposed by processes that run the consumer).',
      labelNames: ['topic', 'partition'],
      registers,
    });
    this.collectorUp = new Gauge({
      name: 'bridge_metrics_collector_up',
      help: 'Whether the last scrape-time reading (queues, comments, kafka) succeeded in time: 1, or 0.',
      labelNames: ['collector'],
      registers,
    });
    // Known label values start at 0, so rates exist before the first event.
    for (const outcome of DELIVERY_OUTCOMES) this.deliveries.inc({ outcome }, 0);
    for (const outcome of FEED_POLL_OUTCOMES) this.feedPolls.inc({ outcome }, 0);
    for (const reason of Object.values(SIGNATURE_FAILURES)) {
      this.signatureFailures.inc({ reason }, 0);
    }
    for (const source of INGEST_SOURCES) {
      for (const outcome of INGEST_OUTCOMES) this.ingested.inc({ source, outcome }, 0);
    }
  }

  /** The exposition's Content-Type. */
  get contentType(): string {
    return this.registry.contentType;
  }

  /** A `delivery.send` job finished with `outcome`. */
  delivery(outcome: DeliveryOutcome): void {
    this.deliveries.inc({ outcome });
  }

  /** A delivery POST took `seconds` and answered `status` (`null`: no answer). */
  deliveryAttempt(status: number | null, seconds: number): void {
    this.attemptSeconds.observe({ status_class: statusClass(status) }, seconds);
  }

  /** A delivery queued `seconds` ago was accepted. */
  delivered(seconds: number): void {
    this.deliveredSeconds.observe(Math.max(0, seconds));
  }

  /** An inbox listener finished with an activity of `type` (a Fedify vocabulary name). */
  inbox(type: string, outcome: InboxOutcome): void {
    this.inboxActivities.inc({ type, outcome });
  }

  /** Fedify could not verify an inbound activity's signature. */
  signatureFailure(reason: UnverifiedActivityReason['type']): void {
    this.signatureFailures.inc({ reason: SIGNATURE_FAILURES[reason] });
  }

  /** An event from `source` came to `outcome`. */
  ingest(source: IngestSource, outcome: IngestOutcomeKind): void {
    this.ingested.inc({ source, outcome });
  }

  /** A feed poll came to `outcome`. */
  feedPoll(outcome: FeedPollOutcome): void {
    this.feedPolls.inc({ outcome });
  }

  /** Where queue depths are read from on scrape. */
  queueSource(read: () => Promise<readonly QueueDepth[]>): void {
    this.source('queues', read, (depths) => {
      this.queueJobs.reset();
      this.queueOldest.reset();
      for (const { queue, counts, oldestWaitingS } of depths ?? []) {
        for (const state of QUEUE_STATES) this.queueJobs.set({ queue, state }, counts[state]);
        this.queueOldest.set({ queue }, oldestWaitingS);
      }
    });
  }

  /** Where comment counts by status are read from on scrape. */
  commentSource(read: () => Promise<Readonly<Record<string, number>>>): void {
    this.source('comments', read, (counts) => {
      this.comments.reset();
      for (const [status, count] of Object.entries(counts ?? {})) {
        this.comments.set({ status }, count);
      }
    });
  }

  /** Where the Kafka consumer group's lag is read from on scrape (processes running it). */
  kafkaLagSource(read: () => Promise<KafkaLagReading>): void {
    this.source('kafka', read, (reading) => {
      this.kafkaLag.reset();
      if (reading === undefined) return;
      for (const { partition, lag } of reading.partitions) {
        this.kafkaLag.set({ topic: reading.topic, partition: String(partition) }, lag);
      }
    });
  }

  /** The exposition text: sources are read (bounded in time) and every series rendered. */
  async render(): Promise<string> {
    await Promise.all([...this.sources.values()].map((refresh) => refresh()));
    return this.registry.metrics();
  }

  private source<T>(
    collector: Collector,
    read: () => Promise<T>,
    apply: (value: T | undefined) => void,
  ): void {
    const refresher = new Refresher(read, READINGS[collector]);
    this.sources.set(collector, async () => {
      const value = await refresher.get();
      apply(value);
      this.collectorUp.set({ collector }, value === undefined ? 0 : 1);
    });
  }
}
