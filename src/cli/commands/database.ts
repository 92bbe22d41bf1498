import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import pg from 'pg';
import type { AppConfig } from '../../config/config.js';
import { prepareRuntime, type Runtime } from '../../config/runtime.js';
import { readOrCreateSecretFile } from '../../config/secret-file.js';
import { CliError } from './command.js';

/** Files of the embedded cluster in `DATA_DIR`, as src/database/embedded-postgres.ts lays it out. */
const CLUSTER_DIR = 'postgres';
const PASSWORD_FILE = 'postgres.password';
const SECRET_FILE = 'secret.key';
const DATABASE = 'bridge';

/** Options of {@link openDatabase}. */
export interface OpenDatabaseOptions {
  /** Whether an embedded cluster may be created where there is none (`migrate` only). */
  readonly mayCreate: boolean;
  /** Receives one line per notable step (which database, embedded start and stop). */
  readonly note: (message: string) => void;
}

/**
 * The database the service uses, as the service finds it:
 *
 * - `DATABASE_URL` when set (with `SECRET_KEY`, which `loadConfig` already required);
 * - otherwise the embedded cluster in `DATA_DIR`: the running service's, when one is up (its
 *   port is in `postmaster.pid`; it is left running), else started here the way `main.ts` starts
 *   it, and stopped by {@link Runtime.stop}.
 *
 * Without `DATABASE_URL` and without a cluster in `DATA_DIR`, only `mayCreate` starts a new one:
 * any other command would work on an empty database created in the wrong directory.
 */
export async function openDatabase(
  config: AppConfig,
  options: OpenDatabaseOptions,
): Promise<Runtime> {
  if (config.databaseUrl !== undefined) return prepareRuntime(config, options.note);
  const dataDir = resolve(config.dataDir);
  const clusterDir = join(dataDir, CLUSTER_DIR);
  if (!(await exists(join(clusterDir, 'PG_VERSION'))) && !options.mayCreate) {
    throw new CliError(
      `no database: DATABASE_URL is not set and ${dataDir} holds no embedded database. ` +
        'Set DATABASE_URL (and SECRET_KEY) to the service’s database, or run from the directory ' +
        'holding the embedded database’s DATA_DIR (./.data by default), or set DATA_DIR to it.',
    );
  }
  const running = await runningCluster(dataDir, clusterDir);
  if (running !== null) {
    options.note(`using the embedded database of the running service (${running.host})`);
    const secretKey =
      config.secretKey ?? (await readOrCreateSecretFile(join(dataDir, SECRET_FILE))).secret;
    return {
      config: { ...config, databaseUrl: running.url, secretKey, embeddedDatabase: true },
      stop: () => Promise.resolve(),
    };
  }
  try {
    return await prepareRuntime(config, options.note);
  } catch (error) {
    throw new CliError(
      `the embedded database in ${dataDir} did not start: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

/**
 * The embedded cluster a running service started in `clusterDir`, when it answers: the port is
 * the fourth line of `postmaster.pid`, the password the service generated next to it.
 */
async function runningCluster(
  dataDir: string,
  clusterDir: string,
): Promise<{ url: string; host: string } | null> {
  let lines: string[];
  let password: string;
  try {
    lines = (await readFile(join(clusterDir, 'postmaster.pid'), 'utf8')).split('\n');
    password = (await readFile(join(dataDir, PASSWORD_FILE), 'utf8')).trim();
  } catch {
    return null;
  }
  const port = Number(lines[3]);
  if (!Number.isInteger(port) || port <= 0 || password === '') return null;
  const host = `127.0.0.1:${port}`;
  const url = `postgres://postgres:${encodeURIComponent(password)}@${host}/${DATABASE}`;
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return { url, host };
  } catch {
    return null; // a stale pid file: the cluster is started below
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
