import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import pg from 'pg';
import { testDatabaseUrl, testRedisUrl, uniqueName } from '../support/database.js';
import { AppProcess, freePort, probePort } from './support/app-process.js';

const PUBLIC_URL = 'https://bridge-e2e.example';
const SECRET_KEY = 'e2e-secret-key-0123456789abcdefghijklmnopqrstuv';

// With services: an external Postgres (a fresh database of its own on the test server) and, when
// the run has one, Redis for the queues. One process per ROLE, one after another.
void describe('ROLE web | worker | all, with external services', () => {
  const redisUrl = testRedisUrl();
  const expectedQueues = redisUrl === undefined ? 'postgres' : 'redis';
  let databaseName: string;
  let databaseUrl: string;
  let dataDir: string;
  const started: AppProcess[] = [];

  const admin = async <T>(use: (client: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: testDatabaseUrl() });
    await client.connect();
    try {
      return await use(client);
    } finally {
      await client.end();
    }
  };

  const start = async (role: string): Promise<AppProcess> => {
    const app = AppProcess.start({
      PORT: String(await freePort()),
      PUBLIC_URL,
      DATABASE_URL: databaseUrl,
      SECRET_KEY,
      REDIS_URL: redisUrl,
      ROLE: role,
      DATA_DIR: dataDir,
    });
    started.push(app);
    return app;
  };

  before(async () => {
    databaseName = uniqueName('e2e_roles');
    await admin((c) => c.query(`CREATE DATABASE "${databaseName}"`));
    const url = new URL(testDatabaseUrl());
    url.pathname = `/${databaseName}`;
    databaseUrl = url.toString();
    dataDir = await mkdtemp(join(tmpdir(), 'bridge-e2e-roles-'));
  });

  after(async () => {
    for (const app of started) await app.dispose();
    await admin((c) => c.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`));
    await rm(dataDir, { recursive: true, force: true });
  });

  void it('ROLE=web: ready, serves NodeInfo, SIGTERM exits 0', async () => {
    const app = await start('web');
    await app.waitUntilReady(15_000);
    const ready = app.findLog(/^ready \(web\) as https:\/\/bridge-e2e\.example$/);
    assert.equal(ready?.role, 'web');
    assert.equal(ready.database, 'external');
    assert.equal(ready.queues, expectedQueues);
    assert.ok(app.findLog(/^applied 6 migration\(s\)$/), 'the fresh database is migrated');

    const wellKnown = await fetch(`${app.url}/.well-known/nodeinfo`);
    assert.equal(wellKnown.status, 200);
    const links = ((await wellKnown.json()) as { links: { rel: string; href: string }[] }).links;
    assert.deepEqual(
      links.map((l) => l.href),
      [`${PUBLIC_URL}/nodeinfo/2.1`],
    );
    const nodeinfo = await fetch(`${app.url}/nodeinfo/2.1`);
    assert.equal(nodeinfo.status, 200);
    const doc = (await nodeinfo.json()) as { version: string; protocols: string[] };
    assert.equal(doc.version, '2.1');
    assert.deepEqual(doc.protocols, ['activitypub']);

    const exit = await app.stop('SIGTERM', 10_000);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    assert.ok(app.findLog(/^shutdown complete$/));
  });

  void it('ROLE=worker: ready without an HTTP port, SIGTERM exits 0 within 10 s', async () => {
    const app = await start('worker');
    const ready = await app.waitForLog(/^ready \(worker\)/, 15_000);
    assert.equal(ready.role, 'worker');
    assert.equal(ready.queues, expectedQueues);
    assert.equal(ready.port, undefined, 'a worker reports no port');
    assert.ok(app.findLog(/^federation queues started$/), 'a worker runs the queues');
    assert.ok(app.port !== undefined);
    assert.equal(await probePort(app.port), 'ECONNREFUSED');

    const exit = await app.stop('SIGTERM', 10_000);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    assert.ok(exit.ms < 10_000, `exit took ${exit.ms} ms`);
    assert.ok(app.findLog(/^shutdown complete$/));
  });

  void it('ROLE=all: ready, and the ready line names the queue backend', async () => {
    const app = await start('all');
    await app.waitUntilReady(15_000);
    const ready = app.findLog(/^ready \(all\)/);
    assert.equal(ready?.role, 'all');
    assert.equal(ready.queues, expectedQueues);
    assert.equal(ready.port, app.port);
    assert.deepEqual(app.findLogs(/applied \d+ migration/), [], 'already migrated by ROLE=web');

    const health = await fetch(`${app.url}/health/ready`);
    const body = (await health.json()) as { info: Record<string, { status: string } | undefined> };
    assert.equal(body.info.database?.status, 'up');
    assert.equal(body.info.queue?.status, 'up');

    const exit = await app.stop('SIGTERM', 10_000);
    assert.deepEqual({ code: exit.code, signal: exit.signal }, { code: 0, signal: null });
    // With DATABASE_URL set nothing is embedded: DATA_DIR stays empty.
    assert.deepEqual(await readdir(dataDir), []);
  });
});
