// npm run bench -- fanout [options]: one story to N followers, each on its own inbox server, and
// how fast it reaches them all (issue 5). Against one receiving fleet (fanout/fleet.ts: N HTTP
// inboxes on distinct 127.0.0.1 ports, in child processes, verifying one signature in
// `--verify-every` or all with `--verify-all`), in one run:
//
//   ceiling  RSA-2048 SHA-256 signatures/s with one thread per core: what signing alone allows.
//   ideal    worker threads that only sign (digest + draft-cavage) and POST over keep-alive
//            undici agents, 64 requests in flight; no queue, no database: the practical limit
//            with the fleet beside it.
//   fedify   bare Fedify: createFederation, ParallelMessageQueue(InProcessMessageQueue, 16),
//            ctx.sendActivity(actor, N recipients, Create).
//   bridge   the real service (dist/src/main.js, ROLE=all, fresh database, Redis queues when
//            available): an author with N followers, one story through POST /api/v1/events,
//            measured from the 202 to the last arrival; then every delivery row checked.
//
// Each sender first sends to a few inboxes (warm-up), waits 6 s for idle connections to close,
// then fans out to the first N inboxes. Rates are deliveries/s from the start to the last arrival.
//
// Options: --sizes 1000,10000  --quick (1000 only)  --only ceiling,ideal,fedify,bridge
//   --verify-all | --verify-every K (20)  --warm-up W (200)  --ceiling-seconds S (3)
//   --ideal-threads T (cores)  --ideal-concurrency C (64)  --ideal-connections K (8 per host)
//   --fedify-parallel P (16)  --fleet-processes P (one per 5,000 inboxes)  --base-port (20000)
//   --quiet-wait S (60: before each timed fan-out, wait up to S s for the machine to be idle)
//   --profile (V8 CPU profile of the bridge, cut to the fan-out)  --no-redis  --keep
//   --out FILE (default bench/results/fanout-<timestamp>.json)
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg, totalmem } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type Backends, backends, codeVersion, prettyJson } from './ingest/environment.js';
import { printProfileByCaller } from './ingest/profile.js';
import { fmt, round, table } from './ingest/stats.js';
import { bridgePhase, type BridgePhaseResult, profileDirFor } from './fanout/bridge.js';
import { Fleet } from './fanout/fleet.js';
import { type PhaseResult, type Quiet, waitForQuiet } from './fanout/phase.js';
import type { CeilingResult } from './fanout/sender-process.js';
import { ceilingPhase, senderPhase, type SenderPhaseResult } from './fanout/senders.js';

const RESULTS_DIR = fileURLToPath(new URL('../../bench/results/', import.meta.url));
const PHASES = ['ceiling', 'ideal', 'fedify', 'bridge'] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  sizes: number[];
  quick: boolean;
  only: Set<Phase>;
  verifyEvery: number;
  warmUp: number;
  ceilingSeconds: number;
  idealThreads: number;
  idealConcurrency: number;
  idealConnections: number;
  fedifyParallel: number;
  fleetProcesses: number | undefined;
  basePort: number;
  quietWaitS: number;
  profile: boolean;
  redis: boolean;
  keep: boolean;
  out: string;
}

function options(): Options {
  const { values } = parseArgs({
    options: {
      sizes: { type: 'string' },
      only: { type: 'string' },
      'verify-every': { type: 'string' },
      'warm-up': { type: 'string' },
      'ceiling-seconds': { type: 'string' },
      'ideal-threads': { type: 'string' },
      'ideal-concurrency': { type: 'string' },
      'ideal-connections': { type: 'string' },
      'fedify-parallel': { type: 'string' },
      'fleet-processes': { type: 'string' },
      'base-port': { type: 'string' },
      'quiet-wait': { type: 'string' },
      out: { type: 'string' },
      quick: { type: 'boolean', default: false },
      'verify-all': { type: 'boolean', default: false },
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
  const only = new Set<Phase>();
  for (const s of (values.only ?? PHASES.join(',')).split(',')) {
    if (!(PHASES as readonly string[]).includes(s)) throw new Error(`unknown phase ${s}`);
    only.add(s as Phase);
  }
  const sizes = (values.sizes ?? (values.quick ? '1000' : '1000,10000'))
    .split(',')
    .map((s) => int(s, 1000, 1));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  return {
    sizes,
    quick: values.quick,
    only,
    verifyEvery: values['verify-all'] ? 1 : int(values['verify-every'], 20, 1),
    warmUp: int(values['warm-up'], 200),
    ceilingSeconds: int(values['ceiling-seconds'], 3, 1),
    idealThreads: int(values['ideal-threads'], cpus().length, 1),
    idealConcurrency: int(values['ideal-concurrency'], 64, 1),
    idealConnections: int(values['ideal-connections'], 8, 1),
    fedifyParallel: int(values['fedify-parallel'], 16, 1),
    fleetProcesses:
      values['fleet-processes'] === undefined ? undefined : int(values['fleet-processes'], 1, 1),
    basePort: int(values['base-port'], 20_000, 1024),
    quietWaitS: int(values['quiet-wait'], 60),
    profile: values.profile,
    redis: !values['no-redis'],
    keep: values.keep,
    out: values.out ?? join(RESULTS_DIR, `fanout-${stamp}.json`),
  };
}

function log(message: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${message}`);
}

interface SizeResult {
  n: number;
  ideal?: SenderPhaseResult;
  fedify?: SenderPhaseResult;
  bridge?: BridgePhaseResult;
  /** The bridge's deliveries/s as a fraction of the ideal sender's, and as a multiple of Fedify's. */
  bridgeVsIdeal?: number;
  bridgeVsFedify?: number;
}

/** Why a phase's result does not count as a clean fan-out, if it does not. */
function problems(r: PhaseResult): string[] {
  const out: string[] = [];
  const c = r.check;
  if (c.missing > 0) out.push(`${c.missing} of ${c.expected} inboxes never got the activity`);
  if (c.signatureFailures > 0) {
    out.push(`${c.signatureFailures} signatures failed to verify: ${c.failures.join(' | ')}`);
  }
  if (c.unexpected > 0) out.push(`${c.unexpected} inboxes outside the first N got it`);
  return out;
}

async function runSize(
  o: Options,
  b: Backends,
  fleet: Fleet,
  n: number,
  profileRoot: string,
  attempt: <T>(name: string, run: () => Promise<T>) => Promise<T | undefined>,
): Promise<SizeResult> {
  const out: SizeResult = { n };
  const senderOptions = {
    warmUp: o.warmUp,
    ideal: {
      threads: o.idealThreads,
      concurrency: o.idealConcurrency,
      connections: o.idealConnections,
    },
    fedifyParallel: o.fedifyParallel,
    quietWaitMs: o.quietWaitS * 1000,
  };
  if (o.only.has('ideal')) {
    out.ideal = await attempt(`ideal-${n}`, () =>
      senderPhase('ideal', fleet, n, senderOptions, log),
    );
  }
  if (o.only.has('fedify')) {
    out.fedify = await attempt(`fedify-${n}`, () =>
      senderPhase('fedify', fleet, n, senderOptions, log),
    );
  }
  if (o.only.has('bridge')) {
    const profileDir = o.profile ? profileDirFor(profileRoot, n) : undefined;
    if (profileDir !== undefined) await mkdir(profileDir, { recursive: true });
    out.bridge = await attempt(`bridge-${n}`, () =>
      bridgePhase(
        b,
        fleet,
        n,
        { warmUp: o.warmUp, keep: o.keep, profileDir, quietWaitMs: o.quietWaitS * 1000 },
        log,
      ),
    );
  }
  const rate = (r: PhaseResult | undefined): number => r?.arrivals.perS ?? Number.NaN;
  if (out.bridge !== undefined) {
    if (out.ideal !== undefined) out.bridgeVsIdeal = round(rate(out.bridge) / rate(out.ideal), 3);
    if (out.fedify !== undefined) {
      out.bridgeVsFedify = round(rate(out.bridge) / rate(out.fedify), 2);
    }
  }
  for (const r of [out.ideal, out.fedify, out.bridge]) {
    if (r === undefined) continue;
    log(
      `${r.sender} ×${n}: ${fmt(r.arrivals.perS)} deliveries/s, last after ${fmt(r.arrivals.lastMs)} ms` +
        (r.check.duplicates > 0 ? `, ${r.check.duplicates} duplicates` : ''),
    );
  }
  return out;
}

type Ceiling = CeilingResult & { quiet: Quiet };

/** CPU of other work on the machine above this (% of one core) marks a phase as disturbed. */
const DISTURBED_PCT = 15;

function disturbance(r: PhaseResult): string | undefined {
  if (r.cpu.other > DISTURBED_PCT) {
    return `other processes used ${fmt(r.cpu.other)} % of a core during it`;
  }
  if (!r.quiet.quiet) return `the machine was ${fmt(r.quiet.busyPct)} % busy before it`;
  return undefined;
}

function printSummary(
  ceiling: Ceiling | undefined,
  sizes: readonly SizeResult[],
  machine: Record<string, unknown>,
): void {
  console.log('\nMachine:');
  for (const [k, v] of Object.entries(machine)) console.log(`  ${k}: ${String(v)}`);
  if (ceiling !== undefined) {
    console.log(
      `\nRSA-2048 signing ceiling: ${fmt(ceiling.perS)} signatures/s with ${ceiling.threads} threads ` +
        `(${ceiling.perThreadPerS.map(fmt).join(' + ')}), ${ceiling.seconds} s, fleet idle` +
        (ceiling.quiet.quiet
          ? ''
          : ` — DISTURBED: machine ${fmt(ceiling.quiet.busyPct)} % busy before`),
    );
  }
  const rows: unknown[][] = [];
  for (const s of sizes) {
    for (const r of [s.ideal, s.fedify, s.bridge]) {
      if (r === undefined) continue;
      const a = r.arrivals;
      const c = r.cpu;
      rows.push([
        s.n,
        r.sender,
        a.perS,
        a.firstToLastPerS,
        a.firstMs,
        a.p50Ms,
        a.p99Ms,
        a.lastMs,
        `${fmt(c.service)} / ${fmt(c.groups?.fleet ?? Number.NaN)} / ${fmt(c.postgresOurs)} / ${fmt(c.redis)} / ${fmt(c.other)}`,
        `${fmt(r.cpuMsPerDelivery.sender)} / ${fmt(r.cpuMsPerDelivery.fleet)}`,
        r.senderRss.peakMiB,
        `${r.check.reached}/${r.check.expected}`,
        r.check.duplicates,
        `${r.check.signaturesVerified}/${r.check.signatureFailures}`,
      ]);
    }
  }
  console.log(
    `\n${table(
      [
        'N',
        'sender',
        'deliveries/s',
        'first→last /s',
        'first ms',
        'p50 ms',
        'p99 ms',
        'last ms',
        'CPU % sender / fleet / pg / redis / other',
        'CPU ms/delivery sender / fleet',
        'peak RSS MiB',
        'reached',
        'dup',
        'sig ok/bad',
      ],
      rows,
    )}`,
  );
  for (const s of sizes) {
    for (const r of [s.ideal, s.fedify, s.bridge]) {
      const why = r === undefined ? undefined : disturbance(r);
      if (r !== undefined && why !== undefined) {
        console.log(`N = ${s.n}, ${r.sender}: DISTURBED, ${why}; run again on a quiet machine`);
      }
    }
  }
  for (const s of sizes) {
    const parts: string[] = [];
    if (s.bridgeVsIdeal !== undefined)
      parts.push(`${fmt(s.bridgeVsIdeal * 100)} % of the ideal sender`);
    if (s.bridgeVsFedify !== undefined) parts.push(`${fmt(s.bridgeVsFedify)}× bare Fedify`);
    if (parts.length > 0) console.log(`N = ${s.n}: the bridge delivers at ${parts.join(', ')}`);
    const t = s.bridge?.timeline;
    if (t !== undefined && s.bridge !== undefined) {
      console.log(
        `  bridge timeline after the 202 (ms): activity stored ${fmt(t.activityStoredMs)}, ` +
          `jobs queued ${fmt(t.enqueuedMs)}, first delivery ${fmt(s.bridge.arrivals.firstMs)}, ` +
          `last ${fmt(s.bridge.arrivals.lastMs)}; rows ${JSON.stringify(s.bridge.deliveryRows)}, ` +
          `retried ${s.bridge.retriedRows}; service warnings ${s.bridge.serviceWarnings.count}`,
      );
    }
    const p = s.bridge?.profile;
    if (p !== undefined) {
      printProfileByCaller(
        `bridge CPU profile, N = ${s.n}, ${p.windowed ? 'fan-out only' : 'whole process'}`,
        p,
      );
    }
  }
}

async function main(): Promise<void> {
  const o = options();
  const b = await backends(o.redis);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const profileRoot = join(RESULTS_DIR, 'profiles', `fanout-${stamp}`);
  const fleetSize = Math.max(...o.sizes, o.warmUp);
  const machine: Record<string, unknown> = {
    cpu: cpus()[0]?.model ?? '?',
    cores: cpus().length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    node: process.version,
    postgres: b.postgres,
    queue: b.redis,
    code: codeVersion(),
    loadAverageAtStart: loadavg()
      .map((l) => round(l, 2))
      .join(' '),
  };
  console.log(`fanout bench — ${JSON.stringify(machine)}`);
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

  let ceiling: Ceiling | undefined;
  const sizes: SizeResult[] = [];
  let fleetInfo: Record<string, unknown> = {};
  let strays: { count: number; first: string[] } = { count: 0, first: [] };
  try {
    if (o.only.has('ceiling')) {
      log(`ceiling: ${o.idealThreads} signing threads for ${o.ceilingSeconds} s`);
      ceiling = await attempt('ceiling', async () => {
        const quiet = await waitForQuiet(o.quietWaitS * 1000);
        return { ...(await ceilingPhase(o.idealThreads, o.ceilingSeconds)), quiet };
      });
    }
    if (o.only.has('ideal') || o.only.has('fedify') || o.only.has('bridge')) {
      log(`fleet: starting ${fleetSize} inboxes`);
      const fleet = await Fleet.start({
        inboxes: fleetSize,
        basePort: o.basePort,
        verifyEvery: o.verifyEvery,
        ...(o.fleetProcesses === undefined ? {} : { processes: o.fleetProcesses }),
      });
      fleetInfo = {
        inboxes: fleet.inboxes.length,
        processes: fleet.pids.length,
        ports: fleet.portRange,
        verifyEvery: o.verifyEvery,
      };
      log(`fleet: ${JSON.stringify(fleetInfo)}`);
      try {
        for (const n of o.sizes) sizes.push(await runSize(o, b, fleet, n, profileRoot, attempt));
        strays = await fleet.strays();
      } finally {
        await fleet.stop();
      }
    }
  } finally {
    await b.stop();
  }

  for (const s of sizes) {
    for (const r of [s.ideal, s.fedify, s.bridge]) {
      if (r === undefined) continue;
      const found = problems(r);
      if (found.length > 0) failures[`${r.sender}-${s.n}-delivery`] = found.join('; ');
    }
  }
  if (strays.count > 0) failures.strays = `${strays.count}: ${strays.first.join(' | ')}`;

  const report = {
    startedAt: new Date().toISOString(),
    options: { ...o, only: [...o.only] },
    machine: {
      ...machine,
      loadAverageAtEnd: loadavg()
        .map((l) => round(l, 2))
        .join(' '),
    },
    fleet: fleetInfo,
    ceiling,
    sizes,
    failures,
  };
  await mkdir(dirname(o.out), { recursive: true });
  await writeFile(o.out, await prettyJson(report));
  printSummary(ceiling, sizes, report.machine);
  if (Object.keys(failures).length > 0) {
    console.log('\nFailures:');
    for (const [k, v] of Object.entries(failures)) console.log(`  ${k}: ${v.split('\n')[0] ?? ''}`);
  }
  console.log(`\nwritten: ${relative(process.cwd(), o.out)}`);
  if (Object.keys(failures).length > 0) process.exitCode = 1;
}

await main();
