import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import {
  Kafka,
  logLevel,
  Partitioners,
  type Admin,
  type ConsumerConfig,
  type Message,
  type Producer,
} from 'kafkajs';

import { waitFor } from '../../../test/support/database.js';
import { KafkaTestBroker } from '../../../test/support/kafka-broker/kafka-broker.js';
import { readTopic } from '../../../test/support/kafka-broker/read-topic.js';
import type {
  EventSink,
  IngestCommand,
  IngestContext,
  IngestOutcome,
  IngestSource,
} from '../ingest.js';
import { KafkaIngestConsumer, type KafkaIngestConsumerOptions } from './kafka-ingest-consumer.js';

/** Settings that keep group joins, rebalances and empty fetches fast against the test broker. */
const FAST_CONSUMER: Partial<ConsumerConfig> = {
  maxWaitTimeInMs: 100,
  heartbeatInterval: 100,
  sessionTimeout: 3_000,
  rebalanceTimeout: 3_000,
  retry: { initialRetryTime: 50, retries: 10 },
};

interface TestEvent {
  readonly eventId: string;
  readonly type: string;
  readonly articleId?: string;
}

function isTestEvent(raw: unknown): raw is TestEvent {
  return (
    typeof raw === 'object' &&
    raw !== null &&
    'eventId' in raw &&
    typeof raw.eventId === 'string' &&
    'type' in raw &&
    typeof raw.type === 'string'
  );
}

/**
 * In-memory EventSink. It is the only stand-in in these tests (Kafka is spoken for real, through
 * kafkajs and the protocol-level test broker): what is under test is the consumer's offset, retry
 * and dead-letter handling, which needs a sink that can be told to reject or fail on cue. The real
 * database-backed sink (IngestService) is covered by the end-to-end tests. Like the real one it
 * deduplicates by `eventId` and rejects what is not an event with reason `invalid_event`.
 */
class MemorySink implements EventSink {
  /** Event ids stored, in the order they were applied. */
  readonly applied: string[] = [];
  /** Every call: what was passed and the origin context. */
  readonly calls: { raw: unknown; origin: string | undefined }[] = [];
  private readonly transient = new Map<string, number>();
  private readonly broken = new Set<string>();

  /** Makes the next `times` calls for `eventId` throw a transient (ECONNREFUSED) error. */
  failTransiently(eventId: string, times: number): void {
    this.transient.set(eventId, times);
  }

  /** Makes every call for `eventId` throw a non-transient error, as a bug would. */
  failPermanently(eventId: string): void {
    this.broken.add(eventId);
  }

  callsFor(eventId: string): number {
    return this.calls.filter(({ raw }) => isTestEvent(raw) && raw.eventId === eventId).length;
  }

  ingestEvent(raw: unknown, source: IngestSource, context?: IngestContext): Promise<IngestOutcome> {
    assert.equal(source, 'kafka');
    this.calls.push({ raw, origin: context?.origin });
    if (!isTestEvent(raw)) {
      return Promise.resolve({
        eventId: null,
        outcome: 'rejected',
        reason: 'invalid_event',
        message: 'the event is not an object with eventId and type',
        problems: [{ pointer: '', message: 'must be an object' }],
      });
    }
    const remaining = this.transient.get(raw.eventId) ?? 0;
    if (remaining > 0) {
      this.transient.set(raw.eventId, remaining - 1);
      return Promise.reject(
        Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' }),
      );
    }
    if (this.broken.has(raw.eventId)) {
      return Promise.reject(new TypeError("Cannot read properties of undefined (reading 'slug')"));
    }
    if (raw.type === 'bad') {
      return Promise.resolve({
        eventId: raw.eventId,
        outcome: 'rejected',
        reason: 'invalid_event',
        message: 'unknown event type "bad"',
        problems: [
          { pointer: '/type', message: 'must be one of article.published, article.deleted' },
        ],
      });
    }
    if (this.applied.includes(raw.eventId)) {
      return Promise.resolve({ eventId: raw.eventId, outcome: 'duplicate', reason: 'duplicate' });
    }
    this.applied.push(raw.eventId);
    return Promise.resolve({ eventId: raw.eventId, outcome: 'applied', change: 'create' });
  }

  apply(_command: IngestCommand): Promise<IngestOutcome> {
    return Promise.reject(new Error('MemorySink.apply is not used by the Kafka consumer'));
  }
}

/** A logger that keeps its lines. */
class MemoryLogger {
  readonly lines: string[] = [];
  log(message: string): void {
    this.lines.push(`log ${message}`);
  }
  warn(message: string): void {
    this.lines.push(`warn ${message}`);
  }
  error(message: string): void {
    this.lines.push(`error ${message}`);
  }
}

const event = (eventId: string, type = 'article.published', articleId = 'a1'): string =>
  JSON.stringify({ eventId, type, articleId });

void describe('KafkaIngestConsumer against the Kafka test broker', () => {
  let broker: KafkaTestBroker;
  let kafka: Kafka;
  let producer: Producer;
  let admin: Admin;
  /** Everything a test started, stopped in `after` if the test did not get to it. */
  const cleanups: (() => Promise<void>)[] = [];

  before(async () => {
    broker = await KafkaTestBroker.start({
      topics: {
        't1.events': { partitions: 2 },
        't2.events': { partitions: 1 },
        't2.dlq': { partitions: 1 },
        't3.events': { partitions: 1 },
        't3.dlq': { partitions: 1 },
        't4.events': { partitions: 2 },
        't5.events': { partitions: 1 },
        't6.events': { partitions: 2 },
        't7.events': { partitions: 1 },
        't7.dlq': { partitions: 1 },
      },
    });
    kafka = new Kafka({
      clientId: 'kafka-ingest-spec',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 50, retries: 10 },
    });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    admin = kafka.admin();
    await admin.connect();
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
    await broker.stop();
  });

  /** A consumer under test with fast settings; stopped in `after` at the latest. */
  function ingestConsumer(
    overrides: Partial<KafkaIngestConsumerOptions> &
      Pick<KafkaIngestConsumerOptions, 'topic' | 'groupId' | 'sink'>,
  ): { consumer: KafkaIngestConsumer; logger: MemoryLogger } {
    const logger = new MemoryLogger();
    const consumer = new KafkaIngestConsumer({
      brokers: broker.brokers,
      clientId: 'ingest-under-test',
      dlqTopic: `${overrides.topic}.dlq`,
      logger,
      consumer: FAST_CONSUMER,
      retry: { initialMs: 20, maxMs: 200 },
      ...overrides,
    });
    cleanups.push(() => consumer.stop());
    return { consumer, logger };
  }

  async function send(topic: string, messages: Message[]): Promise<void> {
    await producer.send({ topic, acks: -1, messages });
  }

  /** The group's committed offset per partition ('-1' when none), via the admin client. */
  async function committed(groupId: string, topic: string): Promise<Map<number, string>> {
    const [entry] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map((entry?.partitions ?? []).map((p) => [p.partition, p.offset]));
  }

  async function endOffsets(topic: string): Promise<Map<number, string>> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, p.high]));
  }

  void it('delivers every event once, in per-key order, and commits up to the end offsets', async () => {
    const sink = new MemorySink();
    const { consumer, logger } = ingestConsumer({ topic: 't1.events', groupId: 'g1', sink });
    const articles = ['a1', 'a2', 'a3', 'a4', 'a5'];
    const sent = Array.from({ length: 20 }, (_, i) => ({
      eventId: `e${i}`,
      articleId: articles[i % articles.length] ?? 'a1',
    }));
    await send(
      't1.events',
      sent.map((e) => ({
        key: e.articleId,
        value: event(e.eventId, 'article.published', e.articleId),
      })),
    );

    await consumer.start();
    await waitFor(() => sink.applied.length === 20, 10_000, '20 events at the sink');
    await Promise.all([consumer.stop(), consumer.stop()]); // stop() is idempotent

    assert.deepEqual([...sink.applied].sort(), sent.map((e) => e.eventId).sort());
    assert.equal(sink.calls.length, 20, 'no event reached the sink twice');
    // Events of one article share a key, so a partition, and arrive in the order sent.
    for (const article of articles) {
      const expected = sent.filter((e) => e.articleId === article).map((e) => e.eventId);
      const seen = sink.applied.filter((id) => expected.includes(id));
      assert.deepEqual(seen, expected, `order of ${article}`);
    }
    assert.ok(
      sink.calls.every(
        ({ origin }) => origin !== undefined && /^t1\.events\/[01]@\d+$/.test(origin),
      ),
    );

    const ends = await endOffsets('t1.events');
    assert.equal(
      [...ends.values()].reduce((sum, end) => sum + Number(end), 0),
      20,
    );
    assert.deepEqual(await committed('g1', 't1.events'), ends);

    const lag = await consumer.lag();
    assert.equal(lag.total, '0');
    assert.equal(lag.topic, 't1.events');
    assert.equal(lag.groupId, 'g1');
    assert.deepEqual(
      lag.partitions,
      [0, 1].map((partition) => ({
        partition,
        committed: ends.get(partition),
        end: ends.get(partition),
        lag: '0',
      })),
    );
    assert.deepEqual(consumer.stats(), { processed: 20, rejected: 0, dlq: 0, retries: 0 });
    assert.ok(
      logger.lines.includes(
        `log Kafka ingest consumer starting: brokers ${broker.brokers.join(',')}, topic t1.events, group g1, DLQ t1.events.dlq`,
      ),
    );
    assert.ok(logger.lines.some((line) => line.startsWith('log Kafka ingest consumer stopped')));
  });

  void it('dead-letters rejected and unparsable messages with their key, value and reason, and moves on', async () => {
    const sink = new MemorySink();
    const { consumer, logger } = ingestConsumer({
      topic: 't2.events',
      groupId: 'g2',
      dlqTopic: 't2.dlq',
      sink,
    });
    const badValue = event('e-bad', 'bad', 'a2');
    await send('t2.events', [
      { key: 'a1', value: event('e1') }, // offset 0
      { key: 'a2', value: badValue, headers: { 'trace-id': 'trace-42' } }, // offset 1
      { key: 'a3', value: event('e3', 'article.published', 'a3') }, // offset 2
      { key: 'a4', value: '{not json' }, // offset 3
      { key: 'a5', value: event('e5', 'article.published', 'a5') }, // offset 4
    ]);

    await consumer.start();
    await waitFor(
      () => consumer.stats().dlq === 2 && sink.applied.length === 3,
      10_000,
      'all five',
    );
    await consumer.stop();

    assert.deepEqual(sink.applied, ['e1', 'e3', 'e5']);
    // The unparsable value went to the sink as its raw text (and was rejected there).
    assert.ok(
      sink.calls.some(({ raw, origin }) => raw === '{not json' && origin === 't2.events/0@3'),
    );
    assert.equal((await committed('g2', 't2.events')).get(0), '5', 'nothing stalled');

    const dlq = await readTopic(kafka, 't2.dlq', 2, { groupId: 'reader-t2.dlq' });
    assert.equal(dlq.length, 2);
    const [rejected, unparsable] = dlq;
    assert.ok(rejected && unparsable);

    assert.equal(rejected.key, 'a2');
    assert.equal(rejected.value, badValue);
    assert.equal(rejected.headers['dlq-reason'], 'invalid_event');
    assert.equal(rejected.headers['dlq-message'], 'unknown event type "bad"');
    assert.deepEqual(JSON.parse(rejected.headers['dlq-problems'] ?? 'null'), [
      { pointer: '/type', message: 'must be one of article.published, article.deleted' },
    ]);
    assert.equal(rejected.headers['dlq-source-topic'], 't2.events');
    assert.equal(rejected.headers['dlq-source-partition'], '0');
    assert.equal(rejected.headers['dlq-source-offset'], '1');
    assert.equal(rejected.headers['trace-id'], 'trace-42', 'original headers are kept');
    const failedAt = rejected.headers['dlq-failed-at'] ?? '';
    assert.equal(new Date(failedAt).toISOString(), failedAt);

    assert.equal(unparsable.key, 'a4');
    assert.equal(unparsable.value, '{not json');
    assert.equal(unparsable.headers['dlq-reason'], 'invalid_json');
    assert.match(unparsable.headers['dlq-message'] ?? '', /^the value is not valid JSON: /);
    assert.equal(unparsable.headers['dlq-source-topic'], 't2.events');
    assert.equal(unparsable.headers['dlq-source-partition'], '0');
    assert.equal(unparsable.headers['dlq-source-offset'], '3');

    assert.deepEqual(consumer.stats(), { processed: 3, rejected: 2, dlq: 2, retries: 0 });
    assert.ok(
      logger.lines.includes(
        'warn Kafka event t2.events/0@1 written to DLQ t2.dlq (invalid_event): unknown event type "bad"',
      ),
    );
    assert.ok(
      logger.lines.some((l) =>
        l.startsWith('warn Kafka event t2.events/0@3 written to DLQ t2.dlq (invalid_json)'),
      ),
    );
  });

  void it('retries a transient sink failure until it succeeds, without dead-lettering', async () => {
    const sink = new MemorySink();
    sink.failTransiently('e2', 3);
    const { consumer, logger } = ingestConsumer({
      topic: 't3.events',
      groupId: 'g3',
      dlqTopic: 't3.dlq',
      sink,
    });
    await send(
      't3.events',
      ['e1', 'e2', 'e3'].map((id) => ({ key: 'a1', value: event(id) })),
    );

    await consumer.start();
    await waitFor(() => sink.applied.length === 3, 10_000, 'three events');
    await consumer.stop();

    assert.deepEqual(sink.applied, ['e1', 'e2', 'e3'], 'the retry held the partition in order');
    assert.equal(sink.callsFor('e2'), 4, 'three failures, then the success');
    assert.equal(sink.callsFor('e1'), 1);
    assert.equal(sink.callsFor('e3'), 1);
    const stats = consumer.stats();
    assert.ok(stats.retries >= 3, `retries ${stats.retries}`);
    assert.equal(stats.dlq, 0);
    assert.equal(stats.processed, 3);
    assert.equal(stats.lastError, 'connect ECONNREFUSED 127.0.0.1:5432');
    assert.equal(broker.highWatermark('t3.dlq', 0), 0, 'nothing in the DLQ');
    assert.equal((await committed('g3', 't3.events')).get(0), '3');
    for (const attempt of [1, 2, 3]) {
      assert.ok(
        logger.lines.some((l) =>
          l.startsWith(`warn Kafka event t3.events/0@1: transient failure (attempt ${attempt})`),
        ),
        `warning for attempt ${attempt}`,
      );
    }
  });

  void it('resumes after a restart with only the new messages', async () => {
    const sink = new MemorySink();
    const first = Array.from({ length: 6 }, (_, i) => `r${i}`);
    const second = Array.from({ length: 4 }, (_, i) => `r${i + 6}`);
    const asMessages = (ids: string[]) =>
      ids.map((id, i) => ({
        key: `a${i % 3}`,
        value: event(id, 'article.published', `a${i % 3}`),
      }));

    await send('t4.events', asMessages(first));
    const a = ingestConsumer({ topic: 't4.events', groupId: 'g4', sink }).consumer;
    await a.start();
    await waitFor(() => sink.applied.length === 6, 10_000, 'the first six');
    await a.stop();

    await send('t4.events', asMessages(second));
    const b = ingestConsumer({ topic: 't4.events', groupId: 'g4', sink }).consumer;
    await b.start();
    await waitFor(() => sink.applied.length === 10, 10_000, 'the next four');
    await b.stop();

    assert.deepEqual([...sink.applied].sort(), [...first, ...second].sort());
    assert.equal(sink.calls.length, 10, 'nothing reached the sink twice');
    assert.equal(a.stats().processed, 6);
    assert.equal(b.stats().processed, 4);
    assert.deepEqual(await committed('g4', 't4.events'), await endOffsets('t4.events'));
  });

  void it('stops promptly during a transient retry loop, leaving that offset uncommitted', async () => {
    const sink = new MemorySink();
    sink.failTransiently('s3', Number.POSITIVE_INFINITY);
    // A long first backoff (5–10 s): stop() must interrupt it rather than wait it out.
    const { consumer, logger } = ingestConsumer({
      topic: 't5.events',
      groupId: 'g5',
      sink,
      retry: { initialMs: 10_000, maxMs: 30_000 },
      // Heartbeats (and so checks between sleep slices) every 2 s: a prompt stop needs the abort.
      consumer: { ...FAST_CONSUMER, heartbeatInterval: 2_000, sessionTimeout: 10_000 },
    });
    await send(
      't5.events',
      ['s1', 's2', 's3', 's4'].map((id) => ({ key: 'a1', value: event(id) })),
    );

    await consumer.start();
    await waitFor(() => consumer.stats().retries >= 1, 10_000, 'the retry loop');
    const started = Date.now();
    await consumer.stop();
    const took = Date.now() - started;
    assert.ok(took < 1_500, `stop() took ${took} ms`);

    assert.deepEqual(sink.applied, ['s1', 's2']);
    assert.equal(sink.callsFor('s4'), 0, 'the partition did not skip ahead');
    assert.equal(
      (await committed('g5', 't5.events')).get(0),
      '2',
      'the failing offset is not committed',
    );
    assert.ok(
      logger.lines.some((l) =>
        l.startsWith('warn Kafka event t5.events/0@2: transient failure (attempt 1)'),
      ),
    );

    // The outage is over: a new consumer of the group gets the message again, and only what is left.
    sink.failTransiently('s3', 0);
    const next = ingestConsumer({ topic: 't5.events', groupId: 'g5', sink }).consumer;
    await next.start();
    await waitFor(() => sink.applied.length === 4, 10_000, 's3 and s4');
    await next.stop();
    assert.deepEqual(sink.applied, ['s1', 's2', 's3', 's4']);
    assert.equal(sink.callsFor('s1'), 1);
    assert.equal(sink.callsFor('s2'), 1);
    assert.equal((await committed('g5', 't5.events')).get(0), '4');
  });

  void it('dead-letters a message the sink keeps failing on (a bug) after three retries', async () => {
    const sink = new MemorySink();
    sink.failPermanently('p2');
    const { consumer, logger } = ingestConsumer({
      topic: 't7.events',
      groupId: 'g7',
      dlqTopic: 't7.dlq',
      sink,
      retry: { initialMs: 10, maxMs: 40 },
    });
    await send(
      't7.events',
      ['p1', 'p2', 'p3'].map((id) => ({ key: 'a7', value: event(id) })),
    );

    await consumer.start();
    await waitFor(() => sink.applied.length === 2 && consumer.stats().dlq === 1, 10_000, 'p1–p3');
    await consumer.stop();

    assert.deepEqual(sink.applied, ['p1', 'p3']);
    assert.equal(sink.callsFor('p2'), 4, 'one attempt and three retries');
    assert.deepEqual(consumer.stats(), {
      processed: 2,
      rejected: 0,
      dlq: 1,
      retries: 3,
      lastError: "Cannot read properties of undefined (reading 'slug')",
    });
    const [letter] = await readTopic(kafka, 't7.dlq', 1, { groupId: 'reader-t7.dlq' });
    assert.ok(letter);
    assert.equal(letter.key, 'a7');
    assert.equal(letter.value, event('p2'));
    assert.equal(letter.headers['dlq-reason'], 'processing_failed');
    assert.equal(
      letter.headers['dlq-message'],
      "Cannot read properties of undefined (reading 'slug')",
    );
    assert.equal(letter.headers['dlq-problems'], undefined);
    assert.equal(letter.headers['dlq-source-offset'], '1');
    assert.equal((await committed('g7', 't7.events')).get(0), '3');
    assert.ok(
      logger.lines.some((l) => l.startsWith('error Kafka event t7.events/0@1: failed 4 times')),
    );
  });

  void it('reports the lag of a group that has not consumed yet', async () => {
    await send('t6.events', [
      { partition: 0, value: event('l1') },
      { partition: 0, value: event('l2') },
      { partition: 0, value: event('l3') },
      { partition: 1, value: event('l4') },
      { partition: 1, value: event('l5') },
    ]);
    const sink = new MemorySink();
    const { consumer } = ingestConsumer({ topic: 't6.events', groupId: 'g6-fresh', sink });

    const lag = await consumer.lag();
    assert.deepEqual(lag, {
      topic: 't6.events',
      groupId: 'g6-fresh',
      partitions: [
        { partition: 0, committed: null, end: '3', lag: '3' },
        { partition: 1, committed: null, end: '2', lag: '2' },
      ],
      total: '5',
    });
    assert.equal(sink.calls.length, 0);
    await consumer.stop(); // safe on a consumer that never started
    assert.deepEqual(consumer.stats(), { processed: 0, rejected: 0, dlq: 0, retries: 0 });
  });
});
