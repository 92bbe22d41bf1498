import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { startEmbeddedPostgres } from '../database/embedded-postgres.js';
import type { AppConfig } from './config.js';
import { readOrCreateSecretFile } from './secret-file.js';

/** {@link AppConfig} with what boot fills in: the database to use and the master key. */
export interface RuntimeConfig extends AppConfig {
  readonly databaseUrl: string;
  readonly secretKey: string;
  /** Whether `databaseUrl` points at the embedded cluster this process started. */
  readonly embeddedDatabase: boolean;
}

/** Things started for the process that must be stopped after Nest has closed. */
export interface Runtime {
  readonly config: RuntimeConfig;
  stop(): Promise<void>;
}

const SECRET_FILE = 'secret.key';

/**
 * Completes the configuration for zero-config mode: without `DATABASE_URL` an embedded Postgres
 * is started in `DATA_DIR`, and without `SECRET_KEY` one is generated there (once; later boots
 * read it back, so keys encrypted with it stay readable).
 */
export async function prepareRuntime(
  config: AppConfig,
  log: (message: string) => void,
): Promise<Runtime> {
  if (config.databaseUrl !== undefined) {
    if (config.secretKey === undefined) throw new Error('SECRET_KEY is required'); // caught by loadConfig
    return {
      config: {
        ...config,
        databaseUrl: config.databaseUrl,
        secretKey: config.secretKey,
        embeddedDatabase: false,
      },
      stop: () => Promise.resolve(),
    };
  }
  const dataDir = resolve(config.dataDir);
  await mkdir(dataDir, { recursive: true });
  let secretKey = config.secretKey;
  if (secretKey === undefined) {
    const file = join(dataDir, SECRET_FILE);
    const { secret, created } = await readOrCreateSecretFile(file);
    if (created) log(`generated SECRET_KEY into ${file}; back this file up with the database`);
    secretKey = secret;
  }
  const embedded = await startEmbeddedPostgres({
    dataDir,
    port: config.embeddedPostgresPort,
    log,
  });
  return {
    config: { ...config, databaseUrl: embedded.url, secretKey, embeddedDatabase: true },
    stop: () => embedded.stop(),
  };
}
