import { type App, createApp } from './app.js';
import { type AppConfig, ConfigError, loadConfig } from './config/config.js';
import { prepareRuntime, type Runtime } from './config/runtime.js';
import { runMigrations } from './database/data-source.js';
import { routeFedifyLogs } from './logging/fedify-logs.js';
import { rootLogger } from './logging/logger.js';
import { queueSchema } from './queue/connection.js';

/**
 * The process: validate configuration, start what zero-config mode needs (embedded Postgres,
 * generated secret), migrate, start Nest for `ROLE`, and on SIGTERM/SIGINT shut down in order —
 * HTTP stops accepting, queue workers drain, Nest closes its connections, the embedded database
 * stops last — then exit 0. A signal during boot waits for boot to finish, under the same
 * deadline; past the deadline the embedded database is still stopped before exiting 1.
 */
function main(): void {
  let config: AppConfig;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(78); // EX_CONFIG
  }
  const root = rootLogger(config.logLevel, config.logFormat);
  routeFedifyLogs(root, config.logLevel);
  const log = root.child({ context: 'Boot' });

  let runtime: Runtime | undefined;
  let app: App | undefined;
  const boot = (async (): Promise<void> => {
    const started = Date.now();
    runtime = await prepareRuntime(config, (m) => {
      log.info(m);
    });
    if (config.runMigrations) {
      const applied = await runMigrations(runtime.config.databaseUrl, {
        queueSchema: queueSchema(config),
      });
      if (applied.length > 0) log.info({ applied }, `applied ${applied.length} migration(s)`);
    }
    app = await createApp(runtime.config);
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
  })();

  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received; shutting down`);
    const deadline = setTimeout(() => {
      log.error(`shutdown did not finish within ${config.shutdownTimeoutMs} ms; exiting`);
      void (runtime?.stop() ?? Promise.resolve()).finally(() => process.exit(1));
    }, config.shutdownTimeoutMs);
    deadline.unref();
    let code = 0;
    try {
      await boot.catch(() => undefined); // a failed boot is reported (and exits) below
      await app?.close();
    } catch (err) {
      code = 1;
      log.error({ err }, 'error while closing the application');
    }
    try {
      await runtime?.stop();
    } catch (err) {
      code = 1;
      log.error({ err }, 'error while stopping the embedded database');
    }
    log.info('shutdown complete');
    process.exit(code);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    void shutdown(signal);
  };
  process.on('SIGTERM', onSignal).on('SIGINT', onSignal);

  boot.catch(async (err: unknown) => {
    log.fatal({ err }, 'boot failed');
    await runtime?.stop().catch(() => undefined);
    process.exit(1);
  });
}

main();
