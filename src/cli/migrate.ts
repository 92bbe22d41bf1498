import { ConfigError, loadConfig } from '../config/config.js';
import { prepareRuntime } from '../config/runtime.js';
import { runMigrations } from '../database/data-source.js';
import { queueSchema } from '../queue/connection.js';

/**
 * `npm run migrate`: applies pending migrations and exits. Uses `DATABASE_URL`, or the embedded
 * cluster in `DATA_DIR` when it is unset. The chart's migration job runs this with the pods'
 * `RUN_MIGRATIONS=false`.
 */
async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const runtime = await prepareRuntime(config, (m) => {
    console.log(m);
  });
  try {
    const applied = await runMigrations(runtime.config.databaseUrl, {
      queueSchema: queueSchema(config),
    });
    console.log(applied.length === 0 ? 'no pending migrations' : `applied: ${applied.join(', ')}`);
  } finally {
    await runtime.stop();
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? err.message : err);
  process.exit(1);
});
