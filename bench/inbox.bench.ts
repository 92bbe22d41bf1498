// npm run bench -- inbox [options]: signed inbound replies per second accepted by the shared inbox
// and turned into stored comments, the accept latency and the service's peak memory.
//
// One loopback "remote server" (inbox/remote-server.ts) serves K accounts, each with its own
// RSA-2048 key and Person document. For each queue backend (Redis, then BullMQ on Postgres) the
// real service starts on a fresh database (dist/src/main.js, ROLE=all), one story is published
// through POST /api/v1/events, and warm-up + N Create(Note) replies to it are signed beforehand
// (draft-cavage with Digest, test/support/remote-peer: not Fedify's code), round-robin over the
// accounts. The warm-up replies go first (every key fetched and cached) and are waited for; then
// the N timed replies are POSTed to /inbox by C keep-alive clients, and the benchmark waits until
// each accepted one is a row in `comments`.
//
//   accepted/s  N ÷ time from the first POST to the last 202
//   stored/s    N ÷ time from the first POST to the last comment row (its `created_at`)
//   drain/s     rows written after the last 202 ÷ the time from it to the last row: the inbox
//               queue emptying once nothing else is asked of the service
//   latency     request written → answer read, every timed request (p50 / p90 / p99 / max)
//   memory      the service's RSS sampled every 100 ms over the timed phase, and its VmHWM
//   CPU         per process from /proc over the first POST → last row
//
// Options: --replies N (5000)  --quick (1000)  --warm-up W (200)  --concurrency C (64)
//   --actors K (200)  --queues redis,postgres (both)  --no-redis (postgres only)
//   --store-timeout S (120)  --quiet-wait S (60: before the timed phase, wait up to S s for the
//   machine to be idle)  --profile (V8 CPU profile of the service, cut to the timed phase)  --keep
//   --out FILE (default bench/results/inbox-<timestamp>.json)
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { backends, codeVersion, prettyJson } from './ingest/environment.js';
import { printProfileByCaller } from './ingest/profile.js';
import { fmt, round, table } from './ingest/stats.js';
import { inboxRun, type InboxRunResult, profileDirFor, type QueueBackend } from './inbox/bridge.js';
import { RemoteServer } from './inbox/remote-server.js';

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const QUEUES = ['redis', 'postgres'] as const satisfies readonly QueueBackend[];

interface Options {
  replies: number;
  quick: boolean;
  warmUp: number;
  concurrency: number;
  actors: number;
  queues: QueueBackend[];
  storeTimeoutS: number;
  quietWaitS: number;
  profile: boolean;
  keep: boolean;
  out: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      replies: { type: 'string' },
      'warm-up': { type: 'string' },
      concurrency: { type: 'string' },
      actors: { type: 'string' },
      queues: { type: 'string' },
      'store-timeout': { type: 'string' },
      'quiet-wait': { type: 'string' },
      out: { type: 'string' },
      quick: { type: 'boolean', default: false },
      profile: { type: 'boolean', default: false },
      'no-redis': { type: 'boolean', default: false },
      keep: { type: 'boolean', default: false },
    },
    strict: true,
    allowPositionals: true,
  });
  const int = (raw: string | undefined, fallback: number, min = 0): number => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < min) throw new Error(`not a count ≥ ${min}: ${raw}`);
    return n;
  };
  const queues: QueueBackend[] = [];
  const asked = values['no-redis'] ? 'postgres' : (values.queues ?? QUEUES.join(','));
  for (const q of asked.split(',')) {
    if (!(QUEUES as readonly string[]).includes(q)) throw new Error(`unknown queue backend ${q}`);
    queues.push(q as QueueBackend);
  }
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    replies: int(values.replies, values.quick ? 1000 : 5000, 1),
    quick: values.quick,
    warmUp: int(values['warm-up'], 200),
    concurrency: int(values.concurrency, 64, 1),
    actors: int(values.actors, 200, 1),
    queues,
    storeTimeoutS: int(values['store-timeout'], 120, 1),
    quietWaitS: int(values['quiet-wait'], 60),
    profile: values.profile,
    keep: values.keep,
    out: values.out ?? join(RESULTS_DIR, `inbox-${stamp}.json`),
  };
}

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

/** CPU of other work on the machine above this (% of one core) marks a run as disturbed. */
const DISTURBED_PCT = 15;

function disturbance(r: InboxRunResult): string | undefined {
  if (r.cpu.other > DISTURBED_PCT) {
    return `other processes used ${fmt(r.cpu.other)} % of a core during it`;
  }
  if (!r.quiet.quiet) return `the machine was ${fmt(r.quiet.busyPct)} % busy before it`;
  return undefined;
}

/** Why a run's result does not count as clean, if it does not. */
function problems(r: InboxRunResult): string[] {
  const out: string[] = [];
  const refused = r.replies - r.accepted.count;
  if (refused > 0) {
    out.push(`${refused} replies not answered 202: ${JSON.stringify(r.accepted.statuses)}`);
  }
  if (r.stored.count < r.accepted.count) {
    out.push(`${r.accepted.count - r.stored.count} accepted replies were not stored in time`);
  }
  return out;
}

function printSummary(runs: readonly InboxRunResult[], machine: Record<string, unknown>): void {
  console.log('\nMachine:');
  for (const [k, v] of Object.entries(machine)) console.log(`  ${k}: ${String(v)}`);
  const rows = runs.map((r) => {
    const c = r.cpu;
    const nonAccepted = Object.entries(r.accepted.statuses)
      .filter(([s]) => s !== '202')
      .map(([s, n]) => `${n}×${s}`)
      .join(' ');
    return [
      r.backend,
      r.replies,
      r.accepted.perS,
      r.stored.perS,
      r.latencyMs.p50,
      r.latencyMs.p90,
      r.latencyMs.p99,
      r.latencyMs.max,
      nonAccepted === '' ? '0' : nonAccepted,
      `${r.stored.count}/${r.stored.expected}`,
      `${fmt(r.stored.lagMs.p50)} / ${fmt(r.stored.lagMs.p99)}`,
      `${fmt(c.service)} / ${fmt(c.postgresOurs)} / ${fmt(c.redis)} / ${fmt(c.bench)} / ${fmt(c.other)}`,
      r.cpuSeconds.service,
      `${fmt(r.cpuMsPerReply.service)} / ${fmt(r.cpuMsPerReply.postgres)}`,
      `${fmt(r.rss.startMiB)} → ${fmt(r.rss.peakMiB)} (${fmt(r.rss.hwmMiB)})`,
    ];
  });
  console.log(
    `\n${table(
      [
        'queue',
        'N',
        'accepted/s',
        'stored/s',
        'p50 ms',
        'p90 ms',
        'p99 ms',
        'max ms',
        'non-202',
        'stored',
        'lag 202→row p50 / p99 ms',
        'CPU % service / pg / redis / bench / other',
        'service CPU s',
        'CPU ms/reply service / pg',
        'RSS MiB start → peak (HWM)',
      ],
      rows,
    )}`,
  );
  for (const r of runs) {
    console.log(
      `${r.backend}: last 202 after ${fmt(r.accepted.lastMs)} ms, rows from ${fmt(r.stored.firstMs)} ` +
        `to ${fmt(r.stored.lastMs)} ms (${fmt(r.stored.duringAccept)} by the last 202, then ` +
        `${fmt(r.stored.drainPerS)} /s), ${JSON.stringify(r.stored.byStatus)}; remote requests ` +
        `${JSON.stringify(r.remoteRequests)} (warm-up ${JSON.stringify(r.warmUpRemoteRequests)}); ` +
        `bodies ${fmt(r.bodyBytes.mean)} B; signed ${fmt(r.signing.perS)} /s beforehand; ` +
        `service warnings ${r.serviceWarnings.count}`,
    );
    const why = disturbance(r);
    if (why !== undefined) console.log(`  DISTURBED: ${why}; run again on a quiet machine`);
    const p = r.profile;
    if (p !== undefined) {
      printProfileByCaller(
        `service CPU profile, ${r.backend}, ${p.windowed ? 'timed phase only' : 'whole process'}`,
        p,
      );
    }
  }
}

async function main(): Promise<void> {
  const o = options();
  const b = await backends(o.queues.includes('redis'));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profileRoot = join(RESULTS_DIR, 'profiles', `inbox-${stamp}`);
  const machine: Record<string, unknown> = {
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    postgres: b.postgres,
    redis: b.redis,
    code: codeVersion(),
    loadAverageAtStart: loadavg()
      .map((l) => round(l, 2))
      .join(' '),
  };
  console.log(`inbox bench — ${JSON.stringify(machine)}`);
  const failures: Record<string, string> = {};
  const runs: InboxRunResult[] = [];
  let remoteInfo: Record<string, unknown> = {};
  try {
    const keysStart = performance.now();
    const remote = await RemoteServer.start(o.actors);
    remoteInfo = {
      origin: remote.origin,
      actors: remote.actors.length,
      keyGenerationMs: round(performance.now() - keysStart),
    };
    log(`remote server: ${JSON.stringify(remoteInfo)}`);
    try {
      for (const backend of o.queues) {
        const profileDir = o.profile ? profileDirFor(profileRoot, backend) : undefined;
        if (profileDir !== undefined) await mkdir(profileDir, { recursive: true });
        try {
          runs.push(
            await inboxRun(
              b,
              backend,
              remote,
              {
                replies: o.replies,
                warmUp: o.warmUp,
                concurrency: o.concurrency,
                storeTimeoutMs: o.storeTimeoutS * 1000,
                quietWaitMs: o.quietWaitS * 1000,
                keep: o.keep,
                profileDir,
              },
              log,
            ),
          );
        } catch (error) {
          failures[backend] =
            error instanceof Error ? (error.stack ?? error.message) : String(error);
          log(`${backend} failed: ${failures[backend]}`);
        }
      }
    } finally {
      await remote.stop();
    }
  } finally {
    await b.stop();
  }
  for (const r of runs) {
    const found = problems(r);
    if (found.length > 0) failures[`${r.backend}-replies`] = found.join('; ');
  }

  const report = {
    startedAt: new Date().toISOString(),
    options: o,
    machine: {
      ...machine,
      loadAverageAtEnd: loadavg()
        .map((l) => round(l, 2))
        .join(' '),
    },
    remote: remoteInfo,
    runs,
    failures,
  };
  await mkdir(dirname(o.out), { recursive: true });
  await writeFile(o.out, await prettyJson(report));
  printSummary(runs, report.machine);
  if (Object.keys(failures).length > 0) {
    console.log('\nFailures:');
    for (const [k, v] of Object.entries(failures)) console.log(`  ${k}: ${v.split('\n')[0] ?? ''}`);
  }
  console.log(`\nwritten: ${relative(process.cwd(), o.out)}`);
  if (Object.keys(failures).length > 0) process.exitCode = 1;
}

await main();
