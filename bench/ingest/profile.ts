// Reads a V8 .cpuprofile (node --cpu-prof) and says where the time went: self time grouped by
// package (node_modules/<pkg>), by directory of the service's own code (dist/src/<dir>), by Node
// internals, and the top functions. Optionally only the samples inside a window of the monotonic
// clock (process.hrtime, which V8's profile timestamps share on Linux).
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fmt, round, table } from './stats.js';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileShare {
  readonly name: string;
  readonly ms: number;
  /** Share of the window's samples, in %. */
  readonly pct: number;
}

export interface ProfileSummary {
  readonly file: string;
  /** Sampled time inside the window, ms (idle included). */
  readonly sampledMs: number;
  /** Whether the samples were cut to the timed phase (else the whole process lifetime). */
  readonly windowed: boolean;
  /** Share of the window the main thread was not idle, in %. */
  readonly busyPct: number;
  readonly byCategory: readonly ProfileShare[];
  /**
   * Self time charged to the innermost package or service directory on the stack: native and
   * Node-internal frames (a socket write, a stream) go to whoever called them.
   */
  readonly byCaller: readonly ProfileShare[];
  readonly topFunctions: readonly ProfileShare[];
}

/** What a script URL belongs to: a package, a directory of the service, Node, or V8 itself. */
export function categoryOf(node: ProfileNode): string {
  const { url, functionName } = node.callFrame;
  if (url === '') {
    if (functionName.startsWith('(')) return functionName; // (idle) (program) (garbage collector)
    return '(native)';
  }
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) {
    const parts = url.slice(nm + '/node_modules/'.length).split('/');
    const [first = '', second = ''] = parts;
    return first.startsWith('@') ? `${first}/${second}` : first;
  }
  const src = /\/dist\/(src|migrations)\/(.*)$/.exec(url);
  if (src !== null) {
    const dirs = (src[2] ?? '').split('/');
    return `app: ${src[1] ?? 'src'}/${dirs.length > 1 ? (dirs[0] ?? '') : (dirs[0] ?? '')}`;
  }
  if (url.startsWith('node:')) {
    const parts = url.slice(5).split('/');
    return `node:${parts[0] === 'internal' ? `internal/${parts[1] ?? ''}` : (parts[0] ?? '')}`;
  }
  return 'other';
}

function shortUrl(url: string): string {
  const nm = url.lastIndexOf('/node_modules/');
  if (nm >= 0) return url.slice(nm + '/node_modules/'.length);
  const dist = url.indexOf('/dist/');
  if (dist >= 0) return url.slice(dist + 1);
  return url;
}

/** Summarises one profile; `windowUs` cuts to samples in [from, to] (monotonic µs). */
export async function summariseProfile(
  file: string,
  windowUs?: { from: number; to: number },
): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const windowed =
    windowUs !== undefined &&
    windowUs.from >= profile.startTime &&
    windowUs.to <= profile.endTime + 1_000_000;
  const selfUs = new Map<number, number>();
  let t = profile.startTime;
  let total = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (windowed && (t < windowUs.from || t > windowUs.to)) continue;
    const id = profile.samples[i] ?? -1;
    // A sample stands for the interval up to the next one; the delta to it is the best estimate.
    const dt = profile.timeDeltas[i + 1] ?? delta;
    selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    total += dt;
  }
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const callerOf = (id: number): string => {
    const self = byId.get(id);
    if (self === undefined) return '?';
    for (let cur: ProfileNode | undefined = self; cur !== undefined;) {
      const c = categoryOf(cur);
      if (!c.startsWith('(') && !c.startsWith('node:') && c !== 'other') return c;
      const up = parent.get(cur.id);
      cur = up === undefined ? undefined : byId.get(up);
    }
    const c = categoryOf(self);
    return c.startsWith('(') && c !== '(native)' ? c : `${c} (no package on the stack)`;
  };
  const cat = new Map<string, number>();
  const caller = new Map<string, number>();
  const fn = new Map<string, number>();
  let idle = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (node === undefined) continue;
    const c = categoryOf(node);
    if (c === '(idle)') idle += us;
    cat.set(c, (cat.get(c) ?? 0) + us);
    const by = callerOf(id);
    caller.set(by, (caller.get(by) ?? 0) + us);
    const { functionName, url, lineNumber } = node.callFrame;
    const key =
      url === ''
        ? functionName
        : `${functionName || '(anonymous)'} ${shortUrl(url)}:${lineNumber + 1}`;
    fn.set(key, (fn.get(key) ?? 0) + us);
  }
  const shares = (m: Map<string, number>, n: number): ProfileShare[] =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, n)
      .map(([name, us]) => ({
        name,
        ms: round(us / 1000),
        pct: round((us / Math.max(1, total)) * 100),
      }));
  return {
    file,
    sampledMs: round(total / 1000),
    windowed,
    busyPct: round(((total - idle) / Math.max(1, total)) * 100),
    byCategory: shares(cat, 18),
    byCaller: shares(caller, 18),
    topFunctions: shares(new Map([...fn].filter(([k]) => k !== '(idle)')), 20),
  };
}

/** The newest .cpuprofile in `dir`, if any. */
export async function newestProfile(dir: string): Promise<string | undefined> {
  const files = (await readdir(dir).catch(() => [] as string[])).filter((f) =>
    f.endsWith('.cpuprofile'),
  );
  files.sort();
  const last = files.at(-1);
  return last === undefined ? undefined : join(dir, last);
}

/** Prints a profile's heaviest callers as an indented table under `title`. */
export function printProfileByCaller(title: string, p: ProfileSummary, rows = 14): void {
  console.log(`\n  ${title} (main thread busy ${fmt(p.busyPct)} %), by caller:`);
  console.log(
    table(
      ['package / directory', 'ms', '%'],
      p.byCaller.slice(0, rows).map((x) => [x.name, x.ms, x.pct]),
    )
      .split('\n')
      .map((l) => `  ${l}`)
      .join('\n'),
  );
}
