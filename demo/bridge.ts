/**
 * The bridge as the demo runs it: the built service (`dist/src/main.js`) as a child process with
 * nothing configured but what the demo needs — so it starts an embedded Postgres in a fresh
 * temporary `DATA_DIR` and runs its queues on it — plus a small client for `/api/v1`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mintToken } from '../src/auth/mint-token.js';
import type { Scope } from '../src/auth/scopes.js';
import { loadConfig } from '../src/config/config.js';
import {
  AppProcess,
  freePort,
  killPostmasters,
  postmasterPids,
} from '../test/e2e/support/app-process.js';

/** Options of {@link startBridge}. */
export interface BridgeOptions {
  /** `COMMENT_WEBHOOK_URLS`. */
  readonly webhookUrl: string;
  /** `COMMENT_WEBHOOK_SECRET`. */
  readonly webhookSecret: string;
  /** `LOG_LEVEL`. */
  readonly logLevel: string;
}

/** An answer of `/api/v1`. */
export interface ApiAnswer {
  readonly status: number;
  /** The body parsed as JSON, or `undefined`. */
  readonly json: unknown;
  readonly text: string;
}

/** How the service ended. */
export interface ShutdownReport {
  /** Exit code (null when killed by a signal). */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Milliseconds from SIGTERM to the exit; 0 when it had exited before. */
  readonly ms: number;
  /** It had exited before the shutdown (a failed boot, a crash). */
  readonly alreadyExited: boolean;
  /** Postmasters of the embedded cluster that outlived the service (then killed here). */
  readonly leftoverPostgres: number;
}

const SHUTDOWN_TIMEOUT_MS = 15_000;

/**
 * Every variable the service's configuration reads, found by running `loadConfig` on an
 * environment that records what is asked of it. Removing all of them from the child's environment
 * is what "nothing configured" means, whatever the shell (or CI) exported.
 */
export function serviceVariables(): string[] {
  const names = new Set<string>();
  const recorder = new Proxy<Record<string, string | undefined>>(
    {},
    {
      get(_target, name) {
        if (typeof name === 'string') names.add(name);
        return undefined;
      },
    },
  );
  try {
    loadConfig(recorder);
  } catch {
    // An empty environment may be refused; what it asked for is all that is wanted here.
  }
  return [...names].sort();
}

/** The running service. */
export class DemoBridge {
  private stopping = false;

  private constructor(
    readonly app: AppProcess,
    /** `http://127.0.0.1:PORT`, also its `PUBLIC_URL`. */
    readonly origin: string,
    /** The temporary `DATA_DIR`. */
    readonly dataDir: string,
    private readonly jwtSecret: string,
  ) {}

  /**
   * Starts the service on a free port with a new temporary `DATA_DIR`. Resolves once the process
   * is spawned; {@link waitUntilReady} waits for `/health/ready`.
   */
  static async start(options: BridgeOptions): Promise<DemoBridge> {
    const port = await freePort();
    const dataDir = await mkdtemp(join(tmpdir(), 'bridge-demo-'));
    const origin = `http://127.0.0.1:${port}`;
    const jwtSecret = randomBytes(32).toString('base64url');
    const unset = Object.fromEntries(
      [
        ...serviceVariables(),
        // libpq's variables, which the pg client would fall back on.
        ...Object.keys(process.env).filter((name) => name.startsWith('PG')),
      ].map((name) => [name, undefined]),
    );
    const app = AppProcess.start({
      ...unset,
      PORT: String(port),
      PUBLIC_URL: origin,
      ALLOW_PRIVATE_ADDRESSES: 'true',
      API_JWT_SECRET: jwtSecret,
      COMMENT_WEBHOOK_URLS: options.webhookUrl,
      COMMENT_WEBHOOK_SECRET: options.webhookSecret,
      DATA_DIR: dataDir,
      LOG_LEVEL: options.logLevel,
      LOG_FORMAT: 'json',
    });
    return new DemoBridge(app, origin, dataDir, jwtSecret);
  }

  /** `127.0.0.1:PORT`, the domain part of every handle. */
  get host(): string {
    return new URL(this.origin).host;
  }

  /** Whether {@link shutdown} has begun (an exit after that is expected). */
  get shuttingDown(): boolean {
    return this.stopping;
  }

  /** Waits for `/health/ready`; returns the ms since spawn. */
  waitUntilReady(timeoutMs: number): Promise<number> {
    return this.app.waitUntilReady(timeoutMs);
  }

  /** Calls `/api/v1…` with a fresh token holding `scopes`. */
  async api(
    method: string,
    path: string,
    scopes: readonly Scope[],
    body?: unknown,
    signal?: AbortSignal,
  ): Promise<ApiAnswer> {
    const token = await mintToken({
      secret: this.jwtSecret,
      scopes,
      subject: 'demo',
      expiresIn: 300,
    });
    const timeout = AbortSignal.timeout(15_000);
    const response = await fetch(`${this.origin}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        accept: 'application/json',
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: signal === undefined ? timeout : AbortSignal.any([signal, timeout]),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      json = undefined;
    }
    return { status: response.status, json, text };
  }

  /**
   * The service's last `lines` log lines (stdout and stderr), one record per line: time, level,
   * context and message.
   */
  logTail(lines: number): string[] {
    const out = [...this.app.stdout, ...this.app.stderr.map((l) => `stderr: ${l}`)];
    return out.slice(-lines).map(formatLogLine);
  }

  /** The last `lines` lines of the embedded Postgres's own log, if it wrote one. */
  async postgresLogTail(lines: number): Promise<string[]> {
    try {
      const text = await readFile(join(this.dataDir, 'postgres.log'), 'utf8');
      return text.trimEnd().split('\n').slice(-lines);
    } catch {
      return [];
    }
  }

  /**
   * SIGTERM, then waits for the exit (SIGKILL after 15 s); the service stops its embedded
   * Postgres last. A postmaster still running after that is stopped here. Then removes the
   * temporary `DATA_DIR`.
   */
  async shutdown(): Promise<ShutdownReport> {
    this.stopping = true;
    const alreadyExited = !this.app.isRunning();
    const exit = !alreadyExited
      ? await this.app.stop('SIGTERM', SHUTDOWN_TIMEOUT_MS)
      : await this.app.waitForExit(0);
    const clusterDir = join(this.dataDir, 'postgres');
    const leftover = (await postmasterPids(clusterDir)).length;
    if (leftover > 0) await killPostmasters(clusterDir);
    await rm(this.dataDir, { recursive: true, force: true, maxRetries: 3 });
    return {
      code: exit.code,
      signal: exit.signal,
      ms: alreadyExited ? 0 : exit.ms,
      alreadyExited,
      leftoverPostgres: leftover,
    };
  }
}

const LEVELS: Readonly<Record<number, string>> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO',
  40: 'WARN',
  50: 'ERROR',
  60: 'FATAL',
};

/** A pino JSON record as `HH:MM:SS.mmm LEVEL [context] msg (err)`; other lines as they are. */
function formatLogLine(line: string): string {
  if (!line.startsWith('{')) return line;
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null) return line;
  const r = record as Record<string, unknown>;
  const time = typeof r.time === 'number' ? new Date(r.time).toISOString().slice(11, 23) : '';
  const level = typeof r.level === 'number' ? (LEVELS[r.level] ?? String(r.level)) : '';
  const context = typeof r.context === 'string' ? ` [${r.context}]` : '';
  let msg = typeof r.msg === 'string' ? r.msg : '';
  // pino-http's records: the request and its answer.
  if (isRecord(r.req) && typeof r.req.method === 'string' && typeof r.req.url === 'string') {
    const status = isRecord(r.res) && typeof r.res.statusCode === 'number' ? r.res.statusCode : '';
    msg = `${msg}: ${r.req.method} ${r.req.url} ${String(status)}`.trimEnd();
  }
  const err =
    typeof r.err === 'object' && r.err !== null && 'message' in r.err
      ? ` (${String(r.err.message)})`
      : '';
  return `${time} ${level}${context} ${msg}${err}`.trim();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
