import { type ChildProcess, spawn } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { connect, createServer } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Repository root: this file runs as dist/test/e2e/support/app-process.js. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** What a child process ended with, and how long after the signal (or spawn) it took. */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly ms: number;
}

/** One JSON log record the service wrote to stdout. */
export interface LogLine {
  readonly msg?: string;
  readonly level?: number;
  readonly [field: string]: unknown;
}

/** Variables the service reads; none leaks in from the environment the tests run in. */
const SERVICE_VARIABLES = [
  'PORT',
  'PUBLIC_URL',
  'DATABASE_URL',
  'REDIS_URL',
  'KAFKA_BROKERS',
  'ROLE',
  'DATA_DIR',
  'SECRET_KEY',
  'API_JWT_SECRET',
  'API_JWKS_URL',
  'ALLOW_PRIVATE_ADDRESSES',
  'LOG_LEVEL',
  'LOG_FORMAT',
  'RUN_MIGRATIONS',
  'EMBEDDED_POSTGRES_PORT',
  'SHUTDOWN_TIMEOUT_MS',
];

/**
 * The environment for a service process: this process's, without the service's variables, the
 * test harness's `TEST_*` and node:test's own, plus JSON logs, private addresses allowed and
 * `vars` (an `undefined` value removes the variable).
 */
export function serviceEnv(vars: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const defaults = { LOG_FORMAT: 'json', ALLOW_PRIVATE_ADDRESSES: 'true' };
  const inherited = Object.entries(process.env).filter(
    ([name]) =>
      !SERVICE_VARIABLES.includes(name) &&
      !name.startsWith('TEST_') &&
      name !== 'NODE_TEST_CONTEXT',
  );
  const merged: Record<string, string | undefined> = {
    ...Object.fromEntries(inherited),
    ...defaults,
    ...vars,
  };
  return Object.fromEntries(Object.entries(merged).filter(([, value]) => value !== undefined));
}

/** Every service process still running, killed if the test process exits without stopping it. */
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of live) child.kill('SIGKILL');
});

/**
 * The service (`node dist/src/main.js`) as a child process of the test, with its output collected
 * line by line.
 */
export class AppProcess {
  readonly stdout: string[] = [];
  readonly stderr: string[] = [];
  readonly startedAt = Date.now();
  private exitInfo: { code: number | null; signal: NodeJS.Signals | null; at: number } | undefined;
  private readonly exited: Promise<void>;

  private constructor(
    readonly child: ChildProcess,
    readonly port: number | undefined,
  ) {
    live.add(child);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitInfo = { code, signal, at: Date.now() };
        live.delete(child);
        resolve();
      });
    });
    const collect = (stream: NodeJS.ReadableStream | null, into: string[]): void => {
      if (stream === null) return;
      createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => {
        into.push(line);
      });
    };
    collect(child.stdout, this.stdout);
    collect(child.stderr, this.stderr);
  }

  /** Starts the service with `serviceEnv(vars)` in the repository root. */
  static start(vars: Record<string, string | undefined>): AppProcess {
    const env = serviceEnv(vars);
    const child = spawn(process.execPath, ['dist/src/main.js'], {
      cwd: REPO_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return new AppProcess(child, env.PORT === undefined ? undefined : Number(env.PORT));
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the service process did not spawn');
    return this.child.pid;
  }

  isRunning(): boolean {
    return this.exitInfo === undefined;
  }

  /** The JSON records on stdout, in order; lines that are not JSON objects are skipped. */
  logs(): LogLine[] {
    const out: LogLine[] = [];
    for (const line of this.stdout) {
      if (!line.startsWith('{')) continue;
      try {
        out.push(JSON.parse(line) as LogLine);
      } catch {
        // A partial or non-JSON line: not a record.
      }
    }
    return out;
  }

  /** Records whose `msg` matches `pattern`. */
  findLogs(pattern: RegExp): LogLine[] {
    return this.logs().filter((l) => typeof l.msg === 'string' && pattern.test(l.msg));
  }

  /** The first record whose `msg` matches `pattern`. */
  findLog(pattern: RegExp): LogLine | undefined {
    return this.findLogs(pattern)[0];
  }

  /** Waits for a record matching `pattern` (and `where`, if given); fails early if the process exits. */
  async waitForLog(
    pattern: RegExp,
    timeoutMs = 10_000,
    where: (line: LogLine) => boolean = () => true,
  ): Promise<LogLine> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.findLogs(pattern).find(where);
      if (found !== undefined) return found;
      if (!this.isRunning()) {
        throw new Error(`the service exited before logging ${String(pattern)}\n${this.tail()}`);
      }
      if (Date.now() > deadline) {
        throw new Error(
          `no log line matching ${String(pattern)} within ${timeoutMs} ms\n${this.tail()}`,
        );
      }
      await sleep(20);
    }
  }

  /** The base URL the service listens on (127.0.0.1:PORT). */
  get url(): string {
    if (this.port === undefined) throw new Error('PORT was not set for this process');
    return `http://127.0.0.1:${this.port}`;
  }

  /**
   * Polls `GET /health/ready` until it answers 200; returns the ms since spawn. Fails at once if
   * the process exits, and after `timeoutMs` otherwise, with the output's tail in the message.
   */
  async waitUntilReady(timeoutMs = 15_000): Promise<number> {
    const deadline = this.startedAt + timeoutMs;
    let last = 'no answer';
    while (Date.now() < deadline) {
      if (!this.isRunning()) {
        throw new Error(`the service exited before it was ready\n${this.tail()}`);
      }
      try {
        const res = await fetch(`${this.url}/health/ready`, { signal: AbortSignal.timeout(2_000) });
        const body = await res.text();
        if (res.status === 200) return Date.now() - this.startedAt;
        last = `${res.status} ${body}`;
      } catch (err) {
        last = errorCode(err);
      }
      await sleep(100);
    }
    throw new Error(`not ready within ${timeoutMs} ms (last: ${last})\n${this.tail()}`);
  }

  /** Resolves when the process has exited, or rejects after `timeoutMs`. */
  async waitForExit(timeoutMs = 10_000): Promise<ExitInfo> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.exited,
        new Promise((_, reject) => {
          timer = setTimeout(() => {
            reject(new Error(`the service did not exit within ${timeoutMs} ms\n${this.tail()}`));
          }, timeoutMs);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
    return this.exitResult(this.startedAt);
  }

  /**
   * Sends `signal` and waits for the exit; `ms` counts from the signal. A process still running
   * after `timeoutMs` gets SIGKILL (and the result then says so).
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<ExitInfo> {
    if (!this.isRunning()) throw new Error(`the service had already exited\n${this.tail()}`);
    const sent = Date.now();
    this.child.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, timeoutMs);
    });
    await Promise.race([this.exited, timedOut]);
    clearTimeout(timer);
    if (this.isRunning()) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
    return this.exitResult(sent);
  }

  /** SIGKILL: no shutdown runs, so an embedded Postgres is left behind as an orphan. */
  kill9(): Promise<ExitInfo> {
    return this.stop('SIGKILL');
  }

  /** For `after`: kills the process if it still runs and waits for it. Never throws. */
  async dispose(): Promise<void> {
    if (this.isRunning()) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }

  /** The last lines of stdout and stderr, for failure messages. */
  tail(lines = 25): string {
    return [
      '--- stdout (tail) ---',
      ...this.stdout.slice(-lines),
      '--- stderr (tail) ---',
      ...this.stderr.slice(-lines),
    ].join('\n');
  }

  private exitResult(since: number): ExitInfo {
    if (this.exitInfo === undefined) throw new Error('the service has not exited');
    return { code: this.exitInfo.code, signal: this.exitInfo.signal, ms: this.exitInfo.at - since };
  }
}

/** A TCP port that was free a moment ago. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => {
        resolve(port);
      });
    });
  });
}

/** Tries a TCP connection: 'open', or the error code (ECONNREFUSED when nothing listens). */
export function probePort(port: number, host = '127.0.0.1'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host });
    socket.setTimeout(2_000);
    socket.once('connect', () => {
      socket.destroy();
      resolve('open');
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve('ETIMEDOUT');
    });
    socket.once('error', (err) => {
      resolve(errorCode(err));
    });
  });
}

/** Pids of live `postgres -D <clusterDir>` processes (postmasters of that cluster), from /proc. */
export async function postmasterPids(clusterDir: string): Promise<number[]> {
  const candidates = new Map<number, number>(); // pid → parent pid
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    let stat: string;
    try {
      argv = (await readFile(join('/proc', entry, 'cmdline'), 'utf8')).split('\0');
      stat = await readFile(join('/proc', entry, 'stat'), 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    const d = argv.indexOf('-D');
    if ((argv[0] ?? '').endsWith('postgres') && d > 0 && argv[d + 1] === clusterDir) {
      // stat: "pid (comm) state ppid …"; comm may contain spaces, so read after the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      candidates.set(Number(entry), ppid);
    }
  }
  // A backend that was just forked still shows the postmaster's command line until it sets its
  // title; it is a child of a postmaster, so only processes whose parent is not one count.
  return [...candidates].filter(([, ppid]) => !candidates.has(ppid)).map(([pid]) => pid);
}

/** Stops every postmaster of `clusterDir` (fast shutdown, then SIGKILL); for cleanup. */
export async function killPostmasters(clusterDir: string): Promise<void> {
  const pids = await postmasterPids(clusterDir);
  if (pids.length === 0) return;
  for (const pid of pids) signalPid(pid, 'SIGINT');
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && (await postmasterPids(clusterDir)).length > 0) await sleep(50);
  for (const pid of await postmasterPids(clusterDir)) signalPid(pid, 'SIGKILL');
}

function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // Already gone.
  }
}

/** The `code` of a (possibly wrapped, as fetch does) Node error, or its message. */
function errorCode(err: unknown): string {
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as NodeJS.ErrnoException).code;
    if (typeof code === 'string') return code;
    current = current.cause;
  }
  return err instanceof Error ? err.message : String(err);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
