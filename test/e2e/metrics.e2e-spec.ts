import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { ALL_QUEUES } from '../../src/queue/jobs.js';
import { testDatabaseUrl, uniqueName, waitFor } from '../support/database.js';
import { KafkaTestBroker } from '../support/kafka-broker/kafka-broker.js';
import { RemotePeer } from '../support/remote-peer/index.js';
import { AppProcess, freePort, probePort } from './support/app-process.js';
import { type Bridge, startBridge } from './support/bridge.js';
import { publishedEvent } from './support/events.js';

/** One sample line of the text exposition. */
interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A metric family: its HELP, TYPE and samples. */
interface Family {
  help: string | undefined;
  type: string | undefined;
  readonly samples: Sample[];
}

const SUFFIXES: Record<string, readonly string[]> = {
  histogram: ['_bucket', '_sum', '_count'],
  summary: ['', '_sum', '_count'],
};

/**
 * Parses the Prometheus text format (0.0.4) strictly enough to catch what a scraper would refuse:
 * a sample before or without its family's TYPE, a malformed label set or value, a TYPE twice.
 */
function parseExposition(text: string): Map<string, Family> {
  assert.ok(text.endsWith('\n'), 'the exposition ends with a newline');
  const families = new Map<string, Family>();
  const family = (name: string): Family => {
    let found = families.get(name);
    if (found === undefined) {
      found = { help: undefined, type: undefined, samples: [] };
      families.set(name, found);
    }
    return found;
  };
  const NAME = '[a-zA-Z_:][a-zA-Z0-9_:]*';
  for (const [index, line] of text.split('\n').entries()) {
    const where = `line ${index + 1}: ${line}`;
    if (line === '') continue;
    const comment = new RegExp(`^# (HELP|TYPE) (${NAME}) (.*)$`).exec(line);
    if (comment !== null) {
      const [, kind = '', name = '', rest = ''] = comment;
      const f = family(name);
      if (kind === 'HELP') {
        assert.equal(f.help, undefined, `HELP twice, ${where}`);
        f.help = rest;
      } else {
        assert.equal(f.type, undefined, `TYPE twice, ${where}`);
        assert.equal(f.samples.length, 0, `TYPE after samples, ${where}`);
        assert.match(rest, /^(counter|gauge|histogram|summary|untyped)$/, where);
        f.type = rest;
      }
      continue;
    }
    assert.ok(!line.startsWith('#'), `unknown comment, ${where}`);
    const sample = new RegExp(`^(${NAME})(?:\\{(.*)\\})? (\\S+)(?: -?\\d+)?$`).exec(line);
    assert.ok(sample, `not a sample, ${where}`);
    const [, name = '', labelText = '', valueText = ''] = sample;
    const labels: Record<string, string> = {};
    const label = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/y;
    while (label.lastIndex < labelText.length) {
      const m = label.exec(labelText);
      assert.ok(m, `bad label set, ${where}`);
      const [, key = '', raw = ''] = m;
      assert.equal(labels[key], undefined, `label twice, ${where}`);
      labels[key] = raw.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    }
    // Prometheus reads values with Go's ParseFloat: Inf and NaN in any case (prom-client writes "Nan").
    assert.match(valueText, /^([+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?|[+-]?inf|nan)$/i, where);
    const value = /^[+-]?inf$/i.test(valueText)
      ? valueText.startsWith('-')
        ? -Infinity
        : Infinity
      : /^nan$/i.test(valueText)
        ? NaN
        : Number(valueText);
    const owner = [...families.entries()].find(
      ([base, f]) =>
        f.type !== undefined &&
        (SUFFIXES[f.type] ?? ['']).some((suffix) => `${base}${suffix}` === name),
    );
    assert.ok(owner, `sample without a TYPE, ${where}`);
    owner[1].samples.push({ name, labels, value });
  }
  for (const [name, f] of families) {
    assert.ok(f.help !== undefined && f.help !== '', `${name} has HELP text`);
    assert.ok(f.type !== undefined, `${name} has a TYPE`);
  }
  return families;
}

/** The value of the sample `name` whose labels include `labels`; undefined when none. */
function valueOf(
  families: Map<string, Family>,
  name: string,
  labels: Record<string, string> = {},
): number | undefined {
  for (const f of families.values()) {
    const found = f.samples.find(
      (s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
    if (found !== undefined) return found.value;
  }
  return undefined;
}

async function scrape(url: string): Promise<Map<string, Family>> {
  const res = await fetch(`${url}/metrics`);
  assert.equal(res.status, 200);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  return parseExposition(await res.text());
}

/** Every queue has a series for every state, and an oldest-job age. */
function assertQueueSeries(families: Map<string, Family>): void {
  for (const queue of ALL_QUEUES) {
    for (const state of ['waiting', 'active', 'delayed', 'failed']) {
      const value = valueOf(families, 'bridge_queue_jobs', { queue, state });
      assert.ok(value !== undefined && value >= 0, `bridge_queue_jobs{${queue},${state}}`);
    }
    const age = valueOf(families, 'bridge_queue_oldest_waiting_job_age_seconds', { queue });
    assert.ok(age !== undefined && age >= 0, `oldest job age of ${queue}`);
  }
  assert.equal(valueOf(families, 'bridge_metrics_collector_up', { collector: 'queues' }), 1);
}

// A follow, a published story and a reply, seen through GET /metrics of a ROLE=all bridge.
void describe('Prometheus metrics at /metrics', () => {
  let bridge: Bridge;
  let reader: RemotePeer;

  before(async () => {
    bridge = await startBridge();
    reader = await RemotePeer.start({ username: 'reader' });
  });

  after(async () => {
    await reader.stop();
    await bridge.dispose();
  });

  async function ingest(event: Record<string, unknown>): Promise<string> {
    const res = await bridge.api('POST', '/api/v1/events', event, ['ingest']);
    const body = (await res.json()) as { articleId?: string };
    assert.equal(res.status, 202, JSON.stringify(body));
    assert.ok(body.articleId);
    return body.articleId;
  }

  it('counts deliveries, inbox activities, ingested events and comments; lists every queue', async () => {
    await ingest(publishedEvent('warm-up'));
    const { self } = await reader.webfinger(`ada@${bridge.host}`, bridge.origin);
    const follow = await reader.follow(self);
    await reader.waitForActivity('Accept', String(follow.id));

    const articleUri = `${bridge.origin}/articles/${await ingest(publishedEvent('measured'))}`;
    await reader.waitForActivity('Create', articleUri);

    const { note, create } = reader.createNote({
      content: '<p>Nicely measured.</p>',
      inReplyTo: articleUri,
    });
    assert.equal((await reader.signedPost(`${bridge.origin}/inbox`, create)).status, 202);
    await waitFor(
      async () =>
        (
          await bridge.sql<{ status: string }>('SELECT status FROM comments WHERE ap_id = $1', [
            note.id,
          ])
        )[0]?.status === 'approved',
      5_000,
      'the approved comment',
    );

    // Unsigned: Fedify cannot verify it (counted), and answers 401.
    const unsigned = await fetch(`${bridge.origin}/inbox`, {
      method: 'POST',
      headers: { 'content-type': 'application/activity+json' },
      body: JSON.stringify(create),
    });
    assert.equal(unsigned.status, 401);

    // The delivery is counted just after the reader has it; the comments gauge is cached 5 s.
    let families = await scrape(bridge.origin);
    await waitFor(
      async () => {
        families = await scrape(bridge.origin);
        return (
          (valueOf(families, 'bridge_deliveries_total', { outcome: 'delivered' }) ?? 0) > 0 &&
          valueOf(families, 'bridge_comments', { status: 'approved' }) === 1
        );
      },
      10_000,
      'delivered and approved in /metrics',
    );

    const inbox = (type: string) =>
      valueOf(families, 'bridge_inbox_activities_total', { type, outcome: 'handled' }) ?? 0;
    assert.ok(inbox('Follow') >= 1, 'Follow handled');
    assert.ok(inbox('Create') >= 1, 'Create handled');
    assert.equal(
      valueOf(families, 'bridge_ingested_events_total', { source: 'http', outcome: 'applied' }),
      2,
    );
    assert.equal(valueOf(families, 'bridge_comments', { status: 'pending' }), 0);
    assert.equal(
      valueOf(families, 'bridge_inbox_signature_failures_total', { reason: 'no_signature' }),
      1,
    );
    assert.equal(valueOf(families, 'bridge_deliveries_total', { outcome: 'failed' }), 0);
    const attempts = valueOf(families, 'bridge_delivery_attempt_duration_seconds_count', {
      status_class: '2xx',
    });
    assert.ok(attempts !== undefined && attempts >= 1, 'attempt durations are observed');
    assert.ok((valueOf(families, 'bridge_delivery_time_to_delivered_seconds_count') ?? 0) >= 1);
    assert.equal(valueOf(families, 'bridge_feed_polls_total', { outcome: 'failed' }), 0);
    assertQueueSeries(families);
    assert.ok((valueOf(families, 'bridge_process_resident_memory_bytes') ?? 0) > 0);
    assert.ok(families.has('bridge_nodejs_eventloop_lag_seconds'));

    // No label carries a URL or an actor id.
    for (const f of families.values()) {
      for (const s of f.samples) {
        for (const v of Object.values(s.labels)) assert.doesNotMatch(v, /:\/\/|@/, s.name);
      }
    }
  });
});

// ROLE=web and ROLE=worker serve /metrics (and /health/*) on METRICS_PORT, never on the public
// port; a worker serves no other HTTP. Queues on BullMQ's Postgres backend here (the ROLE=all
// bridge above uses Redis when the run has one).
void describe('METRICS_PORT of ROLE=web and ROLE=worker processes', () => {
  const SECRET_KEY = 'e2e-secret-key-0123456789abcdefghijklmnopqrstuv';
  let databaseName: string;
  let env: Record<string, string | undefined>;
  const started: AppProcess[] = [];

  const admin = async (sql: string): Promise<void> => {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };

  before(async () => {
    databaseName = uniqueName('e2e_metrics');
    await admin(`CREATE DATABASE "${databaseName}"`);
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${databaseName}`;
    env = {
      PUBLIC_URL: 'https://bridge-metrics.example',
      DATABASE_URL: url.toString(),
      REDIS_URL: undefined,
      SECRET_KEY,
      QUEUE_PREFIX: uniqueName('q'),
    };
  });

  after(async () => {
    for (const app of started) await app.dispose();
    await admin(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
  });

  it('serves /metrics, /health/live and /health/ready; closes the port on SIGTERM', async () => {
    const webMetricsPort = await freePort();
    const web = AppProcess.start({
      ...env,
      ROLE: 'web',
      PORT: String(await freePort()),
      METRICS_PORT: String(webMetricsPort),
    });
    started.push(web);
    await web.waitUntilReady(20_000); // migrates the database
    // Not on the public port an Ingress routes to: on METRICS_PORT only.
    assert.equal((await fetch(`${web.url}/metrics`)).status, 404);
    const webMetrics = await scrape(`http://127.0.0.1:${webMetricsPort}`);
    assertQueueSeries(webMetrics);

    const metricsPort = await freePort();
    const worker = AppProcess.start({
      ...env,
      ROLE: 'worker',
      PORT: String(await freePort()),
      METRICS_PORT: String(metricsPort),
    });
    started.push(worker);
    await worker.waitForLog(/^ready \(worker\)/, 20_000);
    assert.ok(worker.findLog(/^metrics and health on port \d+$/));
    assert.equal(await probePort(worker.port ?? 0), 'ECONNREFUSED', 'no main HTTP server');

    const base = `http://127.0.0.1:${metricsPort}`;
    const live = await fetch(`${base}/health/live`);
    assert.equal(live.status, 200);
    assert.equal(((await live.json()) as { status: string }).status, 'ok');
    const ready = await fetch(`${base}/health/ready`);
    assert.equal(ready.status, 200);
    const body = (await ready.json()) as { info: Record<string, { status: string } | undefined> };
    assert.equal(body.info.database?.status, 'up');
    assert.equal(body.info.queue?.status, 'up');
    assert.equal((await fetch(`${base}/api/v1/feeds`)).status, 404, 'nothing else here');

    const families = await scrape(base);
    assertQueueSeries(families);
    assert.equal(valueOf(families, 'bridge_deliveries_total', { outcome: 'delivered' }), 0);
    assert.equal(valueOf(families, 'bridge_comments', { status: 'approved' }), 0);
    assert.ok((valueOf(families, 'bridge_process_start_time_seconds') ?? 0) > 0);

    const exit = await worker.stop('SIGTERM', 10_000);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    assert.equal(await probePort(metricsPort), 'ECONNREFUSED', 'the metrics port is closed');
    await web.stop('SIGTERM', 10_000);
  });

  it('METRICS_PORT=0 serves nothing', async () => {
    const worker = AppProcess.start({
      ...env,
      ROLE: 'worker',
      PORT: String(await freePort()),
      METRICS_PORT: '0',
    });
    started.push(worker);
    await worker.waitForLog(/^ready \(worker\)/, 20_000);
    assert.equal(worker.findLog(/^metrics and health on port/), undefined);
    const exit = await worker.stop('SIGTERM', 10_000);
    assert.equal(exit.code, 0);
  });
});

// Kafka consumer lag, read from the in-process test broker by the process running the consumer.
void describe('Kafka consumer lag in /metrics', () => {
  let broker: KafkaTestBroker;
  let bridge: Bridge;

  before(async () => {
    broker = await KafkaTestBroker.start({
      topics: { 'articles.events': { partitions: 2 }, 'articles.events.dlq': { partitions: 1 } },
    });
    bridge = await startBridge({ KAFKA_BROKERS: broker.brokers.join(',') });
  });

  after(async () => {
    await bridge.dispose();
    await broker.stop();
  });

  it('one series per partition of the topic', async () => {
    const families = await scrape(bridge.origin);
    assert.equal(valueOf(families, 'bridge_metrics_collector_up', { collector: 'kafka' }), 1);
    for (const partition of ['0', '1']) {
      assert.equal(
        valueOf(families, 'bridge_kafka_consumer_lag', { topic: 'articles.events', partition }),
        0,
      );
    }
  });
});
