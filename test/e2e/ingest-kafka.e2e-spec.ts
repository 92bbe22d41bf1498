import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { Kafka, logLevel, Partitioners, type IHeaders, type Message, type Producer } from 'kafkajs';

import { waitFor } from '../support/database.js';
import { KafkaTestBroker } from '../support/kafka-broker/kafka-broker.js';
import { readTopic } from '../support/kafka-broker/read-topic.js';
import { type Bridge, startBridge } from './support/bridge.js';
import { deletedEvent, publishedEvent, updatedEvent } from './support/events.js';

const TOPIC = 'articles.events';
const DLQ_TOPIC = 'articles.events.dlq';
const GROUP_ID = 'bridge-e2e';
const PARTITIONS = 3;

/** Where a produced message landed. */
interface Placed {
  readonly partition: number;
  readonly offset: string;
  /** `topic/partition@offset`, as the ingest log records a Kafka origin. */
  readonly origin: string;
}

interface LogRow {
  event_id: string | null;
  source: string;
  origin: string | null;
  event_type: string | null;
  article_platform_id: string | null;
  outcome: string;
  reason: string | null;
}

interface LagBody {
  topic: string;
  groupId: string;
  partitions: { partition: number; committed: string | null; end: string; lag: string }[];
  total: string;
  consumer: { processed: number; rejected: number; dlq: number; retries: number } | null;
}

const idOf = (event: Record<string, unknown>): string => String(event.eventId);

/**
 * Kafka ingestion against the real service: the bridge runs as a child process (ROLE=all, its own
 * database) with KAFKA_BROKERS pointing at the in-process Kafka test broker, and the test produces
 * with a real kafkajs producer, keyed by article id. The service's consumer runs with kafkajs's
 * default timings (5 s fetch wait, 30 s session), which only matter when a member dies.
 */
describe('Kafka ingest end to end: the service consuming articles.events', () => {
  let broker: KafkaTestBroker;
  let bridge: Bridge;
  let kafka: Kafka;
  let producer: Producer;
  /** Messages produced to TOPIC so far; the partitions' end offsets must add up to this. */
  let produced = 0;
  /** Of those, the ones that are not valid events (they go to the DLQ). */
  let rejected = 0;
  /** Undone in reverse order in `after`, each step even when an earlier one failed. */
  const cleanups: (() => Promise<unknown>)[] = [];

  before(async () => {
    broker = await KafkaTestBroker.start({
      topics: { [TOPIC]: { partitions: PARTITIONS }, [DLQ_TOPIC]: { partitions: 1 } },
    });
    cleanups.push(() => broker.stop()); // whichever broker runs by then
    bridge = await startBridge({
      KAFKA_BROKERS: broker.brokers.join(','),
      KAFKA_TOPIC: TOPIC,
      KAFKA_DLQ_TOPIC: DLQ_TOPIC,
      KAFKA_GROUP_ID: GROUP_ID,
    });
    cleanups.push(() => bridge.dispose());
    kafka = new Kafka({
      clientId: 'ingest-kafka-e2e',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
      retry: { initialRetryTime: 100, retries: 10 },
    });
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    cleanups.push(() => producer.disconnect());
    await producer.connect();
    // The service's consumer has joined once its group is stable with one member.
    await waitFor(
      () => broker.store.groups.get(GROUP_ID)?.members.length === 1,
      20_000,
      'the bridge to join the consumer group',
    );
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  });

  /** Produces one message (acks from all replicas) and says where it landed. */
  async function produce(key: string, value: unknown, headers?: IHeaders): Promise<Placed> {
    const message: Message = {
      key,
      value: typeof value === 'string' ? value : JSON.stringify(value),
      ...(headers === undefined ? {} : { headers }),
    };
    const [meta] = await producer.send({ topic: TOPIC, acks: -1, messages: [message] });
    assert.ok(meta?.baseOffset !== undefined, 'the broker acknowledged the message');
    produced += 1;
    return {
      partition: meta.partition,
      offset: meta.baseOffset,
      origin: `${TOPIC}/${meta.partition}@${meta.baseOffset}`,
    };
  }

  /** The ingest log lines of these events, in the order they were written. */
  function linesOf(eventIds: readonly string[]): Promise<LogRow[]> {
    return bridge.sql<LogRow>(
      `SELECT event_id, source, origin, event_type, article_platform_id, outcome, reason
         FROM ingest_log WHERE event_id = ANY($1::uuid[]) ORDER BY id`,
      [eventIds],
    );
  }

  /** Waits until the ingest log has at least `count` lines for these events. */
  async function waitForLines(eventIds: readonly string[], count: number): Promise<LogRow[]> {
    let lines: LogRow[] = [];
    await waitFor(
      async () => {
        lines = await linesOf(eventIds);
        return lines.length >= count;
      },
      20_000,
      `${count} ingest log line(s) for ${eventIds.join(', ')}`,
    );
    return lines;
  }

  async function lag(): Promise<LagBody> {
    const res = await bridge.api('GET', '/api/v1/ingestion/kafka');
    assert.equal(res.status, 200, await res.clone().text());
    return (await res.json()) as LagBody;
  }

  /** Reads the DLQ from the beginning with a consumer group of its own until `count` arrived. */
  const readDlq = (count: number) =>
    readTopic(kafka, DLQ_TOPIC, count, { groupId: `dlq-reader-${Date.now()}`, timeoutMs: 20_000 });

  it('published, updated, deleted: the row follows, three changes in order, log lines with Kafka origins', async () => {
    const published = publishedEvent('k-story');
    const updated = updatedEvent('k-story', '2026-11-20T12:00:00.000Z', {
      title: 'Edited on Kafka',
      contentHtml: '<p>Twice upon a time.</p>',
    });
    const deleted = deletedEvent('k-story', '2026-11-21T09:30:00.000Z');

    const p1 = await produce('k-story', published);
    const p2 = await produce('k-story', updated);
    assert.equal(p2.partition, p1.partition, 'one key, one partition');
    assert.equal(Number(p2.offset), Number(p1.offset) + 1);
    await waitForLines([idOf(published), idOf(updated)], 2);

    const [live] = await bridge.sql<{
      title: string;
      content_html: string;
      source_updated_at: Date;
      deleted_at: Date | null;
      last_event_id: string;
    }>(
      `SELECT title, content_html, source_updated_at, deleted_at, last_event_id
         FROM articles WHERE platform_id = 'k-story'`,
    );
    assert.deepEqual(live, {
      title: 'Edited on Kafka',
      content_html: '<p>Twice upon a time.</p>',
      source_updated_at: new Date('2026-11-20T12:00:00.000Z'),
      deleted_at: null,
      last_event_id: idOf(updated),
    });

    const p3 = await produce('k-story', deleted);
    assert.equal(p3.partition, p1.partition);
    const lines = await waitForLines([idOf(published), idOf(updated), idOf(deleted)], 3);

    const [gone] = await bridge.sql<{ title: string; deleted_at: Date | null }>(
      `SELECT title, deleted_at FROM articles WHERE platform_id = 'k-story'`,
    );
    assert.deepEqual(gone, {
      title: 'Edited on Kafka',
      deleted_at: new Date('2026-11-21T09:30:00.000Z'),
    });

    const changes = await bridge.sql<{ change: string; event_id: string }>(
      `SELECT c.change, c.event_id FROM article_changes c JOIN articles a ON a.id = c.article_id
        WHERE a.platform_id = 'k-story' ORDER BY c.id`,
    );
    assert.deepEqual(changes, [
      { change: 'create', event_id: idOf(published) },
      { change: 'update', event_id: idOf(updated) },
      { change: 'delete', event_id: idOf(deleted) },
    ]);

    assert.deepEqual(lines, [
      {
        event_id: idOf(published),
        source: 'kafka',
        origin: p1.origin,
        event_type: 'article.published',
        article_platform_id: 'k-story',
        outcome: 'applied',
        reason: null,
      },
      {
        event_id: idOf(updated),
        source: 'kafka',
        origin: p2.origin,
        event_type: 'article.updated',
        article_platform_id: 'k-story',
        outcome: 'applied',
        reason: null,
      },
      {
        event_id: idOf(deleted),
        source: 'kafka',
        origin: p3.origin,
        event_type: 'article.deleted',
        article_platform_id: 'k-story',
        outcome: 'applied',
        reason: null,
      },
    ]);
    assert.match(p1.origin, /^articles\.events\/[012]@\d+$/);
  });

  it('the same event produced twice takes effect once: applied, then duplicate', async () => {
    const event = publishedEvent('k-dup');
    const first = await produce('k-dup', event);
    const second = await produce('k-dup', event);
    const lines = await waitForLines([idOf(event)], 2);

    assert.deepEqual(
      lines.map((l) => [l.origin, l.outcome, l.reason]),
      [
        [first.origin, 'applied', null],
        [second.origin, 'duplicate', 'event_already_processed'],
      ],
    );
    const [counts] = await bridge.sql<{ changes: string; articles: string }>(
      `SELECT (SELECT count(*) FROM article_changes WHERE event_id = $1) AS changes,
              (SELECT count(*) FROM articles WHERE platform_id = 'k-dup') AS articles`,
      [idOf(event)],
    );
    assert.deepEqual(counts, { changes: '1', articles: '1' });
  });

  it('an update older than the stored one is stale; the newer title stays', async () => {
    const published = publishedEvent('k-ooo');
    const newer = updatedEvent('k-ooo', '2026-11-20T12:00:00.000Z', { title: 'Newer title' });
    const older = updatedEvent('k-ooo', '2026-11-20T11:00:00.000Z', { title: 'Older title' });
    await produce('k-ooo', published);
    await produce('k-ooo', newer);
    const late = await produce('k-ooo', older);
    const lines = await waitForLines([idOf(published), idOf(newer), idOf(older)], 3);

    assert.deepEqual(
      lines.map((l) => [l.event_id, l.outcome, l.reason]),
      [
        [idOf(published), 'applied', null],
        [idOf(newer), 'applied', null],
        [idOf(older), 'stale', 'older_than_stored'],
      ],
    );
    assert.equal(lines[2]?.origin, late.origin);
    const [article] = await bridge.sql<{ title: string; source_updated_at: Date; changes: string }>(
      `SELECT title, source_updated_at,
              (SELECT count(*) FROM article_changes c WHERE c.article_id = a.id) AS changes
         FROM articles a WHERE platform_id = 'k-ooo'`,
    );
    assert.deepEqual(article, {
      title: 'Newer title',
      source_updated_at: new Date('2026-11-20T12:00:00.000Z'),
      changes: '2',
    });
  });

  it('invalid events go to the DLQ with key, value and reason, and the partition moves on', async () => {
    const invalid = publishedEvent('k-bad', { title: '   ' });
    const invalidValue = JSON.stringify(invalid);
    const notJson = '{"schemaVersion": 1, "eventId": "trunc';
    // Its author is new: a refused event must not create it either.
    const ownDomain = publishedEvent('k-bad', {
      authors: [{ id: 'u-own', username: 'owner', displayName: 'Owner' }],
      publication: { id: 'pub-own', slug: 'own', name: 'Own', customDomain: '127.0.0.1' },
    });
    const ownDomainValue = JSON.stringify(ownDomain);
    const valid = publishedEvent('k-bad', { title: 'Survived the poison' });

    const bad1 = await produce('k-bad', invalidValue, { 'trace-id': 'trace-1' });
    const bad2 = await produce('k-bad', notJson);
    const bad3 = await produce('k-bad', ownDomainValue);
    const good = await produce('k-bad', valid);
    rejected += 3;
    for (const placed of [bad2, bad3, good]) assert.equal(placed.partition, bad1.partition);

    // The valid event behind the three poison messages is applied: nothing stalled.
    await waitForLines([idOf(valid)], 1);
    const [article] = await bridge.sql<{ title: string }>(
      `SELECT title FROM articles WHERE platform_id = 'k-bad'`,
    );
    assert.equal(article?.title, 'Survived the poison');

    const dlq = (await readDlq(3)).filter((m) => m.key === 'k-bad');
    assert.deepEqual(
      dlq.map((m) => [m.key, m.value, m.headers['dlq-reason'], m.headers['dlq-source-offset']]),
      [
        ['k-bad', invalidValue, 'invalid_event', bad1.offset],
        ['k-bad', notJson, 'invalid_json', bad2.offset],
        ['k-bad', ownDomainValue, 'invalid_custom_domain', bad3.offset],
      ],
    );
    for (const m of dlq) {
      assert.equal(m.headers['dlq-source-topic'], TOPIC);
      assert.equal(m.headers['dlq-source-partition'], String(bad1.partition));
    }
    const [schema, json, domain] = dlq;
    assert.ok(schema && json && domain);
    assert.equal(schema.headers['trace-id'], 'trace-1', 'original headers are kept');
    const problems = JSON.parse(schema.headers['dlq-problems'] ?? '[]') as { pointer: string }[];
    assert.ok(
      problems.some((p) => p.pointer === '/article/title'),
      schema.headers['dlq-problems'],
    );
    assert.match(json.headers['dlq-message'] ?? '', /^the value is not valid JSON: /);
    assert.equal(domain.headers['dlq-message'], "customDomain 127.0.0.1 is the bridge's own host");

    // Every input left one line in the ingest log, rejections included.
    const lines = await bridge.sql<LogRow>(
      `SELECT event_id, source, origin, event_type, article_platform_id, outcome, reason
         FROM ingest_log WHERE origin = ANY($1) ORDER BY id`,
      [[bad1.origin, bad2.origin, bad3.origin, good.origin]],
    );
    assert.deepEqual(
      lines.map((l) => [l.origin, l.event_id, l.outcome, l.reason]),
      [
        [bad1.origin, idOf(invalid), 'rejected', 'invalid_event'],
        [bad2.origin, null, 'rejected', 'invalid_event'],
        [bad3.origin, idOf(ownDomain), 'rejected', 'invalid_custom_domain'],
        [good.origin, idOf(valid), 'applied', null],
      ],
    );
    // A refused event has no effect but its log line: neither its publication nor its author.
    const own = await bridge.sql<{ platform_id: string }>(
      `SELECT platform_id FROM actors WHERE platform_id IN ('pub-own', 'u-own')`,
    );
    assert.deepEqual(own, [], 'the refused event created no actor');
  });

  it('reports the consumer lag per partition from the brokers: 0 once everything is consumed', async () => {
    // A story on every partition (keys spread by the default partitioner), so each has a commit.
    const hit = new Set<number>();
    for (let i = 0; hit.size < PARTITIONS; i++) {
      assert.ok(i < 50, 'the keys reached every partition');
      hit.add((await produce(`k-lag-${i}`, publishedEvent(`k-lag-${i}`))).partition);
    }
    let body: LagBody | undefined;
    await waitFor(
      async () => {
        body = await lag();
        return body.total === '0';
      },
      20_000,
      'lag 0',
    );
    assert.ok(body);
    const ends = Array.from({ length: PARTITIONS }, (_, p) =>
      String(broker.highWatermark(TOPIC, p)),
    );
    assert.equal(
      ends.reduce((sum, end) => sum + Number(end), 0),
      produced,
    );
    assert.deepEqual(
      { ...body, consumer: undefined },
      {
        topic: TOPIC,
        groupId: GROUP_ID,
        partitions: ends.map((end, partition) => ({ partition, committed: end, end, lag: '0' })),
        total: '0',
        consumer: undefined,
      },
    );
    for (let p = 0; p < PARTITIONS; p++) {
      assert.equal(broker.committedOffset(GROUP_ID, TOPIC, p), Number(ends[p]));
    }
    assert.deepEqual(body.consumer, {
      processed: produced - rejected,
      rejected,
      dlq: rejected,
      retries: 0,
    });
    const ingestOnly = await bridge.api('GET', '/api/v1/ingestion/kafka', undefined, ['ingest']);
    assert.equal(ingestOnly.status, 403, 'the lag needs the admin scope');
  });

  it('survives kill -9 mid-stream: a new process on the same database applies every event exactly once', async (t) => {
    const count = 300;
    const ids = Array.from({ length: count }, (_, i) => `crash-${String(i).padStart(3, '0')}`);
    const events = ids.map((id) => publishedEvent(id));
    const eventIds = events.map(idOf);
    const articles = async (): Promise<number> => {
      const [row] = await bridge.sql<{ n: string }>(
        `SELECT count(*) AS n FROM articles WHERE platform_id LIKE 'crash-%'`,
      );
      return Number(row?.n ?? 0);
    };

    await producer.send({
      topic: TOPIC,
      acks: -1,
      messages: events.map((event, i) => ({ key: ids[i] ?? '', value: JSON.stringify(event) })),
    });
    produced += count;

    // Kill the service while it is in the middle of the backlog.
    let atKill = 0;
    await waitFor(
      async () => {
        atKill = await articles();
        return atKill >= 50;
      },
      30_000,
      'the first 50 crash-* articles',
    );
    const killed = await bridge.app.kill9();
    assert.equal(killed.signal, 'SIGKILL');
    const afterKill = await articles();
    t.diagnostic(`killed at ${atKill} articles (${afterKill} committed in the database)`);
    assert.ok(atKill <= 150 && afterKill < count, `killed in the middle (${atKill}, ${afterKill})`);

    // Same database, queues, port and Kafka settings.
    const restartedAt = Date.now();
    await bridge.restart();
    // Until the dead member's session (30 s) expires, the new one is not given partitions: the
    // backlog shows in the lag, which any process reads from the brokers.
    const backlog = await lag();
    const sum = backlog.partitions.reduce((total, p) => total + BigInt(p.lag), 0n);
    assert.equal(backlog.total, sum.toString());
    assert.ok(sum > 0n, `a backlog after the kill: ${JSON.stringify(backlog.partitions)}`);

    await waitFor(async () => (await articles()) === count, 90_000, `${count} crash-* articles`);
    await waitFor(async () => (await lag()).total === '0', 30_000, 'lag 0 after the restart');
    t.diagnostic(`all consumed ${Date.now() - restartedAt} ms after the restart`);

    const [totals] = await bridge.sql<{ articles: string; creates: string; changes: string }>(
      `SELECT (SELECT count(*) FROM articles WHERE platform_id LIKE 'crash-%') AS articles,
              (SELECT count(*) FROM article_changes WHERE event_id = ANY($1::uuid[])
                  AND change = 'create') AS creates,
              (SELECT count(*) FROM article_changes WHERE event_id = ANY($1::uuid[])) AS changes`,
      [eventIds],
    );
    assert.deepEqual(totals, { articles: '300', creates: '300', changes: '300' });

    const lines = await linesOf(eventIds);
    const applied = lines.filter((l) => l.outcome === 'applied');
    const duplicates = lines.filter((l) => l.outcome === 'duplicate');
    assert.equal(applied.length, count);
    assert.equal(new Set(applied.map((l) => l.event_id)).size, count, 'each event applied once');
    assert.deepEqual(
      eventIds.filter((id) => !applied.some((l) => l.event_id === id)),
      [],
      'no event missing',
    );
    assert.equal(lines.length, applied.length + duplicates.length, 'only applied and duplicates');
    assert.ok(duplicates.length >= 0);
    t.diagnostic(`${duplicates.length} redelivered event(s) logged as duplicate`);
    // A redelivery is the same message again: its origin is the applied line's.
    const originOf = new Map(applied.map((l) => [l.event_id, l.origin]));
    for (const dup of duplicates) {
      assert.equal(dup.reason, 'event_already_processed');
      assert.equal(dup.origin, originOf.get(dup.event_id));
    }
    assert.ok(
      lines.every(
        (l) => l.source === 'kafka' && /^articles\.events\/[012]@\d+$/.test(l.origin ?? ''),
      ),
    );
  });

  it('resumes from the committed offsets after a broker restart that kept its store', async (t) => {
    const [before] = await bridge.sql<{ max: string }>(`SELECT max(id) AS max FROM ingest_log`);
    const committed = Array.from({ length: PARTITIONS }, (_, p) =>
      broker.committedOffset(GROUP_ID, TOPIC, p),
    );
    assert.deepEqual(
      committed,
      Array.from({ length: PARTITIONS }, (_, p) => broker.highWatermark(TOPIC, p)),
      'everything was committed before the restart',
    );
    const generation = broker.store.groups.get(GROUP_ID)?.generationId;

    const { port, store } = broker;
    await broker.stop();
    broker = await KafkaTestBroker.start({ port, store });
    assert.equal(broker.port, port);

    const ids = Array.from({ length: 20 }, (_, i) => `restart-${String(i).padStart(2, '0')}`);
    const events = ids.map((id) => publishedEvent(id));
    const placed: Placed[] = [];
    for (const [i, event] of events.entries()) placed.push(await produce(ids[i] ?? '', event));

    const lines = await waitForLines(events.map(idOf), events.length);
    await waitFor(
      async () => (await lag()).total === '0',
      30_000,
      'lag 0 after the broker restart',
    );
    t.diagnostic(
      `group generation ${String(generation)} before, ${String(broker.store.groups.get(GROUP_ID)?.generationId)} after`,
    );

    assert.deepEqual(
      lines.map((l) => [l.event_id, l.origin, l.outcome]).sort(),
      events.map((e, i) => [idOf(e), placed[i]?.origin, 'applied']).sort(),
    );
    // Nothing consumed before the restart came through again.
    const since = await bridge.sql<{ event_id: string | null }>(
      `SELECT event_id FROM ingest_log WHERE id > $1`,
      [before?.max ?? '0'],
    );
    assert.deepEqual(since.map((l) => l.event_id).sort(), events.map(idOf).sort());
    for (let p = 0; p < PARTITIONS; p++) {
      assert.equal(broker.committedOffset(GROUP_ID, TOPIC, p), broker.highWatermark(TOPIC, p));
    }
  });
});
