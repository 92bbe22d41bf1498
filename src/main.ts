import { createApp } from './app.js';
import { ConfigError, loadConfig } from './config/config.js';
import { prepareRuntime } from './config/runtime.js';
import { runMigrations } from './database/data-source.js';
import { queueSchema } from './queue/connection.js';
import { routeFedifyLogs } from './logging/fedify-logs.js';
import { rootLogger } from './logging/logger.js';

/**
 * The process: validate configuration, start what zero-config mode needs (embedded Postgres,
 * generated secret), migrate, start Nest for `ROLE`, and on SIGTERM/SIGINT shut down in order —
 * HTTP stops accepting, queue workers drain, Nest closes its connections, the embedded database
 * stops last — then exit 0.
 */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const root = rootLogger(config.logLevel);
  routeFedifyLogs(root, config.logLevel);
  const log = root.child({ context: 'Boot' });
  const started = Date.now();

  let shutdownRequested: NodeJS.Signals | undefined;
  const early = (signal: NodeJS.Signals): void => {
    shutdownRequested = signal;
  };
  process.once('SIGTERM', early).once('SIGINT', early);

  const runtime = await prepareRuntime(config, (m) => {
    log.info(m);
  });
  let app;
  try {
    if (config.runMigrations) {
      const applied = await runMigrations(runtime.config.databaseUrl, {
        queueSchema: queueSchema(config),
      });
      if (applied.length > 0) log.info({ applied }, `applied ${applied.length} migration(s)`);
    }
    app = await createApp(runtime.config);
  } catch (err) {
    log.fatal({ err }, 'boot failed');
    await runtime.stop();
    throw err;
  }
  log.info(
    {
      role: config.role,
      port: app.server ? config.port : undefined,
      queues: config.redisUrl === undefined ? 'postgres' : 'redis',
      database: runtime.config.embeddedDatabase ? 'embedded' : 'external',
      ms: Date.now() - started,
    },
    `ready (${config.role}) as ${config.publicUrl.origin}`,
  );

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received; shutting down`);
    const deadline = setTimeout(() => {
      log.error(`shutdown did not finish within ${config.shutdownTimeoutMs} ms; exiting`);
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    let code = 0;
    try {
      await app.close();
    } catch (err) {
      code = 1;
      log.error({ err }, 'error while closing the application');
    }
    try {
      await runtime.stop();
    } catch (err) {
      code = 1;
      log.error({ err }, 'error while stopping the embedded database');
    }
    log.info('shutdown complete');
    process.exit(code);
  };
  process.off('SIGTERM', early).off('SIGINT', early);
  process.on('SIGTERM', (s) => void shutdown(s)).on('SIGINT', (s) => void shutdown(s));
  if (shutdownRequested) await shutdown(shutdownRequested);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `fatal: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});
