// The receiving fleet: `inboxes` ActivityPub inboxes on 127.0.0.1, each on its own port, spread
// over a few child processes (fleet-process.ts) so that no process holds more than ~5,000
// listeners plus their connections (ulimit -n is 20,000 here) and the fleet has more than one
// event loop. Inbox i is `http://127.0.0.1:{port i}/inbox`; the parent merges what each process
// saw of an activity into one arrival time per inbox.
import { fileURLToPath } from 'node:url';
import type { ActivityArrivals, FleetInit } from './fleet-process.js';
import { RpcChild } from './rpc.js';
import { percentile, round, sleep } from '../ingest/stats.js';

const SCRIPT = fileURLToPath(new URL('./fleet-process.js', import.meta.url));

export interface FleetOptions {
  readonly inboxes: number;
  /** Child processes; default: one per 5,000 inboxes. */
  readonly processes?: number;
  /** Inboxes listen on ports from here (outside the ephemeral range, 32768–60999 here). */
  readonly basePort: number;
  /** Verify the signature of one request in this many (1: all). */
  readonly verifyEvery: number;
}

/** What the fleet saw of one activity sent to inboxes 0…n−1. */
export interface FanoutArrivals {
  readonly id: string;
  readonly type: string;
  readonly bodyBytes: number;
  readonly expected: number;
  /** Inboxes among the n that got it at least once. */
  readonly reached: number;
  readonly missing: number;
  /** Requests beyond the first at the same inbox. */
  readonly duplicates: number;
  /** Inboxes outside 0…n−1 that got it (addressing error). */
  readonly unexpected: number;
  readonly verified: number;
  readonly verifyFailures: number;
  readonly failures: string[];
  /** Monotonic ms of each reached inbox's first arrival, sorted. */
  readonly arrivals: number[];
}

/** Arrival times relative to a start, in ms. */
export interface ArrivalSummary {
  readonly firstMs: number;
  readonly p50Ms: number;
  readonly p90Ms: number;
  readonly p99Ms: number;
  readonly lastMs: number;
  /** Deliveries per second from the start to the last arrival. */
  readonly perS: number;
  /** Deliveries per second from the first arrival to the last (the sending rate once going). */
  readonly firstToLastPerS: number;
}

export function summariseArrivals(a: FanoutArrivals, startMs: number): ArrivalSummary {
  const rel = a.arrivals.map((t) => t - startMs);
  const first = rel[0] ?? Number.NaN;
  const last = rel.at(-1) ?? Number.NaN;
  return {
    firstMs: round(first),
    p50Ms: round(percentile(rel, 50)),
    p90Ms: round(percentile(rel, 90)),
    p99Ms: round(percentile(rel, 99)),
    lastMs: round(last),
    perS: last > 0 ? round((a.reached / last) * 1000) : 0,
    firstToLastPerS: last > first ? round(((a.reached - 1) / (last - first)) * 1000) : 0,
  };
}

interface Part {
  readonly child: RpcChild;
  readonly firstIndex: number;
  readonly ports: number[];
}

export class Fleet {
  private constructor(
    private readonly parts: readonly Part[],
    /** Inbox URLs by index. */
    readonly inboxes: readonly string[],
  ) {}

  static async start(o: FleetOptions): Promise<Fleet> {
    const processes = Math.max(1, o.processes ?? Math.ceil(o.inboxes / 5_000));
    const per = Math.ceil(o.inboxes / processes);
    // Each process gets its own port range, with some room for ports already in use.
    const span = per + Math.max(100, Math.ceil(per / 10));
    const parts: Part[] = [];
    try {
      for (let p = 0; p < processes; p++) {
        const firstIndex = p * per;
        const count = Math.min(per, o.inboxes - firstIndex);
        if (count <= 0) break;
        const child = RpcChild.fork(SCRIPT);
        const init: FleetInit = {
          firstIndex,
          count,
          firstPort: o.basePort + p * span,
          lastPort: o.basePort + (p + 1) * span - 1,
          verifyEvery: o.verifyEvery,
        };
        parts.push({ child, firstIndex, ports: [] });
        const { ports } = await child.call<{ ports: number[] }>('start', init, 120_000);
        parts[parts.length - 1] = { child, firstIndex, ports };
      }
    } catch (error) {
      await Promise.all(parts.map((part) => part.child.stop()));
      throw error;
    }
    const inboxes = parts.flatMap((part) => part.ports.map((port) => inboxUrl(port)));
    return new Fleet(parts, inboxes);
  }

  get pids(): number[] {
    return this.parts.map((p) => p.child.pid);
  }

  /** The port range the inboxes use. */
  get portRange(): string {
    const all = this.parts.flatMap((p) => p.ports);
    return `${Math.min(...all)}–${Math.max(...all)}`;
  }

  /** Accepts signatures made with `keyId` (a PEM public key) as made by `owner`. */
  async trust(keyId: string, owner: string, pem: string): Promise<void> {
    await Promise.all(this.parts.map((p) => p.child.call('trust', { keyId, owner, pem })));
  }

  async setVerifyEvery(every: number): Promise<void> {
    await Promise.all(this.parts.map((p) => p.child.call('setVerifyEvery', every)));
  }

  /** Requests accepted so far for `id` (all inboxes), and signature failures. */
  async progress(id: string): Promise<{ total: number; distinct: number; failed: number }> {
    const answers = await Promise.all(
      this.parts.map((p) =>
        p.child.call<{
          activities: { id: string; total: number; distinct: number; failed: number }[];
        }>('progress'),
      ),
    );
    let total = 0;
    let distinct = 0;
    let failed = 0;
    for (const a of answers) {
      for (const r of a.activities) {
        if (r.id !== id) continue;
        total += r.total;
        distinct += r.distinct;
        failed += r.failed;
      }
    }
    return { total, distinct, failed };
  }

  /**
   * Waits until `expected` distinct inboxes got `id`; false on timeout, or as soon as a signature
   * fails to verify (the run has failed then: the sender will retry, but the result is wrong).
   */
  async waitFor(id: string, expected: number, timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const p = await this.progress(id);
      if (p.distinct >= expected) return true;
      if (p.failed > 0 || Date.now() > deadline) return false;
      await sleep(50);
    }
  }

  /** Everything the fleet saw of `id`, for inboxes 0…n−1. */
  async arrivals(id: string, n: number): Promise<FanoutArrivals> {
    const answers = await Promise.all(
      this.parts.map((p) => p.child.call<ActivityArrivals | null>('arrivals', id)),
    );
    const arrivals: number[] = [];
    let type = '';
    let bodyBytes = 0;
    let duplicates = 0;
    let unexpected = 0;
    let verified = 0;
    let verifyFailures = 0;
    const failures: string[] = [];
    answers.forEach((a, i) => {
      if (a === null) return;
      const base = this.parts[i]?.firstIndex ?? 0;
      type = a.type;
      bodyBytes = a.bodyBytes;
      verified += a.verified;
      verifyFailures += a.failed;
      failures.push(...a.failures);
      for (let j = 0; j < a.count.length; j++) {
        const c = a.count[j] ?? 0;
        if (c === 0) continue;
        if (base + j >= n) {
          unexpected += 1;
          continue;
        }
        duplicates += c - 1;
        arrivals.push(a.firstAt[j] ?? Number.NaN);
      }
    });
    arrivals.sort((x, y) => x - y);
    return {
      id,
      type,
      bodyBytes,
      expected: n,
      reached: arrivals.length,
      missing: n - arrivals.length,
      duplicates,
      unexpected,
      verified,
      verifyFailures,
      failures,
      arrivals,
    };
  }

  /** Requests that were not to an inbox, or not an activity. */
  async strays(): Promise<{ count: number; first: string[] }> {
    const answers = await Promise.all(
      this.parts.map((p) => p.child.call<{ count: number; first: string[] }>('strays')),
    );
    return {
      count: answers.reduce((s, a) => s + a.count, 0),
      first: answers.flatMap((a) => a.first).slice(0, 20),
    };
  }

  async stop(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.child.stop()));
  }
}

export const inboxUrl = (port: number): string => `http://127.0.0.1:${port}/inbox`;

/** A follower's actor URI on inbox `port`'s host. */
export const followerUri = (port: number): string => `http://127.0.0.1:${port}/users/reader`;
