import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmbeddedPostgres } from '../database/embedded-postgres.js';
import { schemaDrift, type SchemaDrift } from '../database/schema-drift.js';

/**
 * `npm run migration:generate -- <Name>` writes migrations/<timestamp>-<Name>.ts with the SQL that
 * brings a migrated database in line with the entities.
 * `npm run migration:check` exits 1 when that SQL is not empty (entities and migrations disagree).
 * Uses DATABASE_URL's server for a scratch database, or a throwaway embedded Postgres.
 */
async function main(): Promise<void> {
  const check = process.argv.includes('--check');
  const name = process.argv.slice(2).find((a) => !a.startsWith('--'));
  if (!check && (name === undefined || !/^[A-Z][A-Za-z0-9]*$/.test(name))) {
    throw new Error('usage: npm run migration:generate -- <PascalCaseName>');
  }
  const drift = await withServer(schemaDrift);
  if (drift.up.length === 0) {
    console.log('entities and migrations agree');
    return;
  }
  if (check) {
    console.error('entities and migrations disagree; a migration would run:');
    for (const q of drift.up) console.error(`  ${q}`);
    console.error('run: npm run migration:generate -- <Name>');
    process.exit(1);
  }
  const timestamp = Date.now();
  const file = join(process.cwd(), 'migrations', `${timestamp}-${name ?? ''}.ts`);
  await writeFile(file, render(`${name ?? ''}${timestamp}`, drift));
  console.log(`wrote ${file}; review it, then run npm run format`);
}

async function withServer<T>(fn: (url: string) => Promise<T>): Promise<T> {
  const url = process.env.DATABASE_URL;
  if (url !== undefined && url !== '') return fn(url);
  const dataDir = await mkdtemp(join(tmpdir(), 'bridge-migrations-'));
  const db = await startEmbeddedPostgres({ dataDir, log: () => undefined });
  try {
    return await fn(db.url);
  } finally {
    await db.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

function render(className: string, drift: SchemaDrift): string {
  const lines = (queries: readonly string[]): string =>
    queries.map((q) => `    await queryRunner.query(${JSON.stringify(q)});`).join('\n');
  return `import type { MigrationInterface, QueryRunner } from 'typeorm';

export class ${className} implements MigrationInterface {
  name = '${className}';

  async up(queryRunner: QueryRunner): Promise<void> {
${lines(drift.up)}
  }

  async down(queryRunner: QueryRunner): Promise<void> {
${lines([...drift.down].reverse())}
  }
}
`;
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
