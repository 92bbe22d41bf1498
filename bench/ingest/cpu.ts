// CPU accounting from /proc (Linux): how busy the machine was during a phase and how much of it
// went to the service, Postgres, Redis and this benchmark process. Percentages are of one core.
import { readdir, readFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { now, round } from './stats.js';

/** Clock ticks per second of /proc's utime/stime (USER_HZ, 100 on Linux). */
const TICKS = 100;

interface ProcTicks {
  readonly comm: string;
  readonly ticks: number;
  /** Kernel-mode share of `ticks` (stime). */
  readonly sys: number;
}

export interface CpuSnapshot {
  readonly at: bigint;
  /** Busy and total jiffies of the whole machine (all cores). */
  readonly busy: number;
  readonly total: number;
  readonly procs: ReadonlyMap<number, ProcTicks>;
}

/** CPU use over a phase, in % of one core (so 200 = both cores of a 2-core machine). */
export interface CpuUse {
  /** Length of the phase measured. */
  readonly seconds: number;
  readonly cores: number;
  /** Everything that ran, all processes. */
  readonly machine: number;
  readonly service: number;
  /** The kernel-mode part of `service` (system calls: socket reads and writes). */
  readonly serviceSys: number;
  /** Backends connected to the benchmark's database (by pid, from pg_stat_activity). */
  readonly postgresOurs: number;
  /** Every postgres process on the machine (other databases, background workers included). */
  readonly postgresAll: number;
  readonly redis: number;
  /** This process: load generator, feed server, Kafka test broker. */
  readonly bench: number;
  /** Extra groups of processes asked for by pid (e.g. a load generator's children). */
  readonly groups?: Record<string, number>;
  /** What nobody above accounts for (other work on the machine). */
  readonly other: number;
}

async function readProcs(): Promise<Map<number, ProcTicks>> {
  const out = new Map<number, ProcTicks>();
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = await readFile(join('/proc', entry, 'stat'), 'utf8');
      const close = stat.lastIndexOf(')');
      const comm = stat.slice(stat.indexOf('(') + 1, close);
      const fields = stat
        .slice(close + 2)
        .trim()
        .split(' ');
      // After "pid (comm) ": state is field 3, utime 14 and stime 15 (1-based over the whole line).
      const sys = Number(fields[12]);
      out.set(Number(entry), { comm, ticks: Number(fields[11]) + sys, sys });
    } catch {
      // The process went away meanwhile.
    }
  }
  return out;
}

export async function cpuSnapshot(): Promise<CpuSnapshot> {
  const at = now();
  const stat = await readFile('/proc/stat', 'utf8');
  const first = stat.split('\n')[0] ?? '';
  const nums = first.trim().split(/\s+/).slice(1).map(Number);
  const total = nums.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (nums[3] ?? 0) + (nums[4] ?? 0);
  return { at, busy: total - idle, total, procs: await readProcs() };
}

/** CPU use between two snapshots. `ourBackends`: pids of Postgres backends on our database. */
export function cpuBetween(
  a: CpuSnapshot,
  b: CpuSnapshot,
  who: {
    service: number;
    ourBackends: readonly number[];
    groups?: Readonly<Record<string, readonly number[]>>;
  },
): CpuUse {
  const seconds = Number(b.at - a.at) / 1e9;
  const pct = (ticks: number): number => round((ticks / TICKS / seconds) * 100);
  const delta = (pid: number): number => {
    const after = b.procs.get(pid);
    if (after === undefined) return 0;
    const before = a.procs.get(pid);
    return after.ticks - (before?.comm === after.comm ? before.ticks : 0);
  };
  const byComm = (pred: (comm: string) => boolean): number => {
    let sum = 0;
    for (const [pid, p] of b.procs) if (pred(p.comm)) sum += delta(pid);
    return sum;
  };
  const cores = cpus().length;
  // /proc/stat counts jiffies per core; busy share × cores × 100 = % of one core.
  const machine = round(((b.busy - a.busy) / Math.max(1, b.total - a.total)) * cores * 100);
  const service = pct(delta(who.service));
  const sysBefore = a.procs.get(who.service)?.sys ?? 0;
  const serviceSys = pct((b.procs.get(who.service)?.sys ?? sysBefore) - sysBefore);
  const postgresAll = pct(byComm((c) => c === 'postgres'));
  const postgresOurs = pct(who.ourBackends.reduce((s, pid) => s + delta(pid), 0));
  const redis = pct(byComm((c) => c.startsWith('redis-server')));
  const bench = pct(delta(process.pid));
  const groups =
    who.groups === undefined
      ? undefined
      : Object.fromEntries(
          Object.entries(who.groups).map(([name, pids]) => [
            name,
            pct(pids.reduce((s, pid) => s + delta(pid), 0)),
          ]),
        );
  const grouped = Object.values(groups ?? {}).reduce((s, v) => s + v, 0);
  return {
    seconds: round(seconds, 3),
    cores,
    machine,
    service,
    serviceSys,
    postgresOurs,
    postgresAll,
    redis,
    bench,
    ...(groups === undefined ? {} : { groups }),
    other: round(Math.max(0, machine - service - postgresAll - redis - bench - grouped)),
  };
}
