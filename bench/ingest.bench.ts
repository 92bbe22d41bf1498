// npm run bench -- ingest [options]: ingestion throughput of the real service (dist/src/main.js as
// a child process, ROLE=all, a database of its own per scenario) through its three sources.
//
//   http   N events POSTed to /api/v1/events by C keep-alive clients: accepted/s, stored/s,
//          request latency; then one client alone (latency without queueing) and the same events
//          again (duplicates: everything but the write path).
//   kafka  N events produced to an in-process Kafka-protocol test broker
//          (test/support/kafka-broker — there is no real Kafka here) before the service starts;
//          then the time from the consumer starting to all N stored, and the lag endpoint.
//   feeds  1,000 local RSS feeds (one node:http server, 5 items each, ETag → 304) registered
//          through the API, polled at FEED_CONCURRENCY default and 32: first-round time and
//          polls per minute over a window after it (feeds at a 60 s interval).
//   trace  the same paths through a counting proxy in front of Postgres: statements and round
//          trips per event and per feed poll (not timed).
//
// Options: --events N (5000)  --concurrency C (32)  --feeds N (1000)  --feed-window S (60)
//   --feed-concurrency default,32  --feed-delay-ms D (0: feeds answer at once)  --partitions P (4)
//   --authors A (50)  --publications P (5)  --content-bytes B (4096)  --trace-events N (200)
//   --only http,kafka,feeds,trace  --quick (small N, for a smoke run)
//   --profile (V8 CPU profile of the service, via cpu-profile-preload; summarised)
//   --no-redis (BullMQ on Postgres)  --keep (keep the databases)  --out FILE
//   (default bench/results/ingest-<timestamp>.json)
//
// Postgres: DATABASE_URL, else postgres://postgres@127.0.0.1:5432/postgres when it answers, else
// an embedded one. Redis: REDIS_URL, else redis://127.0.0.1:6379 when it answers, else none.
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { Kafka, logLevel, Partitioners } from 'kafkajs';
import { publishedEvent } from '../test/e2e/support/events.js';
import { uniqueName } from '../test/support/database.js';
import { KafkaTestBroker } from '../test/support/kafka-broker/kafka-broker.js';
import { cpuBetween, cpuSnapshot, type CpuSnapshot, type CpuUse } from './ingest/cpu.js';
import {
  backends,
  type Backends,
  codeVersion,
  dropQueues,
  prettyJson,
} from './ingest/environment.js';
import { startFeedServer, type FeedRequest } from './ingest/feed-server.js';
import { postAll, type LoadResult } from './ingest/http-load.js';
import { newestProfile, summariseProfile, type ProfileSummary } from './ingest/profile.js';
import {
  createDatabase,
  type BenchDatabase,
  startService,
  type Service,
} from './ingest/service.js';
import { SqlCountingProxy, type SqlCounts } from './ingest/sql-proxy.js';
import {
  countBy,
  fmt,
  msBetween,
  now,
  percentile,
  perSecond,
  round,
  sleep,
  summarise,
  table,
  waitUntil,
  type LatencySummary,
} from './ingest/stats.js';

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const SCENARIOS = ['http', 'kafka', 'feeds', 'trace'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface Options {
  events: number;
  concurrency: number;
  feeds: number;
  feedWindowS: number;
  feedDelayMs: number;
  feedConcurrency: (number | 'default')[];
  partitions: number;
  authors: number;
  publications: number;
  contentBytes: number;
  traceEvents: number;
  quick: boolean;
  only: Set<Scenario>;
  profile: boolean;
  redis: boolean;
  keep: boolean;
  out: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      concurrency: { type: 'string' },
      feeds: { type: 'string' },
      'feed-window': { type: 'string' },
      'feed-delay-ms': { type: 'string' },
      'feed-concurrency': { type: 'string' },
      partitions: { type: 'string' },
      authors: { type: 'string' },
      publications: { type: 'string' },
      'content-bytes': { type: 'string' },
      'trace-events': { type: 'string' },
      only: { type: 'string' },
      out: { type: 'string' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'no-redis': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const quick = values.quick;
  const int = (raw: string | undefined, full: number, small: number): number => {
    if (raw === undefined) return quick ? small : full;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) throw new Error(`not a count: ${raw}`);
    return n;
  };
  const only = new Set<Scenario>();
  for (const s of (values.only ?? SCENARIOS.join(',')).split(',')) {
    if (!(SCENARIOS as readonly string[]).includes(s)) throw new Error(`unknown scenario ${s}`);
    only.add(s as Scenario);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    events: int(values.events, 5_000, 300),
    concurrency: int(values.concurrency, 32, 8),
    feeds: int(values.feeds, 1_000, 100),
    feedWindowS: int(values['feed-window'], 60, 10),
    feedDelayMs: int(values['feed-delay-ms'], 0, 0),
    feedConcurrency: (values['feed-concurrency'] ?? 'default,32')
      .split(',')
      .map((c) => (c === 'default' ? 'default' : int(c, 8, 8))),
    partitions: int(values.partitions, 4, 2),
    authors: Math.max(1, int(values.authors, 50, 10)),
    publications: Math.max(1, int(values.publications, 5, 2)),
    contentBytes: int(values['content-bytes'], 4096, 4096),
    traceEvents: Math.max(1, int(values['trace-events'], 200, 30)),
    quick,
    only,
    profile: values.profile,
    redis: !values['no-redis'],
    keep: values.keep,
    out: values.out ?? join(RESULTS_DIR, `ingest-${stamp}.json`),
  };
}

// ---------------------------------------------------------------------------------------------
// Environment

interface Context {
  readonly o: Options;
  readonly b: Backends;
  readonly profileRoot: string;
}

/** A fresh directory for the service's CPU profile, with `--profile`. */
async function profiling(ctx: Context, name: string): Promise<{ dir?: string | undefined }> {
  if (!ctx.o.profile) return {};
  const dir = join(ctx.profileRoot, name);
  await mkdir(dir, { recursive: true });
  return { dir };
}

// ---------------------------------------------------------------------------------------------
// Events

const PARAGRAPH =
  '<p>The engine weaves algebraic patterns just as the Jacquard loom weaves flowers and leaves; ' +
  'what it cannot do is originate anything, only what we know how to order it to perform.</p>';

function eventBody(o: Options, articleId: string, i: number): Buffer {
  const a = i % o.authors;
  const p = i % o.publications;
  const event = publishedEvent(articleId, {
    contentHtml: PARAGRAPH.repeat(Math.max(1, Math.round(o.contentBytes / PARAGRAPH.length))),
    excerpt: 'The engine weaves algebraic patterns.',
    authors: [{ id: `u-${a}`, username: `writer${a}`, displayName: `Writer ${a}` }],
    publication: { id: `pub-${p}`, slug: `pub${p}`, name: `Publication ${p}` },
  });
  return Buffer.from(JSON.stringify(event));
}

const bodies = (o: Options, prefix: string, n: number): Buffer[] =>
  Array.from({ length: n }, (_, i) => eventBody(o, `${prefix}-${i}`, i));

/** Posts one event per author (so every actor and membership exists) plus JIT warm-up. */
async function warmUp(o: Options, svc: Service): Promise<number> {
  const n = Math.max(o.authors, o.publications, o.quick ? 20 : 200);
  const res = await postAll({
    port: svc.port,
    path: '/api/v1/events',
    token: await svc.token(['ingest']),
    bodies: bodies(o, 'warm', n),
    concurrency: 8,
  });
  if (res.statuses['202'] !== n) {
    throw new Error(`warm-up: ${JSON.stringify(res.statuses)} ${res.errors.join(' | ')}`);
  }
  return n;
}

async function countArticles(db: BenchDatabase, prefix: string): Promise<number> {
  const [row] = await db.sql<{ n: string }>(
    `SELECT count(*) AS n FROM articles WHERE platform_id LIKE $1`,
    [`${prefix}-%`],
  );
  return Number(row?.n ?? 0);
}

/** CPU use over a phase; the database's backends are looked up at its end. */
async function cpuOver(db: BenchDatabase, svc: Service, from: CpuSnapshot): Promise<CpuUse> {
  const to = await cpuSnapshot();
  return cpuBetween(from, to, { service: svc.app.pid, ourBackends: await db.backendPids() });
}

/** CPU milliseconds per unit of work (event, poll) over a phase of `wallMs`. */
function cpuMsPer(cpu: CpuUse, units: number): Record<string, number> {
  const per = (pct: number): number =>
    units === 0 ? Number.NaN : round(((pct / 100) * cpu.seconds * 1000) / units, 2);
  return {
    service: per(cpu.service),
    postgresOurs: per(cpu.postgresOurs),
    redis: per(cpu.redis),
    bench: per(cpu.bench),
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP

interface LoadSummary {
  readonly events: number;
  readonly concurrency: number;
  readonly wallMs: number;
  readonly acceptedPerS: number;
  readonly statuses: Record<string, number>;
  readonly outcomes: Record<string, number>;
  readonly latencyMs: LatencySummary;
  readonly errors: string[];
}

function loadSummary(r: LoadResult, events: number, concurrency: number): LoadSummary {
  return {
    events,
    concurrency,
    wallMs: round(r.wallMs),
    acceptedPerS: perSecond(r.statuses['202'] ?? 0, r.wallMs),
    statuses: r.statuses,
    outcomes: r.outcomes,
    latencyMs: summarise(r.latencyMs.filter((x) => !Number.isNaN(x))),
    errors: r.errors,
  };
}

interface HttpResult {
  readonly warmUpEvents: number;
  readonly concurrent: LoadSummary & {
    stored: number;
    storedPerS: number;
    cpu: CpuUse;
    cpuMsPerEvent: Record<string, number>;
  };
  readonly singleClient: LoadSummary;
  readonly duplicates: LoadSummary;
  readonly profile?: ProfileSummary;
}

async function httpScenario(ctx: Context): Promise<HttpResult> {
  const { o, b } = ctx;
  const db = await createDatabase(b.serverUrl, o.keep);
  const prefix = uniqueName('bq');
  const prof = await profiling(ctx, 'http');
  const svc = await startService({
    databaseUrl: db.url,
    redisUrl: b.redisUrl,
    queuePrefix: prefix,
    profileDir: prof.dir,
  }).catch(async (error: unknown) => {
    await db.drop();
    throw error;
  });
  try {
    log(`http: service ready in ${svc.readyMs} ms; warming up`);
    const warmUpEvents = await warmUp(o, svc);
    const token = await svc.token(['ingest']);
    const main = bodies(o, 'h', o.events);
    const single = bodies(o, 's', Math.min(o.events, o.quick ? 50 : 300));
    const load = (list: Buffer[], concurrency: number): Promise<LoadResult> =>
      postAll({ port: svc.port, path: '/api/v1/events', token, bodies: list, concurrency });

    log(`http: ${o.events} events, ${o.concurrency} clients`);
    const cpu0 = await cpuSnapshot();
    const t0 = now();
    const r = await load(main, o.concurrency);
    const t1 = now();
    const cpu = await cpuOver(db, svc, cpu0);
    profileWindows.set('http', [t0, t1]);
    const stored = await countArticles(db, 'h');

    log(`http: ${single.length} events, 1 client`);
    const s = await load(single, 1);
    const dupN = Math.min(o.events, o.quick ? 200 : 2_000);
    log(`http: ${dupN} duplicates, ${o.concurrency} clients`);
    const d = await load(main.slice(0, dupN), o.concurrency);
    return {
      warmUpEvents,
      concurrent: {
        ...loadSummary(r, o.events, o.concurrency),
        stored,
        storedPerS: perSecond(stored, r.wallMs),
        cpu,
        cpuMsPerEvent: cpuMsPer(cpu, stored),
      },
      singleClient: loadSummary(s, single.length, 1),
      duplicates: loadSummary(d, dupN, o.concurrency),
    };
  } finally {
    await svc.stop();
    await db.drop();
    await dropQueues(b.redisUrl, prefix);
  }
}

async function httpWithProfile(ctx: Context): Promise<HttpResult> {
  const result = await httpScenario(ctx);
  // The profile is written when the service exits, so it is read after the scenario's cleanup.
  if (!ctx.o.profile) return result;
  return { ...result, ...(await profileFor(join(ctx.profileRoot, 'http'), 'http')) };
}

/** Phase windows (monotonic ns) to cut CPU profiles to, by scenario. */
const profileWindows = new Map<string, [bigint, bigint]>();

async function profileFor(dir: string, name: string): Promise<{ profile?: ProfileSummary }> {
  const file = await newestProfile(dir);
  if (file === undefined) return {};
  const w = profileWindows.get(name);
  const windowUs =
    w === undefined ? undefined : { from: Number(w[0] / 1000n), to: Number(w[1] / 1000n) };
  return { profile: await summariseProfile(file, windowUs) };
}

// ---------------------------------------------------------------------------------------------
// Kafka

interface KafkaResult {
  readonly broker: string;
  readonly partitions: number;
  readonly events: number;
  readonly produceMs: number;
  readonly serviceReadyMs: number;
  /** Consumer start (its log line) → first story stored. */
  readonly startToFirstMs: number;
  /** Consumer start → all stored (DB timestamps), and the rate over it. */
  readonly startToAllMs: number;
  readonly eventsPerS: number;
  /** First stored → last stored: the steady consuming rate. */
  readonly firstToLastMs: number;
  readonly steadyEventsPerS: number;
  /** Seen by polling the database every 200 ms from the consumer's log line (hrtime). */
  readonly observedMs: number;
  readonly stored: number;
  readonly lagAtEnd: unknown;
  readonly lagSettled?: unknown;
  readonly cpu: CpuUse;
  readonly cpuMsPerEvent: Record<string, number>;
  readonly profile?: ProfileSummary;
}

async function kafkaScenario(ctx: Context): Promise<KafkaResult> {
  const { o, b } = ctx;
  const topic = 'articles.events';
  const broker = await KafkaTestBroker.start({ topics: { [topic]: { partitions: o.partitions } } });
  const db = await createDatabase(b.serverUrl, o.keep);
  const prefix = uniqueName('bq');
  const base = { databaseUrl: db.url, redisUrl: b.redisUrl, queuePrefix: prefix };
  try {
    // 1. Actors first, through HTTP on a service without Kafka, so the timed run is steady state.
    const warm = await startService(base);
    try {
      log(`kafka: warm-up service ready in ${warm.readyMs} ms`);
      await warmUp(o, warm);
    } finally {
      await warm.stop();
    }

    // 2. All N events into the topic before any consumer runs.
    const kafka = new Kafka({
      clientId: 'bench',
      brokers: broker.brokers,
      logLevel: logLevel.NOTHING,
    });
    const producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const messages = Array.from({ length: o.events }, (_, i) => ({
      key: `k-${i}`,
      value: eventBody(o, `k-${i}`, i),
    }));
    const p0 = now();
    for (let i = 0; i < messages.length; i += 500) {
      await producer.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    }
    const produceMs = msBetween(p0, now());
    await producer.disconnect();
    log(`kafka: ${o.events} events produced in ${Math.round(produceMs)} ms; starting the consumer`);

    // 3. The service with Kafka on: it starts consuming at boot.
    const prof = await profiling(ctx, 'kafka');
    const svc = await startService({
      ...base,
      vars: { KAFKA_BROKERS: broker.brokers.join(','), KAFKA_TOPIC: topic },
      profileDir: prof.dir,
    });
    let result: Omit<KafkaResult, 'profile'>;
    try {
      const line = await svc.app.waitForLog(/Kafka ingest consumer starting/, 30_000);
      const t0 = now();
      const cpu0 = await cpuSnapshot();
      const startedAt = typeof line.time === 'number' ? line.time : Date.now();
      let stored = 0;
      const done = await waitUntil(
        async () => (stored = await countArticles(db, 'k')) >= o.events,
        Math.max(120_000, o.events * 100),
        200,
      );
      const t1 = now();
      const cpu = await cpuOver(db, svc, cpu0);
      profileWindows.set('kafka', [t0, t1]);
      if (!done) log(`kafka: only ${stored} of ${o.events} stored before the timeout`);
      const [span] = await db.sql<{ first: string | null; last: string | null }>(
        `SELECT extract(epoch FROM min(created_at)) * 1000 AS first,
                extract(epoch FROM max(created_at)) * 1000 AS last
           FROM articles WHERE platform_id LIKE 'k-%'`,
      );
      const first = Number(span?.first ?? Number.NaN);
      const last = Number(span?.last ?? Number.NaN);
      const readLag = async (): Promise<unknown> => {
        const res = await svc.api('GET', '/api/v1/ingestion/kafka');
        return { status: res.status, ...((await res.json()) as object) };
      };
      const lagAtEnd = await readLag();
      let lagSettled: unknown;
      if ((lagAtEnd as { total?: string }).total !== '0') {
        await sleep(6_000); // the consumer commits at least every 5 s
        lagSettled = await readLag();
      }
      result = {
        broker: `KafkaTestBroker (in-process, ${broker.brokers.join(',')})`,
        partitions: o.partitions,
        events: o.events,
        produceMs: round(produceMs),
        serviceReadyMs: svc.readyMs,
        startToFirstMs: round(first - startedAt),
        startToAllMs: round(last - startedAt),
        eventsPerS: perSecond(stored, last - startedAt),
        firstToLastMs: round(last - first),
        steadyEventsPerS: perSecond(stored - 1, last - first),
        observedMs: round(msBetween(t0, t1)),
        stored,
        lagAtEnd,
        ...(lagSettled === undefined ? {} : { lagSettled }),
        cpu,
        cpuMsPerEvent: cpuMsPer(cpu, stored),
      };
    } finally {
      await svc.stop();
    }
    return { ...result, ...(prof.dir === undefined ? {} : await profileFor(prof.dir, 'kafka')) };
  } finally {
    await broker.stop();
    await db.drop();
    await dropQueues(b.redisUrl, prefix);
  }
}

// ---------------------------------------------------------------------------------------------
// Feeds

interface Burst {
  readonly startS: number;
  readonly polls: number;
  readonly ms: number;
  readonly perS: number;
}

interface FeedsResult {
  readonly feedConcurrency: string;
  readonly feeds: number;
  /** How long the feed server waited before each answer. */
  readonly feedDelayMs: number;
  readonly registered: number;
  readonly registerMs: number;
  readonly registerPerS: number;
  readonly serviceReadyMs: number;
  /** Spawn of the polling service → its first feed request. */
  readonly spawnToFirstPollMs: number;
  /** First feed request → every feed requested once. */
  readonly firstRoundMs: number;
  readonly firstRoundPerMin: number;
  readonly firstRoundStatuses: Record<string, number>;
  readonly windowS: number;
  readonly windowPolls: number;
  readonly windowDistinctFeeds: number;
  readonly windowStatuses: Record<string, number>;
  readonly steadyPollsPerMin: number;
  /**
   * Seconds between consecutive polls of one feed (every feed polled twice or more), and the rate
   * that gap sustains for all feeds: what the window converges to once rounds have spread out.
   */
  readonly repollGapS: { feeds: number; p10: number; p50: number; p90: number };
  readonly sustainedPollsPerMin: number;
  /** Polls grouped by gaps > 1 s (each tick's claim, drained), seconds from the first poll. */
  readonly bursts: Burst[];
  /** Polls/s inside the largest burst: what the poller does when it has work. */
  readonly burstPollsPerS: number;
  readonly feedState: Record<string, unknown>;
  readonly cpuFirstRound: CpuUse;
  readonly cpuMsPerFirstPoll: Record<string, number>;
  readonly cpuWindow: CpuUse;
  readonly cpuMsPerPollInWindow: Record<string, number>;
  readonly profile?: ProfileSummary;
}

function bursts(log: readonly FeedRequest[], origin: bigint): Burst[] {
  const out: Burst[] = [];
  let start: FeedRequest | undefined;
  let last: FeedRequest | undefined;
  let n = 0;
  const flush = (): void => {
    if (start === undefined || last === undefined) return;
    const ms = msBetween(start.at, last.at);
    out.push({
      startS: round(msBetween(origin, start.at) / 1000),
      polls: n,
      ms: round(ms),
      perS: n > 1 ? perSecond(n - 1, ms) : 0,
    });
  };
  for (const r of log) {
    if (last !== undefined && msBetween(last.at, r.at) > 1_000) {
      flush();
      start = undefined;
      n = 0;
    }
    start ??= r;
    last = r;
    n += 1;
  }
  flush();
  return out;
}

/** Registers `count` feeds of `server` under one publication, `parallel` at a time. */
async function registerFeeds(
  svc: Service,
  urls: readonly string[],
  parallel: number,
): Promise<{ created: number; ms: number }> {
  const pub = await svc.api('PUT', '/api/v1/publications/bench-feeds', {
    slug: 'benchfeeds',
    name: 'Bench feeds',
  });
  if (pub.status !== 201 && pub.status !== 200) {
    throw new Error(`PUT publication: ${pub.status} ${await pub.text()}`);
  }
  const token = await svc.token(['ingest']);
  let next = 0;
  let created = 0;
  const t0 = now();
  const worker = async (): Promise<void> => {
    for (;;) {
      const url = urls[next++];
      if (url === undefined) return;
      const res = await fetch(`${svc.origin}/api/v1/feeds`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          url,
          publicationId: 'bench-feeds',
          minIntervalSeconds: 60,
          maxIntervalSeconds: 60,
        }),
      });
      if (res.status === 201) created += 1;
      else log(`feeds: register ${url}: ${res.status} ${await res.text()}`);
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return { created, ms: msBetween(t0, now()) };
}

async function feedsScenario(ctx: Context, concurrency: number | 'default'): Promise<FeedsResult> {
  const { o, b } = ctx;
  const label = concurrency === 'default' ? 'default (8)' : String(concurrency);
  const server = await startFeedServer(o.feeds, o.feedDelayMs);
  const db = await createDatabase(b.serverUrl, o.keep);
  const prefix = uniqueName('bq');
  const base = { databaseUrl: db.url, redisUrl: b.redisUrl, queuePrefix: prefix };
  try {
    // Registration on a web-only process (no workers, so nothing polls yet): the polling service
    // then starts with every feed due, and the first round is measured from a clean start.
    const web = await startService({ ...base, vars: { ROLE: 'web' } });
    let reg: { created: number; ms: number };
    try {
      reg = await registerFeeds(
        web,
        Array.from({ length: o.feeds }, (_, i) => server.url(i)),
        16,
      );
    } finally {
      await web.stop();
    }
    log(`feeds[${label}]: ${reg.created} feeds registered in ${Math.round(reg.ms)} ms`);

    const name = `feeds-${concurrency}`;
    const prof = await profiling(ctx, name);
    const spawned = now();
    const svc = await startService({
      ...base,
      vars: { FEED_CONCURRENCY: concurrency === 'default' ? undefined : String(concurrency) },
      profileDir: prof.dir,
    });
    let result: Omit<FeedsResult, 'profile'>;
    try {
      const cpu0 = await cpuSnapshot();
      const polled = new Set<number>();
      let seen = 0;
      let roundDone: bigint | undefined;
      const complete = await waitUntil(
        () => {
          for (; seen < server.log.length; seen++) {
            const r = server.log[seen];
            if (r === undefined) break;
            polled.add(r.feed);
            if (polled.size === o.feeds && roundDone === undefined) roundDone = r.at;
          }
          return roundDone !== undefined;
        },
        300_000,
        50,
      );
      if (!complete || roundDone === undefined) {
        throw new Error(`feeds: only ${polled.size} of ${o.feeds} polled within 5 minutes`);
      }
      const cpuFirstRound = await cpuOver(db, svc, cpu0);
      const firstAt = server.log[0]?.at ?? spawned;
      const firstRound = server.log.filter((r) => r.at <= (roundDone ?? 0n));
      const firstRoundMs = msBetween(firstAt, roundDone);
      log(
        `feeds[${label}]: first round in ${Math.round(firstRoundMs)} ms; watching ${o.feedWindowS} s`,
      );

      const windowStart = roundDone;
      const cpu1 = await cpuSnapshot();
      await sleep(o.feedWindowS * 1000);
      const windowEnd = now();
      const cpuWindow = await cpuOver(db, svc, cpu1);
      profileWindows.set(name, [firstAt, windowEnd]);
      const inWindow = server.log.filter((r) => r.at > windowStart && r.at <= windowEnd);
      const windowMs = msBetween(windowStart, windowEnd);

      const state = await db.sql<{
        status: string;
        last_status: number | null;
        interval_s: number;
        n: string;
      }>(
        `SELECT status, last_status, interval_s, count(*) AS n FROM feeds
          GROUP BY 1, 2, 3 ORDER BY 4 DESC`,
      );
      const [items] = await db.sql<{ n: string }>(`SELECT count(*) AS n FROM feed_items`);
      const allBursts = bursts(server.log, firstAt);
      const lastPoll = new Map<number, bigint>();
      const gaps: number[] = [];
      for (const r of server.log) {
        const prev = lastPoll.get(r.feed);
        if (prev !== undefined) gaps.push(msBetween(prev, r.at) / 1000);
        lastPoll.set(r.feed, r.at);
      }
      const gapP50 = percentile(gaps, 50);
      result = {
        feedConcurrency: label,
        feeds: o.feeds,
        feedDelayMs: o.feedDelayMs,
        registered: reg.created,
        registerMs: round(reg.ms),
        registerPerS: perSecond(reg.created, reg.ms),
        serviceReadyMs: svc.readyMs,
        spawnToFirstPollMs: round(msBetween(spawned, firstAt)),
        firstRoundMs: round(firstRoundMs),
        firstRoundPerMin: round((o.feeds / firstRoundMs) * 60_000),
        firstRoundStatuses: countBy(firstRound, (r) => String(r.status)),
        windowS: round(windowMs / 1000),
        windowPolls: inWindow.length,
        windowDistinctFeeds: new Set(inWindow.map((r) => r.feed)).size,
        windowStatuses: countBy(inWindow, (r) => String(r.status)),
        steadyPollsPerMin: round((inWindow.length / windowMs) * 60_000),
        repollGapS: {
          feeds: gaps.length,
          p10: round(percentile(gaps, 10)),
          p50: round(gapP50),
          p90: round(percentile(gaps, 90)),
        },
        sustainedPollsPerMin: gaps.length === 0 ? 0 : round((o.feeds / gapP50) * 60),
        bursts: allBursts,
        burstPollsPerS: Math.max(0, ...allBursts.filter((x) => x.polls >= 20).map((x) => x.perS)),
        feedState: {
          byStatus: state.map((r) => ({
            status: r.status,
            lastStatus: r.last_status,
            intervalS: r.interval_s,
            feeds: Number(r.n),
          })),
          itemsRecorded: Number(items?.n ?? 0),
        },
        cpuFirstRound,
        cpuMsPerFirstPoll: cpuMsPer(cpuFirstRound, firstRound.length),
        cpuWindow,
        cpuMsPerPollInWindow: cpuMsPer(cpuWindow, inWindow.length),
      };
    } finally {
      await svc.stop();
    }
    return { ...result, ...(prof.dir === undefined ? {} : await profileFor(prof.dir, name)) };
  } finally {
    await server.close();
    await db.drop();
    await dropQueues(b.redisUrl, prefix);
  }
}

// ---------------------------------------------------------------------------------------------
// Trace: statements per event and per poll, through a counting proxy

interface TracePhase {
  readonly units: number;
  readonly statementsPerUnit: number;
  readonly roundTripsPerUnit: number;
  /** Statement → executions per unit. */
  readonly statements: Record<string, number>;
}

function perUnit(c: SqlCounts, units: number): TracePhase {
  const statements: Record<string, number> = {};
  for (const [sql, n] of Object.entries(c.statements)) statements[sql] = round(n / units, 2);
  return {
    units,
    statementsPerUnit: round(c.total / units, 2),
    roundTripsPerUnit: round(c.roundTrips / units, 2),
    statements,
  };
}

interface TraceResult {
  readonly note: string;
  readonly freshEvent: TracePhase;
  readonly duplicateEvent: TracePhase;
  readonly feedFirstPoll: TracePhase;
  readonly feedPoll304: TracePhase;
}

async function traceScenario(ctx: Context): Promise<TraceResult> {
  const { o, b } = ctx;
  const db = await createDatabase(b.serverUrl, o.keep);
  const target = new URL(db.url);
  const proxy = await SqlCountingProxy.start({
    host: target.hostname,
    port: Number(target.port || 5432),
  });
  const proxied = new URL(db.url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(proxy.port);
  const prefix = uniqueName('bq');
  const feedsN = o.quick ? 5 : 20;
  const server = await startFeedServer(feedsN);
  const svc = await startService({
    databaseUrl: proxied.toString(),
    redisUrl: b.redisUrl,
    queuePrefix: prefix,
  }).catch(async (error: unknown) => {
    await server.close();
    await proxy.stop();
    await db.drop();
    throw error;
  });
  try {
    await warmUp(o, svc);
    const token = await svc.token(['ingest']);
    const list = bodies(o, 't', o.traceEvents);
    const post = (l: Buffer[]): Promise<LoadResult> =>
      postAll({ port: svc.port, path: '/api/v1/events', token, bodies: l, concurrency: 1 });
    await sleep(500);
    proxy.reset();
    await post(list);
    const fresh = perUnit(proxy.snapshot(), list.length);
    proxy.reset();
    await post(list);
    const dup = perUnit(proxy.snapshot(), list.length);

    await registerFeeds(
      svc,
      Array.from({ length: feedsN }, (_, i) => server.url(i)),
      4,
    );
    proxy.reset();
    const before = server.log.length;
    const polledAll = async (from: number): Promise<boolean> => {
      await waitUntil(
        () => new Set(server.log.slice(from).map((r) => r.feed)).size >= feedsN,
        60_000,
      );
      await sleep(2_000); // let the last polls record their results
      return true;
    };
    await polledAll(0);
    const first = perUnit(proxy.snapshot(), Math.max(1, server.log.length - before));
    await db.sql(`UPDATE feeds SET next_poll_at = now()`);
    const mark = server.log.length;
    proxy.reset();
    await polledAll(mark);
    const again = perUnit(proxy.snapshot(), Math.max(1, server.log.length - mark));
    return {
      note:
        `statements the service sent to Postgres (Parse/Query messages, by text) per event or poll; ` +
        `events posted one at a time; polls include the 5 s tick's claim. Queue calls go to ` +
        `${b.redisUrl === undefined ? 'Postgres (counted here)' : 'Redis (not counted here)'}.`,
      freshEvent: fresh,
      duplicateEvent: dup,
      feedFirstPoll: first,
      feedPoll304: again,
    };
  } finally {
    await svc.stop();
    await server.close();
    await proxy.stop();
    await db.drop();
    await dropQueues(b.redisUrl, prefix);
  }
}

// ---------------------------------------------------------------------------------------------

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

function cpuText(c: CpuUse): string {
  return `${fmt(c.service)} (${fmt(c.serviceSys)}) / ${fmt(c.postgresOurs)} / ${fmt(c.redis)} / ${fmt(c.bench)} / ${fmt(c.other)}`;
}

function printSummary(results: Record<string, unknown>, machine: Record<string, unknown>): void {
  const rows: unknown[][] = [];
  const http = results.http as HttpResult | undefined;
  if (http !== undefined) {
    const c = http.concurrent;
    rows.push(
      [`http, ${c.concurrency} clients`, 'accepted (202) /s', c.acceptedPerS],
      [`http, ${c.concurrency} clients`, 'stored /s', c.storedPerS],
      [
        `http, ${c.concurrency} clients`,
        'latency p50 / p99 ms',
        `${fmt(c.latencyMs.p50)} / ${fmt(c.latencyMs.p99)}`,
      ],
      ['http, 1 client', 'accepted /s', http.singleClient.acceptedPerS],
      [
        'http, 1 client',
        'latency p50 / p99 ms',
        `${fmt(http.singleClient.latencyMs.p50)} / ${fmt(http.singleClient.latencyMs.p99)}`,
      ],
      [`http duplicates, ${c.concurrency} clients`, 'answered /s', http.duplicates.acceptedPerS],
      [
        `http duplicates, ${c.concurrency} clients`,
        'latency p50 / p99 ms',
        `${fmt(http.duplicates.latencyMs.p50)} / ${fmt(http.duplicates.latencyMs.p99)}`,
      ],
      [
        `http, ${c.concurrency} clients`,
        'CPU % of a core: service (sys) / pg ours / redis / bench / other',
        cpuText(c.cpu),
      ],
      [
        `http, ${c.concurrency} clients`,
        'CPU ms per event: service / pg ours',
        `${fmt(c.cpuMsPerEvent.service ?? NaN)} / ${fmt(c.cpuMsPerEvent.postgresOurs ?? NaN)}`,
      ],
    );
  }
  const kafka = results.kafka as KafkaResult | undefined;
  if (kafka !== undefined) {
    rows.push(
      ['kafka', 'consumer start → all stored, events/s', kafka.eventsPerS],
      ['kafka', 'first → last stored, events/s', kafka.steadyEventsPerS],
      ['kafka', 'consumer start → first stored, ms', kafka.startToFirstMs],
      ['kafka', 'lag at end (total)', (kafka.lagAtEnd as { total?: string }).total ?? '?'],
      [
        'kafka',
        'CPU % of a core: service (sys) / pg ours / redis / bench / other',
        cpuText(kafka.cpu),
      ],
      [
        'kafka',
        'CPU ms per event: service / pg ours',
        `${fmt(kafka.cpuMsPerEvent.service ?? NaN)} / ${fmt(kafka.cpuMsPerEvent.postgresOurs ?? NaN)}`,
      ],
    );
    if (kafka.lagSettled !== undefined) {
      rows.push([
        'kafka',
        'lag 6 s later (total)',
        (kafka.lagSettled as { total?: string }).total ?? '?',
      ]);
    }
  }
  for (const f of (results.feeds as FeedsResult[] | undefined) ?? []) {
    const slow = f.feedDelayMs > 0 ? `, origin +${f.feedDelayMs} ms` : '';
    const tag = `feeds ×${f.feeds}${slow}, FEED_CONCURRENCY ${f.feedConcurrency}`;
    rows.push(
      [tag, 'first round, s', round(f.firstRoundMs / 1000, 1)],
      [tag, 'first round, feeds/min', f.firstRoundPerMin],
      [tag, `polls/min in the ${f.windowS} s window after it`, f.steadyPollsPerMin],
      [tag, 'median gap between polls of a feed, s', f.repollGapS.p50],
      [tag, 'sustained polls/min (feeds / median gap)', f.sustainedPollsPerMin],
      [tag, 'inside a burst, polls/s', f.burstPollsPerS],
      [
        tag,
        'CPU ms per poll, first round / window: service',
        `${fmt(f.cpuMsPerFirstPoll.service ?? NaN)} / ${fmt(f.cpuMsPerPollInWindow.service ?? NaN)}`,
      ],
    );
  }
  const trace = results.trace as TraceResult | undefined;
  if (trace !== undefined) {
    rows.push(
      [
        'trace',
        'SQL statements / round trips per new event',
        `${fmt(trace.freshEvent.statementsPerUnit)} / ${fmt(trace.freshEvent.roundTripsPerUnit)}`,
      ],
      [
        'trace',
        'per duplicate event',
        `${fmt(trace.duplicateEvent.statementsPerUnit)} / ${fmt(trace.duplicateEvent.roundTripsPerUnit)}`,
      ],
      [
        'trace',
        'per first feed poll (200, 5 items)',
        `${fmt(trace.feedFirstPoll.statementsPerUnit)} / ${fmt(trace.feedFirstPoll.roundTripsPerUnit)}`,
      ],
      [
        'trace',
        'per feed poll (304)',
        `${fmt(trace.feedPoll304.statementsPerUnit)} / ${fmt(trace.feedPoll304.roundTripsPerUnit)}`,
      ],
    );
  }
  const profiles: [string, ProfileSummary | undefined][] = [
    ['http', http?.profile],
    ['kafka', kafka?.profile],
    ...((results.feeds as FeedsResult[] | undefined) ?? []).map(
      (f): [string, ProfileSummary | undefined] => [`feeds ${f.feedConcurrency}`, f.profile],
    ),
  ];
  for (const [name, p] of profiles) {
    if (p === undefined) continue;
    console.log(
      `\nService CPU profile, ${name} (${p.windowed ? 'timed phase' : 'whole process'}, ` +
        `${fmt(p.sampledMs)} ms sampled, main thread busy ${fmt(p.busyPct)} %), by caller:`,
    );
    console.log(
      table(
        ['package / directory', 'ms', '%'],
        p.byCaller.slice(0, 12).map((x) => [x.name, x.ms, x.pct]),
      ),
    );
  }
  console.log('\nMachine:');
  for (const [k, v] of Object.entries(machine)) console.log(`  ${k}: ${String(v)}`);
  console.log(`\n${table(['scenario', 'metric', 'value'], rows)}`);
}

async function main(): Promise<void> {
  const o = options();
  const b = await backends(o.redis);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const ctx: Context = { o, b, profileRoot: join(RESULTS_DIR, 'profiles', stamp) };
  const machine = {
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    postgres: b.postgres,
    redis: b.redis,
    kafka:
      'no real Kafka: the in-process KafkaTestBroker (test/support/kafka-broker) in the bench process',
    code: codeVersion(),
    loadAverageAtStart: loadavg()
      .map((l) => round(l, 2))
      .join(' '),
  };
  console.log(`ingest bench ${o.quick ? '(quick) ' : ''}— ${JSON.stringify(machine)}`);
  const results: Record<string, unknown> = {};
  const failures: Record<string, string> = {};
  const attempt = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await run();
    } catch (error) {
      failures[name] = error instanceof Error ? (error.stack ?? error.message) : String(error);
      log(`${name} failed: ${failures[name]}`);
      return undefined;
    }
  };
  try {
    if (o.only.has('http')) results.http = await attempt('http', () => httpWithProfile(ctx));
    if (o.only.has('kafka')) results.kafka = await attempt('kafka', () => kafkaScenario(ctx));
    if (o.only.has('feeds')) {
      const runs: FeedsResult[] = [];
      for (const c of o.feedConcurrency) {
        const r = await attempt(`feeds-${c}`, () => feedsScenario(ctx, c));
        if (r !== undefined) runs.push(r);
      }
      results.feeds = runs;
    }
    if (o.only.has('trace')) results.trace = await attempt('trace', () => traceScenario(ctx));
  } finally {
    await b.stop();
  }
  const report = {
    startedAt: new Date().toISOString(),
    options: { ...o, only: [...o.only] },
    machine: {
      ...machine,
      loadAverageAtEnd: loadavg()
        .map((l) => round(l, 2))
        .join(' '),
    },
    results,
    failures,
  };
  await mkdir(dirname(o.out), { recursive: true });
  await writeFile(o.out, await prettyJson(report));
  printSummary(results, report.machine);
  console.log(`\nwritten: ${relative(process.cwd(), o.out)}`);
  if (Object.keys(failures).length > 0) process.exitCode = 1;
}

await main();
