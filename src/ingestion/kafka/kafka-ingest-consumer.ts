import { setTimeout as sleep } from 'node:timers/promises';

import {
  Kafka,
  logLevel,
  Partitioners,
  type Consumer,
  type ConsumerConfig,
  type EachBatchPayload,
  type IHeaders,
  type KafkaMessage,
  type logCreator,
  type Producer,
} from 'kafkajs';

import { isTransientError } from '../../common/transient.js';
import type { EventSink, IngestOutcome, Problem } from '../ingest.js';

/** The logger {@link KafkaIngestConsumer} writes to (a Nest `Logger` fits). */
export interface KafkaIngestLogger {
  log(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Options of {@link KafkaIngestConsumer}. */
export interface KafkaIngestConsumerOptions {
  /** Bootstrap `host:port` list. */
  brokers: string[];
  clientId: string;
  /** Consumer group; offsets are committed for it. */
  groupId: string;
  /** Topic of article events (docs/events.md). */
  topic: string;
  /** Dead-letter topic: rejected, unparsable and unprocessable messages go there. */
  dlqTopic: string;
  /** Where events are handed over. */
  sink: EventSink;
  logger: KafkaIngestLogger;
  /** Overrides of the kafkajs consumer settings (`groupId` always comes from `groupId`). */
  consumer?: Partial<ConsumerConfig>;
  /** Backoff between attempts of one message: `initialMs` doubling up to `maxMs`, with jitter. */
  retry?: { initialMs?: number; maxMs?: number };
  /** Level of kafkajs's own log entries passed to `logger`. Default WARN. */
  /** Partitions processed at once (each in order). Default 4. */
  partitionsConsumedConcurrently?: number;
  kafkaLogLevel?: logLevel;
}

/** Consumer-group lag of the topic, per partition; offsets as decimal strings, as kafkajs has them. */
export interface KafkaIngestLag {
  topic: string;
  groupId: string;
  partitions: {
    partition: number;
    /** The next offset the group will read; null when the group has committed none. */
    committed: string | null;
    /** The partition's end offset (high watermark). */
    end: string;
    /** `end − committed`, or `end − log start` without a committed offset. */
    lag: string;
  }[];
  /** Sum of the partitions' lag. */
  total: string;
}

/** In-process counters of one {@link KafkaIngestConsumer}. */
export interface KafkaIngestStats {
  /** Messages the sink accepted (applied, unchanged, stale or duplicate). */
  processed: number;
  /** Messages the sink rejected, unparsable values included. */
  rejected: number;
  /** Messages written to the dead-letter topic (for any reason). */
  dlq: number;
  /** Repeated attempts: sink calls and dead-letter writes after a failure. */
  retries: number;
  /** Message of the last error thrown by the sink or the dead-letter producer. */
  lastError?: string;
}

/** Retries of a message whose sink call fails with a non-transient error before it is dead-lettered. */
const NON_TRANSIENT_RETRIES = 3;
const DLQ_MESSAGE_MAX = 1000;
const DLQ_PROBLEMS_MAX = 4000;
/** Resolved offsets are committed at least this often while a batch is being processed. */
const AUTO_COMMIT_INTERVAL_MS = 5_000;
/** kafkajs's default `heartbeatInterval`. */
const DEFAULT_HEARTBEAT_MS = 3000;

type Decoded =
  | { readonly ok: true; readonly event: unknown }
  | { readonly ok: false; readonly text: string; readonly error: string };

type SinkResult =
  | { readonly kind: 'outcome'; readonly outcome: IngestOutcome }
  | { readonly kind: 'failed'; readonly error: string }
  | { readonly kind: 'abandoned' };

interface DeadLetter {
  readonly reason: string;
  readonly message?: string | undefined;
  readonly problems?: readonly Problem[] | undefined;
}

/** What the batch handler needs of kafkajs's batch payload for one message. */
interface MessageScope {
  readonly topic: string;
  readonly partition: number;
  readonly origin: string;
  readonly heartbeat: () => Promise<void>;
  /** False once the consumer is stopping or the partition was revoked/seeked. */
  readonly active: () => boolean;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Consumes article events from Kafka and hands them to an {@link EventSink}, one message at a time
 * per partition, in order, committing a message's offset only once the sink has stored its effect
 * (or its rejection) or the message is in the dead-letter topic.
 *
 * - Rejected events and values that are not UTF-8 JSON are written to `dlqTopic` (original key,
 *   value and headers, plus `dlq-*` headers saying why and where from), then skipped.
 * - Transient sink failures ({@link isTransientError}) are retried with exponential backoff until
 *   they succeed or the consumer stops (the message is then redelivered after a restart); other
 *   sink errors are retried three times and then dead-lettered with reason `processing_failed`.
 * - Dead-letter writes are retried until they succeed or the consumer stops.
 *
 * Delivery is at least once: the sink deduplicates by `eventId`. One instance runs once:
 * `start()`, then `stop()`.
 */
export class KafkaIngestConsumer {
  private readonly kafka: Kafka;
  private readonly initialMs: number;
  private readonly maxMs: number;
  private readonly heartbeatSliceMs: number;
  private readonly abort = new AbortController();
  private readonly counters: KafkaIngestStats = { processed: 0, rejected: 0, dlq: 0, retries: 0 };
  private consumer: Consumer | undefined;
  private producer: Producer | undefined;
  private started = false;
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly options: KafkaIngestConsumerOptions) {
    this.initialMs = Math.max(1, options.retry?.initialMs ?? 200);
    this.maxMs = Math.max(this.initialMs, options.retry?.maxMs ?? 30_000);
    this.heartbeatSliceMs = Math.max(
      10,
      options.consumer?.heartbeatInterval ?? DEFAULT_HEARTBEAT_MS,
    );
    this.kafka = new Kafka({
      clientId: options.clientId,
      brokers: options.brokers,
      logLevel: options.kafkaLogLevel ?? logLevel.WARN,
      logCreator: kafkaLogCreator(options.logger),
    });
  }

  /**
   * Connects the dead-letter producer and the consumer, joins the group and starts consuming
   * `topic` (from the beginning when the group has no committed offset). Resolves once consuming
   * has started; throws when connecting fails (call `stop()` to clean up either way).
   */
  async start(): Promise<void> {
    if (this.started) throw new Error('KafkaIngestConsumer.start() was already called');
    this.started = true;
    if (this.stopping) throw new Error('KafkaIngestConsumer was stopped before it started');
    const { brokers, topic, groupId, dlqTopic, logger } = this.options;
    logger.log(
      `Kafka ingest consumer starting: brokers ${brokers.join(',')}, topic ${topic}, group ${groupId}, DLQ ${dlqTopic}`,
    );

    const producer = this.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    const consumer = this.kafka.consumer({ ...this.options.consumer, groupId });
    this.producer = producer;
    this.consumer = consumer;
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      logger.error(
        `Kafka ingest consumer crashed (${payload.restart ? 'restarting' : 'not restarting'}): ${payload.error.message}`,
      );
    });

    // A stop() during any of these steps may have raced a connect or the group join: disconnect
    // again once the step is over, so nothing stays connected.
    await producer.connect();
    if (this.isStopping()) return this.closeClients();
    await consumer.connect();
    if (this.isStopping()) return this.closeClients();
    await consumer.subscribe({ topic, fromBeginning: true });
    if (this.isStopping()) return this.closeClients();
    await consumer.run({
      autoCommit: true,
      // kafkajs commits after every batch anyway; without an interval (its default is none) the
      // commitOffsetsIfNecessary() after each message would never commit inside a long batch.
      autoCommitInterval: AUTO_COMMIT_INTERVAL_MS,
      // Order matters only within a partition (one story's events share a key); ingestion
      // serializes events of one story across partitions with a lock of its own.
      partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently ?? 4,
      eachBatchAutoResolve: false,
      eachBatch: (payload) => this.handleBatch(payload),
    });
    if (this.isStopping()) return this.closeClients();
  }

  /**
   * Stops consuming: interrupts any backoff, lets the message in flight finish, commits what was
   * resolved, leaves the group and disconnects. Idempotent; safe before or after a failed `start()`.
   */
  stop(): Promise<void> {
    this.stopped ??= this.shutdown();
    return this.stopped;
  }

  /**
   * The group's lag on `topic`, read with an admin client (so any process can ask, whether or not
   * this instance consumes).
   */
  async lag(): Promise<KafkaIngestLag> {
    const { topic, groupId } = this.options;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const ends = await admin.fetchTopicOffsets(topic);
      const groupOffsets = await admin.fetchOffsets({ groupId, topics: [topic] });
      const committedBy = new Map<number, bigint>();
      for (const entry of groupOffsets) {
        if (entry.topic !== topic) continue;
        for (const { partition, offset } of entry.partitions) {
          const value = parseOffset(offset);
          if (value !== null && value >= 0n) committedBy.set(partition, value);
        }
      }
      let total = 0n;
      const partitions = [...ends]
        .sort((a, b) => a.partition - b.partition)
        .map(({ partition, high, low }) => {
          const end = parseOffset(high) ?? 0n;
          const committed = committedBy.get(partition);
          const start = parseOffset(low);
          const from = committed ?? (start !== null && start >= 0n ? start : 0n);
          const lag = end > from ? end - from : 0n;
          total += lag;
          return {
            partition,
            committed: committed === undefined ? null : committed.toString(),
            end: end.toString(),
            lag: lag.toString(),
          };
        });
      return { topic, groupId, partitions, total: total.toString() };
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  /** A snapshot of the in-process counters. */
  stats(): KafkaIngestStats {
    return { ...this.counters };
  }

  private async shutdown(): Promise<void> {
    this.stopping = true;
    this.abort.abort();
    const { logger, topic, groupId } = this.options;
    await this.closeClients();
    const { processed, rejected, dlq, retries } = this.counters;
    logger.log(
      `Kafka ingest consumer stopped: topic ${topic}, group ${groupId} (processed ${processed}, rejected ${rejected}, dlq ${dlq}, retries ${retries})`,
    );
  }

  /**
   * Disconnects the consumer (kafkajs waits for the batch handler to return — it sees `stopping`
   * at the next message or backoff step —, commits the resolved offsets and leaves the group),
   * then the DLQ producer. Never throws.
   */
  private async closeClients(): Promise<void> {
    const { logger } = this.options;
    await this.consumer?.disconnect().catch((error: unknown) => {
      logger.warn(`Kafka ingest consumer: disconnecting the consumer failed: ${errorText(error)}`);
    });
    await this.producer?.disconnect().catch((error: unknown) => {
      logger.warn(
        `Kafka ingest consumer: disconnecting the DLQ producer failed: ${errorText(error)}`,
      );
    });
  }

  /** Read through a method: TypeScript would keep `this.stopping` narrowed across awaits. */
  private isStopping(): boolean {
    return this.stopping;
  }

  private async handleBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const active = () => !this.stopping && payload.isRunning() && !payload.isStale();
    const heartbeat = () => payload.heartbeat();
    for (const message of batch.messages) {
      if (!active()) return;
      const scope: MessageScope = {
        topic: batch.topic,
        partition: batch.partition,
        origin: `${batch.topic}/${batch.partition}@${message.offset}`,
        heartbeat,
        active,
      };
      if (!(await this.handleMessage(message, scope))) return;
      payload.resolveOffset(message.offset);
      await payload.heartbeat();
      await payload.commitOffsetsIfNecessary();
    }
  }

  /** Settles one message; true when its offset may be resolved, false when it must be redelivered. */
  private async handleMessage(message: KafkaMessage, scope: MessageScope): Promise<boolean> {
    const decoded = decodeValue(message.value);
    // A string is never a valid event: the sink rejects (and logs) it like any invalid event.
    const raw = decoded.ok ? decoded.event : decoded.text;
    const result = await this.ingest(raw, scope);

    let deadLetter: DeadLetter | undefined;
    switch (result.kind) {
      case 'abandoned':
        return false;
      case 'failed':
        deadLetter = { reason: 'processing_failed', message: result.error };
        break;
      case 'outcome': {
        const { outcome } = result;
        if (!decoded.ok) {
          this.counters.rejected += 1;
          deadLetter = {
            reason: 'invalid_json',
            message: decoded.error,
            problems: outcome.problems,
          };
        } else if (outcome.outcome === 'rejected') {
          this.counters.rejected += 1;
          deadLetter = {
            reason: outcome.reason ?? 'rejected',
            message: outcome.message,
            problems: outcome.problems,
          };
        }
        break;
      }
    }
    if (deadLetter === undefined) {
      this.counters.processed += 1;
      return true;
    }
    return this.deadLetter(message, deadLetter, scope);
  }

  /** Calls the sink until it answers, retrying failures; see the class comment. */
  private async ingest(raw: unknown, scope: MessageScope): Promise<SinkResult> {
    let attempt = 0;
    let nonTransientFailures = 0;
    for (;;) {
      if (!scope.active()) return { kind: 'abandoned' };
      try {
        const outcome = await this.options.sink.ingestEvent(raw, 'kafka', { origin: scope.origin });
        return { kind: 'outcome', outcome };
      } catch (error) {
        attempt += 1;
        const text = errorText(error);
        this.counters.lastError = text;
        if (isTransientError(error)) {
          this.options.logger.warn(
            `Kafka event ${scope.origin}: transient failure (attempt ${attempt}), retrying: ${text}`,
          );
        } else {
          nonTransientFailures += 1;
          if (nonTransientFailures > NON_TRANSIENT_RETRIES) {
            this.options.logger.error(
              `Kafka event ${scope.origin}: failed ${nonTransientFailures} times, giving up: ${text}`,
            );
            return { kind: 'failed', error: text };
          }
          this.options.logger.warn(
            `Kafka event ${scope.origin}: failed (attempt ${attempt}, ${nonTransientFailures} of ${NON_TRANSIENT_RETRIES + 1} allowed), retrying: ${text}`,
          );
        }
        this.counters.retries += 1;
        await this.backoff(attempt, scope);
      }
    }
  }

  /** Writes the message to the DLQ, retrying until it is stored; false if the consumer stopped. */
  private async deadLetter(
    message: KafkaMessage,
    letter: DeadLetter,
    scope: MessageScope,
  ): Promise<boolean> {
    const { dlqTopic, logger } = this.options;
    const producer = this.producer;
    if (producer === undefined) return false;
    let attempt = 0;
    for (;;) {
      if (!scope.active()) return false;
      try {
        await producer.send({
          topic: dlqTopic,
          acks: -1,
          messages: [
            { key: message.key, value: message.value, headers: dlqHeaders(message, letter, scope) },
          ],
        });
        this.counters.dlq += 1;
        const detail = letter.message ? `: ${truncate(letter.message, 200)}` : '';
        logger.warn(
          `Kafka event ${scope.origin} written to DLQ ${dlqTopic} (${letter.reason})${detail}`,
        );
        return true;
      } catch (error) {
        attempt += 1;
        const text = errorText(error);
        this.counters.lastError = text;
        this.counters.retries += 1;
        logger.warn(
          `Kafka event ${scope.origin}: writing to DLQ ${dlqTopic} failed (attempt ${attempt}), retrying: ${text}`,
        );
        await this.backoff(attempt, scope);
      }
    }
  }

  /**
   * Waits the backoff for `attempt` (≥ 1), heartbeating every heartbeat interval so the member is
   * not evicted; returns early when the consumer stops. A heartbeat that fails (rebalance) throws
   * to kafkajs, which rejoins and redelivers the unresolved message.
   */
  private async backoff(attempt: number, scope: MessageScope): Promise<void> {
    const deadline = Date.now() + this.backoffMs(attempt);
    for (;;) {
      if (!scope.active()) return;
      const remaining = deadline - Date.now();
      if (remaining <= 0) return;
      await sleep(Math.min(remaining, this.heartbeatSliceMs), undefined, {
        signal: this.abort.signal,
      }).catch(() => undefined);
      if (!scope.active()) return;
      await scope.heartbeat();
    }
  }

  /** `initialMs · 2^(attempt−1)` capped at `maxMs`, with "equal jitter" (between half and all). */
  private backoffMs(attempt: number): number {
    const exponent = Math.min(attempt - 1, 30);
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** exponent);
    return Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
  }
}

/** Decodes a message value as UTF-8 JSON. */
function decodeValue(value: Buffer | null): Decoded {
  if (value === null) return { ok: false, text: '', error: 'the message has no value' };
  let text: string;
  try {
    text = UTF8.decode(value);
  } catch {
    return { ok: false, text: value.toString('utf8'), error: 'the value is not valid UTF-8' };
  }
  try {
    const event: unknown = JSON.parse(text);
    return { ok: true, event };
  } catch (error) {
    return { ok: false, text, error: `the value is not valid JSON: ${errorText(error)}` };
  }
}

/** The original headers (earlier `dlq-*` ones dropped) plus why and where from. */
function dlqHeaders(message: KafkaMessage, letter: DeadLetter, scope: MessageScope): IHeaders {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    if (value !== undefined && !name.startsWith('dlq-')) headers[name] = value;
  }
  headers['dlq-reason'] = letter.reason;
  if (letter.message !== undefined)
    headers['dlq-message'] = truncate(letter.message, DLQ_MESSAGE_MAX);
  if (letter.problems !== undefined) {
    headers['dlq-problems'] = truncate(JSON.stringify(letter.problems), DLQ_PROBLEMS_MAX);
  }
  headers['dlq-source-topic'] = scope.topic;
  headers['dlq-source-partition'] = String(scope.partition);
  headers['dlq-source-offset'] = message.offset;
  headers['dlq-failed-at'] = new Date().toISOString();
  return headers;
}

/** At most `max` characters, ending in `…` when cut (never inside a surrogate pair). */
function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  let end = max - 1;
  const last = text.charCodeAt(end - 1);
  if (last >= 0xd800 && last <= 0xdbff) end -= 1;
  return `${text.slice(0, end)}…`;
}

/** A Kafka offset string as a BigInt; null when it is not an integer. */
function parseOffset(offset: string | undefined): bigint | null {
  return offset !== undefined && /^-?\d+$/.test(offset) ? BigInt(offset) : null;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Routes kafkajs's log entries (already filtered by its `logLevel`) to `logger`. */
export function kafkaLogCreator(logger: KafkaIngestLogger): logCreator {
  return () =>
    ({ namespace, level, log }) => {
      const fields: Record<string, unknown> = { ...log };
      const message = typeof fields.message === 'string' ? fields.message : '';
      delete fields.message;
      delete fields.timestamp;
      delete fields.logger;
      delete fields.stack;
      let extra = '';
      if (Object.keys(fields).length > 0) {
        try {
          extra = ` ${JSON.stringify(fields)}`;
        } catch {
          extra = '';
        }
      }
      const line = `kafkajs ${namespace}: ${message}${extra}`;
      switch (level) {
        case logLevel.ERROR:
          logger.error(line);
          break;
        case logLevel.WARN:
          logger.warn(line);
          break;
        case logLevel.INFO:
        case logLevel.DEBUG:
          logger.log(line);
          break;
        case logLevel.NOTHING:
          break;
      }
    };
}
