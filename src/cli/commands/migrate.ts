import { queueSchema } from '../../queue/connection.js';
import type { Command } from './command.js';
import { openDatabase } from './database.js';

/** `fedi-bridge migrate`: what `npm run migrate` (src/cli/migrate.ts) does, as a command. */
export const migrateCommand: Command = {
  name: 'migrate',
  summary: 'apply pending database migrations',
  help: `Usage: fedi-bridge migrate

Applies pending migrations of the service's database (and, with queues on Postgres, of BullMQ's
tables in schema "bullmq"), under an advisory lock, so it is safe while replicas start. Uses
DATABASE_URL, or the embedded database in DATA_DIR (created there when there is none yet).

Examples:
  DATABASE_URL=postgres://bridge@db/bridge SECRET_KEY=… fedi-bridge migrate
  fedi-bridge migrate          # zero-config: the embedded database in ./.data`,
  options: {},
  positionals: { min: 0, max: 0 },
  async run({ config, io }) {
    const { runMigrations } = await import('../../database/data-source.js');
    const runtime = await openDatabase(config, { mayCreate: true, note: io.err });
    try {
      const applied = await runMigrations(runtime.config.databaseUrl, {
        queueSchema: queueSchema(config),
      });
      io.out(applied.length === 0 ? 'no pending migrations' : `applied: ${applied.join(', ')}`);
    } finally {
      await runtime.stop();
    }
  },
};
