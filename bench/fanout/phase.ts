// What every fan-out phase measures the same way: arrivals at the fleet relative to the phase's
// start, delivery correctness (reached, missing, duplicates, signatures), CPU over the phase and
// the sender's memory.
import { cpuBetween, cpuSnapshot, type CpuSnapshot, type CpuUse } from '../ingest/cpu.js';
import { round, sleep } from '../ingest/stats.js';
import {
  type ArrivalSummary,
  type FanoutArrivals,
  type Fleet,
  summariseArrivals,
} from './fleet.js';
import { RssSampler, type RssOverPhase } from './memory.js';

export type SenderKind = 'ideal' | 'fedify' | 'bridge';

/** Correctness of one fan-out, as the fleet saw it. */
export interface DeliveryCheck {
  readonly expected: number;
  readonly reached: number;
  readonly missing: number;
  readonly duplicates: number;
  readonly unexpected: number;
  readonly signaturesVerified: number;
  readonly signatureFailures: number;
  readonly failures: string[];
  readonly bodyBytes: number;
  readonly activityType: string;
}

export interface PhaseResult {
  readonly sender: SenderKind;
  readonly n: number;
  readonly activityId: string;
  /** Whether every inbox got the activity in time, with no signature failure. */
  readonly complete: boolean;
  /** Arrival times from the phase's start (see `startedBy`). */
  readonly arrivals: ArrivalSummary;
  readonly startedBy: string;
  readonly check: DeliveryCheck;
  /** % of one core over the phase; `service` is the sender, `groups.fleet` the fleet. */
  readonly cpu: CpuUse;
  /** CPU milliseconds per delivery. */
  readonly cpuMsPerDelivery: { sender: number; fleet: number; postgres: number; redis: number };
  readonly senderRss: RssOverPhase;
  /** How long the phase waited for the machine to go quiet first, and whether it did. */
  readonly quiet: Quiet;
}

export interface Quiet {
  readonly waitedMs: number;
  readonly quiet: boolean;
  /** Busy % of one core, machine-wide, over the last second before the phase. */
  readonly busyPct: number;
}

/** Busy below this (% of one core, whole machine, over 1 s) counts as quiet. */
const QUIET_PCT = 25;

/**
 * Waits, at most `maxMs`, until the whole machine is nearly idle for a second: on a shared 2-core
 * machine another process's burst (a test run, a build) would otherwise be measured as the
 * sender's slowness. The phase's own processes are idle at this point.
 */
export async function waitForQuiet(maxMs: number): Promise<Quiet> {
  const started = Date.now();
  for (;;) {
    const a = await cpuSnapshot();
    await sleep(1_000);
    const b = await cpuSnapshot();
    const busyPct = cpuBetween(a, b, { service: -1, ourBackends: [] }).machine;
    const waitedMs = Date.now() - started;
    if (busyPct < QUIET_PCT) return { waitedMs, quiet: true, busyPct };
    if (waitedMs >= maxMs) return { waitedMs, quiet: false, busyPct };
  }
}

/** CPU and memory watch over a phase, started just before its first request. */
export class PhaseWatch {
  private constructor(
    private readonly senderPid: number,
    private readonly fleetPids: readonly number[],
    private readonly cpu0: CpuSnapshot,
    private readonly rss: RssSampler,
  ) {}

  static async start(senderPid: number, fleet: Fleet): Promise<PhaseWatch> {
    const rss = await RssSampler.start(senderPid);
    return new PhaseWatch(senderPid, fleet.pids, await cpuSnapshot(), rss);
  }

  /** Monotonic ns at the start, for cutting a CPU profile to the phase. */
  get startedAtNs(): bigint {
    return this.cpu0.at;
  }

  async stop(ourBackends: readonly number[] = []): Promise<{
    cpu: CpuUse;
    rss: RssOverPhase;
    endedAtNs: bigint;
  }> {
    const cpu1 = await cpuSnapshot();
    const rss = await this.rss.stop();
    const cpu = cpuBetween(this.cpu0, cpu1, {
      service: this.senderPid,
      ourBackends,
      groups: { fleet: this.fleetPids },
    });
    return { cpu, rss, endedAtNs: cpu1.at };
  }
}

export function deliveryCheck(a: FanoutArrivals): DeliveryCheck {
  return {
    expected: a.expected,
    reached: a.reached,
    missing: a.missing,
    duplicates: a.duplicates,
    unexpected: a.unexpected,
    signaturesVerified: a.verified,
    signatureFailures: a.verifyFailures,
    failures: a.failures,
    bodyBytes: a.bodyBytes,
    activityType: a.type,
  };
}

export function phaseResult(
  sender: SenderKind,
  a: FanoutArrivals,
  startMs: number,
  startedBy: string,
  watched: { cpu: CpuUse; rss: RssOverPhase },
  quiet: Quiet,
): PhaseResult {
  const { cpu } = watched;
  const per = (pct: number): number =>
    a.reached === 0 ? Number.NaN : round(((pct / 100) * cpu.seconds * 1000) / a.reached, 3);
  return {
    sender,
    n: a.expected,
    activityId: a.id,
    complete: a.missing === 0 && a.verifyFailures === 0,
    arrivals: summariseArrivals(a, startMs),
    startedBy,
    check: deliveryCheck(a),
    cpu,
    cpuMsPerDelivery: {
      sender: per(cpu.service),
      fleet: per(cpu.groups?.fleet ?? Number.NaN),
      postgres: per(cpu.postgresOurs),
      redis: per(cpu.redis),
    },
    senderRss: watched.rss,
    quiet,
  };
}
