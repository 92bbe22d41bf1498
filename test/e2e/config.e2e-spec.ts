import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { testDatabaseUrl } from '../support/database.js';
import { AppProcess, freePort, probePort } from './support/app-process.js';

const EX_CONFIG = 78;

// A bad environment stops the process before it starts anything: exit 78 (EX_CONFIG), a message
// on stderr naming each offending variable, no port opened, nothing written to DATA_DIR.
void describe('configuration errors', () => {
  let dataDir: string;
  const started: AppProcess[] = [];

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bridge-e2e-config-'));
  });

  after(async () => {
    for (const app of started) await app.dispose();
    await rm(dataDir, { recursive: true, force: true });
  });

  const run = async (
    vars: Record<string, string>,
  ): Promise<{ app: AppProcess; code: number | null; ms: number; stderr: string }> => {
    const app = AppProcess.start({ DATA_DIR: dataDir, ...vars });
    started.push(app);
    const exit = await app.waitForExit(5_000);
    return { app, code: exit.code, ms: exit.ms, stderr: app.stderr.join('\n') };
  };

  void it('PUBLIC_URL=not-a-url: exits 78 within 5 s naming PUBLIC_URL, listens on nothing', async () => {
    const port = await freePort();
    const { app, code, ms, stderr } = await run({
      PORT: String(port),
      PUBLIC_URL: 'not-a-url',
    });
    assert.equal(code, EX_CONFIG, app.tail());
    assert.ok(ms < 5_000, `exited after ${ms} ms`);
    assert.match(stderr, /^Invalid configuration:/);
    assert.match(stderr, /^\s+- PUBLIC_URL must be an absolute URL, got "not-a-url"$/m);
    assert.equal(await probePort(port), 'ECONNREFUSED');
    assert.equal(app.findLog(/^ready/), undefined);
    assert.deepEqual(await readdir(dataDir), [], 'nothing was started in DATA_DIR');
  });

  void it('DATABASE_URL without SECRET_KEY: exits 78 naming SECRET_KEY', async () => {
    const port = await freePort();
    const { app, code, stderr } = await run({
      PORT: String(port),
      DATABASE_URL: testDatabaseUrl(),
    });
    assert.equal(code, EX_CONFIG, app.tail());
    assert.match(stderr, /^Invalid configuration:/);
    assert.match(stderr, /^\s+- SECRET_KEY is required when DATABASE_URL is set\b/m);
    assert.doesNotMatch(stderr, /DATABASE_URL must/);
    assert.equal(await probePort(port), 'ECONNREFUSED');
  });

  void it('reports every bad variable in one go', async () => {
    const { code, stderr } = await run({
      PORT: 'eighty',
      ROLE: 'everything',
      SECRET_KEY: 'too-short',
    });
    assert.equal(code, EX_CONFIG);
    const problems = stderr.split('\n').filter((l) => l.startsWith('  - '));
    assert.deepEqual(
      problems.map((l) => /^ {2}- ([A-Z_]+) /.exec(l)?.[1]).sort(),
      ['PORT', 'ROLE', 'SECRET_KEY'],
      stderr,
    );
  });
});
