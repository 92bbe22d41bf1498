// Runs every test tier against real services, in order: pure specs, integration specs, e2e.
//
//   npm test                 all tiers
//   npm test -- spec         one tier (spec | int | e2e), or a path fragment to filter files
//
// With DATABASE_URL set, integration and e2e tests use that server (each test makes its own
// schema or database). Without it, one embedded Postgres is started here for the whole run, in a
// temporary directory, and handed to the tests as TEST_DATABASE_URL. REDIS_URL, when set, adds
// the Redis variants of the queue tests; without it they run on BullMQ's Postgres backend only.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

const tiers = [
  { name: 'spec', match: (f) => f.endsWith('.spec.js') && !f.includes('/test/e2e/') },
  { name: 'int', match: (f) => f.endsWith('.int-spec.js') },
  { name: 'e2e', match: (f) => f.includes('/test/e2e/') && f.endsWith('.e2e-spec.js') },
];

async function walk(dir) {
  const out = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else out.push(path);
  }
  return out;
}

/** Runs one tier; resolves with its exit code and the pass/fail counts from a TAP copy. */
async function run(files, env, tapFile) {
  const code = await new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        '--enable-source-maps',
        '--test',
        '--test-concurrency=2',
        '--test-timeout=180000',
        '--test-reporter=spec',
        '--test-reporter-destination=stdout',
        '--test-reporter=tap',
        `--test-reporter-destination=${tapFile}`,
        ...files,
      ],
      { stdio: 'inherit', env },
    );
    child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0)));
  });
  const tap = await readFile(tapFile, 'utf8').catch(() => '');
  const count = (name) => Number(new RegExp(`^# ${name} (\\d+)$`, 'm').exec(tap)?.[1] ?? 0);
  return { code, pass: count('pass'), fail: count('fail') + count('cancelled') };
}

const filter = process.argv[2];
// Only compiled files whose source still exists: tsc leaves outputs of deleted or renamed files.
const all = (await walk(join(dist, 'src')))
  .concat(await walk(join(dist, 'test')))
  .filter((f) => existsSync(join(root, relative(dist, f)).replace(/\.js$/, '.ts')))
  .sort();
const env = { ...process.env, NODE_ENV: 'test' };

let embedded;
if (!process.env.DATABASE_URL) {
  const { startEmbeddedPostgres } = await import(join(dist, 'src/database/embedded-postgres.js'));
  const dataDir = await mkdtemp(join(tmpdir(), 'bridge-test-pg-'));
  // Several test files run at once, each starting service processes with pools of their own.
  embedded = await startEmbeddedPostgres({ dataDir, log: () => {}, maxConnections: 400 });
  embedded.dataDir = dataDir;
  env.TEST_DATABASE_URL = embedded.url;
  // Interrupted runs still stop the cluster (it runs detached) and remove its directory.
  for (const signal of ['SIGINT', 'SIGTERM']) {
    process.once(signal, () => {
      void embedded
        .stop()
        .then(() => rm(embedded.dataDir, { recursive: true, force: true }))
        .finally(() => process.exit(130));
    });
  }
  console.log(`# embedded Postgres for this run at ${embedded.url}`);
} else {
  env.TEST_DATABASE_URL = process.env.DATABASE_URL;
}
if (process.env.REDIS_URL) env.TEST_REDIS_URL = process.env.REDIS_URL;

let failedTiers = 0;
let passed = 0;
let failed = 0;
const tapDir = await mkdtemp(join(tmpdir(), 'bridge-test-tap-'));
try {
  for (const tier of tiers) {
    if (filter && ['spec', 'int', 'e2e'].includes(filter) && filter !== tier.name) continue;
    const files = all
      .filter(tier.match)
      .filter((f) => !filter || ['spec', 'int', 'e2e'].includes(filter) || f.includes(filter));
    if (files.length === 0) continue;
    console.log(`\n# tier ${tier.name}: ${files.map((f) => relative(dist, f)).join(' ')}`);
    const result = await run(files, env, join(tapDir, `${tier.name}.tap`));
    passed += result.pass;
    failed += result.fail;
    if (result.code !== 0) failedTiers++;
  }
} finally {
  await rm(tapDir, { recursive: true, force: true });
  if (embedded) {
    await embedded.stop();
    await rm(embedded.dataDir, { recursive: true, force: true });
  }
}
console.log(`\ntests: ${passed} passed, ${failed} failed`);
process.exit(failedTiers === 0 && failed === 0 ? 0 : 1);
